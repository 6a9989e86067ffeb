"""Pushing a snapshot into a Cypher database (Neo4j, or FalkorDB for verification), findings included.

Every node this tool writes carries ``pushed_by`` = the push tag, so ``--replace`` removes exactly what an
earlier push created and nothing else. Nodes and relationships go in batched ``UNWIND $rows ... MERGE``
transactions (idempotent: pushing twice leaves the same graph); findings become
``(:Finding {id, query, grade, clause, title})-[:FLAGS]->(subject)``; a ``Snapshot`` node records the tool
version, the inputs with their SHA-256 and the declared labels. The push ends by reading counts back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from itsms_graph import __version__
from itsms_graph.engines.cypher import CypherEngine
from itsms_graph.engines.cypher_load import edge_statement, node_statement
from itsms_graph.errors import ItsmsError
from itsms_graph.graph import rows
from itsms_graph.graph.store import SMSGraph, node_id
from itsms_graph.graph.tables import GraphTables
from itsms_graph.queries.results import Finding

DEFAULT_TAG = "itsms-graph"
DELETE_BATCH = 10_000

#: Removes up to $limit nodes of an earlier push (FalkorDB has no CALL ... IN TRANSACTIONS, so it loops).
DELETE_TAGGED = "MATCH (n) WHERE n.pushed_by = $tag WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted"
COUNT_TAGGED_NODES = "MATCH (n) WHERE n.pushed_by = $tag RETURN labels(n)[0] AS label, count(n) AS n"
COUNT_TAGGED_RELATIONSHIPS = (
    "MATCH (a)-[r]->(b) WHERE a.pushed_by = $tag AND b.pushed_by = $tag RETURN type(r) AS type, count(r) AS n"
)
READ_SNAPSHOT = "MATCH (s:Snapshot) WHERE s.pushed_by = $tag RETURN s.declared_labels AS declared"


@dataclass
class PushResult:
    expected: dict[str, int]
    actual: dict[str, int]
    deleted: int = 0
    findings: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def _own_rows(
    graph: SMSGraph | GraphTables, findings: list[Finding], tag: str
) -> tuple[list[tuple[str, list[list[Any]]]], dict[str, int]]:
    """What the push writes besides the graph: the Snapshot node, the findings and their FLAGS to subjects the
    graph holds, as (statement, rows), with their counts."""
    sch = graph.schema
    source = "itsms-graph:push"
    snapshot = {
        "tool_version": __version__,
        "declared_labels": sorted(graph.declared_labels),
        "input_files": [f"{i.path} {i.sha256}" for i in graph.inputs],
        "source_file": source,
        "pushed_by": tag,
    }
    written: list[tuple[str, list[list[Any]]]] = [
        (node_statement("Snapshot", sch), [[node_id("Snapshot", tag), snapshot]])
    ]
    found: dict[str, dict[str, Any]] = {}
    for f in findings:  # a finding id once, as the graph would merge it
        found.setdefault(
            node_id("Finding", f.id),
            {
                "query": f.query,
                "grade": f.grade,
                "clause": " ".join(f.clauses),
                "title": f.title,
                "source_file": source,
                "pushed_by": tag,
            },
        )
    if found:
        written.append((node_statement("Finding", sch), [[nid, props] for nid, props in found.items()]))
    held = rows.existing(graph, sorted({s for f in findings for s in f.subjects}))
    flags: dict[tuple[str, str], None] = {}
    for f in findings:
        for subject in f.subjects:
            if subject in held:
                flags[(node_id("Finding", f.id), subject)] = None
    by_label: dict[str, list[list[Any]]] = {}
    for nid, subject in flags:
        label = subject.split(":", 1)[0]  # a node id is Label:local-id
        if not sch.relationships["FLAGS"].allows("Finding", label):
            raise ItsmsError(f"the ontology does not allow (Finding)-[:FLAGS]->({label})")
        by_label.setdefault(label, []).append([nid, subject, {"source_file": source}])
    for label in sorted(by_label):
        written.append((edge_statement("FLAGS", "Finding", label, sch), by_label[label]))
    counts = {"Snapshot": 1, **({"Finding": len(found)} if found else {}), **({"FLAGS": len(flags)} if flags else {})}
    return written, counts


def push(
    engine: CypherEngine,
    graph: SMSGraph | GraphTables,
    findings: list[Finding],
    *,
    tag: str = DEFAULT_TAG,
    replace: bool = False,
    batch_size: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> PushResult:
    """Write *graph* and its *findings* to *engine*; return expected and read-back counts."""
    if batch_size < 1:
        raise ItsmsError("--batch-size must be at least 1")
    deleted = 0
    if replace:
        while True:
            [[n]] = engine.run(DELETE_TAGGED, {"tag": tag, "limit": DELETE_BATCH})
            deleted += int(n)
            if not n:
                break
    # the graph streamed as it is read (from the tables a snapshot opens to: the Python graph is never built),
    # every node tagged; then what the push adds
    own, added = _own_rows(graph, findings, tag)
    engine.load(graph, batch_size, progress, tag=tag, extra_labels=("Snapshot", "Finding"))
    for statement, batch in own:
        engine.run(statement, {"rows": batch})
    expected = dict(graph.counts())
    for key, n in added.items():
        expected[key] = expected.get(key, 0) + n
    expected = dict(sorted(expected.items()))
    actual = {str(label): int(n) for label, n in engine.run(COUNT_TAGGED_NODES, {"tag": tag})}
    actual.update({str(t): int(n) for t, n in engine.run(COUNT_TAGGED_RELATIONSHIPS, {"tag": tag})})
    result = PushResult(expected, dict(sorted(actual.items())), deleted, len(findings))
    if not result.ok:
        diff = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
        result.problems.append(
            "counts read back differ from the snapshot's: "
            + ", ".join(f"{k} {expected.get(k, 0)} != {actual.get(k, 0)}" for k in diff)
        )
    return result


def declared_labels_in(engine: CypherEngine, tag: str = DEFAULT_TAG) -> set[str]:
    """The labels the pushed snapshot's sources declared (read from its Snapshot node)."""
    rows = engine.run(READ_SNAPSHOT, {"tag": tag})
    return {str(label) for row in rows for label in (row[0] or [])}


STATEMENTS = [DELETE_TAGGED, COUNT_TAGGED_NODES, COUNT_TAGGED_RELATIONSHIPS, READ_SNAPSHOT]

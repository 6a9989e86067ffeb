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

from itsms_graph import __version__
from itsms_graph.engines.cypher import CypherEngine
from itsms_graph.errors import ItsmsError
from itsms_graph.graph.store import SMSGraph
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


def graph_for_push(graph: SMSGraph, findings: list[Finding], tag: str = DEFAULT_TAG) -> SMSGraph:
    """A copy of *graph* with every node tagged, the Snapshot node, and the findings with their FLAGS edges."""
    out = graph.copy()
    source = "itsms-graph:push"
    out.add_node(
        "Snapshot",
        tag,
        {
            "tool_version": __version__,
            "declared_labels": sorted(graph.declared_labels),
            "input_files": [f"{i.path} {i.sha256}" for i in graph.inputs],
        },
        source_file=source,
    )
    for f in findings:
        nid = out.add_node(
            "Finding",
            f.id,
            {"query": f.query, "grade": f.grade, "clause": " ".join(f.clauses), "title": f.title},
            source_file=source,
        )
        for subject in f.subjects:
            if subject in out:
                out.add_edge("FLAGS", nid, subject, source_file=source)
    for nid in out.all_nodes():
        out.attrs(nid)["pushed_by"] = tag
    return out


def push(
    engine: CypherEngine,
    graph: SMSGraph,
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
    tagged = graph_for_push(graph, findings, tag)
    engine.load(tagged, batch_size, progress)
    expected = tagged.counts()
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

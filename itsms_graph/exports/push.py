"""Pushing a snapshot into a Cypher database (Neo4j, or FalkorDB for verification), findings included.

Every node this tool writes carries ``pushed_by`` = the push tag, so ``--replace`` removes exactly what an
earlier push created and nothing else. Nodes and relationships go in batched ``UNWIND $rows ... MERGE``
transactions (idempotent: pushing twice leaves the same graph; a label the database holds no node of yet is
created, ``engines.cypher.load``); findings become
``(:Finding {id, query, grade, clause, title})-[:FLAGS]->(subject)``; a ``Snapshot`` node records the tool
version, the inputs with their SHA-256 and the declared labels. The push ends by reading counts back: the tagged
nodes per label; the relationships per type between tagged nodes, by a scan of every relationship, or, when the
database held no node at all before the push, as the database's own count of each type (its count store:
everything it then holds, the push wrote).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from itsms_graph.engines.cypher.engine import CypherEngine
from itsms_graph.engines.cypher.load import COUNT_ALL_NODES, stored_relationships_statement
from itsms_graph.errors import ItsmsError
from itsms_graph.exports import PUSH_BATCH
from itsms_graph.exports.findings import DEFAULT_TAG, added_rows
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
from itsms_graph.queries.results import Finding

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


def push(
    engine: CypherEngine,
    graph: SMSGraph | GraphTables,
    findings: list[Finding],
    *,
    tag: str = DEFAULT_TAG,
    replace: bool = False,
    batch_size: int = PUSH_BATCH,
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
    [[held]] = engine.run(COUNT_ALL_NODES)
    # the graph streamed as it is read (from the tables a snapshot opens to: the Python graph is never built),
    # every node tagged; then what the push adds
    extra = added_rows(graph, findings, tag)
    engine.load(graph, batch_size, progress, tag=tag, extra_labels=("Snapshot", "Finding"))
    for statement, batch in extra.statements(graph.schema):
        engine.run(statement, {"rows": batch})
    expected = dict(graph.counts())
    for key, n in extra.counts().items():
        expected[key] = expected.get(key, 0) + n
    expected = dict(sorted(expected.items()))
    actual = {str(label): int(n) for label, n in engine.run(COUNT_TAGGED_NODES, {"tag": tag})}
    if held:
        actual.update({str(t): int(n) for t, n in engine.run(COUNT_TAGGED_RELATIONSHIPS, {"tag": tag})})
    else:
        for rel_type in sorted(graph.schema.relationships):
            [[n]] = engine.run(stored_relationships_statement(rel_type, graph.schema))
            if n:
                actual[rel_type] = int(n)
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

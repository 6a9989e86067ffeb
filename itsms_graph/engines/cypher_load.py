"""The Cypher write statements that put an SMS graph into a Cypher database, generated from the ontology.

One statement per label and one per (relationship type, source label, target label), each a batched
``UNWIND $rows ... MERGE``: idempotent, values only as parameters, labels and types only from the ontology.
A row is a list (``[id, props]``, ``[source, target, props]``), so that no map key is mistaken for a property.
FalkorDB and Neo4j run the same statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from itsms_graph.graph.store import SMSGraph
from itsms_graph.ontology import Schema, schema


def _checked(name: str, known: dict[str, Any]) -> str:
    if name not in known:
        raise ValueError(f"{name!r} is not in the ontology")
    return name


def node_statement(label: str, sch: Schema | None = None) -> str:
    label = _checked(label, (sch or schema()).labels)
    return "UNWIND $rows AS row MERGE (n:" + label + " {id: row[0]}) SET n += row[1]"


def edge_statement(rel_type: str, source_label: str, target_label: str, sch: Schema | None = None) -> str:
    sch = sch or schema()
    s, t = _checked(source_label, sch.labels), _checked(target_label, sch.labels)
    r = _checked(rel_type, sch.relationships)
    return (
        "UNWIND $rows AS row MATCH (a:" + s + " {id: row[0]}) MATCH (b:" + t + " {id: row[1]}) "
        "MERGE (a)-[r:" + r + "]->(b) SET r += row[2]"
    )


def index_statement(label: str, sch: Schema | None = None) -> str:
    """An index on each label's id (FalkorDB and Neo4j syntax; Neo4j adds uniqueness constraints on push)."""
    label = _checked(label, (sch or schema()).labels)
    return "CREATE INDEX FOR (n:" + label + ") ON (n.id)"


def constraint_statement(label: str, sch: Schema | None = None) -> str:
    """Neo4j 5 uniqueness constraint on a label's id."""
    label = _checked(label, (sch or schema()).labels)
    return "CREATE CONSTRAINT itsms_" + label.lower() + "_id IF NOT EXISTS FOR (n:" + label + ") REQUIRE n.id IS UNIQUE"


def _batches(rows: list[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def load_batches(graph: SMSGraph, batch_size: int = 10_000) -> Iterator[tuple[str, list[list[Any]]]]:
    """(statement, rows) pairs that load every node, then every relationship, of *graph*."""
    for label in sorted(graph.labels_present()):
        rows = []
        for nid in graph.nodes(label):
            props = {k: v for k, v in graph.attrs(nid).items() if k != "label"}
            rows.append([nid, props])
        statement = node_statement(label, graph.schema)
        for batch in _batches(rows, batch_size):
            yield statement, batch
    for rel_type in sorted(graph.rel_types_present()):
        groups: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
        for s, t in graph.edges(rel_type):
            groups[(graph.label_of(s), graph.label_of(t))].append([s, t, graph.edge_attrs(s, t, rel_type)])
        for (s_label, t_label), rows in sorted(groups.items()):
            statement = edge_statement(rel_type, s_label, t_label, graph.schema)
            for batch in _batches(rows, batch_size):
                yield statement, batch


def all_load_statements(sch: Schema | None = None) -> list[str]:
    """Every load, index and constraint statement the ontology allows: what the linter checks."""
    sch = sch or schema()
    out = []
    for label in sorted(sch.labels):
        out += [node_statement(label, sch), index_statement(label, sch), constraint_statement(label, sch)]
    for rel in sorted(sch.relationships.values(), key=lambda r: r.type):
        sources = sorted(rel.sources or sch.labels)
        targets = sorted(rel.targets or sch.labels)
        for s in sources:
            for t in targets:
                out.append(edge_statement(rel.type, s, t, sch))
    return out

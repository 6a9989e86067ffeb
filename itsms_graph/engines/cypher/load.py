"""The Cypher write statements that put an SMS graph into a Cypher database, generated from the ontology.

One statement per label and one per (relationship type, source label, target label), each a batched
``UNWIND $rows ... MERGE``: idempotent, values only as parameters, labels and types only from the ontology.
A row is a list (``[id, props]``, ``[source, target, props]``), so that no map key is mistaken for a property.
FalkorDB and Neo4j run the same statements.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from itsms_graph.graph import rows
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
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


def load_batches(
    graph: SMSGraph | GraphTables, batch_size: int = 10_000, *, tag: str | None = None
) -> Iterator[tuple[str, list[list[Any]]]]:
    """(statement, rows) pairs that load every node, then every relationship, of *graph*: a Python graph or the
    graph tables, read a batch at a time (``itsms_graph.graph.rows``); every node marked ``pushed_by`` = *tag*
    when given."""
    sch = graph.schema
    present = rows.node_keys_by_label(graph)
    for label in rows.labels(graph):
        statement = node_statement(label, sch)
        for batch in rows.node_rows(graph, label, batch_size, present.get(label, [])):
            if tag is not None:
                for _, props in batch:
                    props["pushed_by"] = tag
            yield statement, [[nid, props] for nid, props in batch]
    for rel_type in rows.rel_types(graph):
        for ends in rows.end_labels(graph, rel_type):
            statement = edge_statement(rel_type, *ends, sch)
            for part in rows.edge_rows(graph, rel_type, batch_size, ends):
                yield statement, [[s, t, props] for s, t, props in part]


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

"""The Cypher write statements that put an SMS graph into a Cypher database, generated from the ontology.

One statement per label and one per (relationship type, source label, target label), each a batched
``UNWIND $rows ... MERGE``: idempotent, values only as parameters, labels and types only from the ontology.
A merged row is a list (``[id, props]``, ``[source, target, props]``), so that the id is not taken for one of its
properties.
FalkorDB and Neo4j run the same statements.

A label the target database holds no node of is *fresh*: its nodes are written with ``CREATE`` (a row is then
the node's whole map, its id included), and so are the relationships between two fresh labels' nodes, which
cannot exist yet. The graph tables hold each node id once and each (type, source, target) once, so this writes
what MERGE would, without looking each one up first (FalkorDB: 2.5x less server time for the nodes at 100k).
A second push finds the labels present and merges.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from itsms_graph.graph import rows
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
from itsms_graph.ontology import Schema, schema


def _checked(name: str, known: dict[str, Any]) -> str:
    if name not in known:
        raise ValueError(f"{name!r} is not in the ontology")
    return name


def node_statement(label: str, sch: Schema | None = None, *, fresh: bool = False) -> str:
    """Merge ``[id, props]`` rows; with *fresh*, create a node of each row (a map, the id among its keys)."""
    label = _checked(label, (sch or schema()).labels)
    if fresh:
        return "UNWIND $rows AS row CREATE (n:" + label + ") SET n = row"
    return "UNWIND $rows AS row MERGE (n:" + label + " {id: row[0]}) SET n += row[1]"


def edge_statement(
    rel_type: str, source_label: str, target_label: str, sch: Schema | None = None, *, fresh: bool = False
) -> str:
    """Merge ``[source, target, props]`` rows; with *fresh* (both ends' labels fresh), create them."""
    sch = sch or schema()
    s, t = _checked(source_label, sch.labels), _checked(target_label, sch.labels)
    r = _checked(rel_type, sch.relationships)
    ends = "UNWIND $rows AS row MATCH (a:" + s + " {id: row[0]}) MATCH (b:" + t + " {id: row[1]}) "
    return ends + ("CREATE" if fresh else "MERGE") + " (a)-[r:" + r + "]->(b) SET r += row[2]"


def index_statement(label: str, sch: Schema | None = None) -> str:
    """An index on each label's id (FalkorDB and Neo4j syntax; Neo4j adds uniqueness constraints on push)."""
    label = _checked(label, (sch or schema()).labels)
    return "CREATE INDEX FOR (n:" + label + ") ON (n.id)"


def constraint_statement(label: str, sch: Schema | None = None) -> str:
    """Neo4j 5 uniqueness constraint on a label's id."""
    label = _checked(label, (sch or schema()).labels)
    return "CREATE CONSTRAINT itsms_" + label.lower() + "_id IF NOT EXISTS FOR (n:" + label + ") REQUIRE n.id IS UNIQUE"


#: Every node the database holds (its count store answers, on Neo4j and FalkorDB alike).
COUNT_ALL_NODES = "MATCH (n) RETURN count(n) AS n"


def stored_nodes_statement(label: str, sch: Schema | None = None) -> str:
    """How many nodes of *label* the database holds, placeholders included (what decides that it is fresh)."""
    return "MATCH (n:" + _checked(label, (sch or schema()).labels) + ") RETURN count(n) AS n"


def stored_relationships_statement(rel_type: str, sch: Schema | None = None) -> str:
    """How many relationships of *rel_type* the database holds (from its count store, not by a scan)."""
    return "MATCH ()-[r:" + _checked(rel_type, (sch or schema()).relationships) + "]->() RETURN count(r) AS n"


@dataclass(frozen=True)
class LoadPart:
    """One load statement and the rows it takes: the nodes of *label* (their attribute keys *keys*; created when
    *fresh*, a row then the node's whole map) or the relationships of *rel_type* between nodes of the labels
    *ends*."""

    statement: str
    label: str | None = None
    keys: tuple[str, ...] = ()
    fresh: bool = False
    rel_type: str | None = None
    ends: tuple[str, str] = ("", "")


def load_parts(graph: SMSGraph | GraphTables, fresh: Collection[str] = ()) -> Iterator[LoadPart]:
    """The statements that load every node of *graph*, label by label, then every relationship, type by type and
    by the labels of its ends, in that order, each with the rows it takes; the labels in *fresh* (none of whose
    nodes the target holds) are created, not merged."""
    sch = graph.schema
    present = rows.node_keys_by_label(graph)
    for label in rows.labels(graph):
        new = label in fresh
        yield LoadPart(node_statement(label, sch, fresh=new), label, tuple(present.get(label, [])), new)
    for rel_type in rows.rel_types(graph):
        for ends in rows.end_labels(graph, rel_type):
            new = ends[0] in fresh and ends[1] in fresh
            yield LoadPart(edge_statement(rel_type, *ends, sch, fresh=new), rel_type=rel_type, ends=ends, fresh=new)


def load_batches(
    graph: SMSGraph | GraphTables,
    batch_size: int = 10_000,
    *,
    tag: str | None = None,
    fresh: Collection[str] = (),
) -> Iterator[tuple[str, list[Any]]]:
    """(statement, rows) pairs that load every node, then every relationship, of *graph* (:func:`load_parts`): a
    Python graph or the graph tables, read a batch at a time (``itsms_graph.graph.rows``); every node marked
    ``pushed_by`` = *tag* when given. The labels in *fresh* (none of whose nodes the target holds) are created,
    not merged."""
    for part in load_parts(graph, fresh):
        if part.label is None:
            assert part.rel_type is not None
            for edges in rows.edge_rows(graph, part.rel_type, batch_size, part.ends):
                yield part.statement, [[s, t, props] for s, t, props in edges]
            continue
        for batch in rows.node_rows(graph, part.label, batch_size, list(part.keys)):
            if tag is not None:
                for _, props in batch:
                    props["pushed_by"] = tag
            yield (
                part.statement,
                [{"id": nid, **props} for nid, props in batch] if part.fresh else [[n, p] for n, p in batch],
            )


def all_load_statements(sch: Schema | None = None) -> list[str]:
    """Every load, index and constraint statement the ontology allows: what the linter checks."""
    sch = sch or schema()
    out = [COUNT_ALL_NODES]
    for label in sorted(sch.labels):
        out += [node_statement(label, sch), node_statement(label, sch, fresh=True), stored_nodes_statement(label, sch)]
        out += [index_statement(label, sch), constraint_statement(label, sch)]
    for rel in sorted(sch.relationships.values(), key=lambda r: r.type):
        out.append(stored_relationships_statement(rel.type, sch))
        sources = sorted(rel.sources or sch.labels)
        targets = sorted(rel.targets or sch.labels)
        for s in sources:
            for t in targets:
                out += [edge_statement(rel.type, s, t, sch), edge_statement(rel.type, s, t, sch, fresh=True)]
    return out

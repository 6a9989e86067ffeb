"""The graph's nodes and relationships as rows, a batch at a time, from the Python graph or from the graph tables.

What the way out to a server streams (``export cypher``, ``export neo4j-admin``, ``neo4j push``): from the graph
tables a snapshot opens to, a batch is read from duckdb, made into rows and dropped, so that nothing is held for
the whole graph and the Python graph is never built; from an :class:`SMSGraph` (a library user's) the same rows
in the same order. A node's row is its id and its attributes (provenance, then properties in key order; absent
ones left out); a relationship's is its two ends and its provenance. Nodes come label by label in the graph's
order, relationships type by type (and, within a type, by the labels of their ends) in the graph's order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import (
    EDGES,
    NODES,
    GraphTables,
    fetch_batches,
    present_node_keys,
    quote,
)
from itsms_graph.ontology import PROVENANCE_KEYS

Source = SMSGraph | GraphTables
NodeRow = tuple[str, dict[str, Any]]
EdgeRow = tuple[str, str, dict[str, Any]]


def _order(sch: Any) -> dict[str, int]:
    from itsms_graph.graph.tables import node_columns

    return {name: i for i, (name, _) in enumerate(node_columns(sch))}


def labels(source: Source) -> list[str]:
    """The labels some node has, sorted."""
    if isinstance(source, SMSGraph):
        return sorted(source.labels_present())
    return [label for (label,) in source.con.execute(f"SELECT DISTINCT label FROM {NODES} ORDER BY label").fetchall()]


def rel_types(source: Source) -> list[str]:
    """The relationship types some relationship has, sorted."""
    if isinstance(source, SMSGraph):
        return sorted(source.rel_types_present())
    return [t for (t,) in source.con.execute(f"SELECT DISTINCT type FROM {EDGES} ORDER BY type").fetchall()]


def counts(source: Source) -> dict[str, int]:
    """Nodes per label and relationships per type (``SMSGraph.counts``)."""
    return source.counts()


def node_keys(source: Source, label: str) -> list[str]:
    """The attribute keys some node of *label* has (provenance and properties), in column order."""
    if isinstance(source, SMSGraph):
        order = _order(source.schema)
        found = {k for n in source.nodes(label) for k in source.attrs(n) if k != "label"}
        return sorted(found, key=order.__getitem__)
    return dict(present_node_keys(source.con, source.schema, label)).get(label, [])


def node_keys_by_label(source: Source) -> dict[str, list[str]]:
    """:func:`node_keys` of every label, found at once (one pass over the graph tables): what a writer that goes
    through every label asks first."""
    if isinstance(source, SMSGraph):
        return {label: node_keys(source, label) for label in labels(source)}
    return dict(present_node_keys(source.con, source.schema))


def node_rows(source: Source, label: str, size: int, keys: list[str] | None = None) -> Iterator[list[NodeRow]]:
    """The nodes of *label* as (id, attributes) rows, *size* at a time, in the graph's order; from the graph tables,
    the columns *keys* (its :func:`node_keys` when not given)."""
    if isinstance(source, SMSGraph):
        order = _order(source.schema)
        batch: list[NodeRow] = []
        for nid in source.nodes(label):
            attrs = source.attrs(nid)
            batch.append((nid, {k: attrs[k] for k in sorted(attrs, key=lambda k: order.get(k, -1)) if k != "label"}))
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    keys = node_keys(source, label) if keys is None else keys
    for part in fetch_batches(source.con, *node_select(label, [quote(k) for k in ("id", *keys)]), size):
        ids = part.column("id").to_pylist()
        columns = [part.column(k).to_pylist() for k in keys]
        yield [
            (nid, {k: v for k, v in zip(keys, values, strict=True) if v is not None})
            for nid, *values in zip(ids, *columns, strict=True)
        ]


def node_select(label: str, columns: list[str]) -> tuple[str, list[Any]]:
    """The graph tables' SELECT of the nodes of *label* in the graph's order, as *columns* (SQL expressions over
    the nodes' columns), with its parameters: what :func:`node_rows` reads, and what a writer that renders the
    rows in SQL reads (``engines.cypher.falkordb``)."""
    return f"SELECT {', '.join(columns)} FROM {NODES} WHERE label = ? ORDER BY seq", [label]


def edge_select(rel_type: str, ends: tuple[str, str] | None, columns: list[str]) -> tuple[str, list[Any]]:
    """The graph tables' SELECT of the relationships of *rel_type* (between nodes of the labels *ends*, when given)
    in the graph's order, as *columns* (SQL expressions over the relationships' columns), with its parameters."""
    where, params = "type = ?", [rel_type]
    if ends is not None:  # the labels are the ids' prefixes (see end_labels)
        where += " AND starts_with(src, ?) AND starts_with(dst, ?)"
        params += [f"{label}:" for label in ends]
    return f"SELECT {', '.join(columns)} FROM {EDGES} WHERE {where} ORDER BY seq", params


def edge_keys(source: Source, rel_type: str) -> list[str]:
    """The provenance keys some relationship of *rel_type* has."""
    if isinstance(source, SMSGraph):
        found = {k for s, t in source.edges(rel_type) for k in source.edge_attrs(s, t, rel_type)}
        return [k for k in PROVENANCE_KEYS if k in found]
    counted = ", ".join(f"count({k})" for k in PROVENANCE_KEYS)
    (present,) = source.con.execute(f"SELECT {counted} FROM {EDGES} WHERE type = ?", [rel_type]).fetchall()
    return [k for k, n in zip(PROVENANCE_KEYS, present, strict=True) if n]


def end_labels(source: Source, rel_type: str) -> list[tuple[str, str]]:
    """The (source label, target label) pairs the relationships of *rel_type* join, sorted."""
    if isinstance(source, SMSGraph):
        return sorted({(source.label_of(s), source.label_of(t)) for s, t in source.edges(rel_type)})
    # a node's id is its label, a colon and its key (SMSGraph.add_node; checked when a snapshot opens), and no label
    # holds a colon: the ends' labels are read from the ids, without joining every node twice (BPIC 2014 x15's 10M
    # nodes did not fit duckdb's 400 MB that way)
    found = source.con.execute(
        f"SELECT DISTINCT split_part(src, ':', 1), split_part(dst, ':', 1) FROM {EDGES} WHERE type = ? ORDER BY ALL",
        [rel_type],
    ).fetchall()
    return [(a, b) for a, b in found]


def edge_rows(source: Source, rel_type: str, size: int, ends: tuple[str, str] | None = None) -> Iterator[list[EdgeRow]]:
    """The relationships of *rel_type* (only those between nodes of the labels *ends*, when given) as (source,
    target, provenance) rows, *size* at a time, in the graph's order."""
    if isinstance(source, SMSGraph):
        batch: list[EdgeRow] = []
        for s, t in source.edges(rel_type):
            if ends is not None and (source.label_of(s), source.label_of(t)) != ends:
                continue
            batch.append((s, t, source.edge_attrs(s, t, rel_type)))
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    keys = list(PROVENANCE_KEYS)
    for part in fetch_batches(source.con, *edge_select(rel_type, ends, ["src", "dst", *keys]), size):
        columns = [part.column(k).to_pylist() for k in ("src", "dst", *keys)]
        yield [
            (s, t, {k: v for k, v in zip(keys, values, strict=True) if v is not None})
            for s, t, *values in zip(*columns, strict=True)
        ]


def existing(source: Source, ids: list[str]) -> set[str]:
    """Those of *ids* that are nodes of the graph."""
    if isinstance(source, SMSGraph):
        return {n for n in ids if n in source}
    if not ids:
        return set()
    found = source.con.execute(f"SELECT id FROM {NODES} WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()
    return {n for (n,) in found}

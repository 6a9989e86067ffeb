"""Evaluating a bound canned query on the networkx graph: the reference implementation.

It follows Cypher's semantics where they matter: a comparison with a missing property is not true, values of
different types never compare, a pattern never uses one relationship twice, a match returns distinct rows, and
conditions count paths from the matched node over the typed adjacency indexes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.definition import ANY, MatchNode, MatchRel, Step
from itsms_graph.queries.plan import BoundFilter, BoundQuery

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
Edge = tuple[str, str, str]


def _comparable(a: Any, b: Any) -> bool:
    return not isinstance(a, list) and not isinstance(b, list) and isinstance(a, bool) == isinstance(b, bool)


def _holds(attrs: dict[str, Any], f: BoundFilter) -> bool:
    value = attrs.get(f.prop)
    if f.op == "is_null":
        return value is None
    if f.op == "not_null":
        return value is not None
    if value is None:
        return False  # Cypher: a comparison with null is null, and WHERE drops it
    if f.other is not None:
        other = attrs.get(f.other)
        return other is not None and _comparable(value, other) and _CMP[f.op](value, other)
    if f.op == "in":
        return value in f.value
    if f.op == "not_in":
        return value not in f.value
    return _comparable(value, f.value) and _CMP[f.op](value, f.value)


def _ok(graph: SMSGraph, nid: str, label: str, filters: tuple[BoundFilter, ...]) -> bool:
    attrs = graph.nx.nodes[nid]
    if label != ANY and attrs["label"] != label:
        return False
    return all(_holds(attrs, f) for f in filters)


def _steps(graph: SMSGraph, nid: str, rel_type: str, direction: str) -> Iterator[tuple[str, Edge]]:
    """(next node, the relationship as (source, target, type)) over one type, or over any type."""
    if direction == "both":
        yield from _steps(graph, nid, rel_type, "out")
        yield from _steps(graph, nid, rel_type, "in")
        return
    if rel_type != ANY:
        for nxt in graph.neighbours(nid, rel_type, direction):
            yield nxt, ((nid, nxt, rel_type) if direction == "out" else (nxt, nid, rel_type))
        return
    adjacency = graph.nx.succ[nid] if direction == "out" else graph.nx.pred[nid]
    for nxt, keyed in adjacency.items():
        for key in keyed:
            yield nxt, ((nid, nxt, key) if direction == "out" else (nxt, nid, key))


def _path_exists(
    graph: SMSGraph,
    bound: BoundQuery,
    ci: int,
    ai: int,
    start: str,
    path: tuple[Step, ...],
    depth: int = 0,
    used: frozenset[Edge] = frozenset(),
) -> bool:
    step = path[depth]
    filters = bound.filters[(1, ci, ai, depth)]
    for nxt, edge in _steps(graph, start, step.rel, step.dir):
        if edge in used or not _ok(graph, nxt, step.label, filters):
            continue
        if depth == len(path) - 1 or _path_exists(graph, bound, ci, ai, nxt, path, depth + 1, used | {edge}):
            return True
    return False


def _matches(graph: SMSGraph, bound: BoundQuery) -> Iterator[dict[str, str]]:
    items = bound.query.match
    first = items[0]
    assert isinstance(first, MatchNode)

    def extend(row: dict[str, str], here: str, i: int, used: frozenset[Edge]) -> Iterator[dict[str, str]]:
        if i == len(items):
            yield row
            return
        rel, node = items[i], items[i + 1]
        assert isinstance(rel, MatchRel) and isinstance(node, MatchNode)
        for nxt, edge in _steps(graph, here, rel.rel, rel.dir):
            if edge in used or not _ok(graph, nxt, node.label, bound.filters[(0, i + 1)]):
                continue  # Cypher: a MATCH never traverses the same relationship twice (nodes may repeat)
            grown = {**row, node.node: nxt}
            if rel.rel == ANY:
                grown[f"rel{i}"] = edge[2]
            yield from extend(grown, nxt, i + 2, used | {edge})

    anchors = graph.nx.nodes if first.label == ANY else graph.nodes(first.label)
    for nid in anchors:
        if _ok(graph, nid, first.label, bound.filters[(0, 0)]):
            yield from extend({first.node: nid}, nid, 1, frozenset())


def evaluate(graph: SMSGraph, bound: BoundQuery) -> list[tuple[str, ...]]:
    """Distinct rows (the query's columns: node ids, and types of ``rel: any``) meeting every condition, sorted."""
    columns = bound.query.columns
    rows: set[tuple[str, ...]] = set()
    for row in _matches(graph, bound):
        keep = True
        for ci, cond in enumerate(bound.query.conditions):
            start = row[cond.spec.from_]
            found = any(
                _path_exists(graph, bound, ci, ai, start, path) for ai, path in enumerate(cond.spec.alternatives)
            )
            if found == cond.negated:
                keep = False
                break
        if keep:
            rows.add(tuple(row[c] for c in columns))
    return sorted(rows)

"""Evaluating a bound canned query on the networkx graph: the reference implementation.

It follows Cypher's semantics where they matter: a comparison with a missing property is not true, a match
returns distinct id tuples, and conditions count paths from the matched node over typed adjacency indexes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.definition import MatchNode, MatchRel, Step
from itsms_graph.queries.plan import BoundFilter, BoundQuery

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def _holds(attrs: dict[str, Any], f: BoundFilter) -> bool:
    value = attrs.get(f.prop)
    if f.op == "is_null":
        return value is None
    if f.op == "not_null":
        return value is not None
    if value is None:
        return False  # Cypher: a comparison with null is null, and WHERE drops it
    if f.op == "in":
        return value in f.value
    if f.op == "not_in":
        return value not in f.value
    if isinstance(value, list) or isinstance(value, bool) != isinstance(f.value, bool):
        return False  # Cypher compares values of different types as null
    return _CMP[f.op](value, f.value)


def _ok(graph: SMSGraph, nid: str, filters: tuple[BoundFilter, ...]) -> bool:
    if not filters:
        return True
    attrs = graph.nx.nodes[nid]
    return all(_holds(attrs, f) for f in filters)


def _edge(here: str, nxt: str, rel_type: str, direction: str) -> tuple[str, str, str]:
    return (here, nxt, rel_type) if direction == "out" else (nxt, here, rel_type)


def _path_exists(
    graph: SMSGraph,
    bound: BoundQuery,
    ci: int,
    ai: int,
    start: str,
    path: tuple[Step, ...],
    depth: int = 0,
    used: frozenset[tuple[str, str, str]] = frozenset(),
) -> bool:
    step = path[depth]
    filters = bound.filters[(1, ci, ai, depth)]
    for nxt in graph.neighbours(start, step.rel, step.dir):
        edge = _edge(start, nxt, step.rel, step.dir)
        if edge in used or graph.label_of(nxt) != step.label or not _ok(graph, nxt, filters):
            continue  # Cypher: a pattern never traverses the same relationship twice
        if depth == len(path) - 1 or _path_exists(graph, bound, ci, ai, nxt, path, depth + 1, used | {edge}):
            return True
    return False


def _matches(graph: SMSGraph, bound: BoundQuery) -> Iterator[dict[str, str]]:
    items = bound.query.match
    first = items[0]
    assert isinstance(first, MatchNode)

    def extend(
        row: dict[str, str], here: str, i: int, used: frozenset[tuple[str, str, str]]
    ) -> Iterator[dict[str, str]]:
        if i == len(items):
            yield row
            return
        rel, node = items[i], items[i + 1]
        assert isinstance(rel, MatchRel) and isinstance(node, MatchNode)
        for nxt in graph.neighbours(here, rel.rel, rel.dir):
            edge = _edge(here, nxt, rel.rel, rel.dir)
            if edge in used:
                continue  # Cypher: a MATCH never traverses the same relationship twice (nodes may repeat)
            if graph.label_of(nxt) == node.label and _ok(graph, nxt, bound.filters[(0, i + 1)]):
                yield from extend({**row, node.node: nxt}, nxt, i + 2, used | {edge})

    for nid in graph.nodes(first.label):
        if _ok(graph, nid, bound.filters[(0, 0)]):
            yield from extend({first.node: nid}, nid, 1, frozenset())


def evaluate(graph: SMSGraph, bound: BoundQuery) -> list[tuple[str, ...]]:
    """Distinct tuples of matched node ids (in match-variable order) that satisfy every condition, sorted."""
    variables = bound.query.variables
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
            rows.add(tuple(row[v] for v in variables))
    return sorted(rows)

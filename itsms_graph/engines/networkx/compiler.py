"""Evaluating a bound canned query on the embedded graph (SMSGraph): the reference implementation.

It follows Cypher's semantics where they matter: a comparison with a missing property is not true, values of
different types never compare, a pattern never uses one relationship twice, a match returns distinct rows, and
conditions count paths from the matched node over the typed adjacency indexes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.definition import ANY, IDENTITY, Condition, MatchNode, MatchRel, Step
from itsms_graph.queries.plan import BoundFilter, BoundQuery, days_since_epoch, group_kept, month_number

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
Edge = tuple[str, str, str]
Row = dict[str, str]


def _comparable(a: Any, b: Any) -> bool:
    return not isinstance(a, list) and not isinstance(b, list) and isinstance(a, bool) == isinstance(b, bool)


def _holds(graph: SMSGraph, attrs: dict[str, Any], f: BoundFilter, row: Row) -> bool:
    value = attrs.get(f.prop)
    if f.op == "is_null":
        return value is None
    if f.op == "not_null":
        return value is not None
    if value is None:
        return f.or_null  # Cypher: a comparison with null is null, and WHERE drops it (unless IS NULL OR ...)
    if f.other is not None or f.ref is not None:
        if f.other is not None:
            other = attrs.get(f.other)
        else:
            assert f.ref is not None
            var, key = f.ref
            other = row[var] if key == IDENTITY else graph.attrs(row[var]).get(key)
        if other is None:
            return False
        if f.in_days:
            return _CMP[f.op](days_since_epoch(value), days_since_epoch(other) + int(f.value))
        return _comparable(value, other) and _CMP[f.op](value, other)
    operand = row[f.var] if f.var is not None else f.value
    if f.op == "in":
        return value in operand
    if f.op == "not_in":
        return value not in operand
    if f.op == "contains":
        return isinstance(value, list) and operand in value
    if f.op == "not_contains":
        return isinstance(value, list) and operand not in value
    if f.op == "quarter_eq":  # the date's month is the quarter's first (the operand's) or one of the two after it
        month = month_number(value)
        first = month_number(operand) if f.var is not None else int(operand)  # bound as a month number
        return month is not None and first is not None and month - first in (0, 1, 2)
    if f.op.startswith("month_"):  # compare the YYYY-MM part
        return isinstance(value, str) and _CMP[f.op[len("month_") :]](value[:7], operand)
    return _comparable(value, operand) and _CMP[f.op](value, operand)


def _ok(graph: SMSGraph, nid: str, label: str, filters: tuple[BoundFilter, ...], row: Row) -> bool:
    attrs = graph.attrs(nid)
    if label != ANY and attrs["label"] != label:
        return False
    if any(f.prop == IDENTITY for f in filters):  # the store keys a node by its id, not among its properties
        attrs = {**attrs, IDENTITY: nid}
    return all(_holds(graph, attrs, f, row) for f in filters)


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
    tool_types = graph.schema.tool_relationship_types  # "any" never means a relationship the tool wrote
    for key, nxt in graph.neighbours_any(nid, direction):
        if key not in tool_types:
            yield nxt, ((nid, nxt, key) if direction == "out" else (nxt, nid, key))


def _path_exists(
    graph: SMSGraph,
    bound: BoundQuery,
    start: str,
    path: tuple[Step, ...],
    row: Row,
    depth: int = 0,
    used: frozenset[Edge] = frozenset(),
) -> bool:
    step = path[depth]
    filters = bound.site(step)
    for nxt, edge in _steps(graph, start, step.rel, step.dir):
        if edge in used or not _ok(graph, nxt, step.label, filters, row):
            continue
        if depth == len(path) - 1 or _path_exists(graph, bound, nxt, path, row, depth + 1, used | {edge}):
            return True
    return False


def _holds_condition(graph: SMSGraph, bound: BoundQuery, cond: Condition, row: Row) -> bool:
    if cond.any is not None:
        return any(_holds_condition(graph, bound, member, row) for member in cond.any)
    if cond.check is not None:
        attrs = graph.attrs(row[cond.check.node])
        return all(_holds(graph, attrs, f, row) for f in bound.site(cond.check))
    start = row[cond.spec.from_]
    found = any(_path_exists(graph, bound, start, path, row) for path in cond.spec.alternatives)
    return found != cond.negated


def _matches(graph: SMSGraph, bound: BoundQuery) -> Iterator[Row]:
    first = bound.query.match[0]
    assert isinstance(first, MatchNode)
    anchors = graph.nodes(first.label) if first.label != ANY else _any_anchors(graph, bound.site(first))
    for nid in anchors:
        start = {first.node: nid}
        if _ok(graph, nid, first.label, bound.site(first), start):
            yield from _extend(graph, bound, start, nid, 1, frozenset())


def _extend(graph: SMSGraph, bound: BoundQuery, row: Row, here: str, i: int, used: frozenset[Edge]) -> Iterator[Row]:
    """The rows that match *bound*'s pattern from its item *i* on, *row* matched up to *here* (a module function,
    not a closure: a closure calling itself is a reference cycle, and one that outlives its query holds the graph
    until a collection, or for good once frozen)."""
    items = bound.query.match
    if i == len(items):
        yield row
        return
    rel, node = items[i], items[i + 1]
    assert isinstance(rel, MatchRel) and isinstance(node, MatchNode)
    for nxt, edge in _steps(graph, here, rel.rel, rel.dir):
        if edge in used:
            continue  # Cypher: a MATCH never traverses the same relationship twice (nodes may repeat)
        grown = {**row, node.node: nxt}
        if not _ok(graph, nxt, node.label, bound.site(node), grown):
            continue
        if rel.rel == ANY:
            grown[f"rel{i}"] = edge[2]
        yield from _extend(graph, bound, grown, nxt, i + 2, used | {edge})


def _any_anchors(graph: SMSGraph, filters: tuple[BoundFilter, ...]) -> Iterator[str]:
    """The nodes a match on any label starts from: only those carrying a marker property that a filter needs
    (every op but is_null fails on an absent property), else every node."""
    for f in filters:
        if f.prop in graph.schema.marker_keys and f.op != "is_null":
            return graph.marked(f.prop)
    return graph.all_nodes()


def _kept(graph: SMSGraph, bound: BoundQuery) -> Iterator[Row]:
    """The matched rows (variables, ``rel<i>`` types and the each value) meeting every condition, as they are
    found (repeats included)."""
    query = bound.query
    for matched in _matches(graph, bound):
        expanded = (
            [matched]
            if query.each is None
            else [{**matched, query.each.as_: value} for value in bound.each_values or []]
        )
        for row in expanded:
            if all(_holds_condition(graph, bound, cond, row) for cond in query.conditions):
                yield row


def _rows(graph: SMSGraph, bound: BoundQuery) -> Iterator[tuple[str, ...]]:
    """Rows (the query's columns) meeting every condition, as they are found (repeats included); for a
    ``having`` query, the kept groups, once each."""
    query = bound.query
    if query.having is not None:
        yield from _groups(graph, bound)
        return
    columns = query.columns
    for row in _kept(graph, bound):
        yield tuple(str(row[c]) for c in columns)


def _groups(graph: SMSGraph, bound: BoundQuery) -> Iterator[tuple[str, ...]]:
    """``having``: the rows grouped by the group variable, the distinct counted records of each (and those of them
    meeting the share's filters, in any row), the groups that pass the thresholds."""
    having = bound.query.having
    assert having is not None
    group, counted = bound.query.group_variable, having.count
    members: dict[str, set[str]] = {}
    meeting: dict[str, set[str]] = {}
    for row in _kept(graph, bound):
        members.setdefault(row[group], set()).add(row[counted])
        if having.share is not None:
            attrs = graph.attrs(row[counted])
            if all(_holds(graph, attrs, f, row) for f in bound.site(having.share)):
                meeting.setdefault(row[group], set()).add(row[counted])
    for key in sorted(members):
        count, hits = len(members[key]), len(meeting.get(key, ()))
        if group_kept(bound, count, hits):
            yield (key, str(count), str(hits)) if having.share is not None else (key, str(count))


def evaluate(graph: SMSGraph, bound: BoundQuery) -> list[tuple[str, ...]]:
    """Distinct rows (the query's columns) meeting every condition, sorted."""
    return sorted(set(_rows(graph, bound)))


def has_row(graph: SMSGraph, bound: BoundQuery) -> bool:
    """Whether any row meets every condition: evaluation stops at the first (a ``having`` query's groups are
    known only once every row is)."""
    return next(_rows(graph, bound), None) is not None

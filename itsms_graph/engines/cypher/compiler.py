"""Compiling a bound canned query to one Cypher statement, in the subset FalkorDB and Neo4j share.

Conditions become ``OPTIONAL MATCH ... WITH ..., count(x) AS n WHERE n = 0`` (anchored on the matched node,
filtered before counting): on FalkorDB this shape is several times faster than a pattern predicate, and it is
plain Cypher everywhere. Day arithmetic (FalkorDB has no durations) is integer arithmetic on the ISO string:
days_from_civil, the same number Python's date arithmetic gives. Labels and relationship types come from the
validated definition (hence from the ontology); every value is a ``$parameter``.
"""

from __future__ import annotations

from itsms_graph.ontology import schema
from itsms_graph.queries.definition import ANY, Condition, MatchNode, MatchRel, QueryDefinition, Step
from itsms_graph.queries.plan import BoundFilter, BoundQuery

_OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _key(prop: str) -> str:
    if prop not in schema().properties:
        raise ValueError(f"{prop!r} is not an ontology property")
    return prop


def _name(kind: str, value: str) -> str:
    """Check that a label or relationship type is the ontology's before it enters a statement."""
    sch = schema()
    known = sch.labels if kind == "label" else sch.relationships
    if value not in known:
        raise ValueError(f"{value!r} is not an ontology {kind}")
    return value


def _label(var: str, label: str) -> str:
    """``(var:Label)``, or ``(var)`` for any label."""
    return "(" + var + ("" if label == ANY else ":" + _name("label", label)) + ")"


def _rel(rel_type: str, direction: str, var: str = "") -> str:
    body = "-[" + var + ("" if rel_type == ANY else ":" + _name("type", rel_type)) + "]-"
    return {"out": body + ">", "in": "<" + body}.get(direction, body)


def days_expression(ref: str) -> str:
    """The day number (days since 1970-01-01) of the ISO date or datetime string *ref*, in integer Cypher.

    Howard Hinnant's days_from_civil, written for years after 0 (where Cypher's truncating integer division
    equals Python's floor division): the same integer Python's date arithmetic gives.
    """
    year = "toInteger(substring(" + ref + ", 0, 4))"
    month = "toInteger(substring(" + ref + ", 5, 2))"
    day = "toInteger(substring(" + ref + ", 8, 2))"
    y = "(CASE WHEN " + month + " <= 2 THEN " + year + " - 1 ELSE " + year + " END)"
    return (
        "(365 * "
        + y
        + " + "
        + y
        + " / 4 - "
        + y
        + " / 100 + "
        + y
        + " / 400 + (153 * (("
        + month
        + " + 9) % 12) + 2) / 5 + "
        + day
        + " - 719469)"
    )


def month_expression(ref: str) -> str:
    """The month number (year * 12 + month) of the ISO date, datetime or month string *ref*, in integer Cypher:
    the number :func:`itsms_graph.queries.plan.month_number` gives."""
    return "(toInteger(substring(" + ref + ", 0, 4)) * 12 + toInteger(substring(" + ref + ", 5, 2)))"


def _operand(var: str, f: BoundFilter) -> str:
    if f.other is not None:
        return var + "." + _key(f.other)
    assert f.ref is not None
    return f.ref[0] + "." + _key(f.ref[1])


def _predicate(var: str, f: BoundFilter) -> str:
    if f.or_null:
        return "(" + var + "." + _key(f.prop) + " IS NULL OR " + _comparison(var, f) + ")"
    return _comparison(var, f)


def _comparison(var: str, f: BoundFilter) -> str:
    ref = var + "." + _key(f.prop)
    if f.op == "is_null":
        return ref + " IS NULL"
    if f.op == "not_null":
        return ref + " IS NOT NULL"
    if f.other is not None or f.ref is not None:
        if f.in_days:
            return (
                days_expression(ref)
                + " "
                + _OPS[f.op]
                + " "
                + days_expression(_operand(var, f))
                + " + $"
                + str(f.param)
            )
        return ref + " " + _OPS[f.op] + " " + _operand(var, f)
    operand = f.var if f.var is not None else "$" + str(f.param)
    if f.op == "in":
        return ref + " IN " + operand
    if f.op == "not_in":
        return "NOT " + ref + " IN " + operand
    if f.op == "contains":
        return operand + " IN " + ref
    if f.op == "not_contains":
        return "NOT " + operand + " IN " + ref
    if f.op == "quarter_eq":  # the date's month less the quarter's first month (bound as a number, or the each)
        start = month_expression(f.var) if f.var is not None else operand
        return "(" + month_expression(ref) + " - " + start + ") IN [0, 1, 2]"
    if f.op.startswith("month_"):  # compare the YYYY-MM part
        return "substring(" + ref + ", 0, 7) " + _OPS[f.op[len("month_") :]] + " " + operand
    return ref + " " + _OPS[f.op] + " " + operand


def _where(parts: list[str]) -> str:
    return " WHERE " + " AND ".join(parts) if parts else ""


def _distinct_relationships(rels: list[tuple[str, str]]) -> list[str]:
    """``r0 <> r1`` for every two relationships of one type in a pattern.

    Neo4j never binds one relationship twice within a pattern; FalkorDB does (found by the parity tests), so
    the statement says it explicitly and every engine returns the same rows.
    """
    return [
        a + " <> " + b
        for i, (a, type_a) in enumerate(rels)
        for b, type_b in rels[i + 1 :]
        if type_a == type_b or ANY in (type_a, type_b)
    ]


class _Compiler:
    def __init__(self, bound: BoundQuery) -> None:
        self.bound = bound
        self.query: QueryDefinition = bound.query
        self.lines: list[str] = []
        self.counter = 0

    def compile(self) -> str:
        query = self.query
        pattern = ""
        preds: list[str] = []
        rels: list[tuple[str, str]] = []
        captured: dict[str, str] = {}
        for i, item in enumerate(query.match):
            if isinstance(item, MatchNode):
                pattern += _label(item.node, item.label)
                preds += [_predicate(item.node, f) for f in self.bound.site(item)]
            else:
                assert isinstance(item, MatchRel)
                var = f"r{len(rels)}"
                pattern += _rel(item.rel, item.dir, var)
                rels.append((var, item.rel))
                if item.rel == ANY:
                    captured[f"rel{i}"] = "type(" + var + ")"
                    preds.append("NOT type(" + var + ") IN $" + str(self.bound.tool_types_param))
        self.lines.append("MATCH " + pattern + _where(preds + _distinct_relationships(rels)))
        carried = list(query.variables)
        if captured:
            self.lines.append("WITH " + ", ".join(carried + [e + " AS " + n for n, e in captured.items()]))
            carried += list(captured)
        if query.each is not None:
            self.lines.append("UNWIND $" + str(self.bound.each_param) + " AS " + query.each.as_)
            carried.append(query.each.as_)
        self.carried = ", ".join(carried)
        for cond in query.conditions:
            members = cond.any if cond.any is not None else (cond,)
            counts: list[str] = []
            exprs = [self._term(member, counts) for member in members]
            self.lines.append("WITH " + self.carried + " WHERE " + " OR ".join(exprs))
        if query.having is not None:
            return self._grouped()
        returned = ", ".join(c + ".id AS " + c if c in query.variables else c for c in query.columns)
        self.lines.append("RETURN DISTINCT " + returned + " ORDER BY " + ", ".join(query.columns))
        return "\n".join(self.lines)

    def _grouped(self) -> str:
        """``having``: the rows grouped by the group variable, the distinct counted records of each (and those
        meeting the share's filters: a CASE, null when they do not hold), the groups passing the thresholds."""
        having = self.query.having
        assert having is not None
        group, counted = self.query.group_variable, having.count
        aggregates = ["count(DISTINCT " + counted + ") AS having_count"]
        kept = []
        if "at_least" in self.bound.having_values:
            kept.append("having_count >= $" + self.bound.having_values["at_least"][0])
        if having.share is not None:
            hit = " AND ".join(_predicate(counted, f) for f in self.bound.site(having.share))
            aggregates.append("count(DISTINCT CASE WHEN " + hit + " THEN " + counted + " END) AS having_meeting")
            percent = "$" + self.bound.having_values["percent"][0]
            kept.append("100 * having_meeting " + _OPS[having.share.op] + " " + percent + " * having_count")
        self.lines.append("WITH " + ", ".join([group, *aggregates]) + _where(kept))
        returned = [group + ".id AS " + group, *(a.rsplit(" AS ", 1)[1] for a in aggregates)]
        self.lines.append("RETURN " + ", ".join(returned) + " ORDER BY " + group)
        return "\n".join(self.lines)

    def _term(self, cond: Condition, counts: list[str]) -> str:
        """Emit what *cond* needs and return its boolean expression over the carried variables."""
        if cond.check is not None:
            return "(" + " AND ".join(_predicate(cond.check.node, f) for f in self.bound.site(cond.check)) + ")"
        mine = []
        for path in cond.spec.alternatives:
            n = f"n{self.counter}"
            last = self._optional(cond.spec.from_, path)
            self.lines.append("WITH " + ", ".join([self.carried, *counts, "count(" + last + ") AS " + n]))
            counts.append(n)
            mine.append(n)
        return "(" + " + ".join(mine) + (" = 0)" if cond.negated else " > 0)")

    def _optional(self, start: str, path: tuple[Step, ...]) -> str:
        pattern = "(" + start + ")"
        preds: list[str] = []
        rels: list[tuple[str, str]] = []
        var = ""
        for si, step in enumerate(path):
            var = f"x{self.counter}_{si}"
            rel_var = f"y{self.counter}_{si}" if len(path) > 1 else ""
            pattern += _rel(step.rel, step.dir, rel_var) + _label(var, step.label)
            preds += [_predicate(var, f) for f in self.bound.site(step)]
            rels.append((rel_var, step.rel))
        self.counter += 1
        self.lines.append("OPTIONAL MATCH " + pattern + _where(preds + _distinct_relationships(rels)))
        return var


def compile_query(bound: BoundQuery) -> str:
    """The Cypher statement returning one row per finding (the query's columns, sorted)."""
    return _Compiler(bound).compile()


def exists_statement(bound: BoundQuery) -> str:
    """The query's statement stopped at its first row: whether it has any (the period probe asks only that)."""
    return compile_query(bound) + " LIMIT 1"


def label_count_statement(label: str) -> str:
    """Records of a label, placeholders for unresolved references not counted (they are not records)."""
    return "MATCH (n:" + _name("label", label) + ") WHERE n.unresolved IS NULL RETURN count(n) AS n"


def property_present_statement(label: str, key: str) -> str:
    if key not in schema().properties_of(label):
        raise ValueError(f"{label} has no property {key!r} in the ontology")
    return "MATCH (n:" + _name("label", label) + ") WHERE n." + key + " IS NOT NULL RETURN count(n) > 0 AS present"

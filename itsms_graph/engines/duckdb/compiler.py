"""Compiling a bound canned query to one DuckDB SQL statement over the graph tables (``itsms_graph/graph/tables.py``).

The statement reproduces the reference engine (``itsms_graph/engines/networkx/compiler.py``) exactly:

- the match is a chain of joins, ``nodes`` to ``edges`` to ``nodes``; ``dir: both`` joins the edges in both
  orientations (a self-loop twice, as the reference walks it out and in); ``rel: any`` leaves out the types the
  tool writes itself and returns the type as column ``rel<i>``;
- a pattern never uses one relationship twice: two relationships of a path that may be one (same type, or
  ``any``) must differ in (type, src, dst), the relationship's identity; a condition path is checked on its
  own, not against the match's relationships;
- conditions are correlated ``EXISTS`` / ``NOT EXISTS`` subqueries (one per alternative path), a ``check`` a
  predicate on the matched node, ``any`` an OR; ``each`` is a cross join with the unnested list of values;
- a missing property is NULL, and NULL never makes a predicate true: predicates are only ever combined with
  AND and OR (three-valued logic then agrees with "a comparison with a missing value does not hold"), and the
  only NOT is over an EXISTS, which is never NULL, or guarded by ``IS NOT NULL``; ``or_null`` adds ``IS NULL OR``;
- comparisons follow Python's on the stored values: a boolean never equals a number and a list never compares
  (``_comparable``), a string never equals a number, ``in`` is Python's ``==`` element by element. The column
  types come from the ontology and the operand's is known when compiling, so each such rule is settled here,
  not in SQL; what Python would refuse (ordering a string against a number) is refused here too;
- distinct rows, every column as VARCHAR in the binary collation, ordered: the order of Python's ``sorted``.

Every value (labels and relationship types included) is a ``$parameter``; property names become quoted column
names only when the ontology defines them. Dates come bound from ``plan.py`` as ISO text and compare as text,
as the store keeps them; ``in_days`` compares whole days of the date part.

Why one module of this length: each rule above (and the CI roll-up's via paths, a having share's stated percent)
is said once, beside the others it must agree with; split, the statement's parts would be checked apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from itsms_graph.graph.tables import EDGES, NODES, SQL_TYPES, quote
from itsms_graph.ontology import PropertyDef, Schema, schema
from itsms_graph.queries.definition import ANY, Condition, MatchNode, MatchRel, Step
from itsms_graph.queries.plan import PLACEHOLDER_FLAG, BoundFilter, BoundQuery

_OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
#: The kind of value a column or operand holds, for Python's comparison rules: str, num, bool or list.
Kind = str
_KIND_OF_TYPE = {"string": "str", "date": "str", "datetime": "str", "integer": "num", "float": "num", "boolean": "bool"}
_SQL_OF_KIND = {"str": "VARCHAR", "bool": "BOOLEAN"}
FALSE = "FALSE"


class NotCompilable(ValueError):
    """The query asks for something the SQL compiler cannot say exactly as the reference engine evaluates it."""


@dataclass(frozen=True)
class Statement:
    """One SQL statement and its named parameters."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


def _kind(value: Any) -> Kind:
    """The comparison kind of a Python value (anything else, such as None, compares with nothing)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "num"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "other"


def _num_type(values: list[Any]) -> str:
    return "DOUBLE" if any(isinstance(v, float) for v in values) else "BIGINT"


def _as_equal(value: Any, kind: Kind, element: Kind | None = None) -> tuple[bool, Any]:
    """Whether *value* can be ``==`` to a value of *kind* (element kind *element* for a list), and the value as
    that kind: Python's ``True == 1``, ``[1] == [True]``, and never ``"1" == 1``."""
    if kind == "str":
        return isinstance(value, str), value
    if kind == "num":
        return (isinstance(value, (int, float)), int(value) if isinstance(value, bool) else value)
    if kind == "bool":
        if isinstance(value, bool):
            return True, value
        return (isinstance(value, (int, float)) and value in (0, 1), bool(value) if value in (0, 1) else None)
    if kind == "list" and isinstance(value, list) and element is not None:
        items = [_as_equal(v, element) for v in value]
        return all(ok for ok, _ in items), [v for _, v in items]
    return False, None


@dataclass(frozen=True)
class _Column:
    """A property column of a node alias: its SQL, its comparison kind and (for a list) its elements'."""

    sql: str
    prop: PropertyDef

    @property
    def kind(self) -> Kind:
        return "list" if self.prop.multi_valued else _KIND_OF_TYPE[self.prop.type]

    @property
    def element(self) -> Kind:
        return _KIND_OF_TYPE[self.prop.type]

    @property
    def scalar_type(self) -> str:
        return SQL_TYPES[self.prop.type]


def _is_true(col: _Column) -> str:
    """Holds for every node with a value (Python: ``"a" != 1``)."""
    return col.sql + " IS NOT NULL"


@dataclass
class _Each:
    """The each variable as SQL: its typed value column, its kind, and its text for the result row."""

    value: str
    kind: Kind
    shown: str


class _Compiler:
    def __init__(self, bound: BoundQuery, sch: Schema) -> None:
        self.bound = bound
        self.query = bound.query
        self.schema = sch
        self.params: dict[str, Any] = {}
        self.aliases: dict[str, str] = {}  # match variable -> node alias
        self.each: _Each | None = None
        self.subqueries = 0

    # -- values and names --------------------------------------------------------------------------------------

    def param(self, value: Any, sql_type: str) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"CAST(${name} AS {sql_type})"

    def label(self, value: str) -> str:
        if value not in self.schema.labels:
            raise NotCompilable(f"{value!r} is not an ontology label")
        return self.param(value, "VARCHAR")

    def rel_type(self, value: str) -> str:
        if value not in self.schema.relationships:
            raise NotCompilable(f"{value!r} is not an ontology relationship type")
        return self.param(value, "VARCHAR")

    def column(self, alias: str, prop: str) -> _Column:
        return _Column(alias + "." + property_column(prop, self.schema), self.schema.properties[prop])

    # -- filters -----------------------------------------------------------------------------------------------

    def predicate(self, alias: str, f: BoundFilter) -> str:
        col = self.column(alias, f.prop)
        if f.op == "is_null":
            return col.sql + " IS NULL"
        if f.op == "not_null":
            return col.sql + " IS NOT NULL"
        held = self.comparison(alias, col, f)
        return "(" + col.sql + " IS NULL OR " + held + ")" if f.or_null else held

    def comparison(self, alias: str, col: _Column, f: BoundFilter) -> str:
        """The filter on a node with a value of *col* (on a NULL the result is NULL or FALSE: it does not hold)."""
        if f.other is not None or f.ref is not None:
            other = self.column(alias, f.other) if f.other is not None else self._ref(f)
            if f.in_days:
                if col.kind != "str" or other.kind != "str":
                    raise NotCompilable(f"{f.prop}: a comparison in days needs two dates")
                offset = self.param(int(f.value), "BIGINT")
                return "(" + _day(col.sql) + " - " + _day(other.sql) + ") " + _OPS[f.op] + " " + offset
            if "list" in (col.kind, other.kind) or (col.kind == "bool") != (other.kind == "bool"):
                return FALSE  # _comparable
            if col.kind != other.kind:
                raise NotCompilable(f"{f.prop} ({col.kind}) and its operand ({other.kind}) do not compare")
            return col.sql + " " + _OPS[f.op] + " " + other.sql
        if f.var is not None:
            return self._with_each(col, f)
        value = f.value
        if f.op in ("in", "not_in"):
            matching = [v for ok, v in (_as_equal(item, col.kind, col.element) for item in value) if ok]
            contained = "list_contains(" + self.param(matching, self._list_type(col, matching)) + ", " + col.sql + ")"
            return contained if f.op == "in" else "(" + _is_true(col) + " AND NOT " + contained + ")"
        if f.op in ("contains", "not_contains"):
            return self._contains(col, f.op, value, None)
        if f.op == "quarter_eq":  # bound as the quarter's first month number
            return self._quarter(col, self.param(int(value), "BIGINT"))
        if f.op.startswith("month_"):
            return self._month(col, f.op, _kind(value), lambda sql_type: self.param(value, sql_type))
        return self._compare(col, f.op, _kind(value), lambda sql_type: self.param(value, sql_type), value)

    def _ref(self, f: BoundFilter) -> _Column:
        assert f.ref is not None
        var, prop = f.ref
        return self.column(self.aliases[var], prop)

    def _list_type(self, col: _Column, values: list[Any]) -> str:
        if col.kind == "list":
            return col.scalar_type + "[][]"
        return (_num_type(values) if col.kind == "num" else col.scalar_type) + "[]"

    def _compare(self, col: _Column, op: str, kind: Kind, operand: Any, value: Any = None) -> str:
        """``_comparable(stored, operand) and stored op operand``, the operand of *kind* made by *operand(type)*."""
        if "list" in (col.kind, kind) or (col.kind == "bool") != (kind == "bool"):
            return FALSE
        if col.kind != kind:  # a string and a number (or a value Python compares with nothing)
            if op in ("eq", "ne"):
                return FALSE if op == "eq" else _is_true(col)
            raise NotCompilable(f"ordering a {col.kind} against a {kind} fails in the reference engine")
        sql_type = _num_type([value]) if kind == "num" else _SQL_OF_KIND[kind]
        return col.sql + " " + _OPS[op] + " " + operand(sql_type)

    def _month(self, col: _Column, op: str, kind: Kind, operand: Any) -> str:
        """The YYYY-MM of a date against the operand (Python compares the text as it is, no _comparable)."""
        if col.kind != "str":
            raise NotCompilable(f"{op} needs a date")
        cmp = op[len("month_") :]
        if kind != "str":
            if cmp in ("eq", "ne"):
                return FALSE if cmp == "eq" else _is_true(col)
            raise NotCompilable(f"ordering a month against a {kind} fails in the reference engine")
        return "left(" + col.sql + ", 7) " + _OPS[cmp] + " " + operand("VARCHAR")

    def _quarter(self, col: _Column, start: str) -> str:
        """The date's month is the quarter's first (month number *start*) or one of the two after it."""
        if col.kind != "str":
            raise NotCompilable("quarter_eq needs a date")
        return "(" + _month_number(col.sql) + " - " + start + ") IN (0, 1, 2)"

    def _contains(self, col: _Column, op: str, value: Any, each: _Each | None) -> str:
        """``operand in stored`` for a list property: the operand must be able to equal an element."""
        if col.kind != "list":
            raise NotCompilable(f"{op} needs a list property")
        if each is None:
            ok, same = _as_equal(value, col.element)
            needle = self.param(same, col.scalar_type) if ok else ""
        else:
            ok = each.kind == col.element
            needle = each.value
            if not ok and {each.kind, col.element} == {"num", "bool"}:
                raise NotCompilable("a list of numbers against each booleans (or the reverse) is not compiled")
        if not ok:
            return FALSE if op == "contains" else _is_true(col)
        contained = "list_contains(" + col.sql + ", " + needle + ")"
        return contained if op == "contains" else "(" + _is_true(col) + " AND NOT " + contained + ")"

    def _with_each(self, col: _Column, f: BoundFilter) -> str:
        each = self.each
        assert each is not None, "a var filter outside each"
        if f.op in ("contains", "not_contains"):
            return self._contains(col, f.op, None, each)
        if f.op == "quarter_eq":  # the binding checked that every each value is a month
            if each.kind != "str":
                raise NotCompilable("quarter_eq needs each values that are months")
            return self._quarter(col, _month_number(each.value))
        if f.op.startswith("month_"):
            return self._month(col, f.op, each.kind, lambda _type: each.value)
        if f.op in ("in", "not_in"):
            raise NotCompilable("in / not_in with the each variable (a substring test in Python) is not compiled")
        return self._compare(col, f.op, each.kind, lambda _type: each.value)

    def where(self, alias: str, filters: tuple[BoundFilter, ...]) -> list[str]:
        return [self.predicate(alias, f) for f in filters]

    # -- paths -------------------------------------------------------------------------------------------------

    def step(self, prefix: str, here: str, rel: str, direction: str) -> tuple[str, str, list[str]]:
        """The edges source for one step from node alias *here*: (FROM item, the far end's id, predicates)."""
        preds: list[str] = []
        if direction == "both":
            # each relationship in both orientations, its identity (type, src, dst) kept as drawn
            source = (
                f"(SELECT type, src, dst, src AS near, dst AS far FROM {EDGES} UNION ALL "
                f"SELECT type, src, dst, dst AS near, src AS far FROM {EDGES}) AS {prefix}"
            )
            near, far = prefix + ".near", prefix + ".far"
        else:
            source = f"{EDGES} AS {prefix}"
            near, far = (prefix + ".src", prefix + ".dst") if direction == "out" else (prefix + ".dst", prefix + ".src")
        preds.append(near + " = " + here + ".id")
        if rel == ANY:  # "any" never means a relationship the tool wrote (a finding's FLAGS)
            tool = sorted(self.schema.tool_relationship_types)
            preds.append("NOT list_contains(" + self.param(tool, "VARCHAR[]") + ", " + prefix + ".type)")
        else:
            preds.append(prefix + ".type = " + self.rel_type(rel))
        return source, far, preds

    def node(self, alias: str, label: str, far: str) -> tuple[str, list[str]]:
        preds = [alias + ".id = " + far]
        if label != ANY:
            preds.append(alias + ".label = " + self.label(label))
        return f"{NODES} AS {alias}", preds

    def via_source(self, prefix: str, here: str, rel: MatchRel) -> tuple[str, str, list[str]]:
        """The last relationship with via paths (the CI roll-up): (near, far) node pairs, one SELECT per way (the
        relationship, then each via path, its relationships distinct among themselves), joined as one edge."""
        ways = []
        for k, path in enumerate(((), *rel.via)):
            at = start = f"{prefix}v{k}s"  # the node before the relationship: the near end
            froms, preds, rels = [f"{NODES} AS {start}"], [], []
            for si, step in enumerate((*path, Step(rel=rel.rel, dir=rel.dir, label=ANY))):
                edge = f"{prefix}v{k}e{si}"
                source, far, step_preds = self.step(edge, at, step.rel, step.dir)
                froms.append(source)
                preds += step_preds
                rels.append((edge, step.rel))
                if si < len(path):
                    at = f"{prefix}v{k}n{si}"
                    node_from, node_preds = self.node(at, step.label, far)
                    froms += [node_from]
                    preds += node_preds + self.where(at, self.bound.site(step))
            where = " WHERE " + " AND ".join(preds + _distinct_relationships(rels))
            ways.append(f"SELECT {start}.id AS near, {far} AS far FROM " + ", ".join(froms) + where)
        return "(" + " UNION ALL ".join(ways) + f") AS {prefix}", prefix + ".far", [prefix + ".near = " + here + ".id"]

    def compile_rows(self, *, first_only: bool = False) -> Statement:
        query = self.query
        items = query.match
        first = items[0]
        assert isinstance(first, MatchNode)
        froms: list[str] = []
        preds: list[str] = []
        columns: dict[str, str] = {}
        rels: list[tuple[str, str]] = []
        here = "n0"
        self.aliases[first.node] = here
        froms.append(f"{NODES} AS {here}")
        if first.label != ANY:
            preds.append(here + ".label = " + self.label(first.label))
        preds += self.where(here, self.bound.site(first))
        columns[first.node] = here + ".id"
        for i in range(1, len(items), 2):
            rel, node = items[i], items[i + 1]
            assert isinstance(rel, MatchRel) and isinstance(node, MatchNode)
            edge, alias = f"e{i}", f"n{i + 1}"
            if rel.via:  # the CI roll-up: (near, far) pairs over the relationship or a via path, not one edge
                source, far, step_preds = self.via_source(edge, here, rel)
            else:
                source, far, step_preds = self.step(edge, here, rel.rel, rel.dir)
                rels.append((edge, rel.rel))
            node_from, node_preds = self.node(alias, node.label, far)
            froms += [source, node_from]
            self.aliases[node.node] = alias
            preds += step_preds + node_preds + self.where(alias, self.bound.site(node))
            if rel.rel == ANY:
                columns[f"rel{i}"] = edge + ".type"
            columns[node.node] = alias + ".id"
            here = alias
        preds += _distinct_relationships(rels)
        if query.each is not None:
            froms.append(self._each_source(query.each.as_))
            assert self.each is not None
            columns[query.each.as_] = self.each.shown
        for cond in query.conditions:
            preds.append(self.condition(cond))
        body = " FROM " + ", ".join(froms) + (" WHERE " + " AND ".join(preds) if preds else "")
        if query.having is not None:
            return self._grouped(columns, body, first_only=first_only)
        if first_only:
            return Statement("SELECT 1" + body + " LIMIT 1", self.params)
        out = [columns[c] for c in query.columns]
        selected = ", ".join(
            f'CAST({expr} AS VARCHAR) COLLATE "binary" AS {quote(c)}'
            for c, expr in zip(query.columns, out, strict=True)
        )
        order = ", ".join(quote(c) for c in query.columns)
        return Statement("SELECT DISTINCT " + selected + body + " ORDER BY " + order, self.params)

    def _grouped(self, columns: dict[str, str], body: str, *, first_only: bool) -> Statement:
        """``having``: the kept rows grouped by the group variable, the distinct counted records of each (and those
        meeting the share's filters: a CASE, NULL when they do not hold), the groups passing the thresholds."""
        having = self.query.having
        assert having is not None
        counted = self.aliases[having.count]
        hit = FALSE
        if having.share is not None:
            hit = "(" + " AND ".join(self.where(counted, self.bound.site(having.share))) + ")"
        inner = "SELECT " + columns[self.query.group_variable] + " AS g, " + counted + ".id AS k, " + hit + " AS hit"
        total, meeting = "count(DISTINCT k)", "count(DISTINCT CASE WHEN hit THEN k END)"
        kept = []
        percent = ""
        if "at_least" in self.bound.having_values:
            kept.append(total + " >= " + self.param(self.bound.having_values["at_least"][1], "BIGINT"))
        if having.share is not None:
            percent = self.param(self.bound.having_values["percent"][1], "BIGINT")
            if having.share.percent_from is not None:  # the rows' stated percents, the parameter for none stated
                var, key = having.share.percent_from.split(".")
                stated = self.column(self.aliases[var], key)
                inner += ", coalesce(CAST(" + stated.sql + " AS DOUBLE), " + percent + ") AS pct"
                percent = ("max" if having.share.op in ("lt", "le") else "min") + "(pct)"  # plan.share_percent
            kept.append("100 * " + meeting + " " + _OPS[having.share.op] + " " + percent + " * " + total)
        grouped = " FROM (" + inner + body + ") AS grouped GROUP BY g HAVING " + " AND ".join(kept)
        if first_only:
            return Statement("SELECT 1" + grouped + " LIMIT 1", self.params)
        out = ["g", total, meeting, percent][: len(self.query.columns)]
        selected = ", ".join(
            f'CAST({expr} AS VARCHAR) COLLATE "binary" AS {quote(c)}'
            for c, expr in zip(self.query.columns, out, strict=True)
        )
        return Statement("SELECT " + selected + grouped + " ORDER BY " + quote(self.query.columns[0]), self.params)

    def _each_source(self, name: str) -> str:
        values = list(self.bound.each_values or [])
        kinds = {_kind(v) for v in values}
        if len(kinds) > 1 or kinds - {"str", "num", "bool"}:
            raise NotCompilable(f"each {name} ranges over values of several or unsupported types: {values!r}")
        kind = kinds.pop() if kinds else "str"
        sql_type = _num_type(values) if kind == "num" else _SQL_OF_KIND[kind]
        typed = "unnest(" + self.param(values, sql_type + "[]") + ") AS value"
        if kind == "str":
            self.each = _Each("each0.value", kind, "each0.value")
            return f"(SELECT {typed}) AS each0"
        # the result row shows str(value), as the reference engine does (True, not SQL's true)
        shown = "unnest(" + self.param([str(v) for v in values], "VARCHAR[]") + ") AS shown"
        self.each = _Each("each0.value", kind, "each0.shown")
        return f"(SELECT {typed}, {shown}) AS each0"

    def condition(self, cond: Condition) -> str:
        if cond.any is not None:
            return "(" + " OR ".join(self.condition(member) for member in cond.any) + ")"
        if cond.check is not None:
            alias = self.aliases[cond.check.node]
            return "(" + " AND ".join(self.where(alias, self.bound.site(cond.check))) + ")"
        start = self.aliases[cond.spec.from_]
        found = " OR ".join(self.path_exists(start, path) for path in cond.spec.alternatives)
        return ("NOT (" + found + ")") if cond.negated else "(" + found + ")"

    def path_exists(self, start: str, path: tuple[Step, ...]) -> str:
        prefix = f"c{self.subqueries}"
        self.subqueries += 1
        froms: list[str] = []
        preds: list[str] = []
        rels: list[tuple[str, str]] = []
        here = start
        for si, step in enumerate(path):
            edge, alias = f"{prefix}e{si}", f"{prefix}n{si}"
            source, far, step_preds = self.step(edge, here, step.rel, step.dir)
            node_from, node_preds = self.node(alias, step.label, far)
            froms += [source, node_from]
            preds += step_preds + node_preds + self.where(alias, self.bound.site(step))
            rels.append((edge, step.rel))
            here = alias
        preds += _distinct_relationships(rels)
        return "EXISTS (SELECT 1 FROM " + ", ".join(froms) + " WHERE " + " AND ".join(preds) + ")"


def _day(text: str) -> str:
    """The calendar day of an ISO date or datetime's date part (NULL for text that is not one)."""
    return "TRY_CAST(left(" + text + ", 10) AS DATE)"


def _month_number(text: str) -> str:
    """The month number (year * 12 + month) of ISO text beginning YYYY-MM, as ``plan.month_number`` gives it."""
    return "(TRY_CAST(left(" + text + ", 4) AS INTEGER) * 12 + TRY_CAST(substr(" + text + ", 6, 2) AS INTEGER))"


def _distinct_relationships(rels: list[tuple[str, str]]) -> list[str]:
    """Two relationships of one path that may be the same one (same type, or ``any``) must differ in
    (type, src, dst): the identity the reference engine compares."""
    out = []
    for i, (a, type_a) in enumerate(rels):
        for b, type_b in rels[i + 1 :]:
            if type_a == type_b and type_a != ANY:
                out.append(f"NOT ({a}.src = {b}.src AND {a}.dst = {b}.dst)")
            elif ANY in (type_a, type_b):
                out.append(f"NOT ({a}.type = {b}.type AND {a}.src = {b}.src AND {a}.dst = {b}.dst)")
    return out


def property_column(prop: str, sch: Schema | None = None) -> str:
    """The quoted column of an ontology property; anything else never reaches SQL."""
    sch = sch or schema()
    if prop not in sch.properties:
        raise NotCompilable(f"{prop!r} is not an ontology property")
    return quote(prop)


def compile_query(bound: BoundQuery, sch: Schema | None = None) -> Statement:
    """The statement returning the query's distinct rows (its columns as text), in Python's sorted order."""
    return _Compiler(bound, sch or schema()).compile_rows()


def exists_statement(bound: BoundQuery, sch: Schema | None = None) -> Statement:
    """The query's statement stopped at its first match: whether it has any row."""
    return _Compiler(bound, sch or schema()).compile_rows(first_only=True)


def label_counts_statement(sch: Schema | None = None) -> Statement:
    """The records of every label the tables hold (label, count), placeholders for unresolved references not
    counted (they are not records): one scan for what a check asks label by label."""
    flag = property_column(PLACEHOLDER_FLAG, sch or schema())
    return Statement(f"SELECT label, count(*) FROM {NODES} WHERE {flag} IS NULL GROUP BY label", {})


def property_present_statement(label: str, key: str, sch: Schema | None = None) -> Statement:
    """Whether a node of *label* (placeholders included, as the reference engine counts them) has a *key*."""
    sch = sch or schema()
    if label not in sch.labels or key not in sch.properties_of(label):
        raise NotCompilable(f"{label} has no property {key!r} in the ontology")
    column = property_column(key, sch)
    return Statement(
        f"SELECT EXISTS (SELECT 1 FROM {NODES} WHERE label = $label AND {column} IS NOT NULL)", {"label": label}
    )

"""The canned-query file format: one YAML file per query, validated strictly (unknown keys are errors).

A query is a small declarative pattern, so that one definition gives both the networkx evaluation and the
Cypher statement:

- ``match``: a linear path of nodes and relationships; node entries carry a variable, a label and filters;
- ``conditions``: paths that must (``exists``) or must not (``absent``) leave a matched node, each one path or
  ``any_of`` several alternatives, with filters on the nodes they reach;
- ``expect``: ``none`` (every match is a finding: a violation pattern) or ``some`` (at least one match must
  exist: an existence requirement, one finding against the clause when none does).

Filters compare a property with a literal ``value``, a query ``param``, a ``date`` expression over the audit
period (``as_of``, ``period_start``, ``as_of - <months parameter>``, ``as_of + <months parameter>``), ``other`` property of the same node, a
``ref`` to a matched node's property (``c.actual_start``; with ``days``/``days_param`` the comparison is in
whole days: ``recorded_on <= c.actual_end + 10 days``), or the ``var`` of ``each``; ``in_period`` is the audit
period itself. ``month_eq``, ``month_le`` and ``month_ge`` compare a date's month (YYYY-MM) with a month;
``quarter_eq`` holds when a date lies in the three months that start at the operand's month (a report whose
period starts in February counts for the quarter named 2025-01). A comparison with a property the node lacks does not hold (Cypher's null), unless the filter says
``or_null: true`` (``status ne retired, or_null``: a service without a status is not retired); a filtered
property no record carries makes the query not assessable, unless the filter says ``optional: true`` (a
document register without a status column has no superseded documents). A condition may
also be a ``check`` (filters on a matched node) or ``any`` of several conditions. ``each`` repeats the
conditions for every value of a list parameter (or every month of the audit period, ``months_in_period``, or every
calendar quarter it touches, ``quarters_in_period``, named by its first month; with ``due_after: <days
parameter>`` only the months or quarters whose end lies that many days before the as-of date, so that a report is
asked for once it has fallen due), adding the value as a result column.

``having`` counts instead of testing each match: it groups the rows that meet the conditions by one match variable
(default the first), counts the distinct records of another in each group, and keeps the groups whose count is at
least an integer parameter (``at_least``) and whose ``share`` of records meeting some filters compares with a
percent parameter; each kept group is one finding about its record (recurring incidents on one item, the share of
emergency changes on a service, the tickets behind a service report).

For the audit: ``requirement`` names the requirement a query tests when several queries test one (their failures
roll up into one nonconformity); ``decides_readiness`` makes a failure (or no answer) decide Stage 1 readiness;
``population_required`` makes an empty population a failure where the standard requires such records to exist.
The ``exists`` conditions say which records a violation query applies to (its population, the denominator of a
failure rate); the others say which of those fail.

Why one module of this length: the whole query-file format (its model and every validation against the ontology)
is one specification, read by the three compilers and by docs/query-schema.json.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from itsms_graph.errors import InputError, QueryDefinitionError
from itsms_graph.ontology import Schema, clause_numbers, schema
from itsms_graph.safe_yaml import load_file

Grade = Literal["major", "minor", "ofi", "data-quality"]
GRADE_ORDER: dict[str, int] = {"data-quality": 0, "ofi": 1, "minor": 2, "major": 3}
#: A match node's label or a match relationship's type that stands for any label or type.
ANY = "any"
#: The property every node has (its namespaced id): ``{prop: id, op: eq, ref: a.id}`` says a condition's path came
#: back to the matched node ``a``, closing a cycle that a linear match cannot.
IDENTITY = "id"
Op = Literal[
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "not_in",
    "is_null",
    "not_null",
    "in_period",
    "contains",
    "not_contains",
    "month_eq",
    "month_le",
    "month_ge",
    "quarter_eq",
]
#: The built-in list an ``each`` can range over: every month (YYYY-MM) of the audit period.
MONTHS_IN_PERIOD = "months_in_period"
#: The same for calendar quarters: the first month (YYYY-MM) of every quarter the audit period touches.
QUARTERS_IN_PERIOD = "quarters_in_period"
#: The columns a ``having`` query adds after its group: the distinct records counted, and those meeting the share.
HAVING_COLUMNS = ("count", "meeting", "percent")
#: The built-in lists of reporting periods an ``each`` can range over (each with ``due_after``).
PERIODS_IN_PERIOD = (MONTHS_IN_PERIOD, QUARTERS_IN_PERIOD)
_VAR = r"^[a-z][a-z0-9_]*$"
#: A month operand (YYYY-MM, or a date, whose month it is) of ``quarter_eq``.
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])")
#: A date filter's operand: the as-of date or the period's first day, less or plus a months or days parameter.
DATE_EXPR = re.compile(r"^(as_of|period_start)(?:\s*([-+])\s*([a-z][a-z0-9_]*))?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Filter(_Strict):
    prop: str
    op: Op
    value: Any = None
    param: str | None = None
    date: str | None = None
    other: str | None = None  # another property of the same node
    ref: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")] | None = None  # var.prop
    var: str | None = None  # the variable of the query's each
    days: int | None = None  # with ref/other: compare in whole days, the operand shifted by this many days
    days_param: str | None = None  # the same, from a days parameter
    #: the filter holds for a node without the property too: a service without a status is not retired
    or_null: bool = False
    #: the data need not carry the property at all to answer (a document register without a status column: no
    #: document is superseded); without it, a filtered property no record has makes the query not assessable
    optional: bool = False

    @model_validator(mode="after")
    def _one_operand(self) -> Filter:
        given = [x for x in (self.value, self.param, self.date, self.other, self.ref, self.var) if x is not None]
        needs_operand = self.op not in ("is_null", "not_null", "in_period")
        if needs_operand and len(given) != 1:
            raise ValueError(
                f"filter on {self.prop!r} with op {self.op} needs exactly one of value, param, date, other, ref, var"
            )
        if not needs_operand and given:
            raise ValueError(f"filter on {self.prop!r} with op {self.op} takes no operand")
        if self.or_null and self.op in ("is_null", "not_null"):
            raise ValueError(f"or_null with op {self.op} says nothing: use the op alone")
        if (self.days is not None or self.days_param is not None) and self.ref is None and self.other is None:
            raise ValueError("days and days_param go with ref or other")
        if self.days is not None and self.days_param is not None:
            raise ValueError("give days or days_param, not both")
        if self.date is not None and not DATE_EXPR.match(self.date):
            raise ValueError(
                f"date {self.date!r} must be as_of, period_start or 'as_of - <months parameter>' (or + it)"
            )
        return self


class Step(_Strict):
    rel: str
    dir: Literal["out", "in", "both"]
    label: str
    where: tuple[Filter, ...] = ()
    #: the data must hold such a relationship somewhere for the query to answer: approvals that never name who
    #: gave them cannot show who did (with none, the query is not assessable, as for a property no record has)
    required: bool = False


class NodeCheck(_Strict):
    """Filters that must all hold on a matched node (used inside ``any``, or alone)."""

    node: str
    where: tuple[Filter, ...] = Field(min_length=1)


class Condition(_Strict):
    exists: PathSpec | None = None
    absent: PathSpec | None = None
    check: NodeCheck | None = None
    any: tuple[Condition, ...] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [k for k in (self.exists, self.absent, self.check, self.any) if k is not None]
        if len(kinds) != 1:
            raise ValueError("a condition is exactly one of exists, absent, check or any")
        if self.any is not None and any(c.any is not None for c in self.any):
            raise ValueError("any may not nest another any")
        return self

    @property
    def is_path(self) -> bool:
        return self.exists is not None or self.absent is not None

    @property
    def spec(self) -> PathSpec:
        return self.exists or self.absent  # type: ignore[return-value]

    @property
    def negated(self) -> bool:
        return self.absent is not None


class PathSpec(_Strict):
    from_: str = Field(alias="from")
    path: tuple[Step, ...] | None = None
    any_of: tuple[tuple[Step, ...], ...] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> PathSpec:
        if (self.path is None) == (self.any_of is None):
            raise ValueError("a condition has exactly one of path or any_of")
        if any(len(p) == 0 for p in self.alternatives):
            raise ValueError("a condition path needs at least one step")
        return self

    @property
    def alternatives(self) -> tuple[tuple[Step, ...], ...]:
        return (self.path,) if self.path is not None else self.any_of  # type: ignore[return-value]


class MatchNode(_Strict):
    node: Annotated[str, Field(pattern=_VAR)]
    label: str
    where: tuple[Filter, ...] = ()


class MatchRel(_Strict):
    rel: str
    dir: Literal["out", "in", "both"]
    #: the CI roll-up: other ways to the next node, each a path of steps from the node before that ends where
    #: ``rel`` (in ``dir``) then reaches the next node (a change naming a CI of the service, not the service). On
    #: the match's last relationship only; a via path's relationships are distinct among themselves, not compared
    #: with the pattern's others
    via: tuple[tuple[Step, ...], ...] = ()


class Each(_Strict):
    """Repeat the conditions for every value of a list: a list parameter, months_in_period or quarters_in_period."""

    as_: Annotated[str, Field(pattern=_VAR, alias="as")]
    param: str
    #: with months_in_period or quarters_in_period: a days parameter; only the months (quarters) whose end lies at
    #: least that many days before the as-of date, so that what falls due after one ends (its report) has fallen due
    due_after: str | None = None


class Share(_Strict):
    """The share of a group's counted records that meet ``where``, compared with a percent parameter: ``ge 20``
    keeps a group when at least 20 % of its records meet the filters (in integers: 100 * meeting >= 20 * all)."""

    where: tuple[Filter, ...] = Field(min_length=1)
    op: Literal["ge", "gt", "le", "lt"]
    #: an integer parameter: the percent the share is compared with
    percent: str
    #: ``var.prop``: the percent a matched record states (an SLA's own target), the parameter for a row whose
    #: record states none; a group whose rows state several is kept when its share compares with any of them
    percent_from: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")] | None = None


class Having(_Strict):
    """Group the matched rows (after the conditions) by one match variable, count the distinct records of another
    in each group, and keep only the groups whose count (``at_least``) and share (``share``) pass: each kept group
    is one finding, about the group's record."""

    #: the match variable the rows are grouped by (the finding's subject); default the first match variable
    group: Annotated[str, Field(pattern=_VAR)] | None = None
    #: the match variable whose distinct records are counted in each group
    count: Annotated[str, Field(pattern=_VAR)]
    #: an integer parameter: keep the groups counting at least that many records
    at_least: str | None = None
    share: Share | None = None


class Parameter(_Strict):
    type: Literal["months", "days", "integer", "string", "list", "boolean"]
    default: Any = None
    description: str
    #: a rule only the organisation can state (who may approve a change of a category): no default, and while no
    #: source sets it (configuration, rules register, --param) the query is not assessable, this missing
    missing: str | None = None

    @model_validator(mode="after")
    def _default_or_missing(self) -> Parameter:
        given = "default" in self.model_fields_set
        if self.missing is None and not given:
            raise ValueError("a parameter needs a default, or missing: what is missing while nobody states it")
        if self.missing is not None and (given or self.type != "list"):
            raise ValueError("missing goes with a list parameter and without a default (the organisation states it)")
        return self

    def stated(self) -> str:
        """Its default in words: ``default 12``, or ``no default: the organisation states it``."""
        return "no default: the organisation states it" if self.missing is not None else f"default {self.default!r}"


class QueryDefinition(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    clauses: tuple[str, ...] = Field(min_length=1)
    stage: Literal[1, 2]
    grade: Grade
    rationale: str
    remediation: str
    missing: str = Field(description="What is missing when the query fails, in an auditor's words")
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    expect: Literal["none", "some"]
    #: the requirement the query tests, as a short name shared by the queries that test the same one (the same
    #: clause and obligation): their failures roll up into one nonconformity. Default: the query's own id.
    requirement: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")] | None = None
    #: the failure of the requirement as a whole, stated the same in every query of it: the title of a
    #: nonconformity that rolls up several of its queries (a query's own title is true of its records only)
    requirement_title: str | None = None
    #: a failure (or no answer) alone decides Stage 1 readiness: the design lacks a foundation Stage 2 needs
    decides_readiness: bool = False
    #: the standard requires the population to exist (processes, services in scope): with none, the query fails
    #: against its clause instead of passing on nothing
    population_required: bool = False
    match: tuple[MatchNode | MatchRel, ...] = Field(min_length=1)
    each: Each | None = None
    conditions: tuple[Condition, ...] = ()
    having: Having | None = None

    @property
    def cited_clauses(self) -> tuple[str, ...]:
        """The clauses a finding of the query cites: none for a data-quality check, which tests the records, not a
        requirement of the standard (its ``clauses`` only place it next to the requirement its data serves)."""
        return () if self.grade == "data-quality" else self.clauses

    @property
    def family(self) -> str:
        """The requirement's name: queries of one clause and family give one nonconformity."""
        return self.requirement or self.id

    @property
    def population_conditions(self) -> tuple[Condition, ...]:
        """The conditions that say which records the query applies to (``exists``, as "changes with an
        approval"); the others (``absent``, ``check``, ``any``) say which of those fail. A condition on the
        ``each`` value tests the failure of one repetition, never who is examined."""
        return tuple(c for c in self.conditions if c.exists is not None and not _uses_var(c))

    @property
    def nodes(self) -> list[MatchNode]:
        return [m for m in self.match if isinstance(m, MatchNode)]

    @property
    def variables(self) -> list[str]:
        return [m.node for m in self.nodes]

    @property
    def columns(self) -> list[str]:
        """The result row's columns: every node variable, and the type of every ``rel: any`` (as rel<i>)."""
        columns = [
            m.node if isinstance(m, MatchNode) else f"rel{i}"
            for i, m in enumerate(self.match)
            if isinstance(m, MatchNode) or m.rel == ANY
        ]
        if self.having is not None:  # one row per kept group: its record, its count, and the share's numerator
            share = self.having.share
            shown = 1 if share is None else 2 if share.percent_from is None else 3  # percent: the one applied
            return [self.group_variable, *HAVING_COLUMNS[:shown]]
        return [*columns, self.each.as_] if self.each else columns

    @property
    def group_variable(self) -> str:
        """The variable whose records a finding is about: the ``having`` group, else the first match variable."""
        return (self.having.group if self.having else None) or self.variables[0]

    def population_query(self) -> QueryDefinition:
        """The query that lists the records examined: the match under its applicability conditions, without the
        ``each`` repetition or the ``having`` thresholds; its column :attr:`group_variable` holds them."""
        return self.model_copy(update={"conditions": self.population_conditions, "each": None, "having": None})

    def label_of(self, var: str) -> str:
        return next(n.label for n in self.nodes if n.node == var)

    def flat_conditions(self) -> list[Condition]:
        """Every condition, the members of an ``any`` included."""
        return [c for top in self.conditions for c in (top.any or (top,))]

    def check_against(self, sch: Schema, known_clauses: frozenset[str]) -> None:
        """Validate names against the ontology and the clause catalogue; raise ValueError naming the fault."""
        for number in self.clauses:
            if number not in known_clauses:
                raise ValueError(f"clause {number!r} is not in the ISO/IEC 20000-1:2018 catalogue")
        if not isinstance(self.match[0], MatchNode) or not isinstance(self.match[-1], MatchNode):
            raise ValueError("match must start and end with a node")
        for a, b in zip(self.match, self.match[1:], strict=False):
            if type(a) is type(b):
                raise ValueError("match must alternate nodes and relationships")
        if self.population_required and self.expect != "none":
            raise ValueError("population_required goes with expect: none (expect: some already requires a match)")
        if len(set(self.variables)) != len(self.variables):
            raise ValueError("match variables must be distinct")
        for node in self.nodes:
            self._check_label(sch, node.label, node.where)
        for i in range(1, len(self.match), 2):
            rel, left, right = self.match[i], self.match[i - 1], self.match[i + 1]
            assert isinstance(rel, MatchRel) and isinstance(left, MatchNode) and isinstance(right, MatchNode)
            self._check_rel(sch, rel.rel, rel.dir, left.label, right.label)
            self._check_via(sch, rel, left, right, last=i == len(self.match) - 2)
        labels = {n.node: n.label for n in self.nodes}
        if self.each is not None:
            if self.each.as_ in labels:
                raise ValueError(f"each variable {self.each.as_!r} is also a match variable")
            if self.each.param not in PERIODS_IN_PERIOD and (
                self.each.param not in self.parameters or self.parameters[self.each.param].type != "list"
            ):
                raise ValueError(
                    f"each ranges over {self.each.param!r}: a list parameter, {MONTHS_IN_PERIOD} or {QUARTERS_IN_PERIOD}"
                )
            due = self.each.due_after
            if due is not None and (
                self.each.param not in PERIODS_IN_PERIOD
                or due not in self.parameters
                or self.parameters[due].type != "days"
            ):
                raise ValueError(
                    f"each due_after {due!r}: a days parameter, with {MONTHS_IN_PERIOD} or {QUARTERS_IN_PERIOD} only"
                )
        if self.having is not None:
            self._check_having(sch, labels)
        for i, node in enumerate(self.nodes):
            earlier = {n.node: n.label for n in self.nodes[:i]}
            self._check_filters(sch, node.label, node.where, earlier, allow_var=False)
        for cond in self.flat_conditions():
            if cond.check is not None:
                if cond.check.node not in labels:
                    raise ValueError(f"check on {cond.check.node!r}, which match does not bind")
                self._check_filters(sch, labels[cond.check.node], cond.check.where, labels, allow_var=True)
                continue
            start = cond.spec.from_
            if start not in labels:
                raise ValueError(f"condition starts from {start!r}, which match does not bind")
            for path in cond.spec.alternatives:
                here = labels[start]
                for step in path:
                    self._check_filters(sch, step.label, step.where, labels, allow_var=True)
                    self._check_rel(sch, step.rel, step.dir, here, step.label)
                    here = step.label

    def _check_via(self, sch: Schema, rel: MatchRel, left: MatchNode, right: MatchNode, *, last: bool) -> None:
        if not rel.via:
            return
        if not last or rel.rel == ANY:
            raise ValueError("via goes on the match's last relationship, of one type (not any)")
        earlier = {n.node: n.label for n in self.nodes if n is not right}
        for path in rel.via:
            if not path:
                raise ValueError("a via path needs at least one step")
            here = left.label
            for step in path:
                if step.rel == ANY or step.label == ANY:
                    raise ValueError("a via step names its relationship type and label (not any)")
                self._check_rel(sch, step.rel, step.dir, here, step.label)
                self._check_filters(sch, step.label, step.where, earlier, allow_var=False)
                here = step.label
            self._check_rel(sch, rel.rel, rel.dir, here, right.label)

    def _check_having(self, sch: Schema, labels: dict[str, str]) -> None:
        having = self.having
        assert having is not None
        if self.expect != "none" or self.each is not None or self.population_required:
            raise ValueError("having goes with expect: none, without each or population_required")
        clash = set(HAVING_COLUMNS) & set(labels)
        if clash:
            raise ValueError(f"with having, {sorted(clash)[0]!r} names a result column, not a match variable")
        group = having.group or self.variables[0]
        for var in (group, having.count):
            if var not in labels:
                raise ValueError(f"having names {var!r}, which match does not bind")
        if group == having.count:
            raise ValueError("having counts a variable other than its group")
        if having.at_least is None and having.share is None:
            raise ValueError("having needs at_least, share or both")
        for name in (having.at_least, having.share.percent if having.share else None):
            if name is not None and (name not in self.parameters or self.parameters[name].type != "integer"):
                raise ValueError(f"having compares with {name!r}: a declared integer parameter")
        if having.share is not None:
            self._check_filters(sch, labels[having.count], having.share.where, labels, allow_var=False)
            source = having.share.percent_from
            if source is not None:
                var, key = source.split(".")
                if var not in labels:
                    raise ValueError(f"percent_from {source!r}: {var!r} is not a match variable")
                prop = sch.properties_of(labels[var]).get(key) if labels[var] != ANY else None
                if prop is None or prop.type not in ("integer", "float") or prop.multi_valued:
                    raise ValueError(f"percent_from {source!r}: {labels[var]} has no number property {key!r}")

    def _check_filters(
        self, sch: Schema, label: str, filters: tuple[Filter, ...], visible: dict[str, str], *, allow_var: bool
    ) -> None:
        self._check_label(sch, label, filters)
        props = sch.properties if label == ANY else sch.properties_of(label)
        for f in filters:
            mine = props[f.prop]
            if f.ref is not None:
                var, key = f.ref.split(".")
                if var not in visible:
                    raise ValueError(f"ref {f.ref!r}: {var!r} is not a match variable bound before this filter")
                theirs = sch.properties if visible[var] == ANY else sch.properties_of(visible[var])
                if key not in theirs:
                    raise ValueError(
                        f"ref {f.ref!r}: the ontology gives {visible[var]} no property {key!r}"
                        f"{sch.nearest_property(visible[var], key)}"
                    )
                self._check_comparable(f, mine.type, theirs[key].type)
            if f.other is not None:
                self._check_comparable(f, mine.type, props[f.other].type)
            if f.days_param is not None and (
                f.days_param not in self.parameters or self.parameters[f.days_param].type != "days"
            ):
                raise ValueError(f"days_param {f.days_param!r} is not a declared days parameter")
            if f.var is not None and (not allow_var or self.each is None or f.var != self.each.as_):
                raise ValueError(f"var {f.var!r} is not the query's each variable (usable in conditions only)")
            if f.op in ("contains", "not_contains") and not mine.multi_valued:
                raise ValueError(f"{f.op} needs a list property; {f.prop} is not one")
            if f.op.startswith(("month_", "quarter_")):
                if mine.type not in ("date", "datetime"):
                    raise ValueError(f"{f.op} needs a date or datetime; {f.prop} is a {mine.type}")
                if f.other is not None or f.ref is not None:
                    raise ValueError(f"{f.op} compares with a month: a value, param, date or the each var")
                if (
                    f.op == "quarter_eq"
                    and f.value is not None
                    and not (isinstance(f.value, str) and MONTH.match(f.value))
                ):
                    raise ValueError(f"quarter_eq on {f.prop}: {f.value!r} is not a month (YYYY-MM)")

    @staticmethod
    def _check_comparable(f: Filter, mine: str, theirs: str) -> None:
        temporal = ("date", "datetime")
        if f.days is not None or f.days_param is not None:
            if mine not in temporal or theirs not in temporal:
                raise ValueError(f"a comparison in days needs dates; {f.prop} is a {mine}, the operand a {theirs}")
        elif mine != theirs:
            raise ValueError(f"{f.prop} ({mine}) cannot be compared with a {theirs}; compare in days instead")

    def _check_label(self, sch: Schema, label: str, filters: tuple[Filter, ...]) -> None:
        if label != ANY and label not in sch.labels:
            raise ValueError(f"label {label!r} is not in the ontology{sch.nearest_label(label)}")
        props = sch.properties if label == ANY else sch.properties_of(label)
        for f in filters:
            if f.prop not in props:
                raise ValueError(
                    f"the ontology gives {label} no property {f.prop!r}{sch.nearest_property(label, f.prop)}"
                )
            if f.other is not None and f.other not in props:
                raise ValueError(
                    f"the ontology gives {label} no property {f.other!r}{sch.nearest_property(label, f.other)}"
                )
            if f.param is not None and f.param not in self.parameters:
                raise ValueError(f"filter uses parameter {f.param!r}, which parameters does not declare")
            if f.date is not None:
                m = DATE_EXPR.match(f.date)
                if m and m.group(3) and self.parameters.get(m.group(3), None) is None:
                    raise ValueError(f"date {f.date!r} uses an undeclared parameter")
            if (f.op == "in_period" or f.date is not None) and props[f.prop].type not in ("date", "datetime"):
                raise ValueError(f"{label}.{f.prop} is not a date or datetime")
            enum = sch.enumerations.get((label, f.prop))
            if enum is not None and f.value is not None:
                values = f.value if isinstance(f.value, list) else [f.value]
                bad = [v for v in values if v not in enum]
                if bad:
                    raise ValueError(f"{label}.{f.prop} has no value {bad[0]!r} (allowed: {', '.join(enum)})")

    @staticmethod
    def _check_rel(sch: Schema, rel_type: str, direction: str, here: str, there: str) -> None:
        if rel_type == ANY:
            return
        rel = sch.relationships.get(rel_type)
        if rel is not None and direction == "both":
            if not (rel.allows(here, there) or rel.allows(there, here)):
                raise ValueError(f"the ontology allows no {rel_type} between {here} and {there}")
            return
        if rel is None:
            raise ValueError(f"relationship type {rel_type!r} is not in the ontology{sch.nearest_type(rel_type)}")
        source, target = (here, there) if direction == "out" else (there, here)
        if ANY not in (source, target) and not rel.allows(source, target):
            raise ValueError(f"the ontology does not allow ({source})-[:{rel_type}]->({target})")


Condition.model_rebuild()


def _uses_var(cond: Condition) -> bool:
    """Whether *cond* compares with the ``each`` variable anywhere."""
    steps = [s for path in cond.spec.alternatives for s in path] if cond.is_path else []
    filters = [f for s in steps for f in s.where] + (list(cond.check.where) if cond.check else [])
    return any(f.var is not None for f in filters) or any(_uses_var(c) for c in cond.any or ())


def load_query_file(path: Path, sch: Schema | None = None) -> QueryDefinition:
    """Read and validate one query file; QueryDefinitionError names the file and what is wrong."""
    try:
        data = load_file(path)
    except InputError as exc:
        raise QueryDefinitionError(f"cannot read query file: {exc}") from None
    if not isinstance(data, dict):
        raise QueryDefinitionError(f"{path}: a query file is a mapping of keys")
    try:
        query = QueryDefinition.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise QueryDefinitionError(f"{path}: {'; '.join(problems)}") from None
    if query.id != path.stem:
        raise QueryDefinitionError(f"{path}: id {query.id!r} must equal the file name {path.stem!r}")
    try:
        query.check_against(sch or schema(), clause_numbers())
    except ValueError as exc:
        raise QueryDefinitionError(f"{path}: {exc}") from None
    return query

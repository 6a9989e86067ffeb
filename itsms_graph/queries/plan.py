"""Binding a query to an audit period and parameters: the one place where filters become concrete comparisons.

Both engines (networkx and Cypher) consume the bound filters made here, so they compare the same typed values.
Dates are computed in Python (FalkorDB has no duration arithmetic) and passed as parameters. Comparing a
datetime property with a date treats the date as the whole day: ``x <= 2025-06-30`` becomes
``x < 2025-07-01T00:00:00``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from itsms_graph.errors import ItsmsError
from itsms_graph.ontology import Schema, schema
from itsms_graph.queries.definition import (
    ANY,
    DATE_EXPR,
    IDENTITY,
    MONTH,
    MONTHS_IN_PERIOD,
    QUARTERS_IN_PERIOD,
    Filter,
    QueryDefinition,
)

#: The property that marks a placeholder node for a reference no input resolves.
PLACEHOLDER_FLAG = "unresolved"
_PERIOD = re.compile(r"^(\d+)\s*([MDY])$", re.IGNORECASE)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic, clamping to the month's last day (2024-03-31 - 1 month = 2024-02-29)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class AuditPeriod:
    """The audit period: the *months* (or days) up to and including *as_of*."""

    as_of: dt.date
    months: int = 12
    days: int = 0

    @classmethod
    def parse(cls, as_of: str | dt.date | None, period: str = "12M") -> AuditPeriod:
        if as_of is None:
            day = dt.date.today()
        elif isinstance(as_of, dt.date):
            day = as_of
        else:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                raise ItsmsError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
        m = _PERIOD.match(period.strip())
        if not m:
            raise ItsmsError(f"--period {period!r} is not a period such as 12M, 90D or 1Y")
        n, unit = int(m.group(1)), m.group(2).upper()
        if n <= 0:
            raise ItsmsError(f"--period {period!r} must be positive")
        made = cls(day, months=0, days=n) if unit == "D" else cls(day, months=n * 12 if unit == "Y" else n)
        try:  # both ends must be days of the calendar dates can hold (years 1 to 9999)
            made.start, made.end_exclusive  # noqa: B018
        except (ValueError, OverflowError):
            raise ItsmsError(
                f"the audit period of {period} ending {day.isoformat()} (--period, --as-of) reaches outside the "
                "calendar (years 1 to 9999)"
            ) from None
        return made

    @property
    def start(self) -> dt.date:
        """First day of the period (inclusive)."""
        if self.days:
            return self.as_of - dt.timedelta(days=self.days - 1)
        return add_months(self.as_of, -self.months) + dt.timedelta(days=1)

    @property
    def end_exclusive(self) -> dt.date:
        return self.as_of + dt.timedelta(days=1)

    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.as_of.isoformat()}"


@dataclass(frozen=True)
class BoundFilter:
    """A filter with its operand resolved to the property's type: ``prop op $param``."""

    prop: str
    op: str  # eq ne lt le gt ge in not_in is_null not_null
    param: str | None  # Cypher parameter name; None for is_null / not_null and property comparisons
    value: Any
    other: str | None = None  # compare with this property of the same node instead of a parameter
    ref: tuple[str, str] | None = None  # compare with (variable, property) of a matched node
    var: str | None = None  # compare with the each variable
    in_days: bool = False  # compare whole days: days(prop) op days(operand) + value (value is the offset)
    or_null: bool = False  # holds, too, when the node has no value of prop


@dataclass(frozen=True)
class BoundQuery:
    """A query bound to a period and parameter values: what an engine executes."""

    query: QueryDefinition
    period: AuditPeriod
    parameters: dict[str, Any]
    #: bound filters per filter site: ("match", node index) or ("cond", cond index, alt index, step index)
    #: bound filters per filter site (a MatchNode, Step or NodeCheck), keyed by the site object's id()
    filters: dict[int, tuple[BoundFilter, ...]]
    #: every Cypher parameter, name -> value
    cypher_params: dict[str, Any]
    #: the values ``each`` ranges over, and their Cypher parameter
    each_values: list[Any] | None = None
    each_param: str | None = None
    #: the parameter holding the relationship types "any" excludes (those itsms-graph writes itself)
    tool_types_param: str | None = None
    #: ``having``'s thresholds: "at_least" and "percent" -> (Cypher parameter, value)
    having_values: dict[str, tuple[str, int]] = field(default_factory=dict)

    def site(self, obj: object) -> tuple[BoundFilter, ...]:
        return self.filters[id(obj)]


def group_kept(bound: BoundQuery, count: int, meeting: int, stated: Iterable[Any] = ()) -> bool:
    """Whether a ``having`` group of *count* distinct records, *meeting* of which meet the share's filters, passes
    the thresholds: at least ``at_least`` records, and ``100 * meeting op percent * count`` (integers, as the
    compiled statements compare). With ``percent_from``, *stated* holds the percent of each of the group's rows
    (None where its record states none: the parameter's); the group passes when its share compares with any."""
    having = bound.query.having
    assert having is not None
    if "at_least" in bound.having_values and count < bound.having_values["at_least"][1]:
        return False
    if having.share is not None:
        percent = share_percent(bound, stated)
        return percent is not None and bool(SHARE_OPS[having.share.op](100 * meeting, percent * count))
    return True


def share_percent(bound: BoundQuery, stated: Iterable[Any] = ()) -> Any:
    """The percent a ``having`` group's share is compared with: the parameter, or with ``percent_from`` the
    percents its rows state (the parameter for a row stating none) reduced to the one any comparison needs: the
    highest for ``lt``/``le`` (below any is below the highest), the lowest for ``ge``/``gt``."""
    having = bound.query.having
    assert having is not None and having.share is not None
    parameter = bound.having_values["percent"][1]
    if having.share.percent_from is None:
        return parameter
    percents = [parameter if p is None else p for p in stated]
    if not percents:
        return None
    return max(percents) if having.share.op in ("lt", "le") else min(percents)


SHARE_OPS = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


def months_in_period(period: AuditPeriod, *, due_after: int | None = None) -> list[str]:
    """Every month (YYYY-MM) the audit period touches, in order; with *due_after* days, only the months that
    ended at least that many days before the as-of date (what is due after a month's end has fallen due).

    >>> months_in_period(AuditPeriod.parse("2025-06-30", "3M"))  # the period starts on 2025-03-31
    ['2025-03', '2025-04', '2025-05', '2025-06']
    >>> months_in_period(AuditPeriod.parse("2025-06-30", "3M"), due_after=10)
    ['2025-03', '2025-04', '2025-05']
    >>> months_in_period(AuditPeriod.parse("2025-06-09", "3M"), due_after=10)  # May's report is due on 06-10
    ['2025-03', '2025-04']
    """
    return _periods_in(period, 1, due_after)


def quarters_in_period(period: AuditPeriod, *, due_after: int | None = None) -> list[str]:
    """Every calendar quarter the audit period touches, named by its first month (YYYY-MM), in order; with
    *due_after* days, only the quarters that ended at least that many days before the as-of date.

    >>> quarters_in_period(AuditPeriod.parse("2025-06-30"))  # the period starts on 2024-07-01
    ['2024-07', '2024-10', '2025-01', '2025-04']
    >>> quarters_in_period(AuditPeriod.parse("2025-06-30"), due_after=15)  # the second quarter's is not due
    ['2024-07', '2024-10', '2025-01']
    >>> quarters_in_period(AuditPeriod.parse("2025-07-14"), due_after=15)  # ... nor the day before it is
    ['2024-07', '2024-10', '2025-01']
    >>> quarters_in_period(AuditPeriod.parse("2025-07-15"), due_after=15)  # ... it is on 07-15
    ['2024-07', '2024-10', '2025-01', '2025-04']
    >>> quarters_in_period(AuditPeriod.parse("2025-05-31", "1M"))  # a period within one quarter touches it
    ['2025-04']
    """
    return _periods_in(period, 3, due_after)


def _periods_in(period: AuditPeriod, length: int, due_after: int | None) -> list[str]:
    """The calendar periods of *length* months (1: months, 3: quarters, aligned on January) the audit period
    touches, each named by its first month; with *due_after*, only those whose last day plus that many days is
    on or before the as-of date (nothing is due before it is due; on the day it falls due, it is)."""
    names = []
    first = period.start
    day = dt.date(first.year, (first.month - 1) // length * length + 1, 1)
    while day <= period.as_of:
        last = add_months(day, length) - dt.timedelta(days=1)
        if due_after is None or last + dt.timedelta(days=due_after) <= period.as_of:
            names.append(day.strftime("%Y-%m"))
        day = add_months(day, length)
    return names


def month_number(text: Any) -> int | None:
    """The month number (year * 12 + month) of text beginning with an ISO month (YYYY-MM...), as the engines
    compute it from a stored date; None for text that does not begin with one.

    >>> month_number("2025-04-30") - month_number("2025-01")
    3
    >>> month_number("Q1") is None
    True
    """
    if not isinstance(text, str) or not MONTH.match(text):
        return None
    return int(text[:4]) * 12 + int(text[5:7])


def days_since_epoch(value: str) -> int:
    """The day number of an ISO date or datetime (its date part): the same integer Cypher computes."""
    return (dt.date.fromisoformat(value[:10]) - EPOCH).days


EPOCH = dt.date(1970, 1, 1)


def _day_to_datetime(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time()).isoformat()


def _full_ids(label: str, value: Any) -> Any:
    """Ids as the registers name them (``change-authority``) made the graph's (``Role:change-authority``); an id
    given in full is kept.

    >>> _full_ids("Role", ["change-authority", "Role:ecab"])
    ['Role:change-authority', 'Role:ecab']
    """
    if isinstance(value, list):
        return [_full_ids(label, v) for v in value]
    text = str(value)
    return text if text.startswith(f"{label}:") else f"{label}:{text}"


class _Binder:
    def __init__(self, query: QueryDefinition, period: AuditPeriod, params: dict[str, Any], sch: Schema):
        self.query, self.period, self.params, self.schema = query, period, params, sch
        self.cypher_params: dict[str, Any] = {}

    def _name(self, value: Any) -> str:
        name = f"v{len(self.cypher_params)}"
        self.cypher_params[name] = value
        return name

    def _date(self, expr: str) -> dt.date:
        m = DATE_EXPR.match(expr.strip())
        assert m is not None  # the query file was validated
        base, sign, name = m.groups()
        day = self.period.as_of if base == "as_of" else self.period.start
        if name:
            amount = int(self.params[name]) * (1 if sign == "+" else -1)
            kind = self.query.parameters[name].type
            try:
                day = day + dt.timedelta(days=amount) if kind == "days" else add_months(day, amount)
            except (ValueError, OverflowError):
                raise ItsmsError(
                    f"query {self.query.id}: parameter {name}={amount} moves {expr.strip()} outside the calendar "
                    "(years 1 to 9999)"
                ) from None
        return day

    def bind(self, label: str, f: Filter) -> list[BoundFilter]:
        kind = self.schema.properties[f.prop].type
        if f.other is not None or f.ref is not None:
            ref = tuple(f.ref.split(".", 1)) if f.ref else None
            if f.days is None and f.days_param is None:
                return [BoundFilter(f.prop, f.op, None, None, f.other, ref)]  # type: ignore[arg-type]
            offset = f.days if f.days is not None else int(self.params[str(f.days_param)])
            return [BoundFilter(f.prop, f.op, self._name(offset), offset, f.other, ref, in_days=True)]  # type: ignore[arg-type]
        if f.var is not None:
            return [BoundFilter(f.prop, f.op, None, None, var=f.var)]
        if f.op == "quarter_eq":  # the operand's month number, computed here: the engines add to it
            operand = self._date(f.date).isoformat() if f.date is not None else self._operand(f)
            first = month_number(operand)
            if first is None:
                raise ItsmsError(
                    f"query {self.query.id}: quarter_eq on {f.prop} needs a month (YYYY-MM), not {operand!r}"
                )
            return [BoundFilter(f.prop, f.op, self._name(first), first)]
        if f.op in ("is_null", "not_null"):
            return [BoundFilter(f.prop, f.op, None, None)]
        if f.op == "in_period":
            start, end = self.period.start, self.period.end_exclusive
            if kind == "datetime":
                lo, hi = _day_to_datetime(start), _day_to_datetime(end)
            else:
                lo, hi = start.isoformat(), end.isoformat()
            return [
                BoundFilter(f.prop, "ge", self._name(lo), lo),
                BoundFilter(f.prop, "lt", self._name(hi), hi),
            ]
        if f.date is not None:
            day = self._date(f.date)
            op = f.op
            if kind == "datetime":
                if op in ("le", "gt"):  # the whole day belongs to the date
                    op = "lt" if op == "le" else "ge"
                    day = day + dt.timedelta(days=1)
                elif op not in ("lt", "ge"):
                    raise ItsmsError(f"query {self.query.id}: {f.op} between a datetime and a date is undefined")
                value: Any = _day_to_datetime(day)
            else:
                value = day.isoformat()
            return [BoundFilter(f.prop, op, self._name(value), value)]
        value = self._operand(f)
        if f.op in ("in", "not_in") and not isinstance(value, list):
            value = [value]
        if f.prop == IDENTITY and label != ANY and f.op in ("eq", "ne", "in", "not_in"):
            value = _full_ids(label, value)
        return [BoundFilter(f.prop, f.op, self._name(value), value)]

    def _operand(self, f: Filter) -> Any:
        return self.params[f.param] if f.param is not None else f.value

    def bind_all(self, label: str, filters: tuple[Filter, ...]) -> tuple[BoundFilter, ...]:
        bound = tuple(replace(b, or_null=True) if f.or_null else b for f in filters for b in self.bind(label, f))
        if any(f.prop == PLACEHOLDER_FLAG for f in filters):
            return bound
        # A placeholder for an unresolved reference is not a record: no pattern matches it unless it asks for it
        # (the unresolved-reference query does), the same rule the assessability check follows.
        return (*bound, BoundFilter(PLACEHOLDER_FLAG, "is_null", None, None))


#: The largest magnitude of a numeric parameter: the calendar's span (years 1 to 9999) for months and days, a 64-bit
#: integer (what every engine holds) otherwise
_PARAM_RANGE = {"months": 9999 * 12, "days": 9999 * 366, "integer": (1 << 63) - 1}


def coerce_param(query: QueryDefinition, name: str, raw: Any) -> Any:
    """*raw* (a default, a configuration value, a rule's text or a --param) as the parameter's type."""
    spec = query.parameters[name]
    if raw is None and spec.missing is not None:
        return []  # a rule nobody stated (the query is not assessable): bound as none, to compile it
    try:
        if spec.type in ("months", "days", "integer"):
            value = int(raw)
            if not -_PARAM_RANGE[spec.type] <= value <= _PARAM_RANGE[spec.type]:
                unit = "" if spec.type == "integer" else f" {spec.type}"
                raise ItsmsError(
                    f"query {query.id}: parameter {name}={raw!r} is out of range (at most {_PARAM_RANGE[spec.type]:,}{unit})"
                )
            return value
        if spec.type == "boolean":
            return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
        if spec.type == "list":
            # a register cell separates values with ';' (the sms-register convention), a --param with ','
            return list(raw) if isinstance(raw, (list, tuple)) else [s.strip() for s in re.split(r"[;,]", str(raw))]
        return str(raw)
    except (TypeError, ValueError):
        kind = {"months": "number of months", "days": "number of days"}.get(spec.type, spec.type)
        raise ItsmsError(f"query {query.id}: parameter {name}={raw!r} is not a {kind}") from None


def bind(
    query: QueryDefinition,
    period: AuditPeriod,
    overrides: dict[str, Any] | None = None,
    sch: Schema | None = None,
) -> BoundQuery:
    """Resolve parameters (defaults, then *overrides* that this query declares) and every filter."""
    params = {name: coerce_param(query, name, p.default) for name, p in query.parameters.items()}
    for name, raw in (overrides or {}).items():
        if name in query.parameters:
            params[name] = coerce_param(query, name, raw)
    binder = _Binder(query, period, params, sch or schema())
    filters: dict[int, tuple[BoundFilter, ...]] = {}
    for node in query.nodes:
        filters[id(node)] = binder.bind_all(node.label, node.where)
    for item in query.match:  # the steps of a relationship's via paths (the CI roll-up)
        for step in (s for path in getattr(item, "via", ()) for s in path):
            filters[id(step)] = binder.bind_all(step.label, step.where)
    for cond in query.flat_conditions():
        if cond.check is not None:
            filters[id(cond.check)] = binder.bind_all(query.label_of(cond.check.node), cond.check.where)
            continue
        for path in cond.spec.alternatives:
            for step in path:
                filters[id(step)] = binder.bind_all(step.label, step.where)
    each_values = each_param = None
    if query.each is not None:
        if query.each.param in (MONTHS_IN_PERIOD, QUARTERS_IN_PERIOD):
            due = None if query.each.due_after is None else int(params[query.each.due_after])
            periods = months_in_period if query.each.param == MONTHS_IN_PERIOD else quarters_in_period
            each_values = periods(period, due_after=due)
        else:
            each_values = list(params[query.each.param])
        if any(b.op == "quarter_eq" and b.var is not None for bound in filters.values() for b in bound):
            # the engines read a quarter's first month from the each value: each must be one
            bad = [v for v in each_values if month_number(v) is None]
            if bad:
                raise ItsmsError(
                    f"query {query.id}: quarter_eq with {query.each.as_} needs months (YYYY-MM); "
                    f"{query.each.param} holds {bad[0]!r}"
                )
        each_param = binder._name(each_values)
    tool_types_param = None
    if any(getattr(m, "rel", None) == ANY for m in query.match):
        tool_types_param = binder._name(sorted(binder.schema.tool_relationship_types))
    having_values: dict[str, tuple[str, int]] = {}
    if query.having is not None:
        share = query.having.share
        if share is not None:
            filters[id(share)] = binder.bind_all(query.label_of(query.having.count), share.where)
        thresholds = {"at_least": query.having.at_least, "percent": share.percent if share else None}
        for key, threshold in thresholds.items():
            if threshold is not None:
                having_values[key] = (binder._name(int(params[threshold])), int(params[threshold]))
    return BoundQuery(
        query,
        period,
        params,
        filters,
        binder.cypher_params,
        each_values,
        each_param,
        tool_types_param,
        having_values,
    )


def audit_period(
    as_of: str | dt.date | None,
    period: str,
    cut_off: dt.date | None,
    *,
    allow_after_cutoff: bool = False,
) -> AuditPeriod:
    """The audit period ending at *as_of*, or at the data's *cut_off* (the latest date on which the inputs record
    something) when no as-of date is given. An as-of date past the cut-off is refused unless *allow_after_cutoff*:
    the data cannot show what happened after it ends, so every obligation that fell due since would be a false
    finding. Without a cut-off (no dated record) the default is today.

    >>> audit_period(None, "12M", dt.date(2025, 6, 30)).label()
    '2024-07-01 to 2025-06-30'
    """
    if as_of is None:
        return AuditPeriod.parse(cut_off, period)
    chosen = AuditPeriod.parse(as_of, period)
    if cut_off is not None and chosen.as_of > cut_off and not allow_after_cutoff:
        raise ItsmsError(
            f"--as-of {chosen.as_of.isoformat()} is after the data's cut-off {cut_off.isoformat()} (the latest date "
            "the inputs record): the records cannot show what happened since, and every obligation due since would "
            f"read as missing. Leave --as-of out (it defaults to the cut-off), give {cut_off.isoformat()} or "
            "earlier, or say --allow-after-cutoff."
        )
    return chosen

"""Running canned queries on an engine: assess whether the data can answer, then evaluate.

A query whose data is absent (no node of a label it needs, no value of a property it filters on) is
*not assessable* and says what is missing; it is never a pass. A label counts as present when it has nodes
or when an imported source declared it (an empty audit register is evidence of no audits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from itsms_graph.errors import ItsmsError
from itsms_graph.ontology import schema
from itsms_graph.queries.definition import ANY, IDENTITY, Filter, MatchNode, MatchRel, QueryDefinition, Step
from itsms_graph.queries.engine import Engine
from itsms_graph.queries.parameters import ParameterSources, Source, UsedParameter
from itsms_graph.queries.plan import PLACEHOLDER_FLAG, AuditPeriod, bind, coerce_param
from itsms_graph.queries.results import Population, QueryResult, Status, absent_population, findings_for


@dataclass(frozen=True)
class LinkNeed:
    """A relationship the data must hold somewhere (a step that says ``required``): (source)-[:rel]->(target), or
    either way round for a step that goes ``both`` ways."""

    rel: str
    source: str
    target: str
    either_way: bool = False


Need = tuple[str, str | None] | LinkNeed  # (label, property or None), or a relationship
#: Labels every graph holds whatever was imported (the clause catalogue), and those itsms-graph writes itself:
#: they prove no source was read.
BUILT_IN_LABELS = frozenset({"Clause"}) | schema().tool_labels


def requirements(query: QueryDefinition) -> list[list[list[Need]]]:
    """What the data must hold: a list of requirements, each a list of alternatives, each a list of needs.

    Marker properties (flags such as ``unresolved``, whose absence means false) and the id every record has are
    never needs. A step that asks
    for placeholders (a filter on ``unresolved``) needs the label's records or placeholders: an incident export
    that names CIs no input holds does record which incident has a CI.
    """
    props = schema().properties

    def needs_of(label: str, filters: tuple[Filter, ...]) -> list[Need]:
        if label == ANY:  # a pattern over every label needs some imported record, not one label
            anywhere: list[Need] = [(ANY, None)]
            return anywhere + [(ANY, f.prop) for f in filters if not props[f.prop].marker]
        placeholders = any(f.prop == PLACEHOLDER_FLAG for f in filters)
        needs: list[Need] = [(label, PLACEHOLDER_FLAG if placeholders else None)]
        for f in filters:
            if f.optional:
                continue  # the query answers without it (see Filter.optional)
            for key in (f.prop, f.other):
                if key is not None and key != IDENTITY and not props[key].marker:
                    needs.append((label, key))
        return needs

    reqs: list[list[list[Need]]] = []
    for item in query.match:
        if isinstance(item, MatchNode):
            reqs.append([needs_of(item.label, item.where)])
    for top in query.conditions:
        for cond in top.any or (top,):
            if cond.check is not None:
                reqs.append([needs_of(query.label_of(cond.check.node), cond.check.where)])
            else:
                start = query.label_of(cond.spec.from_)
                reqs.append([_path_needs(start, path, needs_of) for path in cond.spec.alternatives])
    if query.having is not None and query.having.share is not None:  # the share's filters, on the counted records
        reqs.append([needs_of(query.label_of(query.having.count), query.having.share.where)])
    for _label, filters in _filter_sites(query):
        for f in filters:
            if f.ref is not None:
                var, key = f.ref.split(".")
                if key != IDENTITY:
                    reqs.append([[(query.label_of(var), key)]])
    return reqs


def _path_needs(
    start: str, path: Sequence[Step], needs_of: Callable[[str, tuple[Filter, ...]], list[Need]]
) -> list[Need]:
    """What a condition's path needs: each step's label and filtered properties, and each ``required`` link."""
    out: list[Need] = []
    here = start
    for step in path:
        out += needs_of(step.label, step.where)
        if step.required and ANY not in (step.rel, here, step.label):
            ends = (here, step.label) if step.dir != "in" else (step.label, here)
            out.append(LinkNeed(step.rel, *ends, either_way=step.dir == "both"))
        here = step.label
    return out


def _filter_sites(query: QueryDefinition) -> list[tuple[str, tuple[Filter, ...]]]:
    sites = [(n.label, n.where) for n in query.nodes]
    for cond in query.flat_conditions():
        if cond.check is not None:
            sites.append((query.label_of(cond.check.node), cond.check.where))
        else:
            sites += [(step.label, step.where) for path in cond.spec.alternatives for step in path]
    if query.having is not None and query.having.share is not None:
        sites.append((query.label_of(query.having.count), query.having.share.where))
    return sites


_NO_RECORDS = re.compile(r"^no (\w+) records$")


def _either(options: list[str]) -> str:
    """Alternatives the data lacks, any one of which would do: ``no Person or Role records`` when each is a
    whole label, else ``no Scope records and no Service records or no Location records``.

    >>> _either(["no Person records", "no Role records"])
    'no Person or Role records'
    >>> _either(["no ConfigurationItem records", "no Service records", "no ServiceComponent records"])
    'no ConfigurationItem, Service or ServiceComponent records'
    >>> _either(["no Location records", "no Site record has name"])
    'no Location records or no Site record has name'
    """
    labels = [m.group(1) for m in map(_NO_RECORDS.match, options) if m]
    if len(labels) < len(options):
        return " or ".join(options)
    return f"no {', '.join(labels[:-1])} or {labels[-1]} records"


def period_probes(query: QueryDefinition) -> list[tuple[str, str, QueryDefinition]]:
    """(label, property, probe) for each record the query examines by an ``in_period`` date: the probe matches
    the label's records dated in the period, whatever the query's other filters and conditions."""
    probes = []
    for node in query.nodes:
        for f in node.where:
            if f.op == "in_period" and node.label != ANY:
                probe = MatchNode(node=node.node, label=node.label, where=(f,))
                bare = query.model_copy(update={"match": (probe,), "conditions": (), "each": None, "having": None})
                probes.append((node.label, f.prop, bare))
    return probes


@dataclass
class _Assessor:
    engine: Engine
    declared: frozenset[str]
    period: AuditPeriod
    _counts: dict[str, int] = field(default_factory=dict)
    _props: dict[tuple[str, str], bool] = field(default_factory=dict)
    _dated: dict[tuple[str, str], bool] = field(default_factory=dict)
    #: the links (type, source label, target label) the imported sources can carry; None: not known
    links: frozenset[tuple[str, str, str]] | None = None
    _linked: dict[tuple[str, str, str], bool] = field(default_factory=dict)
    _held: dict[LinkNeed, bool] = field(default_factory=dict)

    def count(self, label: str) -> int:
        if label not in self._counts:
            self._counts[label] = self.engine.label_count(label)
        return self._counts[label]

    def gap(self, need: Need, query: QueryDefinition) -> str | None:
        if isinstance(need, LinkNeed):
            if not (self.count(need.source) and self.count(need.target)):
                return None  # the label's own need reports it (an empty register declared is an answer)
            held = self._linked_anywhere(query, need)
            return None if held else f"no {need.source} record is linked to a {need.target} ({need.rel})"
        label, prop = need
        if label == ANY:
            if prop is None:
                imported = [lb for lb in sorted(schema().labels) if lb not in BUILT_IN_LABELS]
                found = any(lb in self.declared or self.count(lb) for lb in imported)
                return None if found else "no imported records"
            domain = schema().properties[prop].labels or frozenset(schema().labels)
            present = any(self.count(lb) and self._present(lb, prop) for lb in sorted(domain))
            return None if present else f"no record has {prop}"
        n = self.count(label)
        if prop is None:
            return None if n or label in self.declared else f"no {label} records"
        if prop == PLACEHOLDER_FLAG:  # records, or placeholders for the ids that records name
            named = bool(n) or label in self.declared or self._present(label, PLACEHOLDER_FLAG)
            return None if named else f"no {label} records"
        if n == 0:
            return None  # the label's own need reports it
        return None if self._present(label, prop) else f"no {label} record has {prop}"

    def _linked_anywhere(self, query: QueryDefinition, need: LinkNeed) -> bool:
        """Whether the data holds one (source)-[:rel]->(target) relationship between two records (either way
        round for a step that goes both ways)."""
        if need not in self._held:
            a, b = MatchNode(node="a", label=need.source), MatchNode(node="b", label=need.target)
            probe = (a, MatchRel(rel=need.rel, dir="both" if need.either_way else "out"), b)
            bare = query.model_copy(update={"match": probe, "conditions": (), "each": None, "having": None})
            self._held[need] = self.engine.exists(bind(bare, self.period))
        return self._held[need]

    def _present(self, label: str, prop: str) -> bool:
        if (label, prop) not in self._props:
            self._props[(label, prop)] = self.engine.property_present(label, prop)
        return self._props[(label, prop)]

    def undated(self, query: QueryDefinition) -> list[str]:
        """The records a query examines in the audit period, when the data has none dated in it at all: a
        period that misses the data (last year's export checked as of today) answers nothing, so it passes
        nothing. Records dated in the period of which none matches the query's other filters are an answer."""
        out = []
        for label, prop, probe in period_probes(query):
            if (label, prop) not in self._dated:
                self._dated[(label, prop)] = self.engine.exists(bind(probe, self.period))
            if not self._dated[(label, prop)]:
                out.append(f"no {label} record has {prop} in the audit period ({self.period.label()})")
        return out

    def carried(self, query: QueryDefinition, link: tuple[str, str, str]) -> bool:
        """Whether the data can hold *link*: an imported source maps it, or some relationship of it exists."""
        if self.links is None or link in self.links:
            return True
        if link not in self._linked:
            rel, source, target = link
            probe = (MatchNode(node="a", label=source), MatchRel(rel=rel, dir="out"), MatchNode(node="b", label=target))
            bare = query.model_copy(update={"match": probe, "conditions": (), "each": None, "having": None})
            self._linked[link] = self.engine.exists(bind(bare, self.period))
        return self._linked[link]

    def uncarried(self, query: QueryDefinition) -> list[str]:
        """The links *query* follows that no imported source can carry, said once each: a pattern needing one,
        or a condition all of whose alternatives need one, has no answer in this data (absence of a link the
        sources never record is no evidence of absence)."""
        out: list[str] = []

        def gaps(start: str, steps: Sequence[tuple[str, str, str]]) -> list[str]:
            found, here = [], start
            for rel, direction, label in steps:
                if ANY not in (rel, here, label):
                    pair = [(rel, here, label)] if direction != "in" else [(rel, label, here)]
                    if direction == "both":  # either way round will do
                        pair.append((rel, label, here))
                    if not any(self.carried(query, link) for link in pair):
                        found.append(f"no imported source links {pair[0][1]} to {pair[0][2]} ({rel})")
                here = label
            return found

        nodes = query.nodes
        match = [(m.rel, m.dir, nodes[i + 1].label) for i, m in enumerate(query.match[1::2]) if isinstance(m, MatchRel)]
        sites = [gaps(nodes[0].label, match)] if match else []
        via = query.match[-2] if len(query.match) > 2 else None
        if isinstance(via, MatchRel) and via.via and sites:  # the CI roll-up: any one way to the last node will do
            left, last = nodes[-2].label, match[-1]
            ways = [gaps(left, [last])] + [gaps(left, [*((s.rel, s.dir, s.label) for s in p), last]) for p in via.via]
            head = gaps(nodes[0].label, match[:-1])
            sites = [head + (ways[0] if all(ways) else [])]
        for cond in query.flat_conditions():
            if cond.is_path:
                start = query.label_of(cond.spec.from_)
                alternatives = [gaps(start, [(s.rel, s.dir, s.label) for s in path]) for path in cond.spec.alternatives]
                sites.append(alternatives[0] if all(alternatives) else [])
        for site in sites:
            out += [g for g in site if g not in out]
        return out

    def missing(self, query: QueryDefinition) -> list[str]:
        """What the data lacks for *query*, each gap said once: ``no Approval records``, or ``no Location
        records or no OrganisationalUnit records`` when any one of several would do."""
        out: list[str] = []
        choices: list[list[list[str]]] = []
        for alternatives in requirements(query):
            gaps = [list(dict.fromkeys(g for g in (self.gap(n, query) for n in needs) if g)) for needs in alternatives]
            if not all(gaps):
                continue
            if len(gaps) == 1:
                out += [g for g in gaps[0] if g not in out]
            else:
                choices.append(gaps)
        for gaps in choices:  # alternatives, said after the plain gaps, and only for what those leave open
            left = [[g for g in alt if g not in out] for alt in gaps]
            if not all(left):
                continue  # one alternative lacks only what is already said
            fewest = min(len(alt) for alt in left)  # name the alternatives that miss the least
            options = sorted({" and ".join(alt) for alt in left if len(alt) == fewest})
            if len(options) == 1:
                out += next(alt for alt in left if len(alt) == fewest)
            elif _either(options) not in out:
                out.append(_either(options))
        return out


def run_queries(
    engine: Engine,
    queries: Iterable[QueryDefinition],
    period: AuditPeriod,
    overrides: ParameterSources | Mapping[str, Any] | None = None,
    declared_labels: Iterable[str] = (),
    carried_links: frozenset[tuple[str, str, str]] | None = None,
) -> list[QueryResult]:
    """Run every query on *engine* for the audit *period*; results in the order given. *overrides* are the
    parameter values besides the defaults (a plain mapping: given explicitly, as ``--param``); each result
    records the value and source of every parameter its query declares. *carried_links* are the links the
    imported sources can carry (None: not known, nothing is ruled out)."""
    assessor = _Assessor(engine, frozenset(declared_labels), period, links=carried_links)
    sources = ParameterSources.of(overrides)
    results = []
    for query in queries:
        used = sources.resolve(query)
        values = {name: _checked(query, p) for name, p in used.items()}
        unstated = [
            spec.missing
            for name, spec in query.parameters.items()
            if spec.missing is not None and used[name].source is Source.DEFAULT
        ]
        missing = [*unstated, *(assessor.missing(query) or assessor.uncarried(query) or assessor.undated(query))]
        if missing:
            results.append(QueryResult(query, Status.NOT_ASSESSABLE, missing_data=missing, parameters=used))
            continue
        bound = bind(query, period, values)
        rows = engine.rows(bound)
        findings = findings_for(query, rows)
        population = population_of(engine, query, period, values, rows)
        if query.population_required and not population:
            findings = absent_population(query)
        results.append(
            QueryResult(
                query,
                Status.FAIL if findings else Status.PASS,
                findings,
                rows=rows,
                population=population,
                parameters=used,
            )
        )
    return results


def _checked(query: QueryDefinition, used: UsedParameter) -> Any:
    """The parameter's value as its type; a value that is not one names where it was set (a rule's row)."""
    try:
        return coerce_param(query, used.name, used.value)
    except ItsmsError as exc:
        if used.origin:
            raise ItsmsError(f"{used.origin}: {exc}") from None
        raise


def population_of(
    engine: Engine,
    query: QueryDefinition,
    period: AuditPeriod,
    overrides: dict[str, Any] | None = None,
    rows: list[tuple[str, ...]] | None = None,
) -> Population | None:
    """The distinct records a violation query applies to (its first match variable, or its ``having`` group,
    under its match filters and its applicability conditions), sorted; None for an existence query, which
    examines no population. *rows*: the query's own rows, when fetched already: a query whose every condition
    says whom it applies to (no ``each``, no ``having``) is its own population query, so they are its population's
    rows (BPIC 2014's unresolved-reference: 0.1 s a run)."""
    if query.expect != "none":
        return None
    bare = query.population_query()
    column = bare.columns.index(query.group_variable)
    if rows is None or bare != query:
        rows = engine.rows(bind(bare, period, overrides))
    return Population(row[column] for row in rows)

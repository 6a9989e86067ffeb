"""Findings rolled up per requirement: Stage 1 areas of concern and Stage 2 nonconformities, with their evidence.

A nonconformity is written per requirement (a clause and the query family that tests one obligation of it), not
per record: its objective evidence lists every failing record once, with names, dates and source, even when two
queries of the family found the same record. A minor one is escalated to major by :class:`Escalation`, whose
thresholds are this tool's heuristic (ISO/IEC 17021-1 leaves the judgement to the auditor); every escalation says
why, and the organisation is credited for nonconformities it raised itself against the clause.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from itsms_graph.audit.facts import Facts, Record
from itsms_graph.ontology import clause_key, clauses
from itsms_graph.queries.definition import GRADE_ORDER
from itsms_graph.queries.results import Finding, QueryResult, distinct_count


@dataclass(frozen=True)
class Evidence:
    """One failing record and what each query of the requirement found missing for it."""

    record: Record
    queries: tuple[str, ...]
    findings: tuple[str, ...]
    missing: tuple[str, ...]
    #: the other records of the findings' rows and chains (the service, the incident, the input), in order
    related: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.record.describe()}: missing {'; '.join(self.missing)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record.to_dict(),
            "queries": list(self.queries),
            "findings": list(self.findings),
            "missing": list(self.missing),
            "related": list(self.related),
        }


@dataclass
class Concern:
    """Failures of one requirement, rolled up: a Stage 1 area of concern as it is (never graded), and the body of
    a Stage 2 nonconformity."""

    id: str
    clause: str
    requirement: str
    clauses: tuple[str, ...]
    title: str
    queries: tuple[str, ...]
    evidence: list[Evidence]
    #: the distinct records the requirement's queries apply to; None when a query examines no population
    population: int | None
    stage: int
    #: what the queries' remediation suggests: guidance for the organisation, not a prescribed action
    guidance: str = ""

    @property
    def failing(self) -> int:
        """Distinct failing records (the existence of a whole kind counts as one)."""
        return len(self.evidence)

    @property
    def rate(self) -> float | None:
        return self.failing / self.population if self.population else None

    @property
    def findings(self) -> int:
        return sum(len(e.findings) for e in self.evidence)

    @property
    def requirement_text(self) -> str:
        """The requirement in words: the clause and its title, the obligation tested."""
        return f"ISO/IEC 20000-1:2018 {self.clause} {_clause_title(self.clause)}".rstrip()

    @property
    def statement(self) -> str:
        """The statement of the failure: what fails, and how much of what the requirement applies to."""
        if self.population:
            label = self.evidence[0].record.label if self.evidence else "record"
            return f"{self.title}: {self.failing} of {self.population} {label} records the requirement applies to."
        if self.evidence and self.evidence[0].record.label == "Clause":
            return f"{self.title}: no record shows it ({'; '.join(self.evidence[0].missing)})."
        return f"{self.title}: {self.failing} record(s)."

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clause": self.clause,
            "clauses": list(self.clauses),
            "requirement": self.requirement,
            "requirement_text": self.requirement_text,
            "title": self.title,
            "statement": self.statement,
            "queries": list(self.queries),
            "stage": self.stage,
            "failing_records": self.failing,
            "findings": self.findings,
            "population": self.population,
            "failure_rate": self.rate,
            "evidence": [e.to_dict() for e in self.evidence],
            "guidance": self.guidance,
        }


@dataclass
class Nonconformity(Concern):
    """A Stage 2 nonconformity (or an OFI, which is not one): its grade and the reasoning that set it."""

    grade: str = "minor"
    #: the highest grade its queries give before escalation
    query_grade: str = "minor"
    #: why it was escalated to major, one sentence per ground; empty when it was not
    escalation: list[str] = field(default_factory=list)
    #: why rate or spread did not escalate it: the organisation's own nonconformities on the clause
    credit: list[str] = field(default_factory=list)
    #: an auditor's zero-failure sample (size) and the chance it holds a failing record
    sample_size: int | None = None
    detection_chance: float | None = None

    @property
    def escalated(self) -> bool:
        return bool(self.escalation)

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "grade": self.grade,
            "query_grade": self.query_grade,
            "escalated": self.escalated,
            "escalation": list(self.escalation),
            "credit": list(self.credit),
            "sample_size": self.sample_size,
            "detection_chance": self.detection_chance,
        }


def _clause_title(number: str) -> str:
    return next((c.title for c in clauses() if c.number == number), "")


def roll_up(results: Iterable[QueryResult], facts: Facts, *, prefix: str = "NC") -> list[Concern]:
    """The failures of *results* per requirement (the query family: a query's own id unless its file names the
    requirement it shares), in clause order; each failing record once, with every query that found it. The clause
    is the first clause of the query the family is named after (of its first query otherwise); the other queries'
    clauses follow it. Ids are ``<prefix>-<clause>-<family>``: NC for a nonconformity, AOC for a Stage 1 area of
    concern."""
    groups: dict[str, list[QueryResult]] = defaultdict(list)
    for r in results:
        if r.findings:
            groups[r.query.family].append(r)
    ordered = []
    for family, members in groups.items():
        members.sort(key=lambda r: (r.query.id != family, r.query.id))  # the principal query first
        ordered.append((members[0].query.clauses[0], family, members))
    out = []
    for clause, family, members in sorted(ordered, key=lambda item: (clause_key(item[0]), item[1])):
        by_record: dict[str, list[Finding]] = defaultdict(list)
        for r in members:
            for f in r.findings:
                by_record[f.subject].append(f)
        evidence = [
            Evidence(
                facts.record(nid),
                tuple(dict.fromkeys(f.query for f in fs)),
                tuple(f.id for f in fs),
                tuple(dict.fromkeys(f.missing for f in fs)),
                tuple(dict.fromkeys(s for f in fs for s in (*f.subjects[1:], *_chain_nodes(f)) if s != nid)),
            )
            for nid, fs in sorted(by_record.items())
        ]
        populations = [r.population for r in members if r.population is not None]
        population = distinct_count(populations) if len(populations) == len(members) else None
        out.append(
            Concern(
                id=f"{prefix}-{clause}-{family}",
                clause=clause,
                requirement=family,
                clauses=tuple(dict.fromkeys(c for r in members for c in r.query.clauses)),
                title=_family_title(members),
                queries=tuple(r.query.id for r in members),
                evidence=evidence,
                population=population,
                stage=min(r.query.stage for r in members),
                guidance=" ".join(dict.fromkeys(r.query.remediation.strip() for r in members)),
            )
        )
    return out


def _chain_nodes(f: Finding) -> list[str]:
    return [n for hop in f.chain for n in (hop.source, hop.target)]


def _family_title(members: list[QueryResult]) -> str:
    """A title true of every record the nonconformity lists: the title of the one query that found them, or, when
    several queries of the requirement did, the requirement's own title (``requirement_title``, stated alike in its
    query files); without one, each query's title, the most severe first (the one with the most failing records
    first among equals)."""
    ranked = sorted(members, key=lambda r: (-GRADE_ORDER[r.query.grade], -len(r.failing), members.index(r)))
    titles = list(dict.fromkeys(r.query.title for r in ranked))
    if len(titles) == 1:
        return titles[0]
    stated = [r.query.requirement_title for r in members if r.query.requirement_title]
    return stated[0] if stated else "; ".join(titles)


@dataclass(frozen=True)
class Escalation:
    """When a minor nonconformity is graded major: this tool's heuristic, not a rule of any standard.

    - rate: at least ``minimum`` distinct failing records and at least ``rate`` of the population;
    - spread: at least ``spread_minimum`` failing records across at least ``spread`` services or teams (several
      lapses in one place are a local slip; as many across the organisation are the process failing);
    - impact: any failing record linked to a major incident (whatever the count).
    The organisation's own open nonconformity against the clause, raised in the audit period, withholds the rate
    and spread grounds (its own system found the failure and is acting on it); impact still escalates.
    """

    rate: float = 0.2
    minimum: int = 3
    spread: int = 2
    spread_minimum: int = 5

    def describe(self) -> str:
        return (
            f"tool heuristic: a minor becomes major with at least {self.minimum} failing records and a failure "
            f"rate of at least {self.rate:.0%}, or at least {self.spread_minimum} failing records spread over at "
            f"least {self.spread} services or teams, or a failure linked to a major incident; the organisation's "
            "own open nonconformity on the clause, raised in the audit period, withholds the rate and spread "
            "grounds"
        )

    def grounds(self, concern: Concern, facts: Facts) -> tuple[list[str], list[str]]:
        """(escalation reasons, credit given) for a minor *concern*."""
        reasons: list[str] = []
        credit = [
            f"the organisation raised {nc.id} against {nc.clause} on {nc.raised_on}"
            for nc in facts.raised_against(concern.clause)
        ]
        systemic: list[str] = []
        rate = concern.rate
        if concern.failing >= self.minimum and rate is not None and rate >= self.rate:
            systemic.append(
                f"systemic: {concern.failing} of {concern.population} records fail ({rate:.0%}, at or above the "
                f"tool's {self.rate:.0%} threshold with at least {self.minimum} records)"
            )
        services = sorted({s for e in concern.evidence for s in e.record.services})
        teams = sorted({t for e in concern.evidence for t in e.record.teams})
        if concern.failing >= self.spread_minimum:
            for kind, names in (("services", services), ("teams", teams)):
                if len(names) >= self.spread:
                    systemic.append(
                        f"spread: {concern.failing} failing records across {len(names)} {kind} ("
                        + ", ".join(names[:5])
                        + (", ..." if len(names) > 5 else "")
                        + f"; the tool's thresholds are {self.spread_minimum} records over {self.spread})"
                    )
        if systemic and credit:
            reasons.append("not escalated on rate or spread: " + "; ".join(credit) + " (" + "; ".join(systemic) + ")")
        elif systemic:
            reasons += systemic
        linked = [(e.record.id, i) for e in concern.evidence for i in e.record.major_incidents]
        if linked:
            shown = ", ".join(f"{r} - {i}" if r != i else i for r, i in linked[:5])
            reasons.append(f"significant impact: failing records linked to a major incident ({shown})")
        withheld = [r for r in reasons if r.startswith("not escalated")]
        return [r for r in reasons if r not in withheld], withheld


def grade(concern: Concern, results: Iterable[QueryResult], rule: Escalation, facts: Facts) -> Nonconformity:
    """*concern* as a Stage 2 nonconformity: its queries' highest grade, a minor escalated by *rule*."""
    query_grade = max((r.query.grade for r in results), key=GRADE_ORDER.__getitem__)
    escalation: list[str] = []
    credit: list[str] = []
    if query_grade == "minor":
        escalation, credit = rule.grounds(concern, facts)
    final = "major" if escalation else query_grade
    return Nonconformity(**vars(concern), grade=final, query_grade=query_grade, escalation=escalation, credit=credit)

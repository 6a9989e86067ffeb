"""Stage 1 readiness and Stage 2 nonconformities, reasoned the way a lead auditor does (ISO/IEC 17021-1 practice).

Stage 1 ends Ready, Conditionally ready, Not ready or Cannot be concluded, and says which rule decided it; it
reports areas of concern per requirement, never graded. Which checks decide readiness is a field of the query
file (``decides_readiness``). Stage 2 covers every requirement, the design ones of Stage 1 included: the failures
of each requirement roll up into one nonconformity (itsms_graph.audit.nonconformity), graded major, minor or OFI,
a minor escalated to major by the tool's stated heuristic. The decision is risk-based: no percentage score.
Not-assessable queries and data-quality findings are listed apart and never count as nonconformities. Everything
here reads the check report alone: no engine, no graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from itsms_graph.audit.attributes import CONFIDENCE, TOLERABLE_RATE, detection_chance, zero_failure_size
from itsms_graph.audit.nonconformity import Concern, Escalation, Nonconformity, grade, roll_up
from itsms_graph.audit.report import CheckReport
from itsms_graph.ontology import clause_key
from itsms_graph.queries.results import Finding, QueryResult, Status

GRADES = ("major", "minor", "ofi")


@dataclass
class Stage1Verdict:
    outcome: str  # Ready, Conditionally ready, Not ready, Cannot be concluded
    rule: str
    concerns: list[Concern]
    not_assessable: list[QueryResult]
    data_quality: list[Finding]
    #: the per-record findings behind the concerns, by id
    findings: dict[str, Finding] = field(default_factory=dict)

    @property
    def concerns_by_clause(self) -> dict[str, list[Finding]]:
        """The findings behind the areas of concern, per clause (a per-record view of the same concerns)."""
        out: dict[str, list[Finding]] = defaultdict(list)
        for c in self.concerns:
            out[c.clause] += [self.findings[i] for e in c.evidence for i in e.findings if i in self.findings]
        return dict(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "rule": self.rule,
            "areas_of_concern": [c.to_dict() for c in self.concerns],
            "not_assessable": [{"query": r.query.id, "missing": r.missing_data} for r in self.not_assessable],
            "data_quality": [_quality_dict(f) for f in self.data_quality],
        }


@dataclass
class Stage2Verdict:
    nonconformities: list[Nonconformity]
    summary: str
    blocking: list[str]
    needs_plan: list[str]
    not_assessable: list[QueryResult] = field(default_factory=list)
    data_quality: list[Finding] = field(default_factory=list)
    escalation: Escalation = field(default_factory=Escalation)
    confidence: float = CONFIDENCE
    tolerable: float = TOLERABLE_RATE
    #: the per-record findings behind the nonconformities (what ``check`` lists), by id
    findings: dict[str, Finding] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Nonconformities (and OFIs) per grade: one per requirement, however many records fail."""
        return {g: sum(nc.grade == g for nc in self.nonconformities) for g in GRADES}

    def by_clause(self) -> dict[str, dict[str, list[Finding]]]:
        """The findings behind the nonconformities, per clause and grade of their nonconformity."""
        out: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
        for nc in self.nonconformities:
            for e in nc.evidence:
                out[nc.clause][nc.grade] += [self.findings[i] for i in e.findings if i in self.findings]
        return {c: dict(out[c]) for c in sorted(out, key=clause_key)}

    def reconciliation(self) -> str:
        """Why the counts differ from ``check``'s: findings per record and row, nonconformities per requirement."""
        n = len(self.nonconformities)
        records = sum(nc.failing for nc in self.nonconformities)
        return (
            f"{sum(nc.findings for nc in self.nonconformities)} finding(s) (one per failing row, as check lists "
            f"them) on {records} distinct record(s) roll up into {n} nonconformit{'y' if n == 1 else 'ies'} "
            "and OFIs, one per requirement"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "blocking": self.blocking,
            "needs_corrective_action_plan": self.needs_plan,
            "counts": self.counts(),
            "reconciliation": self.reconciliation(),
            "escalation_rule": self.escalation.describe(),
            "sampling": {"confidence": self.confidence, "tolerable_rate": self.tolerable},
            "nonconformities": [nc.to_dict() for nc in self.nonconformities],
            "not_assessable": [{"query": r.query.id, "missing": r.missing_data} for r in self.not_assessable],
            "data_quality": [_quality_dict(f) for f in self.data_quality],
        }


def _quality_dict(f: Finding) -> dict[str, Any]:
    """A data-quality finding: what the data lacks, citing no clause (it is no requirement of the standard)."""
    return {"id": f.id, "query": f.query, "title": f.title, "subjects": list(f.subjects), "missing": f.missing}


def _by_id(results: list[QueryResult]) -> dict[str, Finding]:
    return {f.id: f for r in results for f in r.findings}


def _titles(results: list[QueryResult]) -> str:
    return "; ".join(f"{r.query.title} ({r.query.id})" for r in results)


def stage1(report: CheckReport) -> Stage1Verdict:
    """The Stage 1 readiness verdict from a check report (every query of the catalogue, both stages)."""
    design = [r for r in report.results if r.query.stage == 1 and r.query.grade != "data-quality"]
    deciding = [r for r in report.results if r.query.decides_readiness]
    concerned = [r for r in design if r.status is Status.FAIL]
    concerns = roll_up(concerned, report.facts, prefix="AOC")
    na = [r for r in design if r.status is Status.NOT_ASSESSABLE]
    na += [r for r in deciding if r.status is Status.NOT_ASSESSABLE and r not in na]
    dq = [f for r in report.results if r.query.grade == "data-quality" for f in r.findings]
    blocking = [r for r in deciding if r.status is Status.FAIL]
    unknown = [r for r in deciding if r.status is Status.NOT_ASSESSABLE]
    unknown += [r for r in na if r.query.grade == "major" and r not in unknown]
    majors = [r for r in concerned if r.query.grade == "major" and r not in blocking]
    if blocking:
        outcome = "Not ready"
        rule = (
            f"Not ready: {_titles(blocking)}. Stage 1 needs an approved scope and policy, and an internal audit "
            "and a management review performed (ISO/IEC 17021-1 Stage 1 objectives)."
        )
    elif unknown:
        outcome = "Cannot be concluded"
        rule = (
            "Cannot be concluded: readiness cannot be judged from the records, which hold no evidence for "
            + "; ".join(f"{r.query.id} ({', '.join(r.missing_data)})" for r in unknown)
            + ". Import the SMS registers (itsms-graph template) or review that documented information directly."
        )
    elif majors:
        outcome = "Not ready"
        rule = (
            f"Not ready: required design elements are missing ({_titles(majors)}). Each would be a "
            "nonconformity at Stage 2."
        )
    elif concerns or na:
        outcome = "Conditionally ready"
        parts = []
        if concerns:
            parts.append(
                f"{len(concerns)} area(s) of concern ({sum(c.failing for c in concerns)} record(s)) must be "
                "resolved before or at Stage 2"
            )
        if na:
            parts.append(
                f"{len(na)} check(s) could not be assessed from the records and need evidence at "
                "Stage 2: " + ", ".join(r.query.id for r in na)
            )
        rule = "Conditionally ready: " + "; ".join(parts) + "."
    else:
        outcome = "Ready"
        rule = "Ready: every Stage 1 check passed on the records."
    return Stage1Verdict(outcome, rule, concerns, na, dq, _by_id(concerned))


def stage2(
    report: CheckReport,
    *,
    escalation: Escalation | None = None,
    confidence: float = CONFIDENCE,
    tolerable: float = TOLERABLE_RATE,
) -> Stage2Verdict:
    """Stage 2 nonconformities per requirement, over every requirement (Stage 1's design checks included),
    with the tool's escalation heuristic and a recommendation summary."""
    rule = escalation or Escalation()
    checks = [r for r in report.results if r.query.grade != "data-quality"]
    failed = [r for r in checks if r.status is Status.FAIL]
    by_query = {r.query.id: r for r in failed}
    ncs: list[Nonconformity] = []
    for concern in roll_up(failed, report.facts):
        nc = grade(concern, [by_query[q] for q in concern.queries], rule, report.facts)
        if nc.population:
            nc.sample_size = zero_failure_size(nc.population, confidence, tolerable)
            nc.detection_chance = detection_chance(nc.population, nc.failing, nc.sample_size)
        ncs.append(nc)
    ncs.sort(key=lambda nc: (-_RANK[nc.grade], clause_key(nc.clause), nc.requirement))
    na = [r for r in report.results if r.status is Status.NOT_ASSESSABLE and r.query.grade != "data-quality"]
    dq = [f for r in report.results if r.query.grade == "data-quality" for f in r.findings]
    majors = [nc for nc in ncs if nc.grade == "major"]
    minors = [nc for nc in ncs if nc.grade == "minor"]
    blocking = [_line(nc) for nc in majors]
    needs_plan = [_line(nc) for nc in minors]
    verdict = Stage2Verdict(ncs, "", blocking, needs_plan, na, dq, rule, confidence, tolerable, _by_id(failed))
    if majors:
        summary = (
            f"Certification cannot be recommended: {_count(len(majors), 'major')}. Each needs a correction and a "
            "corrective action whose implementation the certification body verifies; if that is not done within "
            "six months of the last day of Stage 2, Stage 2 is repeated."
        )
        if minors:
            summary += f" In addition, {_count(len(minors), 'minor')} need an accepted corrective action plan."
    elif minors:
        summary = (
            f"Certification can be recommended once the certification body accepts a corrective action plan for "
            f"the {_count(len(minors), 'minor')}; their implementation is verified at the first surveillance audit."
        )
    elif checks and all(r.status is Status.NOT_ASSESSABLE for r in checks):
        summary = (
            f"No check could be assessed from the records (none of {len(checks)}): they give no basis for a "
            "certification recommendation. Import the SMS registers (itsms-graph template) or sample the "
            "evidence directly; the checks and what each lacks are listed under Not assessable."
        )
    elif na:
        answered = len(checks) - len(na)
        summary = (
            f"No nonconformity is evident in the {answered} of {len(checks)} checks the records could answer: a "
            "certification recommendation is possible only once the evidence for the others has been sampled, "
            "and subject to what interviews and observation, which records cannot replace, show."
        )
    else:
        summary = (
            "No nonconformity is evident in the records: a certification recommendation is possible, "
            "subject to what interviews and observation, which records cannot replace, show."
        )
    if na and not (checks and len(na) == len(checks)):
        summary += (
            f" {len(na)} check(s) could not be assessed from the records ("
            + ", ".join(r.query.id for r in na)
            + "): the auditor must sample that evidence directly."
        )
    verdict.summary = summary
    return verdict


_RANK = {"major": 2, "minor": 1, "ofi": 0}


def _count(n: int, grade_: str) -> str:
    return f"{n} {grade_} nonconformit{'y' if n == 1 else 'ies'}"


def _line(nc: Nonconformity) -> str:
    reasons = f"; escalated: {' '.join(nc.escalation)}" if nc.escalation else ""
    return f"{nc.id} ({', '.join(nc.clauses)}): {nc.statement}{reasons}"

"""Stage 1 readiness and Stage 2 findings, reasoned the way a lead auditor does (ISO/IEC 17021-1 practice).

Stage 1 ends Ready, Conditionally ready or Not ready, and says which rule decided it; its findings are areas of
concern, not nonconformities. Stage 2 grades nonconformities major, minor or OFI per clause, escalates a minor
query to major when its failures are systemic (a failure rate over its population at or above a threshold),
and summarises what blocks a certification recommendation. The decision is risk-based: no percentage score.
Not-assessable queries and data-quality findings are listed apart and never count as nonconformities.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from itsms_graph.engines.base import Engine
from itsms_graph.ontology import clause_key
from itsms_graph.queries.plan import AuditPeriod, bind
from itsms_graph.queries.results import Finding, QueryResult, Status
from itsms_graph.reports.model import CheckReport

#: Stage 1 queries whose failure alone makes the SMS not ready: the design is missing its foundations.
NOT_READY_IF_FAILING = (
    "scope-statement-approved",
    "sm-policy-current",
    "internal-audit-completed",
    "management-review-held",
)
SAMPLE_SIZE_FOR_DETECTION = 25


@dataclass
class Stage1Verdict:
    outcome: str  # Ready, Conditionally ready, Not ready
    rule: str
    concerns_by_clause: dict[str, list[Finding]]
    not_assessable: list[QueryResult]
    data_quality: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "rule": self.rule,
            "areas_of_concern": {c: [_finding_dict(f) for f in fs] for c, fs in self.concerns_by_clause.items()},
            "not_assessable": [{"query": r.query.id, "missing": r.missing_data} for r in self.not_assessable],
            "data_quality": [_finding_dict(f) for f in self.data_quality],
        }


@dataclass
class GradedQuery:
    result: QueryResult
    grade: str  # the grade after escalation
    population: int | None
    rate: float | None
    escalated: bool

    @property
    def detection_chance(self) -> float | None:
        """Chance that an auditor's sample of 25 from the population contains a failure: 1 - (1 - p)^25."""
        if self.rate is None:
            return None
        return 1 - (1 - self.rate) ** SAMPLE_SIZE_FOR_DETECTION


@dataclass
class Stage2Verdict:
    graded: list[GradedQuery]
    summary: str
    blocking: list[str]
    needs_plan: list[str]
    not_assessable: list[QueryResult] = field(default_factory=list)
    data_quality: list[Finding] = field(default_factory=list)

    def by_clause(self) -> dict[str, dict[str, list[Finding]]]:
        out: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
        for g in self.graded:
            for f in g.result.findings:
                out[f.clauses[0]][g.grade].append(f)
        return {c: dict(out[c]) for c in sorted(out, key=clause_key)}

    def counts(self) -> dict[str, int]:
        counts = {"major": 0, "minor": 0, "ofi": 0}
        for g in self.graded:
            counts[g.grade] += len(g.result.findings)
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "blocking": self.blocking,
            "needs_corrective_action_plan": self.needs_plan,
            "counts": self.counts(),
            "queries": [
                {
                    "query": g.result.query.id,
                    "clauses": list(g.result.query.clauses),
                    "grade": g.grade,
                    "query_grade": g.result.query.grade,
                    "escalated": g.escalated,
                    "findings": len(g.result.findings),
                    "population": g.population,
                    "failure_rate": g.rate,
                    "detection_chance_n25": g.detection_chance,
                }
                for g in self.graded
                if g.result.findings
            ],
            "by_clause": {
                c: {gr: [_finding_dict(f) for f in fs] for gr, fs in grades.items()}
                for c, grades in self.by_clause().items()
            },
            "not_assessable": [{"query": r.query.id, "missing": r.missing_data} for r in self.not_assessable],
            "data_quality": [_finding_dict(f) for f in self.data_quality],
        }


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "query": f.query,
        "title": f.title,
        "grade": f.grade,
        "clauses": list(f.clauses),
        "subjects": list(f.subjects),
        "chain": [str(h) for h in f.chain],
        "missing": f.missing,
    }


def stage1(report: CheckReport) -> Stage1Verdict:
    """The Stage 1 readiness verdict from a check report (every query of the catalogue, both stages)."""
    by_id = {r.query.id: r for r in report.results}
    s1 = [r for r in report.results if r.query.stage == 1 and r.query.grade != "data-quality"]
    concerns: dict[str, list[Finding]] = defaultdict(list)
    for r in s1:
        for f in r.findings:
            concerns[f.clauses[0]].append(f)
    na = [r for r in report.results if r.query.stage == 1 and r.status is Status.NOT_ASSESSABLE]
    na += [
        by_id[q]
        for q in NOT_READY_IF_FAILING
        if q in by_id and by_id[q].status is Status.NOT_ASSESSABLE and by_id[q] not in na
    ]
    dq = [f for r in report.results if r.query.grade == "data-quality" for f in r.findings]
    blocking = [q for q in NOT_READY_IF_FAILING if q in by_id and by_id[q].status is Status.FAIL]
    unknown = [q for q in NOT_READY_IF_FAILING if q in by_id and by_id[q].status is Status.NOT_ASSESSABLE]
    majors = [r.query.id for r in s1 if r.status is Status.FAIL and r.query.grade == "major"]
    if unknown and not blocking:
        outcome = "Not ready"
        rule = (
            "Not ready: readiness cannot be shown from the records, which hold no evidence for "
            + "; ".join(f"{q} ({', '.join(by_id[q].missing_data)})" for q in unknown)
            + ". Import the SMS registers (itsms-graph template) before Stage 1."
        )
    elif blocking:
        outcome = "Not ready"
        rule = (
            "Not ready: "
            + ", ".join(by_id[q].query.title.lower() for q in blocking)
            + " failed. Stage 1 needs an approved scope and policy, and an internal audit and a management "
            "review performed (ISO/IEC 17021-1 Stage 1 objectives)."
        )
    elif majors:
        outcome = "Not ready"
        rule = (
            "Not ready: required design elements are missing ("
            + ", ".join(majors)
            + "). Each is a major area of concern that would be a nonconformity at Stage 2."
        )
    elif concerns or na:
        outcome = "Conditionally ready"
        parts = []
        if concerns:
            parts.append(
                f"{sum(len(v) for v in concerns.values())} area(s) of concern in "
                f"{len(concerns)} clause(s) must be resolved before or at Stage 2"
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
    ordered = {c: concerns[c] for c in sorted(concerns, key=clause_key)}
    return Stage1Verdict(outcome, rule, ordered, na, dq)


def population_size(
    engine: Engine, result: QueryResult, period: AuditPeriod, parameters: dict[str, Any] | None = None
) -> int | None:
    """How many candidates a violation query examined: its match (and each) rows without the conditions."""
    query = result.query
    if query.expect != "none":
        return None
    bare = query.model_copy(update={"conditions": ()})
    return len(engine.rows(bind(bare, period, parameters)))


def stage2(
    report: CheckReport,
    engine: Engine,
    *,
    systemic_rate: float = 0.2,
    systemic_min: int = 3,
    parameters: dict[str, Any] | None = None,
) -> Stage2Verdict:
    """Stage 2 findings graded per clause, with systemic escalation and a readiness summary."""
    graded: list[GradedQuery] = []
    for r in report.results:
        if r.query.stage != 2 or r.query.grade == "data-quality" or r.status is not Status.FAIL:
            continue
        population = population_size(engine, r, report.period, parameters)
        rate = len(r.findings) / population if population else None
        escalate = (
            r.query.grade == "minor" and rate is not None and rate >= systemic_rate and len(r.findings) >= systemic_min
        )
        graded.append(GradedQuery(r, "major" if escalate else r.query.grade, population, rate, escalate))
    na = [r for r in report.results if r.query.stage == 2 and r.status is Status.NOT_ASSESSABLE]
    dq = [f for r in report.results if r.query.grade == "data-quality" for f in r.findings]
    #: the Stage 2 checks of the run that can give a nonconformity
    checks = [r for r in report.results if r.query.stage == 2 and r.query.grade != "data-quality"]
    majors = [g for g in graded if g.grade == "major"]
    minors = [g for g in graded if g.grade == "minor"]
    blocking = [
        f"{g.result.query.title} ({', '.join(g.result.query.clauses)}): {len(g.result.findings)} "
        f"finding(s)" + (f", systemic: {g.rate:.0%} of {g.population}" if g.escalated else "")
        for g in majors
    ]
    needs_plan = [
        f"{g.result.query.title} ({', '.join(g.result.query.clauses)}): {len(g.result.findings)} finding(s)"
        for g in minors
    ]
    n_major = sum(len(g.result.findings) for g in majors)
    n_minor = sum(len(g.result.findings) for g in minors)
    if majors:
        summary = (
            f"Certification cannot be recommended: {n_major} major nonconformit"
            f"{'y' if n_major == 1 else 'ies'} in {len(majors)} requirement(s). Each needs a correction and "
            "a corrective action whose implementation the certification body verifies; if that is not "
            "done within six months of the last day of Stage 2, Stage 2 is repeated."
        )
        if minors:
            summary += f" In addition, {n_minor} minor nonconformities need an accepted corrective action plan."
    elif minors:
        summary = (
            f"Certification can be recommended once the certification body accepts a corrective action "
            f"plan for the {n_minor} minor nonconformit{'y' if n_minor == 1 else 'ies'}; their "
            "implementation is verified at the first surveillance audit."
        )
    elif checks and all(r.status is Status.NOT_ASSESSABLE for r in checks):
        return Stage2Verdict(
            graded,
            f"No Stage 2 check could be assessed from the records (none of {len(checks)}): they give no basis "
            "for a certification recommendation. Import the SMS registers (itsms-graph template) or sample the "
            "evidence directly; the checks and what each lacks are listed under Not assessable.",
            blocking,
            needs_plan,
            na,
            dq,
        )
    elif any(r.status is Status.NOT_ASSESSABLE for r in checks):
        answered = sum(r.status is not Status.NOT_ASSESSABLE for r in checks)
        summary = (
            f"No nonconformity is evident in the {answered} of {len(checks)} Stage 2 checks the records could "
            "answer: a certification recommendation is possible only once the evidence for the others has "
            "been sampled, and subject to what interviews and observation, which records cannot replace, show."
        )
    else:
        summary = (
            "No nonconformity is evident in the records: a certification recommendation is possible, "
            "subject to what interviews and observation, which records cannot replace, show."
        )
    if na:
        summary += (
            f" {len(na)} check(s) could not be assessed from the records ("
            + ", ".join(r.query.id for r in na)
            + "): the auditor must sample that evidence directly."
        )
    return Stage2Verdict(graded, summary, blocking, needs_plan, na, dq)

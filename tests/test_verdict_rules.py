"""Every verdict rule of the audit layer on its boundary: a rate exactly at the threshold, a count exactly at the
minimum, spread over exactly the threshold of services or teams, an own nonconformity raised on the as-of date,
a Stage 1 with only not-assessable checks, a gate with persisting findings, the sampling rule's worked values.

The audit layer is pure, so the cases are built from query results and record facts alone: no graph, no engine.
Flipping any comparison in itsms_graph/audit/ fails one of them, or one of the audit's other tests:
``make mutation`` (benchmarks/mutation.py) shows it, mutant by mutant, in benchmarks/RESULTS-mutation.md.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from itsms_graph.audit.attributes import (
    detection_chance,
    none_drawn,
    upper_deviation_limit,
    zero_failure_size,
)
from itsms_graph.audit.diff import FindingRef, diff_findings
from itsms_graph.audit.facts import Facts, RaisedNonconformity, Record
from itsms_graph.audit.nonconformity import Escalation
from itsms_graph.audit.report import build_report
from itsms_graph.audit.sampling import Conclusion, Judged, SampleFinding
from itsms_graph.audit.verdict import stage1, stage2
from itsms_graph.errors import ItsmsError
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.results import QueryResult, Status, findings_for

PERIOD = AuditPeriod.parse("2025-06-30")
CATALOGUE = load_catalogue()
MINOR = "change-implemented-without-approval"  # minor, Stage 2, 8.5.1.3


def failing(query_id: str, failing_ids: list[str], population: int | None = None) -> QueryResult:
    """A result of *query_id* failing on *failing_ids*, out of *population* records (the failing ones first)."""
    query = CATALOGUE[query_id]
    rows = [(i,) for i in failing_ids] if query.expect == "none" else []
    ids = [*failing_ids, *(f"{query.nodes[0].label}:OK{i}" for i in range((population or 0) - len(failing_ids)))]
    return QueryResult(
        query,
        Status.FAIL,
        findings_for(query, rows),
        population=tuple(sorted(ids)) if query.expect == "none" else None,
    )


def passing(query_id: str) -> QueryResult:
    query = CATALOGUE[query_id]
    return QueryResult(query, Status.PASS, population=() if query.expect == "none" else None)


def unknown(query_id: str) -> QueryResult:
    return QueryResult(CATALOGUE[query_id], Status.NOT_ASSESSABLE, missing_data=["no Document records"])


def changes(n: int) -> list[str]:
    return [f"Change:C{i}" for i in range(n)]


def report(*results: QueryResult, facts: Facts | None = None, fail_on: str = "major"):
    return build_report(list(results), period=PERIOD, engine="networkx", inputs=[], facts=facts, fail_on=fail_on)


def facts_with(**records: Record) -> Facts:
    return Facts(records={r.id: r for r in records.values()})


def the_nc(verdict):
    [nc] = verdict.nonconformities
    return nc


# --- escalation on the rate ---------------------------------------------------------------------------------------


def test_a_rate_exactly_at_the_threshold_escalates():
    nc = the_nc(stage2(report(failing(MINOR, changes(3), population=15))))  # 3 / 15 = 20 %
    assert nc.grade == "major" and nc.escalation[0].startswith("systemic: 3 of 15 records fail (20%")


def test_a_rate_just_below_the_threshold_stays_minor():
    nc = the_nc(stage2(report(failing(MINOR, changes(3), population=16))))  # 18.75 %
    assert (nc.grade, nc.escalation) == ("minor", [])


def test_a_count_exactly_at_the_minimum_escalates_and_one_below_does_not():
    assert the_nc(stage2(report(failing(MINOR, changes(3), population=3)))).grade == "major"
    assert the_nc(stage2(report(failing(MINOR, changes(2), population=2)))).grade == "minor"  # 100 %, but 2


def test_the_thresholds_are_parameters():
    result = failing(MINOR, changes(2), population=4)
    assert the_nc(stage2(report(result), escalation=Escalation(rate=0.5, minimum=2))).grade == "major"
    assert the_nc(stage2(report(result), escalation=Escalation(rate=0.51, minimum=2))).grade == "minor"
    assert "tool heuristic" in Escalation().describe()


def test_failures_are_counted_per_distinct_subject_not_per_row():
    """One management review missing three inputs is one failing record, not three (the issue's counterexample)."""
    query = CATALOGUE["management-review-missing-inputs"]
    rows = [("ManagementReview:M1", topic) for topic in ("audit_results", "customer_feedback", "risks")]
    result = QueryResult(query, Status.FAIL, findings_for(query, rows), population=("ManagementReview:M1",))
    verdict = stage2(report(result))
    nc = the_nc(verdict)
    assert (nc.failing, nc.findings, nc.grade, verdict.counts()) == (1, 3, "minor", {"major": 0, "minor": 1, "ofi": 0})
    assert "3 finding(s)" in verdict.reconciliation() and "1 distinct record(s)" in verdict.reconciliation()


# --- escalation on spread and impact --------------------------------------------------------------------------------


def spread_facts(services: list[str] = (), teams: list[str] = (), n: int = 3) -> Facts:  # type: ignore[assignment]
    return facts_with(
        **{
            f"c{i}": Record(
                f"Change:C{i}",
                "Change",
                services=(services[i % len(services)],) if services else (),
                teams=(teams[i % len(teams)],) if teams else (),
            )
            for i in range(n)
        }
    )


@pytest.mark.parametrize("kind", ["services", "teams"])
def test_spread_over_exactly_two_services_or_teams_escalates(kind):
    result = failing(MINOR, changes(5), population=100)  # 5 %: not on the rate
    two = stage2(report(result, facts=spread_facts(**{kind: ["A", "B"]}, n=5)))
    assert the_nc(two).grade == "major" and the_nc(two).escalation[0].startswith(
        f"spread: 5 failing records across 2 {kind}"
    )
    one = stage2(report(result, facts=spread_facts(**{kind: ["A"]}, n=5)))
    assert the_nc(one).grade == "minor"


def test_spread_needs_its_minimum_count_exactly():
    """Three unapproved changes of 808 on three services are isolated lapses, not a process failing."""
    result = failing(MINOR, changes(4), population=100)
    assert the_nc(stage2(report(result, facts=spread_facts(services=["A", "B"], n=4)))).grade == "minor"
    assert (
        the_nc(
            stage2(
                report(result, facts=spread_facts(services=["A", "B"], n=4)), escalation=Escalation(spread_minimum=4)
            )
        ).grade
        == "major"
    )


def test_a_failure_linked_to_a_major_incident_escalates_alone():
    facts = facts_with(c0=Record("Change:C0", "Change", major_incidents=("Incident:I1",)))
    nc = the_nc(stage2(report(failing(MINOR, changes(1), population=100), facts=facts)))
    assert nc.grade == "major" and nc.escalation == [
        "significant impact: failing records linked to a major incident (Change:C0 - Incident:I1)"
    ]


def test_the_organisations_own_nonconformity_withholds_rate_and_spread_but_not_impact():
    raised = {"8.5.1.3": [RaisedNonconformity("Nonconformity:N1", "8.5.1.3", "2025-06-30")]}
    nc = the_nc(stage2(report(failing(MINOR, changes(3), population=3), facts=Facts(raised=raised))))
    assert nc.grade == "minor" and nc.credit[0].startswith(
        "not escalated on rate or spread: the organisation raised Nonconformity:N1 against 8.5.1.3 on 2025-06-30"
    )
    on_parent = {"8.5.1": [RaisedNonconformity("Nonconformity:N2", "8.5.1", "2025-01-01")]}
    assert the_nc(stage2(report(failing(MINOR, changes(3), population=3), facts=Facts(raised=on_parent)))).credit
    elsewhere = {"8.5.1.1": [RaisedNonconformity("Nonconformity:N3", "8.5.1.1", "2025-01-01")]}
    assert the_nc(stage2(report(failing(MINOR, changes(3), population=3), facts=Facts(raised=elsewhere)))).escalated
    impact = Facts(
        records={"Change:C0": Record("Change:C0", "Change", major_incidents=("Incident:I1",))}, raised=raised
    )
    assert the_nc(stage2(report(failing(MINOR, changes(3), population=3), facts=impact))).grade == "major"


def test_a_major_query_stays_major_and_an_ofi_is_never_escalated():
    major = the_nc(stage2(report(failing("continuity-plan-not-tested", ["Document:BCP"], population=5))))
    assert (major.grade, major.escalation) == ("major", [])
    query = CATALOGUE[MINOR].model_copy(update={"grade": "ofi"})
    rows = [(i,) for i in changes(5)]
    ofi = QueryResult(query, Status.FAIL, findings_for(query, rows), population=tuple(changes(5)))
    verdict = stage2(report(ofi))
    assert (the_nc(verdict).grade, verdict.counts()) == ("ofi", {"major": 0, "minor": 0, "ofi": 1})
    assert verdict.summary.startswith("No nonconformity is evident")


# --- roll-up per requirement --------------------------------------------------------------------------------------


def test_the_same_record_found_by_two_queries_of_a_requirement_is_one_piece_of_evidence():
    late = CATALOGUE["approval-after-implementation-start"].model_copy(update={"requirement": MINOR})
    unapproved = CATALOGUE[MINOR]
    a = QueryResult(unapproved, Status.FAIL, findings_for(unapproved, [("Change:C1",)]), population=("Change:C1",))
    b = QueryResult(late, Status.FAIL, findings_for(late, [("Change:C1",), ("Change:C2",)]), population=("Change:C2",))
    nc = the_nc(stage2(report(a, b)))
    assert [e.record.id for e in nc.evidence] == ["Change:C1", "Change:C2"]
    assert nc.evidence[0].queries == (MINOR, "approval-after-implementation-start")  # the principal query first
    assert (nc.failing, nc.findings, nc.population) == (2, 3, 2)


def test_stage2_covers_unresolved_design_gaps():
    verdict = stage2(report(failing("continuity-plan-exists", []), failing("change-policy-exists", [])))
    assert verdict.counts()["major"] == 2
    assert {nc.id for nc in verdict.nonconformities} == {
        "NC-8.5.1.1-change-policy-exists",
        "NC-8.7.2-continuity-plan-exists",
    }
    assert verdict.summary.startswith("Certification cannot be recommended: 2 major nonconformities.")


def test_minors_alone_need_a_plan():
    verdict = stage2(report(failing(MINOR, changes(1), population=100)))
    assert verdict.summary.startswith("Certification can be recommended once") and len(verdict.needs_plan) == 1


# --- Stage 1 --------------------------------------------------------------------------------------------------------

READINESS = [q.id for q in CATALOGUE.values() if q.decides_readiness]


def design_results(**overrides: QueryResult) -> list[QueryResult]:
    ids = [q.id for q in CATALOGUE.values() if q.stage == 1 or q.decides_readiness]
    return [overrides.get(i.replace("-", "_"), passing(i)) for i in ids]


def test_readiness_is_a_field_of_the_query_file():
    assert sorted(READINESS) == [
        "internal-audit-completed",
        "management-review-held",
        "scope-statement-approved",
        "sm-policy-current",
    ]


def test_stage1_with_every_check_passing_is_ready():
    assert stage1(report(*design_results())).outcome == "Ready"


def test_stage1_with_only_not_assessable_checks_cannot_be_concluded():
    ids = [q.id for q in CATALOGUE.values() if q.stage == 1 or q.decides_readiness]
    verdict = stage1(report(*(unknown(i) for i in ids)))
    assert verdict.outcome == "Cannot be concluded" and verdict.rule.startswith("Cannot be concluded: readiness")


def test_a_not_assessable_major_design_check_means_stage1_cannot_be_concluded():
    verdict = stage1(report(*design_results(continuity_plan_exists=unknown("continuity-plan-exists"))))
    assert verdict.outcome == "Cannot be concluded" and "continuity-plan-exists" in verdict.rule


def test_a_not_assessable_minor_design_check_leaves_stage1_conditionally_ready():
    verdict = stage1(report(*design_results(availability_plan_exists=unknown("availability-plan-exists"))))
    assert verdict.outcome == "Conditionally ready"


def test_a_failing_readiness_check_makes_stage1_not_ready_even_with_unknowns():
    verdict = stage1(
        report(
            *design_results(
                sm_policy_current=failing("sm-policy-current", []),
                scope_statement_approved=unknown("scope-statement-approved"),
            )
        )
    )
    assert verdict.outcome == "Not ready" and "(sm-policy-current)" in verdict.rule


def test_a_failing_major_design_check_makes_stage1_not_ready():
    verdict = stage1(report(*design_results(change_policy_exists=failing("change-policy-exists", []))))
    assert verdict.outcome == "Not ready" and "change-policy-exists" in verdict.rule


@pytest.mark.parametrize("query_id", ["scope-statement-approved", "management-review-held"])
def test_a_not_assessable_readiness_check_is_listed_once_whatever_its_stage(query_id):
    """A readiness check of Stage 1 is a design check already; one of Stage 2 (the management review) is not, and
    is added: either way it is listed once."""
    verdict = stage1(report(*design_results(**{query_id.replace("-", "_"): unknown(query_id)})))
    assert verdict.outcome == "Cannot be concluded"
    assert [r.query.id for r in verdict.not_assessable] == [query_id]


def test_stage1_concerns_are_per_requirement_and_never_graded():
    verdict = stage1(
        report(*design_results(risk_without_treatment=failing("risk-without-treatment", ["Risk:R1", "Risk:R2"], 4)))
    )
    assert verdict.outcome == "Conditionally ready"
    [concern] = verdict.concerns
    assert concern.failing == 2 and "grade" not in concern.to_dict()
    assert "1 area(s) of concern (2 record(s))" in verdict.rule


# --- the gate -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["new-critical", "all-major", "major"])
def test_a_gate_rule_outside_its_words_is_refused(rule):
    """A scope other than new or any, or a grade the tool does not give, is refused, even with the other half
    right."""
    ref = FindingRef("q:1", "q", "major", ("8.5.1.3",), ("Change:C1",), "an approval")
    with pytest.raises(ItsmsError, match=f"--fail-on {rule!r}"):
        diff_findings({}, {"q:1": ref}).gate(rule)


def test_the_check_gate_fails_exactly_at_its_grade():
    result = failing(MINOR, changes(1), population=5)
    assert report(result, fail_on="minor").gate_failed()
    assert not report(result, fail_on="major").gate_failed()
    assert not report(result, fail_on="none").gate_failed()


def test_the_cycle_gate_with_persisting_findings():
    ref = FindingRef("q:1", "q", "major", ("8.5.1.3",), ("Change:C1",), "an approval")
    d = diff_findings({"q:1": ref}, {"q:1": ref})
    assert d.persisting == [ref] and d.new == []
    assert not d.gate("new-major") and d.gate("any-major") and d.gate("any-minor")
    minor = FindingRef("q:2", "q", "minor", ("8.5.1.3",), ("Change:C2",), "an approval")
    d = diff_findings({"q:2": minor}, {"q:2": minor})
    assert not d.gate("any-major") and d.gate("any-minor")


# --- sampling -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "size"), [(1, 1), (10, 10), (20, 16), (25, 16), (30, 19), (50, 22), (100, 25), (200, 27), (500, 28)]
)
def test_zero_failure_sizes_are_the_hypergeometric_worked_values(population, size):
    assert zero_failure_size(population) == size
    deviating = -(-population // 10)
    assert none_drawn(population, deviating, size) <= 0.05  # the rule holds at n
    if size > 1:
        assert none_drawn(population, deviating, size - 1) > 0.05  # and n is the smallest


def test_sample_sizes_tend_to_the_large_population_value_and_take_options():
    assert zero_failure_size(100_000) == 29 and zero_failure_size(0) == 0
    assert zero_failure_size(100, confidence=0.90) < 25 < zero_failure_size(100, tolerable=0.05)


def test_detection_chance_is_exact_and_certain_when_the_sample_leaves_no_room():
    assert detection_chance(25, 1, 25) == 1.0  # the "64 %" for a population of 25
    assert detection_chance(25, 10, 16) == 1.0  # 16 > 25 - 10: a failing one must be drawn
    assert detection_chance(25, 1, 16) == pytest.approx(16 / 25)
    assert detection_chance(25, 0, 16) == 0.0


def test_upper_deviation_limit_and_the_conclusion_on_the_boundary():
    assert upper_deviation_limit(100, 25, 0) == pytest.approx(0.10)  # at the zero-failure size: exactly tolerable
    assert Conclusion(100, 25, 0, 0.95, 0.10).accept  # a limit equal to the tolerable rate accepts
    assert not Conclusion(100, 24, 0, 0.95, 0.10).accept  # one record fewer: the limit exceeds it
    assert not Conclusion(100, 25, 1, 0.95, 0.10).accept
    assert upper_deviation_limit(25, 25, 0) == 0.0 and upper_deviation_limit(25, 25, 2) == pytest.approx(0.08)
    assert "reject" in Conclusion(100, 25, 1, 0.95, 0.10).describe()


def test_a_worksheet_concludes_only_when_complete():
    found = [SampleFinding("sample:1", "Change:C1", "nonconformity", "", 3)]
    assert Judged(found, [], population=100, drawn=25).conclude().deviations == 1  # type: ignore[union-attr]
    assert Judged(found, ["Change:C2"], population=100, drawn=25).conclude() is None
    assert Judged(found, [], population=None, drawn=25).conclude() is None


# --- time -----------------------------------------------------------------------------------------------------------


def test_the_report_states_the_cut_off():
    facts = Facts(cut_off=dt.date(2025, 6, 30))
    assert report(facts=facts).provenance()[2] == "data cut-off 2025-06-30"
    assert report(facts=facts).to_dict()["audit_period"]["data_cut_off"] == "2025-06-30"


# --- what is apart: data quality and not assessable; the words of a nonconformity -----------------------------------


def test_data_quality_is_listed_apart_and_cites_no_clause():
    dq = failing("change-closed-without-actual-end", changes(2), population=10)
    verdict = stage2(report(dq, failing(MINOR, changes(1), population=100), unknown("unresolved-reference")))
    assert [nc.queries for nc in verdict.nonconformities] == [(MINOR,)]
    assert [f.query for f in verdict.data_quality] == ["change-closed-without-actual-end"] * 2
    assert all("clauses" not in d for d in verdict.to_dict()["data_quality"])
    assert verdict.not_assessable == []  # a data-quality check is no requirement left unanswered
    s1 = stage1(report(*design_results(), dq))
    assert [f.query for f in s1.data_quality] == ["change-closed-without-actual-end"] * 2 and s1.outcome == "Ready"


def test_the_summary_names_the_unanswered_checks_unless_none_was_answered():
    some = stage2(report(passing(MINOR), unknown("continuity-plan-exists")))
    assert some.summary.endswith(
        "1 check(s) could not be assessed from the records (continuity-plan-exists): the auditor must sample that "
        "evidence directly."
    )
    none = stage2(report(unknown(MINOR), unknown("continuity-plan-exists")))
    assert none.summary.startswith("No check could be assessed") and "must sample that evidence" not in none.summary


def test_the_words_of_a_nonconformity():
    verdict = stage2(report(failing(MINOR, changes(1), population=4), failing("change-policy-exists", [])))
    policy, approvals = verdict.nonconformities
    assert policy.requirement_text == "ISO/IEC 20000-1:2018 8.5.1.1 Change management policy"
    assert policy.statement.endswith(": no record shows it (an approved change management policy).")
    assert approvals.requirement_text == "ISO/IEC 20000-1:2018 8.5.1.3 Change management activities"
    assert approvals.statement.endswith(": 1 of 4 Change records the requirement applies to.")
    assert "roll up into 2 nonconformities and OFIs" in verdict.reconciliation()
    one = stage2(report(failing(MINOR, changes(1), population=4)))
    assert "roll up into 1 nonconformity and OFIs" in one.reconciliation()
    query = CATALOGUE[MINOR]  # records, but no population to count them against
    rows = QueryResult(query, Status.FAIL, findings_for(query, [(i,) for i in changes(2)]), population=None)
    assert the_nc(stage2(report(rows))).statement == f"{query.title}: 2 record(s)."


def test_a_nonconformity_of_one_query_takes_its_title_and_one_of_several_the_requirement_s():
    """A title must be true of every record it heads: a nonconformity whose records one query found takes that
    query's title; one that rolls up several queries of a requirement takes the requirement's own title (the
    ``requirement_title`` its query files share), not the principal query's (an approval recorded late is no
    change "without an approval record")."""
    late = CATALOGUE["approval-after-implementation-start"]
    unapproved = CATALOGUE[MINOR]
    assert late.family == MINOR  # the query file says so
    a = QueryResult(unapproved, Status.FAIL, findings_for(unapproved, [("Change:C1",)]), population=("Change:C1",))
    b = QueryResult(late, Status.FAIL, findings_for(late, [("Change:C2",), ("Change:C3",)]), population=())
    assert the_nc(stage2(report(a))).title == unapproved.title
    assert the_nc(stage2(report(b))).title == late.title
    both = the_nc(stage2(report(a, b)))
    assert both.title == unapproved.requirement_title == late.requirement_title
    assert both.title not in (unapproved.title, late.title)
    assert both.statement.startswith(both.title)


def test_queries_sharing_a_requirement_without_its_title_are_named_by_each_failure_the_gravest_first():
    """A user's own queries may share a requirement without stating its title: the nonconformity names each
    failure, the most severe first, the one with the most failing records first among equals."""
    late, unapproved = CATALOGUE["approval-after-implementation-start"], CATALOGUE[MINOR]
    grave = late.model_copy(update={"grade": "major", "requirement": "approvals", "requirement_title": None})
    plain = unapproved.model_copy(update={"requirement": "approvals", "requirement_title": None})
    c = QueryResult(grave, Status.FAIL, findings_for(grave, [("Change:C2",)]), population=())
    d = QueryResult(
        plain, Status.FAIL, findings_for(plain, [("Change:C4",), ("Change:C5",), ("Change:C6",)]), population=()
    )
    assert the_nc(stage2(report(c, d))).title == f"{late.title}; {unapproved.title}"  # the major one first
    e_query = late.model_copy(update={"requirement": "approvals", "requirement_title": None})
    e = QueryResult(e_query, Status.FAIL, findings_for(e_query, [("Change:C2",), ("Change:C3",)]), population=())
    assert the_nc(stage2(report(e, d))).title == f"{unapproved.title}; {late.title}"  # equals: more records first
    same = plain.model_copy(update={"id": "my-other-check"})
    f = QueryResult(same, Status.FAIL, findings_for(same, [("Change:C7",)]), population=())
    assert the_nc(stage2(report(d, f))).title == unapproved.title  # one title, said once


@pytest.mark.parametrize(
    "family",
    sorted({q.family for q in CATALOGUE.values() if sum(p.family == q.family for p in CATALOGUE.values()) > 1}),
)
def test_every_shipped_requirement_of_several_queries_states_one_title_of_its_own(family):
    members = [q for q in CATALOGUE.values() if q.family == family]
    titles = {q.requirement_title for q in members}
    assert len(titles) == 1 and None not in titles, f"{family}: its queries state one requirement_title: {titles}"
    assert titles.isdisjoint({q.title for q in members}), f"{family}: the requirement's title is its own"


def test_evidence_names_the_other_records_of_its_rows_never_itself():
    query = CATALOGUE["uncontrolled-change-caused-incident"]
    rows = [("Change:C1", "Incident:I1"), ("Change:C1", "Incident:I2")]
    result = QueryResult(query, Status.FAIL, findings_for(query, rows), population=("Change:C1",))
    [evidence] = the_nc(stage2(report(result))).evidence
    assert evidence.related == ("Incident:I1", "Incident:I2")
    assert len(evidence.findings) == 2


@pytest.mark.parametrize(("services", "shown"), [(5, "A, B, C, D, E; "), (6, "A, B, C, D, E, ...; ")])
def test_a_spread_names_at_most_five_services(services, shown):
    names = [chr(ord("A") + i) for i in range(services)]
    nc = the_nc(stage2(report(failing(MINOR, changes(6), 100), facts=spread_facts(services=names, n=6))))
    assert nc.escalated
    assert f"across {services} services ({shown}" in nc.escalation[0]


def test_empty_samples_and_populations_conclude_nothing():
    assert detection_chance(10, 0, 5) == 0.0 and detection_chance(10, 3, 0) == 0.0
    assert upper_deviation_limit(0, 0, 0) == 1.0 and upper_deviation_limit(10, 0, 0) == 1.0


def test_the_audit_layer_imports_no_rendering_and_no_engine():
    """The verdicts read the check report alone: no module of itsms_graph/audit imports itsms_graph.reports (the
    renderings import the audit, not the other way round) or an engine at module level."""
    import ast
    from pathlib import Path

    import itsms_graph.audit

    for path in sorted(Path(itsms_graph.audit.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = [
            node.module or ""
            for node in tree.body  # module level only: a lazy writer of XLSX files is no import cycle
            if isinstance(node, ast.ImportFrom)
        ]
        assert not [m for m in imported if m.startswith(("itsms_graph.reports", "itsms_graph.engines"))], path.name


def test_an_unapproved_change_that_caused_an_incident_is_one_piece_of_evidence_of_one_nonconformity():
    """The same event found by two queries (unapproved; caused an incident on an in-scope service) is one piece of
    evidence of one nonconformity, graded by the graver query, not two nonconformities."""
    unapproved = CATALOGUE[MINOR]
    caused = CATALOGUE["uncontrolled-change-caused-incident"]
    assert caused.family == MINOR and caused.clauses == ("8.5.1",)
    a = QueryResult(
        unapproved,
        Status.FAIL,
        findings_for(unapproved, [("Change:C1",), ("Change:C2",)]),
        population=tuple(changes(10)),
    )
    row = ("Change:C2", "Incident:I1")
    b = QueryResult(caused, Status.FAIL, findings_for(caused, [row]), population=("Change:C2",))
    verdict = stage2(report(b, a))
    nc = the_nc(verdict)
    assert (nc.id, nc.clauses, nc.grade, nc.query_grade) == (
        f"NC-8.5.1.3-{MINOR}",
        ("8.5.1.3", "8.5.1"),
        "major",
        "major",
    )
    assert [(e.record.id, e.queries) for e in nc.evidence] == [
        ("Change:C1", (MINOR,)),
        ("Change:C2", (MINOR, "uncontrolled-change-caused-incident")),
    ]
    assert (nc.failing, nc.findings, nc.population) == (2, 3, 10)


def test_a_monthly_and_a_quarterly_sla_without_reports_are_one_nonconformity_of_the_reporting_requirement():
    """sla-quarterly-report-missing tests the requirement sla-report-missing tests (the SLA reported at its planned
    intervals): their gaps roll up into one nonconformity over both populations, titled by the requirement (the
    monthly check's title would say the quarterly SLA missed a month)."""
    monthly, quarterly = CATALOGUE["sla-report-missing"], CATALOGUE["sla-quarterly-report-missing"]
    assert quarterly.family == monthly.id and quarterly.clauses == monthly.clauses and quarterly.grade == "minor"
    a = QueryResult(
        monthly,
        Status.FAIL,
        findings_for(monthly, [("SLA:M1", "2025-02")]),
        population=("SLA:M1", "SLA:M2", "SLA:M3", "SLA:M4", "SLA:M5", "SLA:M6"),
    )
    b = QueryResult(
        quarterly,
        Status.FAIL,
        findings_for(quarterly, [("SLA:Q1", "2024-10"), ("SLA:Q1", "2025-01")]),
        population=("SLA:Q1", "SLA:Q2", "SLA:Q3", "SLA:Q4"),
    )
    nc = the_nc(stage2(report(b, a)))
    assert (nc.id, nc.clauses) == ("NC-8.3.3-sla-report-missing", ("8.3.3", "9.4"))
    # a title true of both: no report for a month of one SLA, for a quarter of another
    assert nc.title == "SLA without a service report for a reporting period (a month or a quarter) of the audit period"
    assert the_nc(stage2(report(b))).title == quarterly.title  # the quarterly gaps alone: the quarterly title
    assert [(e.record.id, e.queries) for e in nc.evidence] == [
        ("SLA:M1", ("sla-report-missing",)),
        ("SLA:Q1", ("sla-quarterly-report-missing",)),
    ]
    assert (nc.failing, nc.findings, nc.population, nc.grade) == (2, 3, 10, "minor")


def test_the_sampling_rules_hold_exactly_on_their_boundary():
    """N = 20 at 5 %: one deviating record, and a sample of 19 misses it with probability exactly 1/20 = 1 - 95 %:
    19 is the size (not 20), and finding none in 19 gives an upper limit of exactly 5 % (not 10 %)."""
    assert none_drawn(20, 1, 19) == Fraction(1, 20)
    assert zero_failure_size(20, confidence=0.95, tolerable=0.05) == 19
    assert upper_deviation_limit(20, 19, 0, confidence=0.95) == 0.05
    assert Conclusion(20, 19, 0, 0.95, 0.05).accept


def test_a_cycle_diff_reads_only_itsms_graph_reports(tmp_path):
    from itsms_graph.audit.diff import load_report

    ours = tmp_path / "ours.json"
    ours.write_text('{"tool": {"name": "itsms-graph"}, "results": []}')
    assert load_report(ours)["results"] == []
    theirs = tmp_path / "theirs.json"
    theirs.write_text('{"tool": {"name": "another-tool"}, "results": []}')
    with pytest.raises(ItsmsError, match="not an itsms-graph JSON check report"):
        load_report(theirs)

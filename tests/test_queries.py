"""Canned query semantics on the embedded engine, against expectations worked out by hand from the fixtures."""

from __future__ import annotations

import gc
import re
import weakref
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsms_graph.engines import EmbeddedEngine
from itsms_graph.errors import ItsmsError, QueryDefinitionError
from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.definition import load_query_file
from itsms_graph.queries.plan import AuditPeriod, add_months
from itsms_graph.queries.results import Status
from itsms_graph.queries.run import run_queries
from tests import fixtures
from tests.conftest import TEST_QUERIES


def results_of(graph, period=fixtures.PERIOD, dirs=()):
    catalogue = load_catalogue(dirs)
    return {
        r.query.id: r
        for r in run_queries(EmbeddedEngine(graph), catalogue.values(), period, declared_labels=graph.declared_labels)
    }


def test_catalogue_ships_the_nine_core_queries():
    assert set(load_catalogue()) >= {
        "scope-statement-approved",
        "sm-policy-current",
        "service-delivered-not-in-catalogue",
        "service-delivered-outside-scope",
        "policy-without-records",
        "change-implemented-without-approval",
        "uncontrolled-change-caused-incident",
        "internal-audit-completed",
        "management-review-held",
    }


def test_every_query_is_not_assessable_on_an_empty_graph():
    results = results_of(fixtures.empty())
    assert {r.status for r in results.values()} == {Status.NOT_ASSESSABLE}
    assert results["change-implemented-without-approval"].missing_data == ["no Change records", "no Approval records"]


def test_what_is_missing_is_said_once_and_alternatives_only_for_what_is_left_open():
    results = results_of(fixtures.empty())
    # the scope needs a Scope in every alternative: said once, and the "or" names only the remaining choice
    assert results["scope-names-services-and-units"].missing_data == [
        "no Document records",
        "no Scope records",
        "no Service records",
        "no Location or OrganisationalUnit records",
    ]


def test_absent_approvals_make_the_approval_query_not_assessable_never_a_pass():
    r = results_of(fixtures.missing_approvals())["change-implemented-without-approval"]
    assert r.status is Status.NOT_ASSESSABLE
    assert r.missing_data == ["no Approval records"]


def test_a_declared_but_empty_register_is_evidence_of_absence():
    r = results_of(fixtures.declared_empty_approvals())["change-implemented-without-approval"]
    assert r.status is Status.FAIL
    assert [f.subjects for f in r.findings] == [("Change:C1",), ("Change:C2",)]


@pytest.fixture(scope="module")
def boundary_results():
    return results_of(fixtures.boundaries())


@pytest.mark.parametrize(
    ("query_id", "status", "rows"),
    [
        # actual_start in [2024-07-01T00:00:00, 2025-07-01T00:00:00); rejected approvals do not count
        (
            "change-implemented-without-approval",
            Status.FAIL,
            [("Change:C-first",), ("Change:C-last",), ("Change:C-rejected",)],
        ),
        # C-first caused I-u on S-in (in scope); C-rejected's incident is on S-ext (outside scope)
        ("uncontrolled-change-caused-incident", Status.FAIL, [("Change:C-first", "Incident:I-u")]),
        # S-nocat: incident at the first instant of the period; S-sla: SLA valid on the period's first day;
        # S-ext: an incident in the period (scope does not matter here)
        (
            "service-delivered-not-in-catalogue",
            Status.FAIL,
            [("Service:S-ext",), ("Service:S-nocat",), ("Service:S-sla",)],
        ),
        # S-out is catalogued and outside the scope, but its only incident is before the period
        ("service-delivered-outside-scope", Status.PASS, []),
        # the only completed audit was on 2024-06-29: 12 months and a day before as-of, outside the interval
        ("internal-audit-completed", Status.FAIL, []),
        # the review on 2024-07-01 is the first day inside the interval
        ("management-review-held", Status.PASS, [("ManagementReview:M1",)]),
        # approved on the as-of date itself
        ("scope-statement-approved", Status.PASS, [("Document:SCOPE",)]),
        # approved 12 months and a day before as-of: outside the review interval
        ("sm-policy-current", Status.FAIL, []),
        # P1's only record is the day before the period; P3 is approved after as-of, so not yet in force
        ("policy-without-records", Status.FAIL, [("Document:P1",)]),
    ],
)
def test_boundaries_of_the_audit_period(boundary_results, query_id, status, rows):
    result = boundary_results[query_id]
    assert result.status is status
    assert result.rows == rows


def test_existence_failures_are_findings_against_the_clause(boundary_results):
    [finding] = boundary_results["internal-audit-completed"].findings
    assert finding.subjects == ("Clause:9.2",)
    assert finding.grade == "major"
    assert finding.message == "Clause:9.2: missing an internal audit completed within the audit interval"


def test_findings_name_the_chain_and_have_stable_ids(boundary_results):
    [finding] = boundary_results["uncontrolled-change-caused-incident"].findings
    assert [str(h) for h in finding.chain] == [
        "Incident:I-u -[:CAUSED_BY]-> Change:C-first",
    ]
    again = results_of(fixtures.boundaries())["uncontrolled-change-caused-incident"].findings[0]
    assert finding.id == again.id and finding.id.startswith("uncontrolled-change-caused-incident:")


def test_cycles_never_reuse_a_relationship_within_a_pattern():
    results = results_of(fixtures.cycles(), dirs=[TEST_QUERIES])
    assert results["test-dependency-cycle"].rows == [
        ("Service:S1", "Service:S2", "Service:S1"),
        ("Service:S2", "Service:S1", "Service:S2"),
    ]
    assert results["test-shared-incident"].rows == [
        ("Change:C1", "Incident:I1", "Change:C2"),
        ("Change:C2", "Incident:I1", "Change:C1"),
    ]
    # one incident of two in-scope services is one row: the change and the incident it caused
    assert results["uncontrolled-change-caused-incident"].rows == [("Change:C1", "Incident:I1")]


def test_parameters_change_the_window():
    period = fixtures.PERIOD
    catalogue = load_catalogue()
    graph = fixtures.boundaries()
    [r] = run_queries(EmbeddedEngine(graph), [catalogue["sm-policy-current"]], period, {"policy_review_interval": "13"})
    assert r.status is Status.PASS


def test_audit_period_arithmetic():
    assert AuditPeriod.parse("2025-06-30", "12M").start.isoformat() == "2024-07-01"
    assert AuditPeriod.parse("2024-02-29", "1Y").start.isoformat() == "2023-03-01"
    assert AuditPeriod.parse("2025-06-30", "30D").start.isoformat() == "2025-06-01"
    assert add_months(__import__("datetime").date(2024, 3, 31), -1).isoformat() == "2024-02-29"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: bad\n", "title"),
        ("{}", "id"),
        ("unknown_key: 1\n", "unknown_key"),
    ],
)
def test_malformed_query_files_are_named(tmp_path: Path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(QueryDefinitionError, match=message) as exc:
        load_query_file(path)
    assert str(path) in str(exc.value)


CHANGES = "match: [{node: s, label: Service}, {rel: AFFECTS, dir: in}, {node: c, label: Change}]\n"
BASE = """id: q
title: t
clauses: ["8.5.1"]
stage: 2
grade: minor
rationale: r
remediation: m
missing: x
expect: none
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("match: [{node: c, label: Nope}]\n", "label 'Nope' is not in the ontology"),
        # a query file's unknown names get the nearest valid ones, as profiles' and the store's do (#19.3)
        ("match: [{node: c, label: Chnage}]\n", "label 'Chnage' is not in the ontology (did you mean 'Change'?)"),
        (
            "match: [{node: c, label: Change, where: [{prop: actual_strat, op: not_null}]}]\n",
            "no property 'actual_strat' (did you mean 'actual_start'",
        ),
        (
            "match: [{node: c, label: Change}, {rel: CAUSEDBY, dir: in}, {node: i, label: Incident}]\n",
            "relationship type 'CAUSEDBY' is not in the ontology (did you mean 'CAUSED_BY'",
        ),
        (
            "match: [{node: c, label: Change}, {rel: CAUSED_BY, dir: in}, {node: i, label: Incident, where: "
            "[{prop: opened_at, op: le, ref: c.actual_strat}]}]\n",
            "ref 'c.actual_strat': the ontology gives Change no property 'actual_strat' (did you mean 'actual_start'",
        ),
        ("match: [{node: c, label: Change, where: [{prop: colour, op: eq, value: red}]}]\n", "no property 'colour'"),
        (
            "match: [{node: c, label: Change}, {rel: APPROVES, dir: out}, {node: a, label: Approval}]\n",
            "does not allow (Change)-[:APPROVES]->(Approval)",
        ),
        ("match: [{node: a, label: Approval, where: [{prop: decision, op: eq, value: maybe}]}]\n", "no value 'maybe'"),
        ("match: [{node: c, label: Change, where: [{prop: risk, op: in_period}]}]\n", "not a date"),
        (
            "match: [{node: c, label: Change, where: [{prop: risk, op: is_null, or_null: true}]}]\n",
            "or_null with op is_null says nothing",
        ),
        (
            "parameters: {lag: {type: months, default: 1, description: d}}\n"
            "match: [{node: s, label: SLA}]\neach: {as: month, param: months_in_period, due_after: lag}\n",
            "each due_after 'lag': a days parameter",
        ),
        (
            "parameters: {lag: {type: months, default: 1, description: d}}\n"
            "match: [{node: s, label: SLA}]\neach: {as: quarter, param: quarters_in_period, due_after: lag}\n",
            "each due_after 'lag': a days parameter",
        ),
        (
            "parameters: {lag: {type: days, default: 1, description: d}, qs: {type: list, default: [], description: d}}\n"
            "match: [{node: s, label: SLA}]\neach: {as: quarter, param: qs, due_after: lag}\n",
            "with months_in_period or quarters_in_period only",
        ),
        (
            "match: [{node: s, label: SLA, where: [{prop: valid_from, op: quarter_eq, value: 2025-Q1}]}]\n",
            "'2025-Q1' is not a month (YYYY-MM)",
        ),
        (
            "match: [{node: s, label: SLA, where: [{prop: reporting_period, op: quarter_eq, value: 2025-01}]}]\n",
            "quarter_eq needs a date or datetime; reporting_period is a string",
        ),
        (
            "match: [{node: s, label: SLA, where: [{prop: valid_from, op: month_le, other: valid_to}]}]\n",
            "month_le compares with a month: a value, param, date or the each var",
        ),
        (
            "parameters: {n: {type: days, default: 3, description: d}}\n"
            + CHANGES
            + "having: {count: c, at_least: n}\n",
            "having compares with 'n': a declared integer parameter",
        ),
        (CHANGES + "having: {count: c, at_least: missing}\n", "having compares with 'missing'"),
        (CHANGES + "having: {count: x}\n", "having names 'x', which match does not bind"),
        (CHANGES + "having: {count: s}\n", "having counts a variable other than its group"),
        (CHANGES + "having: {count: c}\n", "having needs at_least, share or both"),
        (
            "parameters: {p: {type: integer, default: 20, description: d}}\n"
            + CHANGES
            + "having: {count: c, share: {where: [{prop: colour, op: eq, value: 1}], op: ge, percent: p}}\n",
            "the ontology gives Change no property 'colour'",
        ),
        (  # via: the CI roll-up, on the match's last relationship only, each way a path the ontology allows
            "match: [{node: s, label: Service}, {rel: AFFECTS, dir: in, via: [[{rel: PART_OF, dir: in, label: "
            "ConfigurationItem}]]}, {node: c, label: Change}, {rel: APPROVES, dir: in}, {node: a, label: Approval}]\n",
            "via goes on the match's last relationship",
        ),
        (
            "match: [{node: s, label: Service}, {rel: AFFECTS, dir: in, via: [[{rel: any, dir: in, label: "
            "ConfigurationItem}]]}, {node: c, label: Change}]\n",
            "a via step names its relationship type and label",
        ),
        (
            "match: [{node: s, label: Service}, {rel: AFFECTS, dir: in, via: [[{rel: PART_OF, dir: in, label: "
            "Supplier}]]}, {node: c, label: Change}]\n",
            "the ontology does not allow (Supplier)-[:PART_OF]->(Service)",
        ),
        (
            "match: [{node: s, label: Service}, {rel: AFFECTS, dir: in, via: [[{rel: PART_OF, dir: in, label: "
            "Clause}]]}, {node: c, label: Change}]\n",
            "the ontology does not allow (Change)-[:AFFECTS]->(Clause)",
        ),
        (
            "parameters: {p: {type: integer, default: 20, description: d}}\n"
            + CHANGES
            + "having: {count: c, share: {where: [{prop: emergency, op: eq, value: true}], op: ge, percent: p, "
            "percent_from: x.target_percent}}\n",
            "percent_from 'x.target_percent': 'x' is not a match variable",
        ),
        (
            "parameters: {p: {type: integer, default: 20, description: d}}\n"
            + CHANGES
            + "having: {count: c, share: {where: [{prop: emergency, op: eq, value: true}], op: ge, percent: p, "
            "percent_from: s.name}}\n",
            "percent_from 's.name': Service has no number property 'name'",
        ),
        (
            "parameters: {p: {type: integer, default: 20, description: d}}\nexpect: some\n"
            + CHANGES
            + "having: {count: c, share: {where: [{prop: emergency, op: eq, value: true}], op: ge, percent: p}}\n",
            "having goes with expect: none",
        ),
        (
            "parameters: {p: {type: list, description: d}}\n" + CHANGES,
            "a parameter needs a default, or missing",
        ),
        (
            "parameters: {p: {type: list, default: [a], missing: who states it, description: d}}\n" + CHANGES,
            "missing goes with a list parameter and without a default",
        ),
        (
            "parameters: {p: {type: integer, missing: who states it, description: d}}\n" + CHANGES,
            "missing goes with a list parameter and without a default",
        ),
    ],
)
def test_query_files_are_checked_against_the_ontology(tmp_path: Path, body, message):
    path = tmp_path / "q.yaml"
    path.write_text(BASE.replace("expect: none\n", "") + ("" if "expect:" in body else "expect: none\n") + body)
    with pytest.raises(QueryDefinitionError) as exc:
        load_query_file(path)
    assert message in str(exc.value)


def test_a_user_folder_cannot_silently_replace_a_shipped_query(tmp_path: Path):
    shipped = load_catalogue()["management-review-held"]
    (tmp_path / "management-review-held.yaml").write_text(
        Path(__file__).resolve().parent.parent.joinpath("queries", "management-review-held.yaml").read_text()
    )
    with pytest.raises(QueryDefinitionError, match="already defined"):
        load_catalogue([tmp_path])
    assert shipped.id == "management-review-held"


@pytest.fixture(scope="module")
def feature_results():
    return results_of(fixtures.features(), dirs=[TEST_QUERIES])


@pytest.mark.parametrize(
    ("query_id", "rows"),
    [
        # E1 reviewed 10 days after (2025-03-01 -> 03-11): in time; E2 after 11 days; E3's only review is before the
        # change ended; E4 (2024-02-28 -> 03-09, across a leap day) is 10 days: in time
        ("test-pir-within-days", [("Change:E2",), ("Change:E3",)]),
        # E2 approved at 09:00 after its 08:00 start; E4 (started 2024) approved only in 2025 by A1;
        # E3 only rejected (not "approved late"); E1 approved the day before
        ("test-approval-after-start", [("Change:E2",), ("Change:E4",)]),
        # the audit period's months are 2024-07 .. 2025-06; the report for 2025-02 is missing
        ("test-sla-monthly-report", [("SLA:SLA1", "2025-02")]),
        (
            "test-review-inputs",
            [("ManagementReview:M1", "nonconformity_status"), ("ManagementReview:M1", "service_performance")],
        ),
        # D1 has no version, D2 was due before as-of, D4 has no owner; D3 is due on the as-of date itself
        ("test-document-control", [("Document:D1",), ("Document:D2",), ("Document:D4",)]),
    ],
)
def test_the_query_language_features(feature_results, query_id, rows):
    assert feature_results[query_id].rows == rows


@pytest.fixture(scope="module")
def quarter_results():
    return results_of(fixtures.quarters(), dirs=[TEST_QUERIES])


def test_quarter_eq_holds_for_a_date_in_the_three_months_from_the_quarter_s_first(quarter_results):
    # Q1 lacks 2024-10 (its report of 2024-06-30 is the quarter before's), Q2 (from 2025-02-15) reported that day,
    # Q3 (from 2025-03-01) never; 2025-04 is not due on 2025-06-30
    assert quarter_results["test-sla-quarterly-report"].rows == [("SLA:Q1", "2024-10"), ("SLA:Q3", "2025-01")]
    # the first second of 2025-01 and the last of 2025-03, on a datetime, as the parameter's month number
    assert quarter_results["test-quarter-eq"].rows == [("Change:C-jan",), ("Change:C-mar",)]


def test_quarter_eq_with_the_each_variable_needs_months(tmp_path: Path):
    body = (TEST_QUERIES / "test-sla-quarterly-report.yaml").read_text(encoding="utf-8")
    body = body.replace("id: test-sla-quarterly-report", "id: q").replace(
        "param: quarters_in_period, due_after: due", "param: qs"
    )
    body = body.replace("parameters:\n", "parameters:\n  qs: {type: list, default: [2025-01, Q2], description: d}\n")
    (tmp_path / "q.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(ItsmsError, match=re.escape("quarter_eq with q needs months (YYYY-MM); qs holds 'Q2'")):
        results_of(fixtures.quarters(), dirs=[tmp_path])


def test_each_values_become_part_of_the_finding(feature_results):
    [finding] = feature_results["test-sla-monthly-report"].findings
    assert finding.subjects == ("SLA:SLA1", "m=2025-02")


def test_every_missing_text_names_what_is_missing():
    """A finding reads "<subject>: missing <text>": the text names the missing thing, never a negation
    ("missing no approval" said the opposite of what it meant)."""
    for query in load_catalogue().values():
        text = query.missing
        assert not text.startswith(("no ", "not ")) and " does not " not in text, (query.id, text)


def test_one_source_naming_a_missing_record_over_two_types_gives_two_findings_with_two_ids():
    graph = SMSGraph()
    incident = graph.add_node("Incident", "I1", {}, source_file="x.csv")
    change = graph.add_node("Change", "C9", {"unresolved": True}, source_file="x.csv")
    graph.add_edge("CAUSED_BY", incident, change, source_file="x.csv")
    graph.add_edge("RELATED_TO", incident, change, source_file="x.csv")
    [result] = run_queries(EmbeddedEngine(graph), [load_catalogue()["unresolved-reference"]], fixtures.PERIOD)
    assert len({f.id for f in result.findings}) == len(result.findings) == 2
    assert sorted(h.rel for f in result.findings for h in f.chain) == ["CAUSED_BY", "RELATED_TO"]


def test_has_row_answers_as_evaluate_does():
    from itsms_graph.engines.networkx.compiler import evaluate, has_row
    from itsms_graph.queries.plan import bind

    graph = fixtures.boundaries()
    for query in load_catalogue().values():
        bound = bind(query, fixtures.PERIOD)
        assert has_row(graph, bound) == bool(evaluate(graph, bound)), query.id


def test_a_graph_is_freed_as_soon_as_its_queries_and_its_last_name_are_gone():
    """Matching leaves no reference cycle behind (a closure calling itself was one): with the cyclic collector
    off, a graph is freed once nothing names it, whatever the queries walked."""
    graph = fixtures.features()
    engine = EmbeddedEngine(graph)
    results = run_queries(engine, load_catalogue().values(), AuditPeriod.parse("2025-06-30"))
    assert any(r.rows for r in results)  # the queries did walk the graph
    alive = weakref.ref(graph)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del graph, engine, results
        assert alive() is None
    finally:
        if enabled:
            gc.enable()


def test_a_having_query_examines_groups_and_finds_one_per_kept_group():
    """#18 item 2: the population of a counted check is its groups (every service with changes in the period,
    whatever its share; what an audit sample draws too), a finding is a group that passes the thresholds, its counts in the text."""
    from itsms_graph.audit.sampling import population_of

    graph = SMSGraph()
    for sid in ("S1", "S2"):
        graph.add_node("Service", sid, {"name": sid}, source_file="t.csv")
    for n, (sid, emergency) in enumerate([("S1", True), ("S1", False), ("S2", False), ("S2", False)]):
        graph.add_node("Change", f"C{n}", {"emergency": emergency, "actual_start": f"2025-01-0{n + 1}T09:00:00"},
                       source_file="t.csv")  # fmt: skip
        graph.add_edge("AFFECTS", f"Change:C{n}", f"Service:{sid}", source_file="t.csv")
    query = load_catalogue()["emergency-change-share-high"]
    params = {"emergency_change_share_minimum": 2, "emergency_change_share_percent": 50}
    [result] = run_queries(EmbeddedEngine(graph), [query], fixtures.PERIOD, params)
    assert result.population == ("Service:S1", "Service:S2")
    assert result.rows == [("Service:S1", "2", "1")]
    [finding] = result.findings
    assert finding.subjects == ("Service:S1",) and finding.chain == ()
    assert finding.missing.endswith("(1 of 2 Change records, 50%)")
    catalogue = {query.id: query}
    # a change reached through a CI of the service is one of its rows; the finding's chain leaves that hop out
    graph.add_node("ConfigurationItem", "K1", {"name": "mail01"}, source_file="t.csv")
    graph.add_edge("PART_OF", "ConfigurationItem:K1", "Service:S1", source_file="t.csv")
    graph.add_node("Change", "C9", {"emergency": True, "actual_start": "2025-01-09T09:00:00"}, source_file="t.csv")
    graph.add_edge("AFFECTS", "Change:C9", "ConfigurationItem:K1", source_file="t.csv")
    [result] = run_queries(EmbeddedEngine(graph), [query.population_query()], fixtures.PERIOD, params)
    assert ("Service:S1", "Change:C9") in result.rows
    assert all(f.chain == () for f in result.findings)
    assert population_of(graph, query.id, catalogue, fixtures.PERIOD, {}) == ["Service:S1", "Service:S2"]


def test_a_rule_only_the_organisation_states_is_shown_without_a_default():
    from click.testing import CliRunner

    from itsms_graph.cli import cli

    out = CliRunner().invoke(cli, ["query", "show", "change-approved-by-wrong-authority"]).output
    assert "parameter normal_change_authority (list, no default: the organisation states it)" in out
    assert "parameter normal_change_categories (list, default ['normal', 'Normal'])" in out


def test_a_required_step_either_way_is_held_by_a_relationship_either_way(tmp_path: Path):
    """A ``required`` step with ``dir: both`` asks whether the data links the two labels at all: a link held only
    the other way round answers it (the query is assessable); no link either way leaves it not assessable."""
    (tmp_path / "incident-problem-linked.yaml").write_text(
        "id: incident-problem-linked\ntitle: Incident not linked to a problem either way\nclauses: ['8.6.3']\n"
        "stage: 2\ngrade: minor\nrationale: r\nremediation: r\nmissing: a problem\nexpect: none\n"
        "match:\n  - {node: i, label: Incident}\n"
        "conditions:\n  - absent:\n      from: i\n      path: [{rel: RELATED_TO, dir: both, label: Problem, required: true}]\n",
        encoding="utf-8",
    )
    from itsms_graph.engines.duckdb.engine import DuckDBEngine

    query = load_query_file(tmp_path / "incident-problem-linked.yaml")

    def status(link: tuple[str, str] | None) -> Status:
        graph = SMSGraph()
        graph.add_node("Incident", "I1", {}, source_file="t.csv")
        graph.add_node("Incident", "I2", {}, source_file="t.csv")
        graph.add_node("Problem", "P1", {}, source_file="t.csv")
        if link:
            graph.add_edge("RELATED_TO", *link, source_file="t.csv")
        [result] = run_queries(EmbeddedEngine(graph), [query], fixtures.PERIOD)
        [on_duckdb] = run_queries(DuckDBEngine.from_graph(graph), [query], fixtures.PERIOD)
        assert on_duckdb.status is result.status
        return result.status

    assert status(("Incident:I1", "Problem:P1")) is Status.FAIL  # I2 is linked to no problem
    assert status(("Problem:P1", "Incident:I1")) is Status.FAIL  # held the other way round: still an answer
    assert status(None) is Status.NOT_ASSESSABLE


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec=None)), max_size=30))
def test_a_population_is_the_sorted_distinct_ids_it_was_given(ids):
    """#16: a query's population is held as one UTF-8 buffer (48 MiB of str to 16 MiB on the generated million's
    report); it still reads as the sorted distinct ids, whatever their text (lone surrogates, NUL, non-Latin)."""
    from itsms_graph.queries.results import Population

    expected = tuple(sorted(set(ids)))
    population = Population(ids)
    assert population == expected and tuple(population) == expected and len(population) == len(expected)
    assert population[1:3] == expected[1:3] and population[::-1] == expected[::-1]
    if expected:
        assert (population[0], population[-1]) == (expected[0], expected[-1])
    assert all(i in population for i in expected) and 1 not in population
    assert ("\x00absent" in population) == ("\x00absent" in expected)
    assert population != (*expected, "zz") and population == Population(reversed(ids))
    with pytest.raises(IndexError):
        population[len(expected)]


def test_a_requirements_population_counts_each_record_once_across_its_queries():
    """Two queries of one requirement that apply to overlapping records: the union counts each once (a merge of
    sorted populations, plain unsorted sequences too)."""
    from itsms_graph.queries.results import Population, distinct_count

    assert distinct_count([Population(["C3", "C1", "C2"]), Population(["C2", "C4"])]) == 4
    assert distinct_count([("C2", "C1"), Population(["C1"]), ()]) == 2
    assert distinct_count([Population()]) == 0


def test_a_query_that_is_its_own_population_query_asks_the_engine_once():
    """#16: a query whose every condition says whom it applies to is its own population query, so its rows are its
    population's rows (BPIC 2014's unresolved-reference ran its 0.1 s of SQL twice). The population taken from the
    rows equals the population query's own, query by query; the others still ask for theirs."""
    from itsms_graph.example import generate
    from itsms_graph.queries.plan import bind
    from itsms_graph.queries.results import Population

    example = generate(size=1)
    period = AuditPeriod.parse(example.as_of.isoformat())
    engine = EmbeddedEngine(example.graph)
    asked: list[str] = []

    class Counting:
        def __getattr__(self, name):
            return getattr(engine, name)

        def rows(self, bound):
            asked.append(bound.query.id)
            return engine.rows(bound)

    catalogue = load_catalogue()
    results = run_queries(Counting(), catalogue.values(), period)
    own = {q.id for q in catalogue.values() if q.expect == "none" and q.population_query() == q}
    assessed = [r for r in results if r.status is not Status.NOT_ASSESSABLE]
    assert [r for r in assessed if r.query.id in own and r.population], "the example examines no such population"
    for result in assessed:
        query = result.query
        expected = 1 if query.id in own or query.expect != "none" else 2
        assert asked.count(query.id) == expected, query.id
        if query.expect == "none":
            bare = query.population_query()
            column = bare.columns.index(query.group_variable)
            rows = engine.rows(bind(bare, period, {n: p.value for n, p in result.parameters.items()}))
            assert result.population == Population(row[column] for row in rows), query.id

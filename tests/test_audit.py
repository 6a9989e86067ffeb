"""The audit's reasoning: Stage 1 outcome rules, Stage 2 grading and summary, the corrective action plan, the
cycle diff, and reproducible sampling with a worksheet that round-trips."""

from __future__ import annotations

import csv
import hashlib
import json
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from itsms_graph.audit.attributes import zero_failure_size
from itsms_graph.audit.cap import COLUMNS, TO_FILL, plan_rows, write_plan
from itsms_graph.audit.diff import diff_findings, findings_of_report
from itsms_graph.audit.sampling import (
    WORKSHEET_COLUMNS,
    draw,
    population_of,
    read_worksheet,
    worksheet_rows,
    write_worksheet,
)
from itsms_graph.audit.verdict import stage1, stage2
from itsms_graph.check import check_graph
from itsms_graph.cli import cli
from itsms_graph.errors import InputError, ItsmsError
from itsms_graph.graph import save_snapshot
from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.catalogue import load_catalogue
from tests import fixtures
from tests.builders import SRC


def report_of(graph):
    return check_graph(graph, period=fixtures.PERIOD, fail_on="none")


def test_a_complete_design_is_ready():
    verdict = stage1(report_of(fixtures.complete_sms()))
    assert verdict.outcome == "Ready", (
        verdict.rule,
        verdict.concerns_by_clause,
        [(r.query.id, r.missing_data) for r in verdict.not_assessable],
    )
    assert verdict.rule == "Ready: every Stage 1 check passed on the records."


def test_a_minor_area_of_concern_makes_it_conditionally_ready():
    verdict = stage1(report_of(fixtures.complete_sms(drop=("risk_treatment",))))
    assert verdict.outcome == "Conditionally ready"
    assert list(verdict.concerns_by_clause) == ["6.1"]
    assert [f.subjects for f in verdict.concerns_by_clause["6.1"]] == [("Risk:R1",)]


def test_a_missing_change_policy_makes_it_not_ready():
    verdict = stage1(report_of(fixtures.complete_sms(drop=("change_policy",))))
    assert verdict.outcome == "Not ready"
    assert "change-policy-exists" in verdict.rule


def test_no_recent_internal_audit_makes_it_not_ready_and_says_why():
    verdict = stage1(report_of(fixtures.complete_sms(drop=("recent_audit",))))
    assert verdict.outcome == "Not ready"
    assert verdict.rule.startswith("Not ready: ") and "(internal-audit-completed)" in verdict.rule


def test_records_without_any_sms_register_cannot_show_readiness():
    verdict = stage1(report_of(fixtures.missing_approvals()))
    assert verdict.outcome == "Cannot be concluded" and "cannot be judged from the records" in verdict.rule


def with_changes(graph, approved: int, unapproved: int):
    for i in range(approved + unapproved):
        c = graph.add_node(
            "Change", f"K{i}", {"actual_start": "2025-02-01T10:00:00", "category": "normal"}, source_file=SRC
        )
        if i < approved:
            a = graph.add_node("Approval", f"KA{i}", {"decision": "approved"}, source_file=SRC)
            graph.add_edge("APPROVES", a, c, source_file=SRC)
    return graph


def test_isolated_failures_stay_minor_and_need_a_plan():
    graph = with_changes(fixtures.complete_sms(), approved=18, unapproved=2)
    verdict = stage2(report_of(graph))
    [nc] = [nc for nc in verdict.nonconformities if "change-implemented-without-approval" in nc.queries]
    assert (nc.grade, nc.population, nc.failing, nc.rate, nc.escalated) == ("minor", 20, 2, 0.1, False)
    # the zero-failure sample of 20 is 16; it misses both failing changes with C(18,16)/C(20,16) = 153/4845
    assert nc.sample_size == 16 and nc.detection_chance == pytest.approx(1 - 153 / 4845)
    assert verdict.summary.startswith("Certification can be recommended once the certification body accepts")


def test_systemic_failures_escalate_to_major_and_block_certification():
    graph = with_changes(fixtures.complete_sms(), approved=6, unapproved=4)
    verdict = stage2(report_of(graph))
    [nc] = [nc for nc in verdict.nonconformities if "change-implemented-without-approval" in nc.queries]
    assert (nc.grade, nc.population, nc.failing, nc.escalated) == ("major", 10, 4, True)
    assert nc.escalation[0].startswith("systemic: 4 of 10 records fail (40%")
    assert verdict.summary.startswith("Certification cannot be recommended: 1 major nonconformity.")
    assert verdict.counts()["major"] == 1  # one requirement, four records of evidence
    assert [e.record.id for e in nc.evidence] == [f"Change:K{i}" for i in range(6, 10)]
    assert len(verdict.by_clause()["8.5.1.3"]["major"]) == 4


def test_data_quality_and_not_assessable_are_listed_apart():
    graph = fixtures.missing_approvals()
    verdict = stage2(report_of(graph))
    assert [nc for nc in verdict.nonconformities if "change-implemented-without-approval" in nc.queries] == []
    assert "change-implemented-without-approval" in {r.query.id for r in verdict.not_assessable}


def test_stage2_without_assessable_checks_gives_no_basis_for_a_recommendation():
    graph = fixtures.empty()
    verdict = stage2(report_of(graph))
    assert verdict.nonconformities == [] and "recommendation is possible" not in verdict.summary
    checks = sum(q.grade != "data-quality" for q in load_catalogue().values())  # both stages: every requirement
    assert verdict.summary.startswith(f"No check could be assessed from the records (none of {checks})")


def test_stage2_without_nonconformities_is_only_as_good_as_the_checks_it_could_answer():
    graph = fixtures.complete_sms()
    report = report_of(graph)
    checks = [r for r in report.results if r.query.grade != "data-quality"]
    answered = sum(r.status.value != "not assessable" for r in checks)
    assert 0 < answered < len(checks)
    assert all(r.status.value != "fail" for r in checks)
    summary = stage2(report).summary
    assert summary.startswith(f"No nonconformity is evident in the {answered} of {len(checks)} checks")
    assert "only once the evidence for the others has been sampled" in summary


def test_corrective_action_plan(tmp_path: Path):
    graph = with_changes(fixtures.complete_sms(), approved=6, unapproved=4)
    report = report_of(graph)
    rows = plan_rows(stage2(report), fixtures.PERIOD.as_of, report.facts)
    assert len(rows) == 1 and rows[0]["grade"] == "major"  # one nonconformity, its four changes the evidence
    assert rows[0]["objective_evidence"].count("Change:K") == 4
    assert rows[0]["due_date"] == "2025-07-30"  # majors: 30 days after the audit date
    assert rows[0]["guidance"] == load_catalogue()["change-implemented-without-approval"].remediation.strip()
    assert all(rows[0][c] == "" for c in TO_FILL)  # the organisation's to write, never prescribed
    about = ["itsms-graph 9.9", "input s.itsms (snapshot) sha256 ab12"]
    for suffix in (".csv", ".md", ".xlsx"):
        write_plan(rows, tmp_path / f"plan{suffix}", about)
    text = (tmp_path / "plan.csv").read_text()
    assert text.startswith("# itsms-graph 9.9\n# input s.itsms (snapshot) sha256 ab12\nnonconformity,")
    assert len(list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))) == 1
    assert "- input s.itsms (snapshot) sha256 ab12" in (tmp_path / "plan.md").read_text()
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["nonconformity", "clause", "grade"] and sheet.max_row == 2
    assert [r[0] for r in book["about"].iter_rows(values_only=True)][: len(about) + 1] == [*about, None]


def test_xlsx_outputs_are_byte_identical_across_seconds(tmp_path: Path):
    """openpyxl stamps the save time into the document and its ZIP members; ours are fixed."""
    rows = [{c: f"{c}-{i}" for c in COLUMNS} for i in range(3)]
    first = write_plan(rows, tmp_path / "a.xlsx", ["itsms-graph 9.9"]).read_bytes()
    time.sleep(2.1)  # ZIP times have a resolution of two seconds
    assert write_plan(rows, tmp_path / "b.xlsx", ["itsms-graph 9.9"]).read_bytes() == first


def test_cycle_diff_lists_new_resolved_and_persisting():
    old = report_of(with_changes(fixtures.complete_sms(), approved=8, unapproved=2)).to_dict()
    graph = with_changes(fixtures.complete_sms(), approved=8, unapproved=2)
    graph.add_edge("APPROVES", "Approval:KA0", "Change:K8", source_file=SRC)  # K8 is now approved
    graph.add_node("Change", "NEW", {"actual_start": "2025-05-01T10:00:00"}, source_file=SRC)
    new = report_of(graph).to_dict()
    d = diff_findings(findings_of_report(old), findings_of_report(new))
    assert [f.subjects for f in d.new] == [("Change:NEW",)]
    assert [f.subjects for f in d.resolved] == [("Change:K8",)]
    assert [f.subjects for f in d.persisting] == [("Change:K9",)]
    assert d.gate("new-minor") and not d.gate("new-major") and not d.gate("none")


def test_diff_command_gates_on_new_majors(tmp_path: Path):
    runner = CliRunner()
    a = save_snapshot(fixtures.complete_sms(), tmp_path / "a.itsms")
    b = save_snapshot(fixtures.complete_sms(drop=("recent_audit",)), tmp_path / "b.itsms")
    as_of = ["--as-of", "2025-06-30", "--allow-after-cutoff"]  # the fixture's records end on 2025-03-01
    result = runner.invoke(cli, ["diff", str(a), str(b), *as_of, "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    # the audit of 2023 is outside both the 12-month interval and the programme cycle: a major, then the clauses
    assert data["new"][0]["query"] == "internal-audit-completed"
    assert {f["query"] for f in data["new"]} == {"internal-audit-completed", "audit-programme-not-covering-clauses"}
    assert [(i["profile"], i["sha256"]) for i in data["inputs"]] == [
        ("old", hashlib.sha256(a.read_bytes()).hexdigest()),
        ("new", hashlib.sha256(b.read_bytes()).hexdigest()),
    ]
    assert data["tool"]["name"] == "itsms-graph"
    again = runner.invoke(cli, ["diff", str(a), str(a), *as_of])
    assert (
        again.exit_code == 0
        and f"input a.itsms (new) sha256 {hashlib.sha256(a.read_bytes()).hexdigest()}" in again.output
    )


def test_sample_size_table():
    """The hypergeometric zero-failure rule (the proportion formula gave 13 for 20: 80 % confidence, not 95 %)."""
    assert zero_failure_size(10_000) == 29  # tends to ln(0.05)/ln(0.9) = 28.4 -> 29
    assert zero_failure_size(20) == 16
    assert zero_failure_size(3) == 3
    assert zero_failure_size(0) == 0


def sample_graph():
    graph = fixtures.complete_sms()
    for i in range(120):
        month = 7 + i % 12
        year, month = (2024, month) if month <= 12 else (2025, month - 12)
        graph.add_node("Change", f"S{i:03}", {"actual_start": f"{year}-{month:02}-10T10:00:00"}, source_file=SRC)
    return graph


def test_a_placeholder_is_never_in_a_population():
    graph = sample_graph()
    graph.add_node("Change", "GHOST", {"unresolved": True}, source_file=SRC)  # an id only an incident names
    ids = population_of(graph, "Change", load_catalogue(), fixtures.PERIOD, {})
    assert "Change:GHOST" not in ids and "Change:S000" in ids


@pytest.mark.parametrize("method", ["random", "systematic", "stratified"])
def test_the_same_seed_draws_the_same_sample(method):
    graph = sample_graph()
    ids = population_of(graph, "Change", load_catalogue(), fixtures.PERIOD, {})
    by = "month" if method == "stratified" else None
    a = draw(graph, ids, name="Change", method=method, seed=7, by=by)
    b = draw(graph, ids, name="Change", method=method, seed=7, by=by)
    others = {tuple(draw(graph, ids, name="Change", method=method, seed=s, by=by).drawn) for s in range(8, 14)}
    assert a.drawn == b.drawn and len(others | {tuple(a.drawn)}) > 1  # other seeds draw other samples
    assert len(set(a.drawn)) == len(a.drawn) and set(a.drawn) <= set(ids)
    if method == "stratified":
        assert len(set(a.strata.values())) == 12  # every month of the period is represented


def test_a_query_population_is_what_the_query_examines():
    graph = with_changes(fixtures.complete_sms(), approved=3, unapproved=2)
    graph.add_node("Change", "OLD", {"actual_start": "2023-01-01T10:00:00"}, source_file=SRC)
    ids = population_of(graph, "change-implemented-without-approval", load_catalogue(), fixtures.PERIOD, {})
    assert ids == [f"Change:K{i}" for i in range(5)]  # in the audit period, approved or not


def test_a_label_population_is_its_records_dated_in_the_period_both_days_included():
    """The period runs from 2024-07-01 to 2025-06-30, both days in; the whole history is everything; a label whose
    records carry no date is all of them (the period cannot say which)."""
    graph = SMSGraph()
    for local, start in (
        ("BEFORE", "2024-06-30"),
        ("FIRST", "2024-07-01"),
        ("LAST", "2025-06-30"),
        ("AFTER", "2025-07-01"),
    ):
        graph.add_node("Change", local, {"actual_start": f"{start}T10:00:00"}, source_file=SRC)
        graph.add_node("Service", local, {"name": local}, source_file=SRC)
    catalogue = load_catalogue()
    assert fixtures.PERIOD.start.isoformat() == "2024-07-01"
    assert population_of(graph, "Change", catalogue, fixtures.PERIOD, {}) == ["Change:FIRST", "Change:LAST"]
    every = ["Change:AFTER", "Change:BEFORE", "Change:FIRST", "Change:LAST"]
    assert population_of(graph, "Change", catalogue, fixtures.PERIOD, {}, whole_history=True) == every
    services = [i.replace("Change", "Service") for i in every]
    assert population_of(graph, "Service", catalogue, fixtures.PERIOD, {}) == services
    assert population_of(graph, "Service", catalogue, fixtures.PERIOD, {}, whole_history=True) == services


def test_a_stratified_size_rule_says_so_only_when_the_strata_need_more_than_the_size():
    graph = SMSGraph()
    for i, month in enumerate(("01", "01", "02", "02", "03", "03", "03", "03")):
        graph.add_node("Change", f"C{i}", {"actual_start": f"2025-{month}-10T10:00:00"}, source_file=SRC)
    two_months = [f"Change:C{i}" for i in range(4)]  # 2 + 2: one each is exactly 2
    even = draw(graph, two_months, name="Change", method="stratified", seed=1, size=2, by="month")
    assert len(even.drawn) == 2 and even.size_rule.endswith("over 2 month strata, at least one each")
    three_months = [f"Change:C{i}" for i in (0, 2, 4, 5, 6, 7)]  # 1 + 1 + 4: at least one each is 3
    more = draw(graph, three_months, name="Change", method="stratified", seed=1, size=2, by="month")
    assert len(more.drawn) == 3 and more.size_rule.endswith("at least one each (so 3, not 2)")


def test_a_worksheet_row_holds_the_records_facts_and_its_links_each_way():
    graph = SMSGraph()
    change = graph.add_node("Change", "C1", {"actual_start": "2025-03-01T10:00:00"}, source_file=SRC, source_row=4)
    approval = graph.add_node("Approval", "A1", {"decision": "approved"}, source_file=SRC)
    graph.add_edge("APPROVES", approval, change, source_file=SRC)
    graph.add_edge(
        "AFFECTS", change, graph.add_node("Service", "S1", {"name": "Mail"}, source_file=SRC), source_file=SRC
    )
    [row] = worksheet_rows(graph, draw(graph, [change], name="Change", method="random", seed=1, size=1))
    cell = dict(zip(WORKSHEET_COLUMNS, row, strict=True))
    assert cell["facts"] == "actual_start=2025-03-01T10:00:00"  # no label or provenance: they have their columns
    assert cell["linked_evidence"] == "-[:AFFECTS]-> Service:S1; <-[:APPROVES]- Approval:A1"
    assert cell["source"] == f"{SRC}:4"


@pytest.mark.parametrize("text", ["", "record,verdict\nChange:C1,conforms\n"])
def test_a_file_that_is_no_worksheet_is_refused(tmp_path: Path, text):
    path = tmp_path / "w.csv"
    path.write_text(text)
    with pytest.raises(InputError, match="not an itsms-graph sample worksheet"):
        read_worksheet(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_worksheet_round_trips_into_findings(tmp_path: Path, suffix):
    graph = sample_graph()
    ids = population_of(graph, "Change", load_catalogue(), fixtures.PERIOD, {})
    sample = draw(graph, ids, name="Change", method="random", seed=1, size=3)
    about = ["itsms-graph 9.9", "input s.itsms (snapshot) sha256 ab12"]
    path = write_worksheet(graph, sample, tmp_path / f"w{suffix}", about)
    verdicts = ["conforms", "no evidence", "nonconformity"]
    if suffix == ".csv":
        text = path.read_text().splitlines()
        assert text[:3] == [f"# {sample.describe()}", *(f"# {a}" for a in about)]  # as they are: never quoted
        lines = list(csv.reader(text))
        for row, verdict in zip(lines[4:], verdicts, strict=True):
            row[WORKSHEET_COLUMNS.index("verdict")] = verdict
        with path.open("w", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(lines)
    else:
        book = openpyxl.load_workbook(path)
        said = [r[0] for r in book["about"].iter_rows(values_only=True)]
        assert said[: len(about) + 2] == [sample.describe(), *about, None]  # then what each column holds
        for r, verdict in enumerate(verdicts, start=2):
            book.active.cell(row=r, column=WORKSHEET_COLUMNS.index("verdict") + 1, value=verdict)
        book.save(path)
    found = read_worksheet(path).findings
    assert [(f.record, f.verdict) for f in found] == [
        (sample.drawn[1], "no evidence"),
        (sample.drawn[2], "nonconformity"),
    ]
    assert read_worksheet(path).findings[0].id == found[0].id  # stable ids


def test_a_worksheet_handed_back_without_verdicts_is_not_a_clean_sample(tmp_path: Path):
    graph = sample_graph()
    sample = draw(graph, sorted(graph.nodes("Change"))[:3], name="Change", method="random", seed=1)
    path = write_worksheet(graph, sample, tmp_path / "w.csv")
    judged = read_worksheet(path)
    assert judged.findings == [] and judged.unjudged == sample.drawn
    result = CliRunner().invoke(cli, ["sample-findings", str(path)])
    assert result.exit_code == 0 and "warning: 3 sampled record(s) have no verdict yet" in result.output


def test_sample_options_are_checked_before_anything_is_drawn(tmp_path: Path):
    graph = sample_graph()
    graph.add_node("Change", "E1", {"emergency": True, "actual_start": "2025-06-30T10:00:00"}, source_file=SRC)
    assert population_of(graph, "Change", load_catalogue(), fixtures.PERIOD, {"emergency": "true"}) == ["Change:E1"]
    with pytest.raises(ItsmsError, match="--by month goes with --method stratified"):
        draw(graph, sorted(graph.nodes("Change")), name="Change", method="random", seed=1, by="month")
    snap = save_snapshot(graph, tmp_path / "s.itsms")
    args = ["sample", str(snap), "--population", "Change", "--method", "random", "--seed", "1", "-o", "s.txt"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and result.output.strip() == "error: s.txt: the worksheet is written as .csv or .xlsx"


def test_a_bad_verdict_is_located(tmp_path: Path):
    graph = sample_graph()
    sample = draw(graph, sorted(graph.nodes("Change"))[:2], name="Change", method="random", seed=1)
    path = write_worksheet(graph, sample, tmp_path / "w.csv")
    lines = list(csv.reader(path.read_text().splitlines()))
    lines[3][WORKSHEET_COLUMNS.index("verdict")] = "dunno"
    with path.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(lines)
    with pytest.raises(InputError, match="row 4, column verdict"):
        read_worksheet(path)


def test_stage_commands(tmp_path: Path):
    runner = CliRunner()
    snap = save_snapshot(with_changes(fixtures.complete_sms(), approved=6, unapproved=4), tmp_path / "s.itsms")
    as_of = ["--as-of", "2025-06-30", "--allow-after-cutoff"]  # the fixture's records end on 2025-03-01
    s1 = runner.invoke(cli, ["stage1", str(snap), *as_of])
    assert s1.exit_code == 0 and "Ready" in s1.output
    assert "data cut-off 2025-03-01" in s1.output
    s2 = runner.invoke(cli, ["stage2", str(snap), *as_of, "--format", "json"])
    assert s2.exit_code == 1
    data = json.loads(s2.output)
    assert data["stage2"]["counts"]["major"] == 1 and data["audit_period"]["data_cut_off"] == "2025-03-01"
    [nc] = data["stage2"]["nonconformities"]
    assert (nc["failing_records"], nc["population"], nc["escalation"][0][:18]) == (4, 10, "systemic: 4 of 10 ")
    lenient = runner.invoke(cli, ["stage2", str(snap), *as_of, "--systemic-rate", "0.5", "--format", "json"])
    assert lenient.exit_code == 0 and json.loads(lenient.output)["stage2"]["counts"]["minor"] == 1
    cap = runner.invoke(cli, ["cap", str(snap), *as_of, "-o", str(tmp_path / "plan.md")])
    assert cap.exit_code == 0 and "1 major and 0 minor nonconformities, 0 OFI" in cap.output
    digest = hashlib.sha256(snap.read_bytes()).hexdigest()
    assert f"- input s.itsms (snapshot) sha256 {digest}" in (tmp_path / "plan.md").read_text()
    args = ["sample", str(snap), *as_of, "--population", "Change", "--method", "systematic", "--seed", "3"]
    sample = runner.invoke(cli, [*args, "-o", str(tmp_path / "w.xlsx")])
    assert sample.exit_code == 0 and "size 10 from the hypergeometric zero-failure rule" in sample.output
    about = [r[0] for r in openpyxl.load_workbook(tmp_path / "w.xlsx")["about"].iter_rows(values_only=True)]
    assert about[1].startswith("itsms-graph ") and f"input s.itsms (snapshot) sha256 {digest}" in about
    found = runner.invoke(cli, ["sample-findings", str(tmp_path / "w.xlsx")])
    assert found.exit_code == 0 and "0 finding(s)" in found.output
    assert "no conclusion until every sampled record has a verdict" in found.output


def test_an_as_of_past_the_cut_off_is_refused_unless_stated(tmp_path: Path):
    snap = save_snapshot(fixtures.complete_sms(), tmp_path / "s.itsms")
    refused = CliRunner().invoke(cli, ["stage2", str(snap), "--as-of", "2025-06-30"])
    assert refused.exit_code == 2
    assert refused.output.startswith("error: --as-of 2025-06-30 is after the data's cut-off 2025-03-01")
    default = CliRunner().invoke(cli, ["stage2", str(snap), "--format", "json"])
    assert json.loads(default.output)["audit_period"]["as_of"] == "2025-03-01"  # the default is the cut-off


def test_a_complete_sample_concludes(tmp_path: Path):
    graph = sample_graph()
    ids = population_of(graph, "Change", load_catalogue(), fixtures.PERIOD, {})
    sample = draw(graph, ids, name="Change", method="random", seed=1)
    assert len(ids) == 120 and len(sample.drawn) == 26  # the hypergeometric size for 120 at 95 % / 10 %
    path = write_worksheet(graph, sample, tmp_path / "w.csv")
    lines = path.read_text().splitlines()
    head = [line for line in lines if line.startswith("#")]
    rows = list(csv.reader(line for line in lines if not line.startswith("#")))
    for row in rows[1:]:
        row[WORKSHEET_COLUMNS.index("verdict")] = "conforms"
    rows[1][WORKSHEET_COLUMNS.index("verdict")] = "nonconformity"
    with path.open("w", newline="") as fh:
        fh.write("".join(f"{line}\n" for line in head))
        csv.writer(fh, lineterminator="\n").writerows(rows)
    result = CliRunner().invoke(cli, ["sample-findings", str(path), "--format", "json"])
    assert result.exit_code == 1
    conclusion = json.loads(result.output)["conclusion"]
    assert (conclusion["population"], conclusion["sample"], conclusion["deviations"]) == (120, 26, 1)
    assert conclusion["accept"] is False and conclusion["upper_deviation_limit"] > 0.10


def test_workbooks_are_laid_out_for_their_reader(tmp_path: Path):
    """The plan and the sampling worksheet: widths, wrapped text, real date cells, a frozen filterable header, a
    drop-down for the columns with allowed values, and an about sheet saying where it came from and each column."""
    import datetime as dt

    from openpyxl.utils import get_column_letter

    from itsms_graph.audit.cap import STATUSES
    from itsms_graph.audit.sampling import VERDICTS

    graph = with_changes(fixtures.complete_sms(), approved=6, unapproved=4)
    report = report_of(graph)
    rows = plan_rows(stage2(report), fixtures.PERIOD.as_of, report.facts)
    book = openpyxl.load_workbook(write_plan(rows, tmp_path / "plan.xlsx", ["itsms-graph 9.9"]))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    due = sheet.cell(row=2, column=header.index("due_date") + 1)
    assert due.value == dt.datetime(2025, 7, 30) and due.number_format == "yyyy-mm-dd"  # a date, not text
    statement = sheet.cell(row=2, column=header.index("statement") + 1)
    assert statement.alignment.wrap_text and sheet.column_dimensions["E"].width == 60
    last = get_column_letter(len(header))
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{last}{len(rows) + 1}"
    checks = {dv.formula1: str(dv.sqref) for dv in sheet.data_validations.dataValidation}
    assert checks['"' + ",".join(STATUSES) + '"'].startswith(f"{last}2:{last}")
    about = [r for r in book["about"].iter_rows(values_only=True)]
    assert about[0] == ("itsms-graph 9.9", None) and ("column", "what it holds") in about
    assert any(r[0] == "status" and "One of: open, in progress" in r[1] for r in about)
    notes = book["about"]
    assert notes["B1"].alignment.wrap_text and not notes["A1"].alignment.wrap_text  # only the text column wraps
    # the CSV of the same plan keeps the text (layout never changes a value)
    text = write_plan(rows, tmp_path / "plan.csv").read_text()
    assert ",2025-07-30,open" in text

    graph = sample_graph()
    ids = population_of(graph, "Change", load_catalogue(), fixtures.PERIOD, {})
    sample = draw(graph, ids, name="Change", method="random", seed=1, size=3)
    path = write_worksheet(graph, sample, tmp_path / "w.xlsx", ["itsms-graph 9.9"])
    sheet = openpyxl.load_workbook(path).worksheets[0]
    [verdict] = [dv for dv in sheet.data_validations.dataValidation if dv.formula1 == '"' + ",".join(VERDICTS) + '"']
    assert str(verdict.sqref).startswith("H2:H") and sheet.cell(row=2, column=1).value == 1  # a number


def test_a_workbook_has_its_about_sheet_when_either_part_of_it_is_there(tmp_path: Path):
    """The about sheet holds where the workbook came from and what each column holds: either alone makes it."""
    from itsms_graph.audit.columns import Column
    from itsms_graph.audit.workbook import write_table

    only_lines = openpyxl.load_workbook(
        write_table(tmp_path / "a.xlsx", "t", ["a", "b"], [[1, 2]], ["itsms-graph 9.9"])
    )
    assert only_lines.sheetnames == ["t", "about"]
    described = [Column("a", 10, about="what a holds"), Column("b", 10)]
    only_columns = openpyxl.load_workbook(write_table(tmp_path / "b.xlsx", "t", described, [[1, 2]], []))
    assert only_columns.sheetnames == ["t", "about"]
    neither = openpyxl.load_workbook(write_table(tmp_path / "c.xlsx", "t", ["a", "b"], [[1, 2]], []))
    assert neither.sheetnames == ["t"]


def test_the_graph_draws_an_escalated_finding_in_its_nonconformity_s_grade():
    """The check's grade is minor; the nonconformity is escalated to major: the traceability graph, like the summary
    and the clause sections, shows it major (#17: the graph coloured by the query's grade before)."""
    from itsms_graph.reports.traceability import drawn_findings, nonconformity_grades, traceability_figure

    graph = with_changes(fixtures.complete_sms(), approved=6, unapproved=4)
    report = report_of(graph)
    grades = nonconformity_grades(stage2(report))
    assert grades["change-implemented-without-approval"] == "major"
    query_grade = {f.grade for f in drawn_findings(report) if f.query == "change-implemented-without-approval"}
    drawn = {f.grade for f in drawn_findings(report, grades) if f.query == "change-implemented-without-approval"}
    assert (query_grade, drawn) == ({"minor"}, {"major"})
    names = {t.name for t in traceability_figure(graph, report, grades=grades).data}
    assert "missing link (major)" in names and "missing link (minor)" not in names


@pytest.fixture(scope="module")
def example_snapshot(tmp_path_factory) -> tuple[Path, SMSGraph]:
    from itsms_graph.example import generate

    graph = generate().graph
    return save_snapshot(graph, tmp_path_factory.mktemp("sample") / "example.itsms"), graph


@pytest.mark.parametrize(
    "population, options",
    [
        ("change-implemented-without-approval", ["--method", "stratified", "--by", "month", "--seed", "7"]),
        ("Incident", ["--method", "stratified", "--by", "service", "--seed", "3"]),
        ("Change", ["--method", "random", "--seed", "1", "--size", "9"]),
        ("Change", ["--method", "systematic", "--seed", "5", "--filter", "emergency=true"]),
        ("Incident", ["--method", "random", "--seed", "2", "--whole-history", "--filter", "priority=1"]),
        ("major-incident-without-review", ["--method", "stratified", "--by", "service", "--seed", "4"]),
    ],
)
def test_sample_from_the_tables_is_the_whole_graphs(example_snapshot, population, options, tmp_path: Path):
    """``sample`` finds its population on the snapshot's tables and builds only the records drawn from and those
    drawn (#16.2): the same printed sample and a byte-identical worksheet as drawing from the whole graph."""
    from itsms_graph.audit.report import provenance_lines
    from itsms_graph.cli.options import parse_params
    from itsms_graph.graph.store import InputFile
    from itsms_graph.queries.plan import AuditPeriod

    snap, graph = example_snapshot
    out = tmp_path / "w.csv"
    result = CliRunner().invoke(
        cli, ["sample", str(snap), "--as-of", "2025-06-30", "--population", population, *options, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    opts = dict(zip(options[::2], options[1::2], strict=False))
    period = AuditPeriod.parse("2025-06-30")
    filters = parse_params([options[options.index("--filter") + 1]] if "--filter" in options else [])
    whole = "--whole-history" in options
    ids = population_of(graph, population, load_catalogue(), period, filters, whole_history=whole)
    size = int(opts["--size"]) if "--size" in opts else None
    sample = draw(
        graph, ids, name=population, method=opts["--method"], seed=int(opts["--seed"]), size=size, by=opts.get("--by")
    )
    assert len(sample.drawn) > 1 and (opts.get("--by") is None or len(set(sample.strata.values())) > 1)
    lines = [
        sample.describe(),
        *(f"  {n}" + (f"  [{sample.strata[n]}]" if n in sample.strata else "") for n in sample.drawn),
        f"wrote {out}",
    ]
    assert result.output.splitlines() == lines
    expected = write_worksheet(
        graph,
        sample,
        tmp_path / "whole.csv",
        provenance_lines([InputFile.of(snap, profile="snapshot"), *graph.inputs], period),
    )
    assert out.read_bytes() == expected.read_bytes()

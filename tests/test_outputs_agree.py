"""Outputs of one snapshot agree, or say what they count differently: check -o says what it wrote and the gate on
stderr, every command that gates has --fail-on with one meaning, diff and report --previous state both audit
periods, and the terminal table folds rather than cuts at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from itsms_graph.check import check_graph
from itsms_graph.cli import cli
from itsms_graph.graph import save_snapshot
from itsms_graph.reports.terminal import render_terminal
from tests import fixtures

AS_OF = ["--as-of", "2025-06-30", "--allow-after-cutoff"]  # the fixtures end before it


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    return save_snapshot(fixtures.boundaries(), tmp_path_factory.mktemp("agree") / "s.itsms")


def test_check_to_a_file_says_what_it_wrote_and_the_gate_on_stderr(snap: Path, tmp_path: Path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, ["check", str(snap), *AS_OF, "--format", "json", "-o", str(out)])
    assert result.exit_code == 1 and result.stdout == ""  # the report is in the file, not on stdout
    report = json.loads(out.read_text())
    majors = report["summary"]["findings_by_grade"]["major"]
    assert f"wrote {out} (json). Findings: {majors} major," in result.stderr
    assert f"gate failed (--fail-on major): {majors} finding(s) at or above major" in result.stderr


def test_every_gating_command_has_fail_on_with_one_meaning(snap: Path):
    """query run and stage1 gate like check: exit 1 when a finding is at or above --fail-on, never with none."""
    runner = CliRunner()
    minor = ["query", "run", "change-implemented-without-approval", str(snap), *AS_OF]
    assert runner.invoke(cli, minor).exit_code == 0  # minor findings, --fail-on major
    failed = runner.invoke(cli, [*minor, "--fail-on", "minor"])
    assert failed.exit_code == 1 and "gate failed (--fail-on minor)" in failed.output
    assert runner.invoke(cli, [*minor, "--fail-on", "none"]).exit_code == 0
    assert "--fail-on" in runner.invoke(cli, ["stage1", "--help"]).output
    ready = save_snapshot(fixtures.complete_sms(), snap.parent / "ready.itsms")
    assert runner.invoke(cli, ["stage1", str(ready), *AS_OF]).exit_code == 0
    not_ready = runner.invoke(cli, ["stage1", str(snap), *AS_OF])
    assert not_ready.exit_code == 1 and "Not ready" in not_ready.output
    assert runner.invoke(cli, ["stage1", str(snap), *AS_OF, "--fail-on", "none"]).exit_code == 0


def test_diff_and_report_previous_state_both_audit_periods(snap: Path, tmp_path: Path):
    runner = CliRunner()
    args = ["diff", str(snap), str(snap), "--old-as-of", "2024-06-30", *AS_OF]
    table = runner.invoke(cli, args)
    assert "old audit period: 2023-07-01 to 2024-06-30" in table.output
    assert "new audit period: 2024-07-01 to 2025-06-30" in table.output
    data = json.loads(runner.invoke(cli, [*args, "--format", "json"]).stdout)
    assert data["audit_periods"]["old"]["end"] == "2024-06-30" and data["audit_periods"]["new"]["end"] == "2025-06-30"
    page = tmp_path / "r.html"
    runner.invoke(
        cli, ["report", str(snap), "--previous", str(snap), "--old-as-of", "2024-06-30", *AS_OF, "-o", str(page)]
    )
    html = page.read_text()
    assert "Previous cycle: audit period 2023-07-01 to 2024-06-30; this cycle: audit period 2024-07-01" in html


def test_the_terminal_table_folds_rather_than_cuts_at_80_columns():
    graph = fixtures.boundaries()
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    render_terminal(report, console)
    text = console.export_text()
    assert "\u2026" not in text  # nothing cut with an ellipsis
    cells = [line.split("\u2502") for line in text.splitlines() if line.startswith("\u2502")]
    queries = "".join(c[1].strip() for c in cells)  # a folded id continues on the next lines of its column
    assert queries == "".join(r.query.id for r in report.results)
    clauses = " ".join(c[2].strip() for c in cells)
    for r in report.results:
        for number in r.query.cited_clauses:  # a data-quality check cites none
            assert number in clauses
    assert max(len(line) for line in text.splitlines()) <= 80

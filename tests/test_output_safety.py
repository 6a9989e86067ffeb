"""Outputs safe for every consumer: no formula runs from a CSV or XLSX cell the tool writes, no character XML
forbids reaches a workbook or JUnit, Cypher literals read back exactly in FalkorDB and lint clean in Neo4j's
parser, NUL and credentials are refused with one line, profile globs stay in their folder (issue 15, item 6)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from itsms_graph.audit.cap import COLUMNS, write_plan
from itsms_graph.check import check_graph
from itsms_graph.cli import cli
from itsms_graph.errors import InputError
from itsms_graph.escaping import cypher_string, from_spreadsheet_cell, spreadsheet_cell
from itsms_graph.exports.cypher_script import literal
from itsms_graph.graph.snapshot import save_snapshot
from itsms_graph.importers.profile import load_profile
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.reports.formats import to_csv, to_junit
from tests.builders import change, graph_with
from tests.conftest import require_tier

HOSTILE = ['=HYPERLINK("http://evil.example","open")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx"]
#: ids an attacker (or an unlucky export) may hold: a formula, a control character, a quote and a backslash,
#: a character outside the BMP, a line break
IDS = ['=HYPERLINK("http://evil.example","open")', "bell\x07id", "it's a \\ path", "tag\U000e0041\u00e9", "two\nlines"]
PERIOD = AuditPeriod.parse("2025-06-30")


def unsafe(cell: str) -> bool:
    return cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_a_cell_a_spreadsheet_would_run_is_neutralised_and_read_back():
    for text in HOSTILE:
        written = spreadsheet_cell(text)
        assert written == "'" + text and from_spreadsheet_cell(written) == text
    assert spreadsheet_cell("-5") == "-5" and spreadsheet_cell("+3.25") == "+3.25" and spreadsheet_cell(7) == 7


@pytest.fixture
def hostile_report():
    graph = graph_with(*(change(i, started="2025-03-01T10:00:00") for i in IDS), declared=("Approval",))
    report = check_graph(graph, period=PERIOD, query_ids=["change-implemented-without-approval"])
    assert sum(len(r.findings) for r in report.results) == len(IDS)
    return graph, report


def test_the_check_csv_has_no_live_formula(hostile_report):
    _, report = hostile_report
    rows = [r for r in csv.reader(io.StringIO(to_csv(report))) if r and not r[0].startswith("#")]
    cells = [c for r in rows for c in r]
    assert not [c for c in cells if unsafe(c)]
    assert any('=HYPERLINK("http://evil.example"' in c for c in cells)


def test_junit_is_well_formed_with_control_characters_in_ids(hostile_report):
    _, report = hostile_report
    root = ET.fromstring(to_junit(report).encode())
    failure = root.find("testcase/failure")
    assert failure is not None and "bell\\x07id" in (failure.text or "")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_corrective_action_plan_has_no_live_formula_and_no_crash(tmp_path: Path, suffix):
    rows = [dict.fromkeys(COLUMNS, text) for text in [*HOSTILE, "bell\x07"]]
    path = write_plan(rows, tmp_path / f"plan{suffix}", ["about =1+1"])
    if suffix == ".csv":
        cells = [c for r in csv.reader(io.StringIO(path.read_text())) if r and not r[0].startswith("#") for c in r]
    else:
        import openpyxl

        book = openpyxl.load_workbook(path)
        sheet = book.worksheets[0]
        assert not [c for r in sheet.iter_rows() for c in r if c.data_type == "f"]  # no formula cell at all
        cells = [str(c.value) for r in sheet.iter_rows() for c in r]
    assert not [c for c in cells if unsafe(c)]
    assert ("bell\x07" if suffix == ".csv" else "bell\\x07") in cells  # XML cannot hold it: escaped in XLSX


def test_a_sample_worksheet_round_trips_a_hostile_id(tmp_path: Path, hostile_report):
    graph, _ = hostile_report
    snapshot = save_snapshot(graph, tmp_path / "s.itsms")
    for suffix in (".csv", ".xlsx"):
        sheet = tmp_path / f"sample{suffix}"
        args = [
            "sample",
            str(snapshot),
            "--as-of",
            "2025-06-30",
            "--allow-after-cutoff",
            "--population",
            "change-implemented-without-approval",
        ]
        result = CliRunner().invoke(cli, [*args, "--method", "random", "--seed", "1", "--size", "5", "-o", str(sheet)])
        assert result.exit_code in (0, 1), result.output
        if suffix == ".csv":
            rows = csv.reader(io.StringIO(sheet.read_text()))
            assert not [c for r in rows if r and not r[0].startswith("#") for c in r if unsafe(c)]
        else:
            import openpyxl

            cells = [c for r in openpyxl.load_workbook(sheet).worksheets[0].iter_rows() for c in r]
            assert not [c for c in cells if c.data_type == "f"]
        back = CliRunner().invoke(cli, ["sample-findings", str(sheet), "--format", "json"])
        assert back.exit_code == 0, back.output  # the worksheet reads back, the control character's cell too


# --- Cypher ---------------------------------------------------------------------------------------------------


def test_cypher_literals_escape_only_the_quote_and_the_backslash():
    assert cypher_string("it's a \\ path") == "'it\\'s a \\\\ path'"
    assert cypher_string("tag\U000e0041") == "'tag\U000e0041'"  # not \\ue0041, five digits Neo4j misreads
    assert literal(12345678901234567) == "12345678901234567"  # exact, never through a float


@pytest.mark.falkordb
def test_cypher_literals_read_back_exactly_in_falkordb(falkor_db):
    g = falkor_db.select_graph("literals")
    values = [*IDS, *HOSTILE, "\\u00e9 as text", "\u2028", "'", "\\", "\\'"]
    for value in values:
        [[back]] = g.query("RETURN " + literal(value)).result_set
        assert back == value, value


def test_cypher_literals_lint_clean_in_neo4j_s_parser():
    from tests.neo4j_lint import Statement, failures, lint, linter_available

    require_tier(linter_available(), "the Neo4j Cypher linter", "npm ci --prefix tools/cypher-lint")
    statements = [Statement(f"literal {i}", f"RETURN {literal(v)} AS v", {}) for i, v in enumerate([*IDS, *HOSTILE])]
    assert failures(statements, lint(statements)) == []


@pytest.mark.falkordb
def test_a_nul_in_a_value_is_one_line_on_the_falkordb_path(tmp_path: Path):
    from itsms_graph.engines.cypher import falkordb as falkordb_engine

    require_tier(falkordb_engine.available(), "FalkorDB (falkordblite)", "pip install falkordblite")
    graph = graph_with(change("C1\x00nul", started="2025-03-01T10:00:00"), declared=("Approval",))
    snapshot = save_snapshot(graph, tmp_path / "s.itsms")
    result = CliRunner().invoke(
        cli, ["check", str(snapshot), "--as-of", "2025-06-30", "--allow-after-cutoff", "--backend", "falkordb"]
    )
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert "NUL" in line and "--backend networkx" in line


def test_the_neo4j_admin_command_reads_line_breaks_inside_cells(tmp_path: Path, hostile_report):
    graph, _ = hostile_report
    snapshot = save_snapshot(graph, tmp_path / "s.itsms")
    result = CliRunner().invoke(cli, ["export", "neo4j-admin", str(snapshot), "-o", str(tmp_path / "admin")])
    assert result.exit_code == 0, result.output
    assert "--multiline-fields=true" in (tmp_path / "admin" / "import-command.txt").read_text()


# --- what a user gives ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["neo4j", "push", "{s}"], ["check", "{s}", "--backend", "neo4j"]])
def test_a_uri_with_a_password_is_refused_and_never_echoed(tmp_path: Path, hostile_report, command):
    graph, _ = hostile_report
    snapshot = save_snapshot(graph, tmp_path / "s.itsms")
    args = [a.replace("{s}", str(snapshot)) for a in command]
    result = CliRunner().invoke(
        cli, [*args, "--uri", "bolt://neo4j:s3cr3t-pw@db.example:7687"], env={"NEO4J_PASSWORD": "x"}
    )
    assert result.exit_code == 2
    assert "s3cr3t-pw" not in result.output and "credentials" in result.stderr and "***@db.example" in result.stderr


@pytest.mark.parametrize("pattern", ["../../etc/host*", "/etc/host*", "sub/../../x.csv"])
def test_a_profile_glob_cannot_leave_its_folder(tmp_path: Path, pattern):
    (tmp_path / "p.yaml").write_text(
        f"id: p\ntitle: t\ntables:\n  - name: c\n    files: [{pattern!r}]\n    record: {{label: Change, id: id}}\n"
    )
    with pytest.raises(InputError, match="outside the input folder"):
        load_profile(tmp_path / "p.yaml")


def test_a_link_out_of_the_folder_is_not_read(tmp_path: Path):
    from itsms_graph.importers import import_sources

    outside = tmp_path / "secret.csv"
    outside.write_text("id\nS1\n")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "changes.csv").write_text("id\nC1\n")
    (folder / "link.csv").symlink_to(outside)
    (tmp_path / "p.yaml").write_text(
        "id: p\ntitle: t\ntables:\n  - name: c\n    files: ['*.csv']\n    record: {label: Change, id: id}\n"
    )
    graph, report = import_sources([(load_profile(tmp_path / "p.yaml"), folder)])
    assert [f.file for f in report.files] == ["changes.csv"] and graph.count("Change") == 1

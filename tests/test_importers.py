"""Importers: real exports in, nothing lost, every problem located.

The BPIC 2014 and UCI excerpts in tests/data always run; the full files in ../shared/data run when present.
Data-quality results are checked against an independent duckdb computation (tests/independent.py).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itsms_graph.check import check_graph
from itsms_graph.cli import cli
from itsms_graph.errors import InputError, SchemaViolation
from itsms_graph.graph.store import SMSGraph
from itsms_graph.importers import Importer, import_sources, resolve_profile
from itsms_graph.importers.profile import load_profile
from itsms_graph.queries.plan import AuditPeriod
from tests.conftest import SHARED_DATA
from tests.independent import bpic_expected, uci_incidents_naming_no_ci

DATA = Path(__file__).resolve().parent / "data"
DQ_QUERIES = [
    "change-emergency-without-cab",
    "change-implemented-before-recorded",
    "change-closed-without-actual-end",
    "unresolved-reference",
    "multi-reference-unnamed",
]
#: every query a check of BPIC 2014 can assess (the others are not assessable: their labels are not in the export),
#: each computed by tests/independent.py too; the excerpt exercises DQ_QUERIES, a dated copy of it the rest
ASSESSED = [
    *DQ_QUERIES,
    "change-dated-far-outside-period",
    "incident-dated-far-outside-period",
    "incident-without-service-or-ci",
]


def dq_rows(graph) -> dict[str, set[tuple[str, ...]]]:
    report = check_graph(graph, period=AuditPeriod.parse("2014-03-31"), query_ids=ASSESSED)
    return {r.query.id: set(r.rows) for r in report.results}


def assert_conserved(report) -> None:
    for f in report.files:
        assert f.rows_read == f.accepted + f.merged + f.rejected + f.skipped, f.file


@pytest.fixture(scope="module")
def bpic_excerpt():
    return import_sources([(resolve_profile("bpic2014"), DATA / "bpic2014")], keep_going=True)


def test_bpic_excerpt_imports_with_every_row_accounted_for(bpic_excerpt):
    graph, report = bpic_excerpt
    assert_conserved(report)
    expected = bpic_expected(DATA / "bpic2014")
    rows = dict(expected["_rows"])
    by_table = {f.table: f for f in report.files}
    assert by_table["changes"].rows_read == int(rows["changes"])
    assert by_table["incidents"].rows_read == int(rows["incidents"])
    assert by_table["changes"].accepted == int(next(iter(expected["_change_ids"]))[0])  # one node per Change ID
    assert [r.reason for r in by_table["incidents"].rejections] == ["blank row"] * 3
    assert graph.declared_labels >= {"Change", "Incident", "Interaction", "TicketEvent"}


def test_bpic_change_rows_become_one_change_with_an_affects_edge_per_ci(bpic_excerpt):
    graph, _ = bpic_excerpt
    change = graph.node("Change:C00000003")
    assert change["emergency"] is False and change["cab_required"] is False
    assert change["actual_start"] == "2013-12-18T14:00:00"  # day-first 18-12-2013 14:00
    [ci] = graph.neighbours("Change:C00000003", "AFFECTS", "out")
    assert ci == "ConfigurationItem:HMD000002"
    assert graph.neighbours(ci, "PART_OF", "out") == ["ServiceComponent:WBS000195"]


def test_bpic_activities_name_the_team_they_were_assigned_to(bpic_excerpt):
    """#18.1: the activity log's Assignment Group (its org:group) has a home: each activity is ASSIGNED_TO its team,
    one OrganisationalUnit per team name; an activity without a group names none."""
    import csv
    import gzip

    graph, _ = bpic_excerpt
    with gzip.open(
        DATA / "bpic2014" / "Detail_Incident_Activity_JOINED_derived.csv.gz", "rt", encoding="utf-8-sig"
    ) as fh:
        groups = [row["Detail Incident Activity.Assignment Group"].strip() for row in csv.DictReader(fh)]
    assert {n.removeprefix("OrganisationalUnit:") for n in graph.nodes("OrganisationalUnit")} >= set(
        filter(None, groups)
    )
    assigned = sum(len(graph.neighbours(e, "ASSIGNED_TO", "out")) for e in graph.nodes("TicketEvent"))
    assert assigned == sum(1 for g in groups if g) > 0


def test_bpic_excerpt_data_quality_equals_an_independent_computation(bpic_excerpt):
    graph, _ = bpic_excerpt
    expected = bpic_expected(DATA / "bpic2014")
    actual = dq_rows(graph)
    for query_id in ASSESSED:
        assert actual[query_id] == expected[query_id], query_id
    for query_id in DQ_QUERIES:
        assert expected[query_id], f"the excerpt must exercise {query_id}"


def _edited(source: Path, target: Path, edits: dict[tuple[int, str], str], delimiter: str = ";") -> None:
    """A copy of a gzipped CSV with some cells replaced: (data row, 1-based, column) -> new text."""
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    header = lines[0].split(delimiter)
    for (row, column), text in edits.items():
        cells = lines[row].split(delimiter)
        cells[header.index(column)] = text
        lines[row] = delimiter.join(cells)
    with gzip.open(target, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def test_bpic_dates_at_the_stray_and_period_bounds_agree_with_the_independent_computation(tmp_path):
    """The queries on dates, on a copy of the excerpt dated at their bounds (audit period 2013-04-01 .. 2014-03-31,
    stray dates 60 months beyond it: before 2008-04-01, after 2019-03-31): each bound's day on both sides."""
    folder = tmp_path / "bpic2014"
    shutil.copytree(DATA / "bpic2014", folder)
    incidents, changes = "Detail_Incident.csv.gz", "Detail_Change.csv.gz"
    _edited(
        DATA / "bpic2014" / incidents,
        folder / incidents,
        {
            (1, "Open Time"): "01/04/2019 00:00:00",  # IM0000004, the day after the stray bound: stray
            (2, "Open Time"): "31/03/2019 23:59:59",  # IM0000005, the stray bound's last day: not stray
            (3, "Open Time"): "31/03/2008 23:59:59",  # IM0000006, the day before the stray bound: stray
            (4, "Open Time"): "01/04/2008 00:00:00",  # IM0000011, the stray bound's first day: not stray
            # no configuration item named: on the period's first and last days (found), the days around (not)
            (5, "CI Name (aff)"): "",
            (5, "Open Time"): "01/04/2013 00:00:00",  # IM0000012
            (6, "CI Name (aff)"): "#MULTIVALUE",
            (6, "Open Time"): "31/03/2014 23:59:59",  # IM0000013
            (7, "CI Name (aff)"): "",
            (7, "Open Time"): "31/03/2013 23:59:59",
            (8, "CI Name (aff)"): "",
            (8, "Open Time"): "01/04/2014 00:00:00",
        },
    )
    _edited(
        DATA / "bpic2014" / changes,
        folder / changes,
        {
            (1, "Actual Start"): "31-3-2008 23:59",
            (2, "Actual Start"): "1-4-2008 0:00",
            (3, "Actual Start"): "1-4-2019 0:00",
        },
    )
    graph, _ = import_sources([(resolve_profile("bpic2014"), folder)], keep_going=True)
    expected, actual = bpic_expected(folder), dq_rows(graph)
    for query_id in ASSESSED:
        assert actual[query_id] == expected[query_id], query_id
    assert expected["incident-dated-far-outside-period"] == {("Incident:IM0000004",), ("Incident:IM0000006",)}
    assert expected["incident-without-service-or-ci"] == {("Incident:IM0000012",), ("Incident:IM0000013",)}
    assert expected["change-dated-far-outside-period"] == {("Change:C00000003",), ("Change:C00000006",)}


def test_multivalue_is_recorded_never_an_id(bpic_excerpt):
    graph, _ = bpic_excerpt
    assert not any("#MULTIVALUE" in n for n in graph.nx.nodes)
    marked = [n for n, a in graph.nx.nodes(data=True) if a.get("unnamed_references")]
    assert marked and all(":" in m for n in marked for m in graph.node(n)["unnamed_references"])


def test_unresolved_references_become_flagged_placeholders(bpic_excerpt):
    graph, report = bpic_excerpt
    placeholders = [n for n, a in graph.nx.nodes(data=True) if a.get("unresolved")]
    assert placeholders
    assert sum(report.unresolved.values()) == len(dq_rows(graph)["unresolved-reference"])


def test_uci_excerpt_collapses_events_into_incidents():
    graph, report = import_sources([(resolve_profile("uci-servicenow"), DATA / "uci-servicenow")])
    assert_conserved(report)
    with gzip.open(DATA / "uci-servicenow" / "incident_event_log.csv.gz", "rt") as fh:
        lines = fh.read().splitlines()[1:]
    numbers = {line.split(",")[0] for line in lines}
    assert graph.count("Incident") == len(numbers)
    assert graph.count("TicketEvent") == len(lines)
    first = lines[0].split(",")
    incident = graph.node(f"Incident:{first[0]}")
    events = [ln.split(",") for ln in lines if ln.split(",")[0] == first[0]]
    latest = max(events, key=lambda e: (e[13].split(" ")[0].split("/")[::-1], e[13].split(" ")[1]))
    assert incident["status"] == latest[1]
    assert {label for (_, label) in report.unresolved} <= {"Problem", "Change", "ConfigurationItem", "Supplier"}
    assert not any("Problem ID  " in n for n in graph.nx.nodes)  # double spaces fold into one id


@pytest.mark.realdata
def test_full_bpic2014_imports_and_agrees_with_the_independent_computation(bpic2014_full):
    folder, graph, report = bpic2014_full
    assert_conserved(report)
    assert sum(f.rows_read for f in report.files) == 690_748  # SOURCE.md: 30,275 + 46,809 + 147,004 + 466,660
    expected = bpic_expected(folder)
    actual = dq_rows(graph)
    for query_id in ASSESSED:
        assert actual[query_id] == expected[query_id], query_id


@pytest.mark.realdata
def test_full_uci_log_imports():
    folder = SHARED_DATA / "uci-servicenow-incidents"
    if not folder.is_dir():
        pytest.skip("../shared/data/uci-servicenow-incidents is not here")
    graph, report = import_sources([(resolve_profile("uci-servicenow"), folder)])
    assert_conserved(report)
    assert graph.count("Incident") == 24_918 and graph.count("TicketEvent") == 141_712  # SOURCE.md
    # every CI the log names is outside it; incidents naming none are still found, as a second computation finds them
    period = AuditPeriod.parse("2017-03-31")
    [result] = check_graph(graph, period=period, query_ids=["incident-without-service-or-ci"]).results
    expected = uci_incidents_naming_no_ci(folder, period.start.isoformat(), period.end_exclusive.isoformat())
    assert {f.subjects[0] for f in result.findings} == expected and len(expected) > 10_000


# --- formats ---------------------------------------------------------------------------------------------------

PROFILE = """
id: tiny
title: a tiny export
tables:
  - name: changes
    files: ["changes.*"]
    record: {label: Change, id: id, latest_by: updated_at}
    properties:
      title: {column: title}
      emergency: {column: emergency}
      opened_at: {column: opened, formats: ["%d/%m/%Y %H:%M"]}
      updated_at: {column: updated, formats: ["%d/%m/%Y %H:%M"]}
    references:
      - {column: incident, rel: CAUSED_BY, label: Incident, dir: in, separator: "|"}
"""
ROWS = [
    {
        "id": "C1",
        "title": "Café upgrade",
        "emergency": "yes",
        "opened": "01/02/2025 10:00",
        "updated": "01/02/2025 10:00",
        "incident": "I1|I2",
    },
    {
        "id": "C2",
        "title": "Patch",
        "emergency": "no",
        "opened": "02/02/2025 11:30",
        "updated": "02/02/2025 11:30",
        "incident": "",
    },
]


@pytest.fixture
def tiny(tmp_path: Path):
    path = tmp_path / "tiny.yaml"
    path.write_text(PROFILE)
    return load_profile(path)


def write_csv(path: Path, rows, *, sep=",", encoding="utf-8", bom=False, header=None) -> Path:
    cols = header or list(rows[0])
    text = sep.join(cols) + "\r\n" + "".join(sep.join(r.get(c, "") for c in cols) + "\r\n" for r in rows)
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def graph_state(graph):
    nodes = sorted(
        (n, sorted((k, v) for k, v in a.items() if not k.startswith("source"))) for n, a in graph.nx.nodes(data=True)
    )
    return nodes, sorted((s, t, k) for s, t, k in graph.nx.edges(keys=True))


def write_format(folder: Path, fmt: str) -> Path:
    folder.mkdir()
    if fmt == "csv-utf8-bom":
        return write_csv(folder / "changes.csv", ROWS, bom=True)
    if fmt == "csv-cp1252-semicolon":
        return write_csv(folder / "changes.csv", ROWS, sep=";", encoding="cp1252")
    if fmt == "tsv":
        return write_csv(folder / "changes.tsv", ROWS, sep="\t")
    if fmt == "json-records":
        (folder / "changes.json").write_text(json.dumps({"records": ROWS}))
    elif fmt == "jsonl":
        (folder / "changes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    elif fmt == "yaml":
        import yaml

        (folder / "changes.yaml").write_text(yaml.safe_dump(ROWS, allow_unicode=True))
    elif fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(ROWS[0]))
        for r in ROWS:
            sheet.append(list(r.values()))
        book.save(folder / "changes.xlsx")
    elif fmt == "txt-utf16-excel":  # Excel's "Unicode text": UTF-16 with a BOM, tab separated
        text = write_csv(folder / "plain", ROWS, sep="\t").read_text(encoding="utf-8")
        (folder / "changes.txt").write_bytes(text.encode("utf-16"))
        (folder / "plain").unlink()
    elif fmt == "csv-excel-sep-hint":  # Excel's "sep=;" first line, then the header
        raw = write_csv(folder / "plain", ROWS, sep=";", encoding="cp1252").read_bytes()
        (folder / "changes.csv").write_bytes(b"sep=;\r\n" + raw)
        (folder / "plain").unlink()
    elif fmt == "csv-gz":
        raw = write_csv(folder / "plain", ROWS)
        (folder / "changes.csv.gz").write_bytes(gzip.compress(raw.read_bytes()))
        raw.unlink()
    return folder


FORMATS = [
    "csv-utf8-bom",
    "csv-cp1252-semicolon",
    "tsv",
    "txt-utf16-excel",
    "csv-excel-sep-hint",
    "json-records",
    "jsonl",
    "yaml",
    "xlsx",
    "csv-gz",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_the_same_graph(tmp_path: Path, tiny, fmt):
    reference, _ = import_sources([(tiny, write_format(tmp_path / "ref", "csv-utf8-bom"))])
    graph, report = import_sources([(tiny, write_format(tmp_path / "x", fmt))])
    assert graph_state(graph) == graph_state(reference)
    assert graph.node("Change:C1")["title"] == "Café upgrade"
    assert sorted(graph.neighbours("Change:C1", "CAUSED_BY", "in")) == ["Incident:I1", "Incident:I2"]
    assert report.unresolved[("CAUSED_BY", "Incident")] == 2
    assert_conserved(report)


def test_duplicates_merge_by_the_latest_timestamp_and_are_reported(tmp_path: Path, tiny):
    rows = [
        *ROWS,
        {
            "id": "C1",
            "title": "Old title",
            "emergency": "yes",
            "opened": "01/02/2025 10:00",
            "updated": "01/01/2025 09:00",
            "incident": "",
        },
        {
            "id": "C2",
            "title": "Patch v2",
            "emergency": "no",
            "opened": "02/02/2025 11:30",
            "updated": "03/02/2025 08:00",
            "incident": "",
        },
    ]
    write_csv(tmp_path / "changes.csv", rows)
    graph, report = import_sources([(tiny, tmp_path)])
    [f] = report.files
    assert (f.rows_read, f.accepted, f.merged, f.rejected) == (4, 2, 2, 0)
    assert graph.node("Change:C1")["title"] == "Café upgrade"  # the older duplicate does not overwrite
    assert graph.node("Change:C2")["title"] == "Patch v2"  # the newer one does


# --- malformed input: one clear error naming file, row and column; --keep-going loads the good rows ---------------


def run_import(folder: Path, profile: str, *extra: str):
    return CliRunner().invoke(cli, ["import", "-p", profile, str(folder), "-o", str(folder / "out.itsms"), *extra])


def test_the_import_table_names_each_file_whole_in_a_log(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    folder = tmp_path / "bpic"
    shutil.copytree(DATA / "bpic2014", folder)
    result = run_import(folder, "bpic2014", "--keep-going")
    assert result.exit_code == 0, result.output
    assert "Detail_Incident_Activity_JOINED_derived.csv" in result.output and "…" not in result.output


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(PROFILE)
    return path


@pytest.mark.parametrize(
    ("case", "row", "column", "reason"),
    [
        ("bad-date", 3, "opened", "is not a datetime in the format %d/%m/%Y %H:%M"),
        ("bad-boolean", 2, "emergency", "is none of the true spellings"),
        ("truncated", 3, "opened", "truncated or malformed row"),
        ("wrong-separator", 1, "emergency", "is the delimiter right?"),
        ("wrong-encoding", 2, "title", "not valid utf-8 text"),  # 'Café' in cp1252, read as the stated UTF-8
        ("missing-column", 1, "emergency", "needs column 'emergency'"),
    ],
)
def test_malformed_input_is_located(tmp_path: Path, tiny_file: Path, case, row, column, reason):
    folder = tmp_path / "export"
    folder.mkdir()
    rows = [dict(r) for r in ROWS] + [{**ROWS[1], "id": "C3"}]
    profile_file = tiny_file
    if case == "bad-date":
        rows[1]["opened"] = "2025-02-31 10:00"
    elif case == "bad-boolean":
        rows[0]["emergency"] = "perhaps"
    elif case == "missing-column":
        rows = [{k: v for k, v in r.items() if k != "emergency"} for r in rows]
    path = write_csv(folder / "changes.csv", rows, sep=";" if case == "wrong-separator" else ",")
    if case == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: data.index(b"\r\nC2,") + 12])  # cut inside the second record
    if case == "wrong-separator":  # the profile states ',' but the export uses ';'
        profile_file.write_text(PROFILE.replace('files: ["changes.*"]', 'files: ["changes.*"]\n    delimiter: ","'))
    if case == "wrong-encoding":
        text = path.read_text().replace("Patch", "Pätch")
        path.write_bytes(text.encode("cp1252"))
        profile_file.write_text(PROFILE.replace('files: ["changes.*"]', 'files: ["changes.*"]\n    encoding: utf-8'))
    result = run_import(folder, str(profile_file))
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: file changes.csv")
    assert f"row {row}" in line and f"column {column}" in line and reason in line
    assert "Traceback" not in result.output
    if case == "bad-date":  # the value is said once, not again after the reason that quotes it
        assert line.count("2025-02-31 10:00") == 1


def test_keep_going_loads_the_good_rows_and_reports_the_bad(tmp_path: Path, tiny_file: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    rows = [dict(r) for r in ROWS] + [{**ROWS[1], "id": "C3", "opened": "yesterday"}]
    write_csv(folder / "changes.csv", rows)
    result = run_import(folder, str(tiny_file), "--keep-going", "--report", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    [f] = report["files"]
    assert (f["rows_read"], f["accepted"], f["rejected"]) == (3, 2, 1)
    assert report["tool"]["name"] == "itsms-graph" and len(f["sha256"]) == 64  # what every report states
    text = run_import(folder, str(tiny_file), "--keep-going").output
    assert (
        f"input changes.csv (tiny:changes) sha256 {f['sha256']}" in text and "itsms-graph import  itsms-graph" in text
    )
    assert f["rejections"][0] | {"reason": ""} == {
        "file": "changes.csv",
        "row": 4,
        "column": "opened",
        "value": "yesterday",
        "reason": "",
    }


def test_truncated_gzip_names_file_and_row(tmp_path: Path, tiny_file: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    many = [{**ROWS[1], "id": f"C{i}", "title": f"change {i} " + "x" * 50} for i in range(3000)]
    data = gzip.compress(write_csv(tmp_path / "big.csv", many).read_bytes())
    (folder / "changes.csv.gz").write_bytes(data[: len(data) // 2])
    result = run_import(folder, str(tiny_file))
    assert result.exit_code == 2
    assert "file changes.csv.gz, row" in result.output and "truncated or corrupt" in result.output


# --- optional columns: absent, null in every row and reported; any other column missing still stops the import ---

OPTIONAL = PROFILE.replace("title: {column: title}", "title: {column: title, optional: true}").replace(
    'separator: "|"}', 'separator: "|", optional: true}'
)


@pytest.fixture
def optional_file(tmp_path: Path) -> Path:
    path = tmp_path / "optional.yaml"
    path.write_text(OPTIONAL)
    return path


def without(rows, *columns: str) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k not in columns} for r in rows]


def write_rows(folder: Path, fmt: str, rows) -> Path:
    folder.mkdir()
    if fmt == "csv":
        write_csv(folder / "changes.csv", rows)
    elif fmt == "jsonl":
        (folder / "changes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        import openpyxl

        book = openpyxl.Workbook()
        book.active.append(list(rows[0]))
        for r in rows:
            book.active.append(list(r.values()))
        book.save(folder / "changes.xlsx")
    return folder


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_an_absent_optional_column_is_null_in_every_row_and_reported(tmp_path: Path, optional_file: Path, fmt):
    profile = load_profile(optional_file)
    folder = write_rows(tmp_path / "export", fmt, without(ROWS, "title", "incident"))
    graph, report = import_sources([(profile, folder)])
    [f] = report.files
    assert f.absent_columns == ["incident", "title"] and f.to_dict()["absent_columns"] == ["incident", "title"]
    assert (f.rows_read, f.accepted, f.rejected, f.edges) == (2, 2, 0, 0)
    assert "title" not in graph.node("Change:C1") and graph.node("Change:C1")["emergency"] is True
    assert graph.neighbours("Change:C1", "CAUSED_BY", "in") == [] and not report.unresolved
    assert_conserved(report)


def test_a_present_optional_column_reads_as_any_other(tmp_path: Path, tiny, optional_file: Path):
    folder = write_rows(tmp_path / "export", "csv", ROWS)
    graph, report = import_sources([(load_profile(optional_file), folder)])
    reference, _ = import_sources([(tiny, folder)])
    assert graph_state(graph) == graph_state(reference)
    assert report.files[0].absent_columns == []


def test_a_missing_required_column_still_stops_the_import_beside_absent_optional_ones(
    tmp_path: Path, optional_file: Path
):
    folder = write_rows(tmp_path / "export", "csv", without(ROWS, "title", "incident", "opened"))
    result = run_import(folder, str(optional_file))
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: file changes.csv, row 1, column opened: profile tiny table changes needs column")
    assert "Traceback" not in result.output


def test_the_import_report_and_profile_check_name_the_absent_optional_columns(tmp_path: Path, optional_file: Path):
    folder = write_rows(tmp_path / "export", "csv", without(ROWS, "title"))
    text = run_import(folder, str(optional_file))
    assert text.exit_code == 0, text.output
    assert "absent: changes.csv (changes) lacks the optional column(s) title: null in every row" in text.output
    as_json = run_import(folder, str(optional_file), "--report", "json")
    assert json.loads(as_json.output)["files"][0]["absent_columns"] == ["title"]
    checked = CliRunner().invoke(cli, ["profile", "check", str(optional_file), "--sample", str(folder)])
    assert checked.exit_code == 0, checked.output
    assert "optional column(s) not in the file, null in every row: title" in checked.output


def test_a_column_is_optional_only_where_every_use_of_it_is(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_text(
        PROFILE.replace("title: {column: title}", "title: {column: incident, optional: true}").replace(
            'separator: "|"}',
            'separator: "|"}\n      - {column: ci, rel: AFFECTS, label: ConfigurationItem, optional: true, defines: true,'
            "\n         properties: {name: {column: ci_name}}}",
        )
    )
    profile = load_profile(path)
    [table] = profile.tables
    assert profile.optional_columns(table) == {"ci", "ci_name"}  # a reference's properties go with it
    assert profile.required_columns(table) == {"id", "emergency", "opened", "updated", "incident"}
    assert profile.columns(table) == profile.required_columns(table) | profile.optional_columns(table)
    path.write_text(PROFILE.replace("title: {column: title}", "title: {value: Unnamed, optional: true}"))
    with pytest.raises(InputError, match="optional is for a column"):
        load_profile(path)


# --- aliases: other headers for a column (a display label), resolved once per file --------------------------------

ALIASED = (
    PROFILE
    + """    aliases:
      id: [ID, Change ID]
      title: [Title]
      opened: [Opened]
      incident: [Incident]
"""
)
LABELS = {"id": "Change ID", "title": "Title", "opened": "Opened", "incident": "Incident"}


@pytest.fixture
def aliased(tmp_path: Path):
    path = tmp_path / "aliased.yaml"
    path.write_text(ALIASED)
    return load_profile(path)


def relabelled(rows, labels: dict[str, str]) -> list[dict[str, str]]:
    return [{labels.get(k, k): v for k, v in r.items()} for r in rows]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_a_column_is_read_under_an_alias_the_file_has(tmp_path: Path, tiny, aliased, fmt):
    reference, _ = import_sources([(tiny, write_rows(tmp_path / "names", "csv", ROWS))])
    graph, report = import_sources([(aliased, write_rows(tmp_path / "labels", fmt, relabelled(ROWS, LABELS)))])
    assert graph_state(graph) == graph_state(reference)
    assert report.files[0].absent_columns == []
    same, _ = import_sources([(aliased, write_rows(tmp_path / "same", fmt, ROWS))])  # the column's own name too
    assert graph_state(same) == graph_state(reference)


def test_the_first_alias_the_file_has_wins_whatever_the_order_of_its_columns(tmp_path: Path, aliased):
    def ids(rows) -> list[str]:
        graph, _ = import_sources([(aliased, write_rows(tmp_path / rows[0]["ID"], "csv", rows))])
        return sorted(n for n, a in graph.nx.nodes(data=True) if a["label"] == "Change")

    rest = without(ROWS, "id")
    # the file has two aliases of id, the later one first: the one the profile lists first is read
    assert ids([{"Change ID": f"X{r['id']}", "ID": r["id"], **o} for r, o in zip(ROWS, rest, strict=True)]) == [
        "Change:C1",
        "Change:C2",
    ]
    # the column's own name comes before any alias
    assert ids([{"ID": f"Y{r['id']}", **o, "id": r["id"]} for r, o in zip(ROWS, rest, strict=True)]) == [
        "Change:C1",
        "Change:C2",
    ]


def test_a_rejection_names_the_header_the_file_has(tmp_path: Path, aliased):
    rows = relabelled(ROWS, LABELS)
    rows[1]["Opened"] = "31/02/2025 10:00"
    importer = Importer(keep_going=True)
    importer.add_source(aliased, write_rows(tmp_path / "labels", "csv", rows))
    _, report = importer.finish()
    [rejection] = report.files[0].rejections
    assert (rejection.row, rejection.column, rejection.value) == (3, "Opened", "31/02/2025 10:00")


def test_a_missing_aliased_column_names_every_spelling_looked_for(tmp_path: Path):
    path = tmp_path / "aliased.yaml"
    path.write_text(ALIASED)
    folder = write_rows(tmp_path / "export", "csv", without(relabelled(ROWS, LABELS), "Change ID"))
    result = run_import(folder, str(path))
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(
        "error: file changes.csv, row 1, column id: profile tiny table changes needs column 'id' (or 'ID', "
        "'Change ID'), which the file does not have"
    )


def test_an_absent_optional_aliased_column_is_null_and_reported(tmp_path: Path, tiny):
    path = tmp_path / "optional.yaml"
    path.write_text(OPTIONAL + "    aliases: {title: [Title], incident: [Incident]}\n")
    labels = {"title": "Title", "incident": "Incident"}
    folder = write_rows(tmp_path / "export", "xlsx", without(relabelled(ROWS, labels), "Title", "Incident"))
    graph, report = import_sources([(load_profile(path), folder)])
    [f] = report.files
    assert f.absent_columns == ["incident", "title"] and f.rejected == 0
    assert "title" not in graph.node("Change:C1") and graph.neighbours("Change:C1", "CAUSED_BY", "in") == []
    present, _ = import_sources(
        [(load_profile(path), write_rows(tmp_path / "present", "csv", relabelled(ROWS, labels)))]
    )
    reference, _ = import_sources([(tiny, write_rows(tmp_path / "names", "csv", ROWS))])
    assert graph_state(present) == graph_state(reference)


@pytest.mark.parametrize(
    ("aliases", "problem"),
    [
        ("{nothing: [Nothing]}", "aliases name column 'nothing', which the table does not read"),
        ("{title: [Title], opened: [Title]}", "header 'Title' would name both column 'title' and 'opened'"),
        ("{opened: [title]}", "header 'title' would name both column 'title' and 'opened'"),
    ],
)
def test_aliases_are_checked(tmp_path: Path, aliases: str, problem: str):
    path = tmp_path / "bad.yaml"
    path.write_text(PROFILE + f"    aliases: {aliases}\n")
    with pytest.raises(InputError, match=problem):
        load_profile(path)


# --- optional tables: a workbook without the table's sheet ----------------------------------------------------------

SHEETS = """
id: book
title: changes and incidents as sheets of workbooks
tables:
  - name: changes
    files: ["*.xlsx"]
    sheet: changes
    record: {label: Change, id: id}
    properties:
      title: {column: title}
    declares: [Change]
  - name: incidents
    files: ["*.xlsx"]
    sheet: incidents
    optional: true
    record: {label: Incident, id: id}
    properties:
      title: {column: title}
    declares: [Incident]
"""


def write_book(path: Path, **sheets: list[tuple[str, str]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(["id", "title"])
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def test_an_optional_table_whose_sheet_a_workbook_lacks_is_skipped_and_reported(tmp_path: Path):
    (tmp_path / "book.yaml").write_text(SHEETS)
    folder = tmp_path / "export"
    folder.mkdir()
    write_book(folder / "2024.xlsx", changes=[("C1", "Patch")], incidents=[("I1", "Outage")])
    write_book(folder / "2025.xlsx", changes=[("C2", "Upgrade")])
    graph, report = import_sources([(load_profile(tmp_path / "book.yaml"), folder / "2025.xlsx")])
    assert [(f.file, f.table) for f in report.files] == [("2025.xlsx", "changes")]
    assert report.skipped_tables == ["book:incidents"]
    assert report.to_dict()["absent_sheets"] == [{"table": "book:incidents", "file": "2025.xlsx", "sheet": "incidents"}]
    assert "Incident" not in graph.declared_labels  # no register is not an empty register

    graph, report = import_sources([(load_profile(tmp_path / "book.yaml"), folder)])  # one workbook has it
    assert [(f.file, f.table) for f in report.files] == [
        ("2024.xlsx", "changes"),
        ("2025.xlsx", "changes"),
        ("2024.xlsx", "incidents"),
    ]
    assert graph.count("Incident") == 1 and graph.count("Change") == 2
    assert report.absent_sheets == [{"table": "book:incidents", "file": "2025.xlsx", "sheet": "incidents"}]

    result = CliRunner().invoke(
        cli, ["import", "-p", str(tmp_path / "book.yaml"), str(folder / "2025.xlsx"), "-o", str(tmp_path / "o.itsms")]
    )
    assert result.exit_code == 0, result.output
    assert "no sheet 'incidents' in 2025.xlsx: optional table book:incidents skipped for it" in result.output
    assert "no file for table" not in result.output
    checked = CliRunner().invoke(cli, ["profile", "check", str(tmp_path / "book.yaml"), "--sample", str(folder)])
    assert checked.exit_code == 0, checked.output
    assert "no sheet 'incidents' in 2025.xlsx: optional table book:incidents skipped for it" in checked.output


def test_a_required_table_whose_sheet_a_workbook_lacks_stops_the_import_naming_file_and_sheet(tmp_path: Path):
    (tmp_path / "book.yaml").write_text(SHEETS.replace("    optional: true\n", ""))
    folder = tmp_path / "export"
    folder.mkdir()
    write_book(folder / "2025.xlsx", changes=[("C2", "Upgrade")], notes=[])
    result = CliRunner().invoke(
        cli, ["import", "-p", str(tmp_path / "book.yaml"), str(folder), "-o", str(tmp_path / "out.itsms")]
    )
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        "error: file 2025.xlsx: profile book table incidents reads sheet 'incidents', which the workbook does not "
        "have (its sheets: changes, notes); a table that may be absent says optional: true"
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.itsms").exists()


# --- row conservation as a property -------------------------------------------------------------------------------

cells = st.one_of(
    st.sampled_from(
        ["", "?", "NULL", "yes", "no", "maybe", "01/02/2025 10:00", "31/02/2025 10:00", "I1", "I1|I2", "#x"]
    ),
    st.text(alphabet="abcXYZ019 ,;\"'\n", max_size=8),
)
rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from(["C1", "C2", "C3", "", "?", " C1 "]),
            "title": cells,
            "emergency": cells,
            "opened": cells,
            "updated": cells,
            "incident": cells,
        }
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy)
def test_every_row_is_a_node_a_merge_or_a_rejection(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("prop")
    (folder / "tiny.yaml").write_text(PROFILE)
    import csv as _csv

    with (folder / "changes.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = _csv.DictWriter(fh, fieldnames=["id", "title", "emergency", "opened", "updated", "incident"])
        writer.writeheader()
        writer.writerows(rows)
    importer = Importer(keep_going=True)
    importer.add_source(load_profile(folder / "tiny.yaml"), folder)
    graph, report = importer.finish()
    [f] = report.files
    assert f.rows_read == len(rows)
    assert f.rows_read == f.accepted + f.merged + f.rejected
    assert graph.count("Change") == f.accepted
    assert len(f.rejections) == f.rejected
    for r in f.rejections:
        assert r.file == "changes.csv" and r.row >= 2 and r.reason


def test_profile_check_validates_against_ontology_and_sample(tmp_path: Path, tiny_file: Path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["profile", "check", "bpic2014", "--sample", str(DATA / "bpic2014"), "--rows", "50"])
    assert ok.exit_code == 0, ok.output
    assert "valid against the ontology" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(PROFILE.replace("label: Incident", "label: Gremlin"))
    result = runner.invoke(cli, ["profile", "check", str(bad)])
    assert result.exit_code == 2 and "label 'Gremlin' is not in the ontology" in result.output
    listed = runner.invoke(cli, ["profile", "list"])
    assert "bpic2014" in listed.output and "uci-servicenow" in listed.output


def test_a_folder_without_the_profiles_files_is_one_line_naming_each_pattern_once(tmp_path: Path):
    result = run_import(tmp_path, "uci-servicenow")  # two tables read the same file
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "no file matches profile uci-servicenow (it reads incident_event_log.csv, incident_event_log.csv.gz)"
    )


def test_unknown_profile_is_a_clear_error(tmp_path: Path):
    result = run_import(tmp_path, "no-such-profile")
    assert result.exit_code == 2 and "no import profile 'no-such-profile'" in result.output


def test_input_error_message_format():
    err = InputError("bad", file="a.csv", row=3, column="x")
    assert str(err) == "file a.csv, row 3, column x: bad"


# -- the fast date reader answers as strptime does ---------------------------------------------------------------

FAST_FORMATS = [
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y",
    "%d.%m.%Y",
]


@settings(max_examples=400, deadline=None)
@given(
    fmt=st.sampled_from(FAST_FORMATS),
    text=st.one_of(
        st.from_regex(
            r"\A[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}( [0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\.[0-9]{1,7})?)?)?\Z"
        ),
        st.text(alphabet="0123456789-/.: T", max_size=24),
    ),
)
def test_fast_strptime_agrees_with_strptime(fmt: str, text: str) -> None:
    import datetime as dt

    from itsms_graph.importers.values import _strptime

    try:
        expected: object = dt.datetime.strptime(text, fmt)
    except ValueError:
        expected = ValueError
    try:
        got: object = _strptime(text, fmt)
    except ValueError:
        got = ValueError
    assert got == expected


@settings(max_examples=400, deadline=None)
@given(
    formats=st.lists(st.sampled_from([*FAST_FORMATS, "%d-%m-%Y %H:%M:%S", "%b %d %Y"]), min_size=0, max_size=3),
    kind=st.sampled_from(["date", "datetime"]),
    texts=st.lists(
        st.one_of(
            st.from_regex(r"\A[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}(\s{1,2}[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?)?\Z"),
            st.sampled_from(["2014-03-01T10:00:00", "2014-03-01", "01-03-2014 10:05", "29-02-2013 10:00"]),
        ),
        max_size=6,
    ),
)
def test_temporal_parser_agrees_with_parse_temporal(formats: list[str], kind: str, texts: list[str]) -> None:
    """The date/time-part reader (with its memos, over several values) answers as the whole-text parser."""
    from itsms_graph.importers.values import TemporalParser, parse_temporal

    parser = TemporalParser(tuple(formats), kind)
    for text in texts:
        try:
            expected: object = parse_temporal.__wrapped__(text, tuple(formats), kind)
        except ValueError as exc:
            expected = str(exc)
        try:
            got: object = parser(text)
        except ValueError as exc:
            got = str(exc)
        assert got == expected


def test_a_blank_line_in_a_log_without_ids_is_a_blank_row_not_an_empty_record(tmp_path):
    """Tables named by file and row (@row) have an id on every line, blank ones included: still rejected. A line
    with one cell, in any column the file names (read by the table or not), is a row."""
    log = tmp_path / "Detail_Incident_Activity.csv"
    log.write_text(
        "Incident ID,DateStamp,IncidentActivity_Number,IncidentActivity_Type,Assignment Group,KM number,Interaction ID\n"
        "IM1,2014-01-07 08:17:17,001A3689763,Reassignment,TEAM0001,,SD1\n"
        ",,,,,,\n"
        ",,,,,KM1,\n"
        ",,,,, ,SD2\n",
        encoding="utf-8",
    )
    profile = resolve_profile("bpic2014")
    table = next(t for t in profile.tables if t.name == "incident-activities")
    renamed = {
        "Detail Incident Activity.IncidentActivity_Type": "IncidentActivity_Type",
        "Detail Incident Activity.DateStamp": "DateStamp",
    }
    props = {k: v.model_copy(update={"column": renamed[v.column]}) for k, v in table.properties.items()}
    one = profile.model_copy(update={"tables": (table.model_copy(update={"properties": props}),)})
    graph, report = import_sources([(one, log)], keep_going=True)
    [file] = report.files
    assert (file.rows_read, file.accepted, file.rejected) == (4, 3, 1)
    assert [(r.row, r.reason) for r in file.rejections] == [(3, "blank row")]
    assert graph.count("TicketEvent") == 3


SPLIT_PROFILE = """
id: split
title: separated references with their own properties
tables:
  - name: changes
    files: ["changes.csv"]
    record: {label: Change, id: id}
    references:
      - {column: cis, rel: AFFECTS, label: ConfigurationItem, separator: ";", defines: true,
         properties: {name: {column: cis}, kind: {column: kinds}}}
"""


def test_each_part_of_a_separated_reference_gets_its_own_properties(tmp_path):
    """'A;B' with kinds 'server;database' describes A as a server and B as a database; a property cell that does
    not split into as many parts describes every target alike."""
    (tmp_path / "split.yaml").write_text(SPLIT_PROFILE)
    write_csv(
        tmp_path / "changes.csv",
        [
            {"id": "C1", "cis": "A; B", "kinds": "server;database"},
            {"id": "C2", "cis": "X;#none;Y", "kinds": "network"},
        ],
    )
    graph, report = import_sources([(load_profile(tmp_path / "split.yaml"), tmp_path)])
    assert_conserved(report)
    node = graph.node
    assert (node("ConfigurationItem:A")["name"], node("ConfigurationItem:A")["kind"]) == ("A", "server")
    assert (node("ConfigurationItem:B")["name"], node("ConfigurationItem:B")["kind"]) == ("B", "database")
    assert node("ConfigurationItem:X")["kind"] == node("ConfigurationItem:Y")["kind"] == "network"
    assert node("ConfigurationItem:Y")["name"] == "Y"
    assert sorted(graph.neighbours("Change:C2", "AFFECTS", "out")) == [
        "ConfigurationItem:#none",
        "ConfigurationItem:X",
        "ConfigurationItem:Y",
    ]


OR_LABELS_PROFILE = """
id: links
title: links whose target type the export does not say
tables:
  - name: changes
    files: ["changes.csv"]
    record: {label: Change, id: id}
  - name: incidents
    files: ["incidents.csv"]
    record: {label: Incident, id: id}
    references:
      - {column: links, rel: RELATED_TO, label: Change, or_labels: [Problem], separator: ";"}
  - name: problems
    files: ["problems.csv"]
    record: {label: Problem, id: id}
"""


def test_a_reference_resolves_to_whichever_of_its_labels_has_the_id(tmp_path):
    """A Jira-style link names an issue key, not its type: C1 is a change read before, P1 a problem read after,
    C9 is in no file (a placeholder of the first label, reported unresolved)."""
    (tmp_path / "links.yaml").write_text(OR_LABELS_PROFILE)
    write_csv(tmp_path / "changes.csv", [{"id": "C1"}])
    write_csv(tmp_path / "incidents.csv", [{"id": "I1", "links": "C1; P1; C9"}])
    write_csv(tmp_path / "problems.csv", [{"id": "P1"}])
    graph, report = import_sources([(load_profile(tmp_path / "links.yaml"), tmp_path)])
    assert sorted(graph.neighbours("Incident:I1", "RELATED_TO", "out")) == ["Change:C1", "Change:C9", "Problem:P1"]
    assert graph.node("Change:C9")["unresolved"] is True
    assert "Problem:C9" not in graph and "Problem:C1" not in graph
    assert report.unresolved == {("RELATED_TO", "Change"): 1}


def test_or_labels_are_checked_against_the_ontology(tmp_path):
    bad = OR_LABELS_PROFILE.replace("or_labels: [Problem]", "or_labels: [Supplier]")
    (tmp_path / "bad.yaml").write_text(bad)
    with pytest.raises(InputError, match=r"does not allow \(Incident\)-\[:RELATED_TO\]->\(Supplier\)"):
        load_profile(tmp_path / "bad.yaml")


def test_a_target_of_a_dir_for_label_points_its_own_way(tmp_path):
    """dir_for: an incident relates to a change, but a problem it names relates to the incident (the ids resolve
    as before: C1 a change, P1 a problem, C9 a placeholder of the first label, so out)."""
    both = OR_LABELS_PROFILE.replace("or_labels: [Problem]", "or_labels: [Problem], dir_for: {Problem: in}")
    (tmp_path / "links.yaml").write_text(both)
    write_csv(tmp_path / "changes.csv", [{"id": "C1"}])
    write_csv(tmp_path / "incidents.csv", [{"id": "I1", "links": "C1; P1; C9"}])
    write_csv(tmp_path / "problems.csv", [{"id": "P1"}])
    graph, _ = import_sources([(load_profile(tmp_path / "links.yaml"), tmp_path)])
    assert sorted(graph.neighbours("Incident:I1", "RELATED_TO", "out")) == ["Change:C1", "Change:C9"]
    assert graph.neighbours("Incident:I1", "RELATED_TO", "in") == ["Problem:P1"]


@pytest.mark.parametrize(
    ("dir_for", "message"),
    [
        ("{Service: in}", "dir_for names 'Service', which is not one of its labels"),
        ("{Change: in}", r"does not allow \(Change\)-\[:RELATED_TO\]->\(Incident\)"),
    ],
)
def test_dir_for_is_checked_against_the_labels_and_the_ontology(tmp_path, dir_for: str, message: str):
    bad = OR_LABELS_PROFILE.replace("or_labels: [Problem]", f"or_labels: [Problem], dir_for: {dir_for}")
    (tmp_path / "bad.yaml").write_text(bad)
    with pytest.raises(InputError, match=message):
        load_profile(tmp_path / "bad.yaml")


def test_a_profile_error_suggests_the_property_or_relationship_meant(tmp_path):
    bad = OR_LABELS_PROFILE.replace("or_labels: [Problem]", "or_labels: [Supplier]")
    (tmp_path / "bad.yaml").write_text(bad)
    with pytest.raises(InputError, match=r"from Incident to Supplier it allows INVOLVES_SUPPLIER"):
        load_profile(tmp_path / "bad.yaml")
    typo = PROFILE.replace("opened_at:", "opened_at_time:", 1)
    assert typo != PROFILE
    (tmp_path / "typo.yaml").write_text(typo)
    with pytest.raises(InputError, match=r"no property 'opened_at_time' \(did you mean 'opened_at'\?\)"):
        load_profile(tmp_path / "typo.yaml")


def test_the_profile_reference_documents_every_key_and_its_example_is_valid():
    """Every key the profile model accepts is in the reference's table for its part of a profile, no table names a
    key the model does not accept, and the worked example validates against the ontology."""
    import re

    import yaml

    from itsms_graph.importers.profile import Column, Profile, Record, Reference, RowFilter, Table
    from itsms_graph.ontology import schema

    text = (Path(__file__).resolve().parent.parent / "importers" / "README.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.S | re.M))
    models = {
        "Profile": Profile,
        "Table": Table,
        "Record": Record,
        "Row filter (`where`)": RowFilter,
        "Property (`properties`, and a reference's `properties`)": Column,
        "Reference (`references`)": Reference,
    }
    for title, model in models.items():
        documented = set(re.findall(r"^\| `([a-z_]+)` \|", sections[title], re.M))
        accepted = {f.alias or name for name, f in model.model_fields.items()}
        assert documented == accepted, title
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))
    assert Profile.model_validate(example).check_against(schema()) == []


def test_rows_after_an_excel_sep_hint_keep_the_numbers_a_person_sees(tmp_path: Path, tiny):
    """The 'sep=;' line is line 1 and the header line 2, so the first record is row 3."""
    rows = [dict(r) for r in ROWS]
    rows[0]["opened"] = "31/02/2025 10:00"
    raw = write_csv(tmp_path / "plain", rows, sep=";").read_bytes()
    (tmp_path / "plain").unlink()
    (tmp_path / "changes.csv").write_bytes(b"sep=;\r\n" + raw)
    importer = Importer(keep_going=True)
    importer.add_source(tiny, tmp_path)
    _, report = importer.finish()
    [rejection] = report.files[0].rejections
    assert (rejection.row, rejection.column, rejection.value) == (3, "opened", "31/02/2025 10:00")


def test_the_same_exports_give_a_byte_identical_snapshot_and_reopening_keeps_every_byte(tmp_path: Path):
    """Determinism from the files on: two imports of the BPIC 2014 excerpt write the same bytes, and a snapshot
    opened and saved again is the same file (the order of nodes, relationships and shared provenance survives)."""
    from itsms_graph.graph import open_snapshot, save_snapshot

    written = []
    for name in ("a.itsms", "b.itsms"):
        graph, _ = import_sources([(resolve_profile("bpic2014"), DATA / "bpic2014")], keep_going=True)
        written.append(save_snapshot(graph, tmp_path / name).read_bytes())
    assert written[0] == written[1]
    again = save_snapshot(open_snapshot(tmp_path / "a.itsms"), tmp_path / "c.itsms")
    assert again.read_bytes() == written[0]


@pytest.mark.parametrize(
    ("profile", "folder"), [("bpic2014", DATA / "bpic2014"), ("servicenow", DATA / "servicenow" / "xlsx")]
)
def test_a_files_progress_moves_as_its_rows_are_read(monkeypatch, profile: str, folder: Path):
    """Each file's progress counts its rows as they are read (a CSV block at a time, the row readers every so many
    rows), never backwards, and ends, done once and last, at the rows the report says were read."""
    from itsms_graph.importers import columns
    from itsms_graph.importers.build import RESOLVING

    monkeypatch.setattr(columns, "_BLOCK", 1 << 10)
    monkeypatch.setattr(columns, "_PROGRESS_ROWS", 2)
    seen: dict[str, list[tuple[int, bool]]] = {}
    _, report = import_sources(
        [(resolve_profile(profile), folder)],
        keep_going=True,
        progress=lambda file, rows, done: seen.setdefault(file, []).append((rows, done)),
    )
    assert seen.pop(RESOLVING) == [(0, False), (sum(f.rows_read for f in report.files), True)]
    moving = 0
    for f in report.files:
        said = seen[f"{f.file} ({f.table})"]
        counts = [rows for rows, _ in said]
        assert counts == sorted(counts)
        assert said[0] == (0, False) and said[-1] == (f.rows_read, True)
        assert [done for _, done in said].count(True) == 1
        moving += len(set(counts)) > 2  # moved before the file's end
    assert moving


ORDER_PROFILE = """
id: order
title: two files, each with its own problem
tables:
  - name: changes
    files: ["a-changes.csv"]
    record: {label: Change, id: id}
    properties:
      emergency: {column: emergency, "true": ["Y"], "false": ["N"]}
  - name: incidents
    files: ["b-incidents.csv"]
    record: {label: Incident, id: id}
"""


@pytest.mark.parametrize("keep_going", [False, True])
def test_files_are_taken_in_order_though_the_next_is_read_ahead(tmp_path, keep_going: bool):
    """The next file is read while this one is converted, but its turn, and its error, come after this one's: a
    bad value in the first file is the error without --keep-going, and the second file's missing column with it."""
    (tmp_path / "order.yaml").write_text(ORDER_PROFILE)
    write_csv(tmp_path / "a-changes.csv", [{"id": "C1", "emergency": "Y"}, {"id": "C2", "emergency": "maybe"}])
    write_csv(tmp_path / "b-incidents.csv", [{"number": "I1"}])
    with pytest.raises(InputError) as err:
        import_sources([(load_profile(tmp_path / "order.yaml"), tmp_path)], keep_going=keep_going)
    where = (err.value.file, err.value.row, err.value.column)
    assert where == (("b-incidents.csv", 1, "id") if keep_going else ("a-changes.csv", 3, "emergency"))


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_a_number_that_is_no_finite_number_is_a_rejection(tmp_path: Path, cell: str):
    """'nan' and 'inf' parse as Python floats, but no target, amount or count is one, and they compare differently on
    each engine (NaN equals nothing in Python, everything in duckdb's ORDER BY): the cell is rejected, naming its
    file, row and column, and the record is not made."""
    assert CliRunner().invoke(cli, ["template", str(tmp_path / "t")]).exit_code == 0
    slas = tmp_path / "t" / "csv" / "slas.csv"
    slas.write_text(slas.read_text(encoding="utf-8").replace(",monthly,95,", f",monthly,{cell},"), encoding="utf-8")
    graph, report = import_sources([(resolve_profile("sms-register"), tmp_path / "t" / "csv")], keep_going=True)
    [file] = [f for f in report.files if f.file.endswith("slas.csv")]
    [rejection] = file.rejections
    assert (rejection.row, rejection.column, rejection.value) == (2, "target_percent", cell)
    assert "finite" in rejection.reason
    assert all(graph.attrs(s).get("unresolved") for s in graph.nodes("SLA"))  # what other rows name, no record
    with pytest.raises(SchemaViolation, match="not a finite number"):
        SMSGraph().add_node("SLA", "S1", {"target_percent": float(cell)}, source_file="t.csv")

"""The sms-register profile and its templates: the SMS manager's registers in, a small fully linked SMS out.

The templates (one CSV per register and one workbook) re-import without a rejection into the same graph; an
empty register declares its label; a bad cell is located; the canned queries give the results worked out by
hand from the example rows (as of 2025-06-30, a 12-month audit period).
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from itsms_graph.check import check_graph
from itsms_graph.errors import InputError
from itsms_graph.importers import import_sources, resolve_profile
from itsms_graph.importers.templates import (
    CSV_FOLDER,
    WORKBOOK,
    example_rows,
    register_columns,
    registers,
    write_templates,
)
from itsms_graph.ontology import clauses
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.results import Status

PROFILE = resolve_profile("sms-register")
#: the example row of each register, from the profile (importers/sms-register.yaml)
EXAMPLES = example_rows(PROFILE)
AS_OF = "2025-06-30"
REGISTERS = [
    "roles",
    "people",
    "scope",
    "services",
    "suppliers",
    "contracts",
    "slas",
    "documents",
    "objectives",
    "risks",
    "audits",
    "management_reviews",
    "nonconformities",
    "corrective_actions",
    "records",
    "rules",
    "context_issues",
    "interested_parties",
    "configuration_items",
    "budgets",
    "complaints",
    "improvements",
]


def graph_state(graph):
    """Nodes with their properties and edges, provenance (source file and row) left out."""
    nodes = sorted(
        (n, sorted((k, v) for k, v in a.items() if not k.startswith("source"))) for n, a in graph.nx.nodes(data=True)
    )
    return nodes, sorted((s, t, k) for s, t, k in graph.nx.edges(keys=True))


def csv_only(templates: list[Path], folder: Path) -> Path:
    folder.mkdir()
    for path in templates:
        if path.suffix == ".csv":
            shutil.copy(path, folder / path.name)
    return folder


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def results(graph, as_of: str = AS_OF, query_ids=None):
    report = check_graph(graph, period=AuditPeriod.parse(as_of), query_ids=query_ids)
    return {r.query.id: r for r in report.results}


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> list[Path]:
    return write_templates(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="module")
def from_csv(templates, tmp_path_factory):
    return import_sources([(PROFILE, csv_only(templates, tmp_path_factory.mktemp("x") / "csv"))])


@pytest.fixture(scope="module")
def from_xlsx(templates):
    return import_sources([(PROFILE, templates[-1])])


# --- the templates ---------------------------------------------------------------------------------------------


def test_templates_have_the_profile_header_and_one_example_row(templates):
    assert [p.name for p in templates] == [f"{r}.csv" for r in REGISTERS] + [WORKBOOK]
    by_register = registers(PROFILE)
    assert list(by_register) == REGISTERS
    assert [t.name for t in by_register["services"]] == ["services", "catalogue"]  # one register, two tables
    book = openpyxl.load_workbook(templates[-1], read_only=True)
    assert book.sheetnames == REGISTERS
    for register, path in zip(REGISTERS, templates, strict=False):
        header, example = read_csv(path)
        tables = by_register[register]
        assert header == register_columns(PROFILE, tables)
        assert set(header) == set().union(*(PROFILE.columns(t) for t in tables))  # every column the import reads
        assert header[0] == "id" and len(example) == len(header)
        sheet_rows = list(book[register].iter_rows(values_only=True))
        assert len(sheet_rows) == 2 and list(sheet_rows[0]) == header
    book.close()
    assert set(EXAMPLES) == set(REGISTERS)  # every register has its example row (catalogue: services' row)


def test_templates_are_byte_stable(templates, tmp_path: Path):
    again = write_templates(tmp_path)
    for first, second in zip(templates, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    with zipfile.ZipFile(again[-1]) as book:
        assert {i.date_time for i in book.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2025-01-01T00:00:00Z" in book.read("docProps/core.xml")


def test_an_example_row_naming_a_column_the_profile_does_not_read_raises(tmp_path: Path):
    bad = {**EXAMPLES, "documents": {**EXAMPLES["documents"], "approver": "Ana Silva"}}
    with pytest.raises(ValueError, match="'approver'"):
        write_templates(tmp_path, examples=bad)
    with pytest.raises(ValueError, match="'catalog'"):
        write_templates(tmp_path, examples={"catalog": {"id": "x"}})


# --- re-import ---------------------------------------------------------------------------------------------------


def test_csv_and_workbook_templates_import_without_rejection_into_the_same_graph(from_csv, from_xlsx):
    (g_csv, _), (g_xlsx, r_xlsx) = from_csv, from_xlsx
    for graph, report in (from_csv, from_xlsx):
        assert report.rejected == 0 and not report.skipped_tables
        assert not report.unresolved  # fully linked: every reference names a record of a register
        assert not [n for n, a in graph.nx.nodes(data=True) if a.get("unresolved")]
    assert graph_state(g_csv) == graph_state(g_xlsx)
    assert {f.file for f in r_xlsx.files} == {WORKBOOK}
    assert g_csv.node("Document:DOC-SCOPE")["approved_on"] == "2025-01-15"
    assert g_xlsx.node("ManagementReview:MR-2025-1")["inputs"] == [
        "audit_results",
        "customer_feedback",
        "service_performance",
        "nonconformity_status",
    ]
    assert g_xlsx.node("CorrectiveAction:CA-2025-01")["effective"] is True
    assert g_csv.neighbours("Service:SVC-EMAIL", "INCLUDES", "in") == ["Scope:SMS"]
    assert g_csv.neighbours("Service:SVC-EMAIL", "DESCRIBES", "in") == ["CatalogueEntry:SVC-EMAIL"]
    assert g_csv.neighbours("Document:DOC-SCOPE", "DEFINES", "out") == ["Scope:SMS"]
    assert g_csv.neighbours("Document:DOC-SCOPE", "ADDRESSES", "out") == ["Clause:4.3", "Clause:4.4"]
    assert sorted(g_csv.neighbours("Person:Ana Silva", "OWNED_BY", "in")) == [
        "Complaint:CMP-2025-003",
        "ConfigurationItem:CI-MX01",
        "CorrectiveAction:CA-2025-01",
        "Document:DOC-SCOPE",
        "Improvement:OFI-2025-01",
        "Objective:OBJ-EMAIL-AVAIL",
        "Risk:RISK-MAILHOST",
        "Service:SVC-EMAIL",
    ]
    # the registers of the rest of the standard: the auditor and the review's attendees, outputs and the CMDB
    assert g_csv.neighbours("InternalAudit:IA-2025-01", "AUDITED_BY", "out") == ["Person:Rui Costa"]
    assert g_xlsx.neighbours("ManagementReview:MR-2025-1", "ATTENDED_BY", "out") == ["Person:Ana Silva"]
    assert g_xlsx.node("ManagementReview:MR-2025-1")["outputs"] == ["decisions", "actions"]
    assert g_xlsx.node("ConfigurationItem:CI-MX01")["modified_at"] == "2025-03-14T22:00:00"
    assert g_csv.neighbours("ConfigurationItem:CI-MX01", "PART_OF", "out") == ["Service:SVC-EMAIL"]
    assert g_csv.node("Budget:BUD-EMAIL-2025")["actual_amount"] == 58000.0


def test_every_row_of_every_file_is_accounted_for(from_csv, from_xlsx):
    for _, report in (from_csv, from_xlsx):
        assert [f.table for f in report.files] == [t.name for t in PROFILE.tables]
        for f in report.files:
            assert f.rows_read == f.accepted + f.merged + f.rejected + f.skipped, f.file
            assert (f.rows_read, f.accepted, f.merged, f.rejected, f.skipped) == (1, 1, 0, 0, 0), f.table
    csv_files = {f.table: f.file for f in from_csv[1].files}
    assert csv_files["catalogue"] == csv_files["services"] == "services.csv"


def test_the_template_folder_reads_each_register_once_from_the_workbook_and_its_csv_folder_from_the_csvs(templates):
    """Side by side, a folder import read both forms: the example rows of the form left unfilled became records."""
    folder = templates[-1].parent
    assert {p.parent for p in templates[:-1]} == {folder / CSV_FOLDER}
    for source, names in ((folder, {WORKBOOK}), (folder / CSV_FOLDER, {f"{r}.csv" for r in REGISTERS})):
        graph, report = import_sources([(PROFILE, source)])
        assert {f.file for f in report.files} == names
        assert all((f.rows_read, f.merged, f.rejected) == (1, 0, 0) for f in report.files)
    assert graph_state(import_sources([(PROFILE, folder)])[0]) == graph_state(graph)


def test_lock_and_hidden_files_beside_the_workbook_are_not_read(templates, from_xlsx, tmp_path: Path):
    """Excel leaves ~$registers.xlsx beside a workbook while it is open, LibreOffice .~lock.registers.xlsx#, macOS
    ._registers.xlsx on a shared drive: *.xlsx matches some of them, and none is a workbook."""
    folder = tmp_path / "registers"
    folder.mkdir()
    shutil.copy(templates[-1], folder / WORKBOOK)
    (folder / f"~${WORKBOOK}").write_bytes(b"\x0bAna Silva" + b"\x00" * 150)  # what Excel writes: the owner's name
    (folder / f".~lock.{WORKBOOK}#").write_text(",Ana Silva,laptop,30.06.2025 10:00,file:///home/ana/;")
    (folder / f"._{WORKBOOK}").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)
    (folder / ".audits.csv").write_text("id\nnot-an-audit\n")
    graph, report = import_sources([(PROFILE, folder)])
    assert {f.file for f in report.files} == {WORKBOOK}
    assert report.rejected == 0 and not report.skipped_tables
    assert graph_state(graph) == graph_state(from_xlsx[0])


def test_declared_labels_include_every_register_label(from_csv, from_xlsx):
    for table in PROFILE.tables:
        assert table.record.label in table.declares, table.name
    expected = {
        "Role",
        "Person",
        "Scope",
        "OrganisationalUnit",
        "Location",
        "Service",
        "CatalogueEntry",
        "Supplier",
        "Contract",
        "SLA",
        "Document",
        "Objective",
        "Risk",
        "InternalAudit",
        "ManagementReview",
        "Nonconformity",
        "CorrectiveAction",
        "ContextIssue",
        "InterestedParty",
        "ConfigurationItem",
        "Budget",
        "Complaint",
        "Improvement",
        "Record",
        "Rule",
    }
    assert {label for t in PROFILE.tables for label in t.declares} == expected
    for graph, _ in (from_csv, from_xlsx):
        assert graph.declared_labels == expected | {"Clause"}


# --- an empty register -------------------------------------------------------------------------------------------


def without_audits(tmp_path: Path) -> Path:
    """The templates with a header-only audits register (and no nonconformity naming an audit)."""
    examples = {k: v for k, v in EXAMPLES.items() if k != "audits"}
    examples["nonconformities"] = {**EXAMPLES["nonconformities"], "raised_by_audit": ""}
    return csv_only(write_templates(tmp_path / "all", examples=examples), tmp_path / "csv")


def test_an_empty_register_is_evidence_of_absence(tmp_path: Path):
    folder = without_audits(tmp_path)
    assert read_csv(folder / "audits.csv") == [register_columns(PROFILE, registers(PROFILE)["audits"])]
    graph, report = import_sources([(PROFILE, folder)])
    [audits] = [f for f in report.files if f.table == "audits"]
    assert (audits.rows_read, audits.accepted) == (0, 0)
    assert "InternalAudit" in graph.declared_labels and graph.count("InternalAudit") == 0
    checked = results(graph, query_ids=["internal-audit-completed"])["internal-audit-completed"]
    assert checked.status is Status.FAIL and len(checked.findings) == 1

    (folder / "audits.csv").unlink()  # no audit register at all: nothing is known about audits
    graph, report = import_sources([(PROFILE, folder)])
    assert "sms-register:audits" in report.skipped_tables
    checked = results(graph, query_ids=["internal-audit-completed"])["internal-audit-completed"]
    assert checked.status is Status.NOT_ASSESSABLE and checked.missing_data == ["no InternalAudit records"]


def test_an_empty_register_with_a_dangling_reference_to_it_still_fails(tmp_path: Path):
    examples = {k: v for k, v in EXAMPLES.items() if k != "audits"}
    folder = csv_only(write_templates(tmp_path / "all", examples=examples), tmp_path / "csv")
    graph, _ = import_sources([(PROFILE, folder)])
    checked = results(graph, query_ids=["internal-audit-completed"])["internal-audit-completed"]
    assert checked.status is Status.FAIL


# --- a bad cell --------------------------------------------------------------------------------------------------


def test_a_bad_date_names_file_row_and_column(templates, tmp_path: Path):
    folder = csv_only(templates, tmp_path / "csv")
    documents = folder / "documents.csv"
    documents.write_text(documents.read_text(encoding="utf-8").replace("2025-01-15", "15/01/2025"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_sources([(PROFILE, folder)])
    error = caught.value
    assert (error.file, error.row, error.column) == ("documents.csv", 2, "approved_on")
    assert str(error).startswith("file documents.csv, row 2, column approved_on: '15/01/2025' is not a date")


# --- the canned queries on the example SMS -----------------------------------------------------------------------

#: Worked out by hand from the example rows, as of 2025-06-30 with the audit period 2024-07-01 to 2025-06-30.
EXPECTED = {
    # the scope statement, approved 2025-01-15, defines scope SMS: service SVC-EMAIL, unit, location
    "scope-statement-approved": (Status.PASS, 0),
    "scope-names-services-and-units": (Status.PASS, 0),
    "document-control": (Status.PASS, 0),  # owner, version 2.0, approved, review due 2026-01-15
    # the documents register holds the scope statement only
    "sm-policy-current": (Status.FAIL, 1),
    "audit-programme-exists": (Status.FAIL, 1),
    "risk-register-exists": (Status.FAIL, 1),
    "sm-policy-approved-by-top-management": (Status.PASS, 0),  # no policy to check
    "documented-information-coverage": (Status.FAIL, 14),  # 15 required clauses, 4.3 addressed
    # the service: live, in scope, catalogued, owned, under an SLA in force all period, with a contracted
    # supplier reviewed on 2025-04-10
    "service-catalogue-exists": (Status.PASS, 0),
    "in-scope-service-not-in-catalogue": (Status.PASS, 0),
    "in-scope-service-without-owner": (Status.PASS, 0),
    "in-scope-service-without-sla": (Status.PASS, 0),
    "service-delivered-not-in-catalogue": (Status.PASS, 0),
    "service-delivered-outside-scope": (Status.PASS, 0),
    "supplier-without-contract": (Status.PASS, 0),
    "contract-expired-in-use": (Status.PASS, 0),
    "supplier-without-review": (Status.PASS, 0),
    # SLA in force 2024-07..2025-06; the one record is a supplier review; June's report is not due by 2025-06-30
    "sla-report-missing": (Status.FAIL, 11),
    # audit completed 2025-03-14 on 8.5.1-8.5.3; review 2025-05-20 with all four inputs; NC corrected in time
    "internal-audit-completed": (Status.PASS, 0),
    "management-review-held": (Status.PASS, 0),
    "management-review-missing-inputs": (Status.PASS, 0),
    "nonconformity-without-corrective-action": (Status.PASS, 0),
    "corrective-action-overdue": (Status.PASS, 0),
    "corrective-action-not-verified": (Status.PASS, 0),
    "objectives-exist": (Status.PASS, 0),
    "objective-not-measurable-or-unowned": (Status.PASS, 0),
    "objective-without-measurement": (Status.FAIL, 1),
    "risk-without-treatment": (Status.PASS, 0),
    "role-holder-without-competence-record": (Status.FAIL, 1),  # Ana Silva, top management, no training record
    "unresolved-reference": (Status.PASS, 0),
    "change-implemented-without-approval": (Status.NOT_ASSESSABLE, 0),  # changes come from the ITSM export
}


def test_canned_queries_on_the_templates_give_the_hand_worked_results(from_csv, from_xlsx):
    got = results(from_csv[0])
    assert {q: (got[q].status, len(got[q].findings)) for q in EXPECTED} == EXPECTED
    # the audit covers 8.5.1, 8.5.2 and 8.5.3, so of the clauses down to depth 2 only 8 and 8.5 are audited
    depth2 = {c.node_id for c in clauses() if c.depth <= 2}
    processes = {c.node_id for c in clauses() if c.depth == 3 and c.number.startswith("8.")}
    uncovered = {f.subjects[0] for f in got["audit-programme-not-covering-clauses"].findings}
    # the audit of 8.5.1, 8.5.2 and 8.5.3 covers those processes and, rolling up, 8.5 and 8
    assert uncovered == (depth2 | processes) - {
        "Clause:8",
        "Clause:8.5",
        "Clause:8.5.1",
        "Clause:8.5.2",
        "Clause:8.5.3",
    }
    assert [f.subjects for f in got["objective-without-measurement"].findings] == [("Objective:OBJ-EMAIL-AVAIL",)]
    assert [f.subjects for f in got["role-holder-without-competence-record"].findings] == [
        ("Person:Ana Silva", "Role:Top management")
    ]
    months = [f.subjects[1] for f in got["sla-report-missing"].findings]
    assert months[0] == "month=2024-07" and months[-1] == "month=2025-05"
    from_workbook = results(from_xlsx[0])
    assert {q: (r.status, r.rows) for q, r in from_workbook.items()} == {q: (r.status, r.rows) for q, r in got.items()}


def test_the_scope_statement_counts_from_its_approval_date(from_csv):
    for as_of, status in (("2025-01-14", Status.FAIL), ("2025-01-15", Status.PASS)):
        got = results(from_csv[0], as_of, ["scope-statement-approved"])["scope-statement-approved"]
        assert got.status is status, as_of


# --- registers beside the ITSM tool's export: references resolve across sources ----------------------------------


@pytest.mark.parametrize("servicenow_first", [True, False], ids=["servicenow-first", "registers-first"])
def test_a_register_record_evidences_a_change_from_the_servicenow_export(templates, tmp_path: Path, servicenow_first):
    """The issue's own command: `import -p servicenow exports/ -p sms-register registers.xlsx`. A record in the
    SMS manager's register names change CHG0030001, which only the ServiceNow export holds: in one graph the
    reference resolves to that change (no placeholder), whichever source comes first."""
    from click.testing import CliRunner

    from itsms_graph.cli import cli
    from itsms_graph.graph import open_snapshot

    book = openpyxl.load_workbook(templates[-1])
    sheet = book["records"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("evidences_change") + 1, value="CHG0030001")
    registers_file = tmp_path / "registers.xlsx"
    book.save(registers_file)
    exports = Path(__file__).resolve().parent / "data" / "servicenow" / "csv"
    sources = [["-p", "servicenow", str(exports)], ["-p", "sms-register", str(registers_file)]]
    if not servicenow_first:
        sources.reverse()
    snap = tmp_path / "snap.itsms"
    result = CliRunner().invoke(cli, ["import", *sources[0], *sources[1], "-o", str(snap)])
    assert result.exit_code == 0, result.output
    graph = open_snapshot(snap)
    change = graph.node("Change:CHG0030001")
    assert "unresolved" not in change and change["source_file"] == "change_request.csv"
    assert graph.has_edge("Record:REC-2025-042", "Change:CHG0030001", "EVIDENCES")
    assert {i.path for i in graph.inputs} >= {"registers.xlsx", "change_request.csv", "incident.csv"}

    alone, report = import_sources([(PROFILE, registers_file)])  # without the export: a placeholder, reported
    assert alone.node("Change:CHG0030001")["unresolved"] is True
    assert report.unresolved[("EVIDENCES", "Change")] == 1


def test_the_template_states_who_approves_a_normal_change(from_xlsx):
    """The rules register's example row is the change policy's approving authority of normal changes (#14.3): the
    check reads it from the register, and stays not assessable until the emergency one is stated too."""
    graph, _ = from_xlsx
    rule = graph.attrs("Rule:RULE-NORMAL-CHANGE-AUTHORITY")
    assert (rule["parameter"], rule["value"]) == ("normal_change_authority", "Top management")
    result = results(graph, query_ids=["change-approved-by-wrong-authority"])["change-approved-by-wrong-authority"]
    used = result.parameters["normal_change_authority"]
    assert (used.value, used.source.value) == ("Top management", "rules register")
    assert result.status.value == "not assessable"
    assert result.missing_data[0].startswith("the approving authority of emergency changes")

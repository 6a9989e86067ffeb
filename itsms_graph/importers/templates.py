"""Register templates for an import profile: one CSV per register and one workbook, headers from the profile.
Each register carries one example row; together the rows import as a small, valid, fully linked SMS."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from pathlib import Path

from itsms_graph.errors import InputError
from itsms_graph.importers import resolve_profile
from itsms_graph.importers.profile import Profile, Table
from itsms_graph.ontology import schema
from itsms_graph.outputs import atomic_output, make_folder

__all__ = [
    "CSV_FOLDER",
    "EXAMPLE_ROWS",
    "WORKBOOK",
    "register_columns",
    "registers",
    "table_columns",
    "write_templates",
]

#: The workbook that holds every register as a sheet.
WORKBOOK = "registers.xlsx"
#: The subfolder of the CSV registers, beside the workbook.
CSV_FOLDER = "csv"
#: The workbook's created/modified stamp and every ZIP entry's date: the same templates give the same bytes.
_STAMP = dt.datetime(2025, 1, 1)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_GLOB = frozenset("*?[")

#: The example row of each register of the sms-register profile, keyed by table name: a small SMS in which
#: every reference resolves (the catalogue table reads the services register's row, so it has none of its own).
EXAMPLE_ROWS: dict[str, dict[str, str]] = {
    "roles": {"id": "Top management", "name": "Top management", "top_management": "yes"},
    "people": {"id": "Ana Silva", "name": "Ana Silva", "roles": "Top management", "unit": "IT Operations"},
    "scope": {
        "id": "SMS",
        "name": "Service management system of IT Operations",
        "org_units": "IT Operations",
        "locations": "Lisbon head office",
        "excluded_services": "",
    },
    "services": {
        "id": "SVC-EMAIL",
        "name": "Corporate e-mail",
        "status": "live",
        "criticality": "high",
        "owner": "Ana Silva",
        "customers": "Retail Banking;Corporate Banking",
        "in_scope": "yes",
        "in_catalogue": "yes",
        "exclusion_justification": "",
    },
    "suppliers": {
        "id": "SUP-MAILHOST",
        "name": "MailHost Ltd",
        "criticality": "high",
        "kind": "external",
        "supports": "SVC-EMAIL",
    },
    "contracts": {
        "id": "CON-MAILHOST-2024",
        "title": "E-mail hosting contract with MailHost",
        "approved_on": "2024-06-20",
        "valid_from": "2024-07-01",
        "valid_to": "2026-06-30",
        "kind": "contract",
        "supplier": "SUP-MAILHOST",
        "underpins": "SVC-EMAIL",
    },
    "slas": {
        "id": "SLA-EMAIL",
        "title": "Corporate e-mail SLA with Retail Banking",
        "valid_from": "2024-07-01",
        "valid_to": "2025-12-31",
        "reporting_period": "monthly",
        "service": "SVC-EMAIL",
        "customer": "Retail Banking",
    },
    "documents": {
        "id": "DOC-SCOPE",
        "kind": "scope_statement",
        "title": "SMS scope statement",
        "version": "2.0",
        "approved_on": "2025-01-15",
        "review_due": "2026-01-15",
        "owner": "Ana Silva",
        "approved_by": "Ana Silva",
        "approved_by_role": "Top management",
        "clauses": "4.3;4.4",
        "defines_scope": "SMS",
        "status": "current",
        "plans_services": "",
        "plans_changes": "",
        "operated_by": "",
    },
    "objectives": {
        "id": "OBJ-EMAIL-AVAIL",
        "title": "Corporate e-mail available 99.9% of each month",
        "metric": "monthly availability of corporate e-mail",
        "target": ">= 99.9%",
        "due_on": "2025-12-31",
        "owner": "Ana Silva",
    },
    "risks": {
        "id": "RISK-MAILHOST",
        "title": "E-mail hosting supplier fails or exits the market",
        "rating": "high",
        "treatment": "reduce: tested exit plan and a second supplier on standby",
        "owner": "Ana Silva",
    },
    "audits": {
        "id": "IA-2025-01",
        "title": "Internal audit of change and release management",
        "status": "completed",
        "planned_on": "2025-03-10",
        "completed_on": "2025-03-14",
        "clauses": "8.5.1;8.5.2;8.5.3",
        "services": "SVC-EMAIL",
        "programme": "",
        "auditor": "Rui Costa",
    },
    "management_reviews": {
        "id": "MR-2025-1",
        "title": "Management review, first half of 2025",
        "held_on": "2025-05-20",
        "inputs": "audit_results;customer_feedback;service_performance;nonconformity_status",
        "scheduled_on": "2025-05-31",
        "outputs": "decisions;actions",
        "attendees": "Ana Silva",
    },
    "nonconformities": {
        "id": "NC-2025-01",
        "title": "Emergency changes closed without a post-implementation review",
        "grade": "minor",
        "raised_on": "2025-03-14",
        "status": "closed",
        "clause": "8.5.1.3",
        "raised_by_audit": "IA-2025-01",
        "raised_by_review": "",
        "raised_by_record": "",
    },
    "corrective_actions": {
        "id": "CA-2025-01",
        "title": "Make the post-implementation review a mandatory task of every emergency change",
        "due_on": "2025-05-31",
        "completed_on": "2025-05-15",
        "verified_on": "2025-06-20",
        "effective": "yes",
        "corrects": "NC-2025-01",
        "owner": "Ana Silva",
    },
    "records": {
        "id": "REC-2025-042",
        "kind": "supplier_review",
        "title": "MailHost quarterly supplier review, Q1 2025",
        "recorded_on": "2025-04-10",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "evidences_document": "",
        "evidences_clause": "8.3.4.1",
        "evidences_service": "SVC-EMAIL",
        "evidences_supplier": "SUP-MAILHOST",
        "evidences_contract": "CON-MAILHOST-2024",
        "evidences_sla": "SLA-EMAIL",
        "evidences_objective": "",
        "evidences_person": "",
        "evidences_corrective_action": "",
        "evidences_change": "",
        "evidences_customer": "",
        "evidences_incident": "",
        "evidences_risk": "",
        "evidences_ci": "",
    },
    "context_issues": {
        "id": "CTX-CLOUD",
        "title": "Dependence on one e-mail hosting provider",
        "kind": "external",
        "reviewed_on": "2025-02-10",
    },
    "interested_parties": {
        "id": "IP-REGULATOR",
        "name": "Banking regulator",
        "requirements": "outages of customer-facing services notified within 4 hours",
        "reviewed_on": "2025-02-10",
    },
    "configuration_items": {
        "id": "CI-MX01",
        "name": "mx01",
        "kind": "server",
        "status": "live",
        "modified_at": "2025-03-14T22:00:00",
        "service": "SVC-EMAIL",
        "part_of_ci": "",
        "depends_on": "",
        "owner": "Ana Silva",
        "operated_by": "SUP-MAILHOST",
    },
    "budgets": {
        "id": "BUD-EMAIL-2025",
        "title": "Corporate e-mail, 2025",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "budget_amount": "120000",
        "actual_amount": "58000",
        "service": "SVC-EMAIL",
    },
    "complaints": {
        "id": "CMP-2025-003",
        "title": "Mailbox full for two days",
        "status": "closed",
        "raised_on": "2025-03-02",
        "closed_on": "2025-03-12",
        "customer": "Retail Banking",
        "service": "SVC-EMAIL",
        "owner": "Ana Silva",
    },
    "improvements": {
        "id": "OFI-2025-01",
        "title": "Self-service mailbox quota increase",
        "status": "approved",
        "raised_on": "2025-03-20",
        "evaluated_on": "2025-04-15",
        "closed_on": "",
        "owner": "Ana Silva",
    },
    "rules": {
        "id": "RULE-MR-INTERVAL",
        "parameter": "management_review_interval",
        "value": "12",
        "description": "Top management reviews the SMS at least every 12 months",
        "stated_in": "DOC-SCOPE",
    },
}


def table_columns(profile: Profile, table: Table) -> list[str]:
    """Every column *table* reads, in reading order: the id, the row filter, the properties, the references."""
    ordered: list[str] = []
    if table.record.id != "@row":
        ordered.append(table.record.id)
    if table.where is not None:
        ordered.append(table.where.column)
    ordered += [c.column for c in table.properties.values() if c.column]
    for ref in table.references:
        ordered.append(ref.column)
        ordered += [c.column for c in ref.properties.values() if c.column]
    columns = list(dict.fromkeys(ordered))
    if set(columns) != profile.columns(table):  # Profile.columns is every column the importer reads
        raise AssertionError(f"table {table.name}: template columns disagree with the profile's columns")
    return columns


def _register_name(table: Table) -> str:
    if table.sheet is not None:
        return table.sheet
    first = Path(table.files[0]).name
    name = first.split(".", 1)[0]
    if not name or _GLOB & set(first):
        raise InputError(f"table {table.name} names no sheet and no plain file name to write a template as")
    return name


def registers(profile: Profile) -> dict[str, list[Table]]:
    """The profile's registers (a sheet, or a file name) in profile order, each with the tables that read it."""
    found: dict[str, list[Table]] = {}
    for table in profile.tables:
        found.setdefault(_register_name(table), []).append(table)
    return found


def register_columns(profile: Profile, tables: list[Table]) -> list[str]:
    """The header of a register: the columns of every table that reads it, first table first."""
    return list(dict.fromkeys(c for t in tables for c in table_columns(profile, t)))


def _example_rows(
    profile: Profile, examples: Mapping[str, Mapping[str, str]]
) -> dict[str, tuple[list[str], dict[str, str] | None]]:
    """Each register's header and example row (None: header only); an example naming an unread column raises."""
    tables = {t.name for t in profile.tables}
    unknown = sorted(set(examples) - tables)
    if unknown:
        raise ValueError(f"example rows for {unknown[0]!r}, which is no table of profile {profile.id}")
    out: dict[str, tuple[list[str], dict[str, str] | None]] = {}
    for register, members in registers(profile).items():
        header = register_columns(profile, members)
        row: dict[str, str] | None = None
        for table in members:
            example = examples.get(table.name)
            if example is None:
                continue
            extra = [c for c in example if c not in header]
            if extra:
                raise ValueError(
                    f"the example row of table {table.name} names column {extra[0]!r}, which profile "
                    f"{profile.id} does not read from register {register}"
                )
            row = {**(row or {}), **{k: str(v) for k, v in example.items()}}
        out[register] = (header, row)
    return out


def _date_columns(profile: Profile, tables: list[Table]) -> set[str]:
    """Columns that become a date property: written as date cells in the workbook."""
    sch = schema()
    return {
        col.column
        for t in tables
        for key, col in t.properties.items()
        if col.column and sch.properties[key].type == "date" and not sch.properties[key].multi_valued
    }


def _cell(value: str, is_date: bool) -> str | dt.date | None:
    if value == "":
        return None
    if is_date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _write_csv(path: Path, header: list[str], row: dict[str, str] | None) -> None:
    with atomic_output(path, text=True, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        if row is not None:
            writer.writerow([row.get(c, "") for c in header])


def _write_workbook(path: Path, profile: Profile, sheets: dict[str, tuple[list[str], dict[str, str] | None]]) -> None:
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.functions import tostring

    book = openpyxl.Workbook()
    book.remove(book.active)
    members = registers(profile)
    for register, (header, row) in sheets.items():
        sheet = book.create_sheet(register)
        sheet.append(header)
        dates = _date_columns(profile, members[register])
        if row is not None:
            sheet.append([_cell(row.get(c, ""), c in dates) for c in header])
        for i, column in enumerate(header, start=1):
            sheet.cell(row=1, column=i).font = Font(bold=True)
            if column in dates and row is not None:
                sheet.cell(row=2, column=i).number_format = "yyyy-mm-dd"
            width = max(len(column), len((row or {}).get(column, "")))
            sheet.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
        sheet.freeze_panes = "A2"
    props = book.properties
    props.creator = props.lastModifiedBy = "itsms-graph"
    props.title = f"{profile.title}: register templates"
    props.created = _STAMP
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl stamps the save time into docProps/core.xml and the ZIP entries: rewrite both with fixed dates
    props.modified = _STAMP
    core = tostring(props.to_tree())
    with (
        zipfile.ZipFile(buffer) as src,
        atomic_output(path) as fh,
        zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, data)


def write_templates(
    folder: Path,
    profile_id: str = "sms-register",
    *,
    examples: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Path]:
    """Write the workbook ``registers.xlsx`` (a sheet per register) into *folder*, and ``<register>.csv`` for every
    register into ``folder/csv``: apart, so that importing either folder reads each register once (side by side,
    a folder import read both, and the example rows of the form left unfilled became records).

    Headers come from the profile (every column its tables read); each register has its example row from
    *examples* (by table name; default: :data:`EXAMPLE_ROWS` for sms-register, none for other profiles) or
    only a header. Returns the files written, the CSVs in profile order and the workbook last.
    """
    profile = resolve_profile(profile_id)
    if examples is None:
        examples = EXAMPLE_ROWS if profile.id == "sms-register" else {}
    sheets = _example_rows(profile, examples)
    make_folder(folder / CSV_FOLDER)
    written = []
    for register, (header, row) in sheets.items():
        path = folder / CSV_FOLDER / f"{register}.csv"
        _write_csv(path, header, row)
        written.append(path)
    book = folder / WORKBOOK
    _write_workbook(book, profile, sheets)
    written.append(book)
    return written

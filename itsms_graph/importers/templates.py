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
    "WORKBOOK",
    "example_rows",
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


def example_rows(profile: Profile) -> dict[str, dict[str, str]]:
    """The example row of each table of *profile* that has one (its ``example``), by table name. sms-register's
    are a small SMS in which every reference resolves (its catalogue table reads the services register's row, so
    it has none of its own)."""
    return {t.name: dict(t.example) for t in profile.tables if t.example}


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
    *examples* (by table name; default: the profile's own, each table's ``example``) or only a header. Returns
    the files written, the CSVs in profile order and the workbook last.
    """
    profile = resolve_profile(profile_id)
    if examples is None:
        examples = example_rows(profile)
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

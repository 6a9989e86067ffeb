"""Writing a table as a deterministic XLSX workbook a reader can work in: equal inputs give equal bytes.

openpyxl's ``save`` stamps the document's modified time with the clock and each ZIP member with the local time;
here both are fixed. Each column may declare its layout (width, wrapped text, real date or number cells, a
drop-down of allowed values) and what it holds; the header is frozen and filterable, and the "about" sheet
states where the workbook came from and what each column means. The layout never changes a cell's text.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from itsms_graph.audit.columns import Column
from itsms_graph.errors import ItsmsError
from itsms_graph.escaping import xml_cell
from itsms_graph.outputs import atomic_output

_FIXED = dt.datetime(2000, 1, 1)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Rows below the table that a drop-down still covers, for rows a reader adds.
_SPARE_ROWS = 200


def write_table(
    path: Path, sheet: str, columns: Sequence[str | Column], rows: list[list[Any]], about: Sequence[str] = ()
) -> Path:
    """The table on the first sheet (where a reader looks for it); *about*, one line a row, on a sheet "about",
    followed by what each column holds."""
    try:
        import openpyxl
        from openpyxl.writer.excel import ExcelWriter
    except ImportError:
        raise ItsmsError("writing XLSX needs openpyxl (pip install openpyxl)") from None
    specs = [c if isinstance(c, Column) else Column(c) for c in columns]
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet[:31]
    # every cell through xml_cell: imported text never runs as a formula, nor holds a character XML cannot
    ws.append([xml_cell(c.name) for c in specs])
    for row in rows:
        ws.append([xml_cell(v) for v in row])
    _lay_out(ws, specs, len(rows))
    if about or any(c.about for c in specs):
        _about_sheet(book.create_sheet("about"), about, specs)
    book.properties.created = _FIXED
    book.properties.modified = _FIXED
    drafted = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(drafted, "w", zipfile.ZIP_DEFLATED)).save()  # save() would re-stamp modified
    with (
        zipfile.ZipFile(drafted) as src,
        atomic_output(path) as fh,
        zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in src.infolist():
            member = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(member, src.read(item))
    return path


def _lay_out(ws: Any, specs: list[Column], n_rows: int) -> None:
    """Widths, wrapping, date and number cells, drop-downs; a bold, frozen, filterable header."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EAF6")
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A2"
    last = get_column_letter(len(specs))
    ws.auto_filter.ref = f"A1:{last}{max(n_rows + 1, 2)}"
    for i, spec in enumerate(specs, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = spec.width
        for (cell,) in ws.iter_rows(min_row=2, max_row=n_rows + 1, min_col=i, max_col=i):
            cell.alignment = Alignment(vertical="top", wrap_text=spec.wrap)
            value = cell.value
            if spec.kind == "date" and isinstance(value, str) and _ISO_DAY.match(value):
                cell.value = dt.date.fromisoformat(value)
                cell.number_format = "yyyy-mm-dd"
            elif spec.kind == "integer" and isinstance(value, str) and value.isdigit():
                cell.value = int(value)
        if spec.choices:
            listed = ",".join(spec.choices)
            check = DataValidation(
                type="list",
                formula1=f'"{listed}"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=f"{spec.name}: not an allowed value",
                error=f"One of: {', '.join(spec.choices)}",
            )
            check.add(f"{letter}2:{letter}{n_rows + 1 + _SPARE_ROWS}")
            ws.add_data_validation(check)


def _about_sheet(notes: Any, about: Sequence[str], specs: list[Column]) -> None:
    """Where the workbook came from (one line a row, first), then what each column holds."""
    from openpyxl.styles import Alignment, Font

    for line in about:
        notes.append([xml_cell(line)])
    described = [c for c in specs if c.about]
    if described:
        notes.append([])
        notes.append(["column", "what it holds"])
        for cell in notes[notes.max_row]:
            cell.font = Font(bold=True)
        for c in described:
            notes.append([c.name, c.about + (f" One of: {', '.join(c.choices)}." if c.choices else "")])
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 100
    for row in notes.iter_rows():
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column == 2)

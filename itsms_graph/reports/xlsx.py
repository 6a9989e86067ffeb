"""Writing a table as a deterministic XLSX workbook: equal inputs give equal bytes.

openpyxl's ``save`` stamps the document's modified time with the clock and each ZIP member with the local time;
here both are fixed.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from itsms_graph.errors import ItsmsError
from itsms_graph.outputs import atomic_output

_FIXED = dt.datetime(2000, 1, 1)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def write_table(path: Path, sheet: str, columns: list[str], rows: list[list[Any]], about: Sequence[str] = ()) -> Path:
    """The table on the first sheet (where a reader looks for it); *about*, one line a row, on a sheet "about"."""
    try:
        import openpyxl
        from openpyxl.styles import Font
        from openpyxl.writer.excel import ExcelWriter
    except ImportError:
        raise ItsmsError("writing XLSX needs openpyxl (pip install openpyxl)") from None
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    if about:
        notes = book.create_sheet("about")
        for line in about:
            notes.append([line])
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

"""Writing a table as a deterministic XLSX workbook (fixed document timestamps, so equal inputs give equal bytes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from itsms_graph.errors import ItsmsError

_FIXED = dt.datetime(2000, 1, 1)


def write_table(path: Path, sheet: str, columns: list[str], rows: list[list[Any]], about: Sequence[str] = ()) -> Path:
    """The table on the first sheet (where a reader looks for it); *about*, one line a row, on a sheet "about"."""
    try:
        import openpyxl
        from openpyxl.styles import Font
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
    book.save(path)
    return path

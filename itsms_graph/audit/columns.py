"""How a column of the audit's worksheets (the corrective action plan, the sampling worksheet) is laid out and
what it holds: declared beside each writer, drawn by the XLSX writer (itsms_graph.audit.workbook)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Column:
    """A column's name, its layout (width, wrapped text, real date or number cells, a drop-down of allowed
    values) and what it holds (said on the workbook's about sheet)."""

    name: str
    width: int = 14
    wrap: bool = False
    kind: Literal["text", "date", "integer"] = "text"
    choices: tuple[str, ...] = ()
    about: str = ""

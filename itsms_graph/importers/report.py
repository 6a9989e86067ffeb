"""The import report: per file, rows read = accepted + merged + rejected + skipped, and every rejection located by
file, row, column and value."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from itsms_graph.errors import RowsUnaccounted

#: How many rejections a file report keeps in full (all are counted).
KEEP_REJECTIONS = 1000


def value_note(reason: str, value: str) -> str:
    """`` (value '...')`` after a reason, unless the reason already quotes the value."""
    return f" (value {value!r})" if value and repr(value) not in reason else ""


@dataclass(frozen=True)
class Rejection:
    file: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"file {self.file}, row {self.row}" + (f", column {self.column}" if self.column else "")
        shown = value_note(self.reason, self.value)
        return f"{where}: {self.reason}{shown}"


@dataclass
class FileReport:
    file: str
    profile: str
    table: str
    sha256: str
    rows_read: int = 0
    accepted: int = 0
    merged: int = 0
    rejected: int = 0
    #: rows another table of the profile takes (the table's row filter does not match them)
    skipped: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    edges: int = 0
    unnamed_references: int = 0
    #: optional columns of the profile the file does not have: null in every row of the file
    absent_columns: list[str] = field(default_factory=list)
    #: the file's columns that no table of the profile reads from it (nothing of them is in the graph)
    unread_columns: list[str] = field(default_factory=list)
    #: what reading the file found that imported but may not be what was meant (an encoding, ...)
    warnings: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        counts = (self.accepted, self.merged, self.rejected, self.skipped)
        return min(counts) >= 0 and self.rows_read == sum(counts)

    def check_balance(self) -> None:
        """Stop when the outcomes, each counted where it happened, do not add up to the rows read."""
        if not self.balanced:
            raise RowsUnaccounted(
                f"{self.file}: {self.rows_read} rows read, but {self.accepted} accepted + {self.merged} merged + "
                f"{self.rejected} rejected + {self.skipped} skipped: rows unaccounted for (a bug in the importer: "
                "no snapshot written; please report it with the file)"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "profile": self.profile,
            "table": self.table,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "merged": self.merged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "edges": self.edges,
            "unnamed_references": self.unnamed_references,
            "absent_columns": self.absent_columns,
            "unread_columns": self.unread_columns,
            "warnings": self.warnings,
            "rejections": [vars(r) for r in self.rejections],
        }


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    #: (relationship type, target label) -> number of references to ids no input defines
    unresolved: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: "profile:table" of the tables skipped: no file of a source matched, or (an optional table) a workbook
    #: lacked its sheet; absent_sheets says which workbook
    skipped_tables: list[str] = field(default_factory=list)
    #: the workbooks that lacked an optional table's sheet: {"table": "profile:table", "file": ..., "sheet": ...}
    absent_sheets: list[dict[str, str]] = field(default_factory=list)
    #: what the import found that it did not stop for but may not be what was meant (a glob of a table matching
    #: nothing while another matches); an import with ``strict`` stops on it instead
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def skip_notes(self) -> list[str]:
        """One line per skipped table, saying why, for the import report and profile check."""
        notes = [
            f"no sheet {a['sheet']!r} in {a['file']}: optional table {a['table']} skipped for it"
            for a in self.absent_sheets
        ]
        without_sheet = {a["table"] for a in self.absent_sheets}
        notes += [f"no file for table {t}" for t in self.skipped_tables if t not in without_sheet]
        return notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "unresolved_references": [
                {"rel": rel, "label": label, "count": n} for (rel, label), n in sorted(self.unresolved.items())
            ],
            "skipped_tables": self.skipped_tables,
            "absent_sheets": self.absent_sheets,
            "warnings": self.warnings,
            "totals": {
                "rows_read": sum(f.rows_read for f in self.files),
                "accepted": sum(f.accepted for f in self.files),
                "merged": sum(f.merged for f in self.files),
                "rejected": self.rejected,
                "skipped": sum(f.skipped for f in self.files),
            },
        }

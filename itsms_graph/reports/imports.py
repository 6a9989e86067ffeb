"""Renderings of an import report: per file, rows read = accepted + merged + rejected (+ skipped)."""

from __future__ import annotations

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from itsms_graph import __version__
from itsms_graph.graph.store import InputFile
from itsms_graph.importers.report import FileReport, ImportReport


def to_import_json(report: ImportReport) -> str:
    """The import report as JSON, with the tool version (each file carries its SHA-256)."""
    data = {"tool": {"name": "itsms-graph", "version": __version__}, **report.to_dict()}
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def absent_text(f: FileReport) -> str:
    """The optional columns a file lacks, said so that nobody reads the nulls as the data's own."""
    columns = ", ".join(f.absent_columns)
    return f"{f.file} ({f.table}) lacks the optional column(s) {columns}: null in every row of the file"


def unread_text(f: FileReport) -> str:
    """The columns of a file no table of its profile reads: none of them is in the graph."""
    return f"{f.file} ({f.table}): no table reads the column(s) {', '.join(f.unread_columns)}"


def render_import_text(
    report: ImportReport, counts: dict[str, int], console: Console, *, max_rejections: int = 10
) -> None:
    console.print(f"[bold]itsms-graph import[/bold]  itsms-graph {__version__}")
    for f in report.files:
        console.print("  " + escape(InputFile(f.file, f.sha256, f"{f.profile}:{f.table}").line()), highlight=False)
    table = Table(title="import")
    for col in ("file", "table", "rows read", "accepted", "merged", "rejected", "skipped", "edges", "balanced"):
        table.add_column(col, justify="left" if col in ("file", "table") else "right")
    for f in report.files:
        table.add_row(
            escape(f.file),
            f.table,
            f"{f.rows_read:,}",
            f"{f.accepted:,}",
            f"{f.merged:,}",
            f"{f.rejected:,}",
            f"{f.skipped:,}",
            f"{f.edges:,}",
            "yes" if f.balanced else "[red]NO[/red]",
        )
    console.print(table)
    for f in report.files:
        for warning in f.warnings:
            console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
        if f.absent_columns:
            console.print(f"absent: {escape(absent_text(f))}", highlight=False)
        if f.unread_columns:
            console.print(f"unread: {escape(unread_text(f))}", highlight=False)
        for r in f.rejections[:max_rejections]:
            console.print(f"rejected: {escape(str(r))}", highlight=False)
        if f.rejected > max_rejections:
            console.print(
                f"  ... {f.rejected - max_rejections} more rejections in {escape(f.file)} (--report json lists them)"
            )
    for (rel, label), n in sorted(report.unresolved.items()):
        console.print(
            f"unresolved: {n:,} {rel} reference(s) to {label} ids that no input contains "
            "(placeholders flagged unresolved)"
        )
    for note in report.skip_notes():
        console.print(escape(note), highlight=False)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    console.print("graph: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))

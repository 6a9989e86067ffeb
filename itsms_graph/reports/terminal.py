"""The terminal rendering of a check report: a rich table of queries and the findings under it."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from itsms_graph.audit.report import CheckReport
from itsms_graph.queries.results import Status

_STATUS_STYLE = {Status.PASS: "green", Status.FAIL: "red", Status.NOT_ASSESSABLE: "yellow"}
_GRADE_STYLE = {"major": "bold red", "minor": "red", "ofi": "cyan", "data-quality": "magenta"}


def render_header(report: CheckReport, console: Console, *, title: str | None = None) -> None:
    """What a terminal report is of: the tool version, the engine, the audit period and each input's SHA-256."""
    d = report.to_dict()
    console.print(
        f"[bold]{escape(title or report.title)}[/bold]  itsms-graph {report.tool_version} on {report.engine}, "
        f"audit period {d['audit_period']['start']} to {d['audit_period']['end']}; {report.cut_off_line()}"
    )
    for item in [*report.extra_inputs, *report.inputs]:
        console.print("  " + escape(item.line()), highlight=False)


def render_terminal(report: CheckReport, console: Console, *, max_findings: int = 5) -> None:
    render_header(report, console)
    table = Table(show_lines=False)
    table.add_column("query", no_wrap=True)
    for col in ("clause", "stage", "grade", "status", "findings"):
        table.add_column(col, justify="right" if col == "findings" else "left")
    for r in report.results:
        status = r.status.value
        table.add_row(
            r.query.id,
            " ".join(r.query.cited_clauses),
            str(r.query.stage),
            f"[{_GRADE_STYLE[r.query.grade]}]{r.query.grade}[/]",
            f"[{_STATUS_STYLE[r.status]}]{escape(status)}[/]",
            str(len(r.findings)),
        )
    console.print(table)
    for r in report.results:  # after the table: a reason is too long for a cell, and must be read whole
        if r.missing_data:
            console.print(
                f"[{_STATUS_STYLE[r.status]}]{r.status.value}[/] {escape(r.query.id)}: {escape('; '.join(r.missing_data))}",
                highlight=False,
            )
    for r in report.results:
        for f in r.findings[:max_findings]:
            console.print(f"[{_GRADE_STYLE[f.grade]}]{f.grade}[/] {escape(f.id)}  {escape(f.message)}", highlight=False)
            for hop in f.chain:
                console.print(f"    {escape(str(hop))}", highlight=False)
        if len(r.findings) > max_findings:
            console.print(
                f"    ... and {len(r.findings) - max_findings} more {r.query.id} findings (--format json|csv for all)"
            )
    grades = ", ".join(f"{n} {g}" for g, n in report.counts_by_grade().items())
    verdict = "[red]gate failed[/red]" if report.gate_failed() else "[green]gate passed[/green]"
    console.print(f"Findings: {grades}. {verdict} (--fail-on {report.fail_on})")

"""The terminal rendering of a check report: a rich table of queries and the findings under it."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from itsms_graph.audit.report import CheckReport
from itsms_graph.queries.results import Status, at_or_above

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


def gate_line(report: CheckReport) -> str:
    """The gate's result in words, as every command that gates says it (plain text, for stderr too)."""
    at = sum(1 for f in report.findings if report.fail_on != "none" and at_or_above(f.grade, report.fail_on))
    if report.fail_on == "none":
        return "gate passed (--fail-on none: never fails)"
    verdict = "gate failed" if report.gate_failed() else "gate passed"
    return f"{verdict} (--fail-on {report.fail_on}): {at} finding(s) at or above {report.fail_on}"


def counts_line(report: CheckReport) -> str:
    """The finding counts and what they count: every check's findings by the check's own grade, Stage 1 and 2
    together (stage2, the report and the plan grade the Stage 2 ones after escalation, and list Stage 1 areas of
    concern apart), so that a reader comparing outputs knows why the numbers may differ."""
    grades = ", ".join(f"{n} {g}" for g, n in report.counts_by_grade().items())
    return (
        f"Findings: {grades} (one per failing subject, by each check's own grade, Stage 1 and Stage 2 checks "
        "together; stage2 and the report grade Stage 2 findings after escalation and count Stage 1 areas of "
        "concern apart)."
    )


def render_terminal(report: CheckReport, console: Console, *, max_findings: int = 5) -> None:
    render_header(report, console)
    table = Table(show_lines=False)
    table.add_column("query", overflow="fold")  # folded, never cut: a query id must be read whole
    for col in ("clause", "stage", "grade", "status", "findings"):
        short = col in ("stage", "grade", "findings")  # a word or a number: the others give way first
        table.add_column(col, justify="right" if col == "findings" else "left", overflow="fold", no_wrap=short)
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
    console.print(escape(counts_line(report)), highlight=False)
    style = "red" if report.gate_failed() else "green"
    console.print(f"[{style}]{escape(gate_line(report))}[/{style}]", highlight=False)

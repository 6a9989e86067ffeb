"""Renderings of the audit verdicts: Stage 1 readiness, Stage 2 findings per clause, the cycle diff."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from itsms_graph.audit.diff import CycleDiff
from itsms_graph.audit.verdict import Stage1Verdict, Stage2Verdict
from itsms_graph.queries.results import Finding, QueryResult

_STYLE = {"Ready": "green", "Conditionally ready": "yellow", "Not ready": "red"}


def render_stage1(verdict: Stage1Verdict, console: Console) -> None:
    console.print(f"[bold]Stage 1 readiness: [{_STYLE[verdict.outcome]}]{verdict.outcome}[/][/bold]")
    console.print(escape(verdict.rule))
    if verdict.concerns_by_clause:
        console.print("\n[bold]Areas of concern[/bold] (not nonconformities; resolve before or at Stage 2)")
    for clause, findings in verdict.concerns_by_clause.items():
        console.print(f"  clause {clause}")
        for f in findings:
            console.print(f"    [{f.grade}] {escape(f.title)}: {escape(f.message)}", highlight=False)
    _apart(console, verdict.not_assessable, verdict.data_quality)


def render_stage2(verdict: Stage2Verdict, console: Console, *, max_per_grade: int = 10) -> None:
    counts = verdict.counts()
    console.print(f"[bold]Stage 2: {counts['major']} major, {counts['minor']} minor, {counts['ofi']} OFI[/bold]")
    console.print(escape(verdict.summary))
    for clause, grades in verdict.by_clause().items():
        console.print(f"\n[bold]clause {clause}[/bold]")
        for grade in ("major", "minor", "ofi"):
            for f in grades.get(grade, [])[:max_per_grade]:
                console.print(f"  {grade}: {escape(f.title)}: {escape(f.message)}", highlight=False)
                for hop in f.chain:
                    console.print(f"      {escape(str(hop))}", highlight=False)
            extra = len(grades.get(grade, [])) - max_per_grade
            if extra > 0:
                console.print(f"  ... {extra} more {grade} findings (--format json lists all)")
    for g in verdict.graded:
        if g.escalated:
            console.print(
                f"escalated to major (systemic): {g.result.query.id}: {len(g.result.findings)} of "
                f"{g.population} ({g.rate:.0%})"
            )
        elif g.rate is not None:
            console.print(
                f"{g.result.query.id}: {len(g.result.findings)} of {g.population} "
                f"({g.rate:.1%}); a sample of 25 would contain one with probability "
                f"{g.detection_chance:.0%}"
            )
    _apart(console, verdict.not_assessable, verdict.data_quality)


def _apart(console: Console, not_assessable: list[QueryResult], data_quality: list[Finding]) -> None:
    if not_assessable:
        console.print("\n[bold]Not assessable[/bold] (never counted as nonconformities)")
        for r in not_assessable:
            console.print(f"  {r.query.id}: {escape('; '.join(r.missing_data))}", highlight=False)
    if data_quality:
        queries = sorted({f.query for f in data_quality})
        console.print(f"\n[bold]Data-quality gaps[/bold]: {len(data_quality)} finding(s) in {', '.join(queries)}")


def render_diff(diff: CycleDiff, console: Console) -> None:
    for name, items in (("new", diff.new), ("resolved", diff.resolved), ("persisting", diff.persisting)):
        console.print(f"[bold]{name}[/bold]: {len(items)}")
        for f in items:
            console.print(
                f"  {f.grade} {escape(f.id)} ({' '.join(f.clauses)}) {escape(', '.join(f.subjects))}", highlight=False
            )

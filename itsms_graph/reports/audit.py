"""Renderings of the audit verdicts: Stage 1 readiness and its areas of concern, Stage 2 nonconformities per
requirement with their evidence and escalation reasoning, the cycle diff."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from itsms_graph.audit.diff import CycleDiff
from itsms_graph.audit.nonconformity import Concern
from itsms_graph.audit.verdict import Stage1Verdict, Stage2Verdict
from itsms_graph.queries.results import Finding, QueryResult

_STYLE = {"Ready": "green", "Conditionally ready": "yellow", "Not ready": "red", "Cannot be concluded": "red"}


def render_stage1(verdict: Stage1Verdict, console: Console, *, max_records: int = 10) -> None:
    console.print(f"[bold]Stage 1 readiness: [{_STYLE[verdict.outcome]}]{verdict.outcome}[/][/bold]")
    console.print(escape(verdict.rule))
    if verdict.concerns:
        console.print(
            "\n[bold]Areas of concern[/bold] (per requirement; not nonconformities, not graded; resolve before or "
            "at Stage 2)"
        )
    for c in verdict.concerns:
        console.print(f"  {escape(c.id)} ({escape(', '.join(c.clauses))}): {escape(c.statement)}", highlight=False)
        _evidence(console, c, max_records)
    _apart(console, verdict.not_assessable, verdict.data_quality)


def render_stage2(verdict: Stage2Verdict, console: Console, *, max_records: int = 10) -> None:
    counts = verdict.counts()
    console.print(
        f"[bold]Stage 2: {counts['major']} major, {counts['minor']} minor nonconformities, {counts['ofi']} OFI[/bold]"
    )
    console.print(escape(verdict.summary))
    console.print(escape(verdict.reconciliation() + "."), highlight=False)
    for nc in verdict.nonconformities:
        console.print(f"\n[bold]{nc.grade}[/bold] {escape(nc.id)}  {escape(nc.requirement_text)}", highlight=False)
        console.print(f"  {escape(nc.statement)}", highlight=False)
        for reason in nc.escalation:
            console.print(f"  escalated to major: {escape(reason)}", highlight=False)
        for note in nc.credit:
            console.print(f"  {escape(note)}", highlight=False)
        if nc.detection_chance is not None:
            console.print(
                f"  a zero-failure sample of {nc.sample_size} of {nc.population} ({verdict.confidence:.0%} "
                f"confidence, tolerable {verdict.tolerable:.0%}) would hold a failing record with probability "
                f"{nc.detection_chance:.0%}",
                highlight=False,
            )
        _evidence(console, nc, max_records)
    if any(nc.escalated for nc in verdict.nonconformities):
        console.print(f"\nEscalation: {escape(verdict.escalation.describe())}.", highlight=False)
    _apart(console, verdict.not_assessable, verdict.data_quality)


def _evidence(console: Console, concern: Concern, max_records: int) -> None:
    for e in concern.evidence[:max_records]:
        console.print(f"    {escape(e.describe())}", highlight=False)
    extra = len(concern.evidence) - max_records
    if extra > 0:
        console.print(f"    ... {extra} more record(s) (--format json lists all)")


def _apart(console: Console, not_assessable: list[QueryResult], data_quality: list[Finding]) -> None:
    if not_assessable:
        console.print("\n[bold]Not assessable[/bold] (never counted as nonconformities)")
        for r in not_assessable:
            console.print(f"  {r.query.id}: {escape('; '.join(r.missing_data))}", highlight=False)
    if data_quality:
        queries = sorted({f.query for f in data_quality})
        console.print(
            f"\n[bold]Data-quality gaps[/bold] (no requirement of the standard): {len(data_quality)} finding(s) in "
            + ", ".join(queries)
        )


def render_diff(diff: CycleDiff, console: Console) -> None:
    for name, items in (("new", diff.new), ("resolved", diff.resolved), ("persisting", diff.persisting)):
        console.print(f"[bold]{name}[/bold]: {len(items)}")
        for f in items:
            console.print(
                f"  {f.grade} {escape(f.id)} ({' '.join(f.clauses)}) {escape(', '.join(f.subjects))}", highlight=False
            )

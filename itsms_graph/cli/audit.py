"""The certification questions: check (every canned query), stage1 (readiness), stage2 (graded nonconformities),
cap (the corrective action plan) and diff (two audit cycles compared)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from itsms_graph import __version__
from itsms_graph.cli.app import cli
from itsms_graph.cli.options import (
    DIFF_GATES,
    AuditOptions,
    backend_option,
    escalation_options,
    fail_on_option,
    pass_audit,
    period_options,
    query_options,
    sampling_options,
    snapshot_argument,
    sources_option,
)
from itsms_graph.cli.output import console, dump, render, verdict_json
from itsms_graph.errors import EXIT_FINDINGS, ItsmsError
from itsms_graph.registry import FORMATS


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=False)
@sources_option(
    "Instead of SNAPSHOT: import these exports (as `import` does; repeatable) and check them. With "
    "--backend duckdb the checks run on the imported tables and the graph is never built.",
    required=False,
)
@click.option("--keep-going", is_flag=True, help="With --profile: reject bad rows (counted on stderr), check the rest.")
@period_options
@query_options
@click.option("--query", "query_ids", multiple=True, metavar="ID", help="Run only this query; repeatable.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report to this file instead of standard output.",
)
@fail_on_option("Exit 1 when a finding is at or above this grade ('none': never).")
@backend_option("the queries", server=True)
@click.option("--uri", default=None, help="With --backend neo4j: the server (password from NEO4J_PASSWORD).")
@click.option("--user", default="neo4j", show_default=True, help="With --backend neo4j: the user.")
@click.option("--database", default=None, help="With --backend neo4j: the database.")
@pass_audit
def check(
    snapshot: Path | None,
    sources: tuple[tuple[str, str], ...],
    keep_going: bool,
    audit: AuditOptions,
    query_ids: tuple[str, ...],
    fmt: str,
    output: Path | None,
    uri: str | None,
    user: str,
    database: str | None,
) -> None:
    """Run every canned query on SNAPSHOT (or on exports, with --profile) and report pass, fail or not assessable.

    \b
    Example:
      itsms-graph check out/example.itsms --as-of 2025-06-30 --fail-on minor --format junit -o checks.xml
      itsms-graph check -p bpic2014 ../shared/data/bpic2014/ --keep-going --backend duckdb --as-of 2014-03-31
    """
    from itsms_graph.cli.neo4j import neo4j_engine

    # the catalogue is read now, or, checking exports, while their first files are read, with the checks' own
    # modules (its errors still come before any row is made): BPIC 2014's rows waited 0.1 s for the first file,
    # after the catalogue's 0.1 s and 0.15 s of imports that the import itself does not need
    audit.configure() if sources else audit.resolve()
    backend = audit.backend
    if (snapshot is None) == (not sources):
        raise click.UsageError("give a SNAPSHOT or --profile PROFILE PATH (one of the two)")
    if keep_going and not sources:
        raise click.UsageError("--keep-going goes with --profile")
    if uri and backend != "neo4j":  # else the checks would run on another engine than the user thinks
        raise ItsmsError(f"--uri goes with --backend neo4j (the backend is {backend})")
    if sources and backend == "neo4j":  # the server holds what was pushed, not these exports
        raise click.UsageError("--profile checks the exports in process: --backend networkx, duckdb or falkordb")
    server = neo4j_engine(uri, user, database) if backend == "neo4j" and uri else None

    def options() -> dict[str, Any]:
        return {
            "period": audit.period_rule(),
            "query_dirs": audit.dirs,
            "query_ids": query_ids or None,
            "parameters": audit.parameters,
            "backend": backend,
            "fail_on": audit.fail_on,
        }

    if sources:
        from itsms_graph.importers import resolve_profile
        from itsms_graph.importers.build import import_tables

        def meanwhile() -> None:
            audit.resolve()
            import itsms_graph.check  # noqa: F401

        resolved = [(resolve_profile(name), Path(path)) for name, path in sources]
        # the exports as graph tables, checked as they are (on DuckDB; another backend builds its graph from them)
        tables, imported = import_tables(resolved, keep_going=keep_going, meanwhile=meanwhile)
        try:
            from itsms_graph.check import check_graph

            report = check_graph(tables, **options())
        finally:
            tables.close()
        totals = imported.to_dict()["totals"]
        click.echo(
            f"imported {totals['rows_read']:,} rows: {totals['accepted']:,} accepted, {totals['merged']:,} merged, "
            f"{totals['rejected']:,} rejected, {totals['skipped']:,} skipped (itsms-graph import --report json "
            "lists every rejection)",
            err=True,
        )
    else:
        from itsms_graph.check import check as run_check

        assert snapshot is not None
        report = run_check(snapshot, server=server, **options())
    render(report, fmt, output)
    if output is not None:  # the report went to a file: say so, and the gate, where a CI log shows it
        from itsms_graph.reports.terminal import counts_line, gate_line

        click.echo(f"wrote {output} ({fmt}). {counts_line(report)}", err=True)
        click.echo(gate_line(report), err=True)
    if report.gate_failed():
        sys.exit(EXIT_FINDINGS)


def audited(snapshot: Path, audit: AuditOptions) -> Any:
    """Check a snapshot with the whole catalogue on *audit*'s backend: the check report the verdicts read."""
    from itsms_graph.check import check as run_check

    audit.resolve()
    return run_check(
        snapshot,
        period=audit.period_rule(),
        query_dirs=audit.dirs,
        parameters=audit.parameters,
        backend=audit.backend,
        fail_on="none",
        facts=True,  # what the verdicts judge with
    )


@cli.command()
@snapshot_argument()
@period_options
@query_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@backend_option("the queries")
@fail_on_option(
    "Exit 1 when a finding behind an area of concern is at or above this grade, or the verdict is Not ready or "
    "Cannot be concluded ('none': never)."
)
@pass_audit
def stage1(snapshot: Path, audit: AuditOptions, fmt: str) -> None:
    """Stage 1 readiness: Ready, Conditionally ready, Not ready or Cannot be concluded, with the deciding rule and
    the areas of concern per requirement (never graded).

    Exit code 1 when a finding behind an area of concern is at or above --fail-on (by its check's grade), or when
    the verdict is Not ready or Cannot be concluded (unless --fail-on none); 0 otherwise.

    \b
    Example:
      itsms-graph stage1 out/example.itsms --as-of 2025-06-30
    """
    from itsms_graph.audit.verdict import stage1 as decide
    from itsms_graph.queries.results import at_or_above
    from itsms_graph.reports.audit import render_stage1
    from itsms_graph.reports.terminal import render_header

    report = audited(snapshot, audit)
    verdict = decide(report)
    if fmt == "json":
        click.echo(verdict_json(report, "stage1", verdict.to_dict()), nl=False)
    else:
        out = console()
        render_header(report, out, title="itsms-graph stage1")
        render_stage1(verdict, out)
    concerns = [f for fs in verdict.concerns_by_clause.values() for f in fs]
    if audit.fail_on != "none" and (
        verdict.outcome in ("Not ready", "Cannot be concluded")
        or any(at_or_above(f.grade, audit.fail_on) for f in concerns)
    ):
        sys.exit(EXIT_FINDINGS)


@cli.command()
@snapshot_argument()
@period_options
@query_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@escalation_options
@sampling_options
@fail_on_option("Exit 1 when a nonconformity is at or above this grade ('none': never).")
@backend_option("the queries")
@pass_audit
def stage2(snapshot: Path, audit: AuditOptions, fmt: str, confidence: float, tolerable: float, **rule: Any) -> None:
    """Stage 2: nonconformities per requirement (clause and query family) graded major, minor or OFI, Stage 1's
    design requirements included, each with its objective evidence and the reasoning of any escalation; and what
    blocks certification. The escalation thresholds are this tool's heuristic.

    \b
    Example:
      itsms-graph stage2 out/example.itsms --as-of 2025-06-30 --format json
    """
    from itsms_graph.audit.nonconformity import Escalation
    from itsms_graph.audit.verdict import stage2 as decide
    from itsms_graph.queries.results import at_or_above
    from itsms_graph.reports.audit import render_stage2
    from itsms_graph.reports.terminal import render_header

    report = audited(snapshot, audit)
    verdict = decide(report, escalation=Escalation(**rule), confidence=confidence, tolerable=tolerable)
    if fmt == "json":
        click.echo(verdict_json(report, "stage2", verdict.to_dict()), nl=False)
    else:
        out = console()
        render_header(report, out, title="itsms-graph stage2")
        render_stage2(verdict, out)
    if audit.fail_on != "none" and any(at_or_above(nc.grade, audit.fail_on) for nc in verdict.nonconformities):
        sys.exit(EXIT_FINDINGS)


@cli.command()
@snapshot_argument()
@period_options
@query_options
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="plan.xlsx, plan.csv or plan.md",
)
@escalation_options
@backend_option("the queries")
@pass_audit
def cap(snapshot: Path, audit: AuditOptions, output: Path, **rule: Any) -> None:
    """Write the corrective action plan: one row per Stage 2 nonconformity (and OFI), with its requirement,
    statement and objective evidence, the query's remediation as guidance, and empty columns for the
    organisation's correction, root cause, corrective action, evidence of implementation and verification.

    \b
    Example:
      itsms-graph cap out/example.itsms --as-of 2025-06-30 -o plan.xlsx
    """
    from itsms_graph.audit.cap import plan_rows, write_plan
    from itsms_graph.audit.nonconformity import Escalation
    from itsms_graph.audit.verdict import stage2 as decide

    report = audited(snapshot, audit)
    verdict = decide(report, escalation=Escalation(**rule))
    rows = plan_rows(verdict, report.period.as_of, report.facts)
    write_plan(rows, output, report.provenance())
    counts = verdict.counts()
    click.echo(
        f"wrote {output}: {counts['major']} major and {counts['minor']} minor nonconformities, {counts['ofi']} OFI "
        "(one per requirement, as stage2 counts them; Stage 1 areas of concern and data-quality findings are not in "
        "the plan)"
    )


@cli.command()
@snapshot_argument("old")
@snapshot_argument("new")
@period_options
@click.option("--old-as-of", default=None, metavar="DATE", help="As-of date for OLD when it is a snapshot.")
@click.option(
    "--fail-on",
    "gate",
    default="new-major",
    show_default=True,
    type=click.Choice(DIFF_GATES),  # checked before two reports are read and compared
    help="Gate: new-<grade> (new findings at or above), any-<grade>, or none.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_audit
def diff(old: Path, new: Path, audit: AuditOptions, old_as_of: str | None, gate: str, fmt: str) -> None:
    """Compare two audit cycles: new, resolved and persisting findings.

    OLD and NEW are JSON check reports (itsms-graph check --format json) or snapshots (checked with --as-of,
    and --old-as-of for OLD). Exit code 1 when the --fail-on gate fails.

    \b
    Example:
      itsms-graph diff cycle1.json cycle2.json --fail-on new-major
      itsms-graph diff 2024.itsms 2025.itsms --old-as-of 2024-06-30 --as-of 2025-06-30
    """
    from rich.markup import escape

    from itsms_graph.audit.diff import diff_findings, findings_of_report, load_report
    from itsms_graph.check import check as run_check
    from itsms_graph.graph.store import InputFile
    from itsms_graph.reports.audit import render_diff

    def checked(path: Path, day: str | None) -> dict[str, Any]:
        if path.read_bytes()[:2] == b"PK":  # a snapshot (ZIP)
            return run_check(path, period=audit.period_rule(day), fail_on="none").to_dict()
        return load_report(path)

    old_report, new_report = checked(old, old_as_of or audit.as_of), checked(new, audit.as_of)
    result = diff_findings(findings_of_report(old_report), findings_of_report(new_report))
    inputs = [InputFile.of(old, profile="old"), InputFile.of(new, profile="new")]
    periods = {"old": old_report.get("audit_period"), "new": new_report.get("audit_period")}
    if fmt == "json":
        tool = {"name": "itsms-graph", "version": __version__}
        data = {"tool": tool, "inputs": [vars(i) for i in inputs], "audit_periods": periods, **result.to_dict()}
        click.echo(dump(data), nl=False)
    else:
        out = console()
        out.print(f"[bold]itsms-graph diff[/bold]  itsms-graph {__version__}")
        for item in inputs:
            out.print("  " + escape(item.line()), highlight=False)
        for name, period in periods.items():
            said = f"{period['start']} to {period['end']}" if period else "not stated in the report"
            out.print(f"  {name} audit period: {escape(said)}", highlight=False)
        render_diff(result, out)
    if result.gate(gate):
        sys.exit(EXIT_FINDINGS)

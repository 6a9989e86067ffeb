"""What a person reads in a browser: demo (the example SMS checked end to end), report (the consultant's HTML
report) and viz (one node's neighbourhood)."""

from __future__ import annotations

from pathlib import Path

import click

from itsms_graph.cli.app import cli
from itsms_graph.cli.options import (
    AuditOptions,
    backend_option,
    pass_audit,
    period_options,
    query_options,
    snapshot_argument,
)
from itsms_graph.cli.output import console
from itsms_graph.outputs import write_text


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Folder for the snapshot and the reports.",
)
@click.option(
    "--size",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Scale of the example organisation's operational records.",
)
@click.option("--seed", type=int, default=20250630, show_default=True, help="Random seed of the generator.")
@backend_option("the queries", default="networkx")
def demo(out_dir: Path, size: int, seed: int, backend: str) -> None:
    """Generate the example SMS (with planted defects), check it and write the reports.

    \b
    Writes OUT/example.itsms (snapshot), OUT/report.html (the visual report), OUT/report-plain.html,
    OUT/report.json and OUT/report.md, and prints the summary. Exit code 0: the findings are the demo's point.

    \b
    Example:
      itsms-graph demo --out out
    """
    from itsms_graph.demo import run_demo
    from itsms_graph.reports.terminal import render_terminal

    report, written = run_demo(out_dir, size=size, seed=seed, backend=backend)
    render_terminal(report, console())
    for path in written:
        click.echo(f"wrote {path}")


@cli.command()
@snapshot_argument()
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option(
    "--previous",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="The previous cycle's snapshot: the report adds new and resolved findings.",
)
@click.option("--old-as-of", default=None, metavar="DATE", help="As-of date for --previous.")
@period_options
@query_options
@pass_audit
def report(snapshot: Path, output: Path, previous: Path | None, old_as_of: str | None, audit: AuditOptions) -> None:
    """Write the consultant's report: one self-contained HTML file that opens offline.

    \b
    Example:
      itsms-graph report out/example.itsms --as-of 2025-06-30 -o report.html
      itsms-graph report 2025.itsms --previous 2024.itsms --old-as-of 2024-06-30 --as-of 2025-06-30 -o report.html
    """
    from itsms_graph.check import visual_report

    audit.resolve()
    html = visual_report(
        snapshot,
        period=audit.period_rule(),
        previous=previous,
        previous_period=audit.period_rule(old_as_of or audit.as_of),
        parameters=audit.parameters,
        query_dirs=audit.dirs,
    )
    write_text(output, html)
    click.echo(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB)")


@cli.command()
@snapshot_argument()
@click.option("--focus", required=True, metavar="NODE_ID", help="The node to look around, e.g. Change:CHG-U2.")
@click.option("--depth", type=click.IntRange(1, 4), default=2, show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True)
def viz(snapshot: Path, focus: str, depth: int, output: Path) -> None:
    """A quick look at one node's neighbourhood, as a self-contained HTML file.

    \b
    Example:
      itsms-graph viz out/example.itsms --focus Change:CHG-U2 --depth 2 -o chg.html
    """
    from itsms_graph.graph.snapshot import open_snapshot_tables
    from itsms_graph.reports.visual import render_focus

    tables = open_snapshot_tables(snapshot)
    try:  # only the neighbourhood drawn is built as a graph, fetched from the tables by SQL
        neighbourhood = tables.neighbourhood(focus, depth)
    finally:
        tables.close()
    write_text(output, render_focus(neighbourhood, focus, depth))
    click.echo(f"wrote {output}")

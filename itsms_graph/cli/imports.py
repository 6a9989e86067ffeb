"""Getting an organisation's records in: import (exports to a snapshot), template (blank SMS registers) and the
profile group (list the built-in import profiles, check one against the ontology and a sample of the data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from itsms_graph.cli.app import cli
from itsms_graph.cli.options import sources_option
from itsms_graph.cli.output import console
from itsms_graph.errors import ItsmsError
from itsms_graph.outputs import write_text


@cli.command("import")
@sources_option("A profile (built-in name or profile file) and the folder or file it reads; repeatable.", required=True)
@click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The snapshot to write."
)
@click.option("--keep-going", is_flag=True, help="Reject bad rows (reported) and load the good ones.")
@click.option(
    "--strict",
    is_flag=True,
    help="Stop (exit 2) on what the report would warn of: a table's glob that matches no file while its sibling does.",
)
@click.option(
    "--report",
    "report_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the import report.",
)
@click.option(
    "--report-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the JSON import report to this file.",
)
def import_(
    sources: tuple[tuple[str, str], ...],
    output: Path,
    keep_going: bool,
    strict: bool,
    report_format: str,
    report_file: Path | None,
) -> None:
    """Import exports with profiles into one graph and save it as a snapshot.

    Every row ends as a node, a merged duplicate or a rejection naming file, row and column; references
    resolve across all sources, and references to ids no source contains become unresolved placeholders.

    \b
    Example:
      itsms-graph import -p bpic2014 data/bpic2014/ -o bpic.itsms
      itsms-graph import -p servicenow exports/ -p sms-register registers.xlsx -o snap.itsms --keep-going
      itsms-graph import -p event-log incidents.xes -o incidents.itsms --strict
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from itsms_graph.audit.facts import data_cut_off
    from itsms_graph.graph.snapshot import save_tables_snapshot
    from itsms_graph.importers import import_tables, resolve_profile
    from itsms_graph.reports.imports import render_import_text, to_import_json

    resolved = [(resolve_profile(name), Path(path)) for name, path in sources]
    err = console(stderr=True)
    # one bar per file, counting rows as they are read (the total is unknown until the file ends), then one for
    # resolving them together
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as bars:
        tasks: dict[str, Any] = {}

        def progress(file: str, rows: int, done: bool) -> None:
            if file not in tasks:
                tasks[file] = bars.add_task(file, total=None)
            bars.update(tasks[file], completed=rows, total=rows if done else None)  # done: its clock stops

        imported, report = import_tables(resolved, keep_going=keep_going, progress=progress, strict=strict)
    # the snapshot is written from the graph tables: the graph itself is never built (the same bytes)
    save_tables_snapshot(
        imported.con,
        output,
        inputs=imported.inputs,
        declared=imported.declared_labels,
        importing=imported.imported,
    )
    counts = imported.counts()
    cut_off = data_cut_off(imported)  # the default --as-of of every check of the snapshot
    imported.close()
    if report_file is not None:
        write_text(report_file, to_import_json(report))
    if report_format == "json":
        click.echo(to_import_json(report), nl=False)
    else:
        render_import_text(report, counts, console())
        cut = "unknown: no record is dated" if cut_off is None else cut_off.isoformat()
        click.echo(f"wrote {output} (data cut-off {cut}, the default --as-of)")


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def template(folder: Path) -> None:
    """Write blank SMS-register templates: FOLDER/registers.xlsx (a sheet per register) and FOLDER/csv/ (a CSV
    per register), each register with one example row.

    Fill in the workbook or the CSV files, replacing each example row, and import the one you filled:
    FOLDER reads the workbook, FOLDER/csv the CSV files.

    \b
    Example:
      itsms-graph template registers/
      itsms-graph import -p sms-register registers/ -o sms.itsms
    """
    from itsms_graph.importers.templates import CSV_FOLDER, WORKBOOK, write_templates

    written = write_templates(folder)
    click.echo(
        f"wrote {folder / WORKBOOK} and {len(written) - 1} CSV files in {folder / CSV_FOLDER}: fill in one of them "
        "(replacing each example row) and import it"
    )


@cli.group()
def profile() -> None:
    """List and check import profiles.

    A profile is YAML: which files, which column is the id, which columns become which properties and
    references. Every key, its default and a worked example: importers/README.md (the profile reference,
    shipped beside the built-in profiles).

    \b
    Example:
      itsms-graph profile list
      itsms-graph profile check my-export.yaml --sample exports/
    """


@profile.command("list")
def profile_list() -> None:
    """List the built-in import profiles.

    \b
    Example:
      itsms-graph profile list
    """
    from itsms_graph.importers import builtin_profiles, resolve_profile

    for name in builtin_profiles():
        p = resolve_profile(name)
        click.echo(f"{name}: {p.title} (tables: {', '.join(t.name for t in p.tables)})")


@profile.command("check")
@click.argument("profile_file")
@click.option(
    "--sample",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="A folder or file of the export to try the profile on.",
)
@click.option(
    "--rows",
    default="1000",
    show_default=True,
    callback=lambda _ctx, _param, value: _rows(value),
    help="How many rows of each file to try: a number, or 'all' (a value-map gap at row 32,271 shows then).",
)
def profile_check(profile_file: str, sample: Path | None, rows: int | None) -> None:
    """Validate a profile against the ontology and, with --sample, against the first rows of the data (or all).

    \b
    Example:
      itsms-graph profile check my-export.yaml --sample exports/ --rows 500
      itsms-graph profile check my-export.yaml --sample exports/ --rows all
    """
    from itsms_graph.importers import Importer, resolve_profile

    prof = resolve_profile(profile_file)
    click.echo(f"profile {prof.id}: valid against the ontology ({len(prof.tables)} tables)")
    if sample is None:
        return
    importer = Importer(keep_going=True, sample_rows=rows)
    importer.add_source(prof, sample)
    _, report = importer.finish()
    bad = 0
    for f in report.files:
        click.echo(
            f"{f.file} ({f.table}): {f.rows_read} rows tried, {f.accepted} accepted, {f.merged} merged, "
            f"{f.rejected} rejected, {f.skipped} skipped"
        )
        if f.absent_columns:
            click.echo(f"  optional column(s) not in the file, null in every row: {', '.join(f.absent_columns)}")
        if f.unread_columns:
            click.echo(f"  column(s) no table reads: {', '.join(f.unread_columns)}")
        for warning in f.warnings:
            click.echo(f"  warning: {warning}")
        for r in f.rejections[:10]:
            click.echo(f"  {r}")
        bad += f.rejected - sum(1 for r in f.rejections if r.reason == "blank row")
    for note in report.skip_notes():
        click.echo(note)
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    if bad:
        raise ItsmsError(f"{bad} sample row(s) do not fit the profile")


def _rows(value: str) -> int | None:
    """--rows: a positive number of rows, or ``all`` (None: no limit)."""
    if value.strip().lower() == "all":
        return None
    try:
        rows = int(value)
    except ValueError:
        rows = 0
    if rows < 1:
        raise click.BadParameter(f"{value!r} is neither a positive number nor 'all'")
    return rows

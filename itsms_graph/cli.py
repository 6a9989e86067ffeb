"""The itsms-graph command line: a thin shell that parses, calls the library and renders.

Exit codes: 0 clean, 1 a finding at or above --fail-on, 2 a usage or input error (one line, no traceback).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from itsms_graph import __version__
from itsms_graph.errors import EXIT_FINDINGS, ItsmsError

FORMATS = ("table", "json", "csv", "markdown", "junit", "html")
GRADES = ("major", "minor", "ofi", "data-quality", "none")
#: diff's gates: new findings, or any (new and persisting), at or above a grade
DIFF_GATES = ("none", *(f"{scope}-{grade}" for scope in ("new", "any") for grade in GRADES if grade != "none"))


#: The width of a table written to a file, a pipe or a CI log: Rich's 80 columns would cut file names and query
#: ids short ("Detai…"), and a log never wraps. A terminal keeps its own width, and COLUMNS is honoured.
PLAIN_WIDTH = 200


def _console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else PLAIN_WIDTH
    return Console(highlight=False, soft_wrap=True, stderr=stderr, width=width)


def _parse_params(values: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        params[key.strip()] = value.strip()
    return params


def _period_options(f: Any) -> Any:
    f = click.option(
        "--period",
        default="12M",
        show_default=True,
        help="Length of the audit period ending at --as-of: 12M, 90D, 1Y.",
    )(f)
    f = click.option(
        "--as-of",
        "as_of",
        default=None,
        metavar="DATE",
        help="Last day of the audit period (YYYY-MM-DD); default today.",
    )(f)
    return f


def _backend_option(runs: str, *, server: bool = False) -> Any:
    """The --backend option of a command that runs queries (*runs*: "the query" or "the queries"); neo4j, a
    server, only where a pushed snapshot is checked (*server*)."""
    from itsms_graph.check import BACKENDS

    engines = [b for b in BACKENDS if server or b != "neo4j"]
    neo4j = "neo4j: on the server the snapshot was pushed to; " if server else ""
    return click.option(
        "--backend",
        type=click.Choice(engines),
        default="networkx",
        show_default=True,
        help=f"Engine that runs {runs} ({neo4j}duckdb: SQL over the graph as columnar tables, in process).",
    )


def _query_options(f: Any) -> Any:
    f = click.option(
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a query parameter (e.g. review_interval=6); repeatable.",
    )(f)
    f = click.option(
        "--queries",
        "query_dirs",
        multiple=True,
        type=click.Path(path_type=Path, file_okay=False),
        help="A folder of your own query files, added to the shipped ones; repeatable.",
    )(f)
    f = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Configuration file (default ./itsms-graph.toml when present).",
    )(f)
    return f


def _resolve(
    config_path: Path | None, query_dirs: tuple[Path, ...], params: tuple[str, ...]
) -> tuple[list[Path], dict[str, Any], dict[str, Any]]:
    """The query folders, the parameter values (each checked to be some query's) and the catalogue they give."""
    from itsms_graph.config import load_config
    from itsms_graph.queries.catalogue import load_catalogue

    config = load_config(config_path)
    merged = {**config.parameters, **_parse_params(params)}
    dirs = [*config.queries, *query_dirs]
    catalogue = load_catalogue(dirs)
    known = {name for q in catalogue.values() for name in q.parameters}
    unknown = sorted(set(merged) - known)
    if unknown:  # a misspelt parameter would otherwise leave its default in force without a word
        raise ItsmsError(
            f"no query has a parameter {unknown[0]!r} (from --param or the config's [parameters]); "
            f"the parameters are: {', '.join(sorted(known))}"
        )
    return dirs, merged, catalogue


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def _render(report: Any, fmt: str, output: Path | None) -> None:
    from itsms_graph.reports import formats
    from itsms_graph.reports.html import render_html
    from itsms_graph.reports.terminal import render_terminal

    if fmt == "table":
        if output is None:
            render_terminal(report, _console())
        else:
            console = Console(record=True, width=PLAIN_WIDTH, file=io.StringIO())
            render_terminal(report, console)
            _emit(console.export_text(), output)
        return
    renderers = {
        "json": formats.to_json,
        "csv": formats.to_csv,
        "markdown": formats.to_markdown,
        "junit": formats.to_junit,
        "html": render_html,
    }
    _emit(renderers[fmt](report), output)


class _Cli(click.Group):
    """The root group: turns ItsmsError into one line on stderr and its exit code (also under CliRunner), and
    click's own usage errors too (click prints usage, a hint and the error on four lines)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "itsms-graph"
            click.echo(f"error: {exc.format_message()} (see {where} --help)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ItsmsError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="itsms-graph")
def cli() -> None:
    """Prove from the records whether an ISO/IEC 20000-1:2018 service management system is real.

    \b
    Example:
      itsms-graph demo                      # build the example SMS, check it, write out/report.html
      itsms-graph check out/example.itsms --as-of 2025-06-30 --format markdown
    """


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
@_backend_option("the queries")
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
    render_terminal(report, _console())
    for path in written:
        click.echo(f"wrote {path}")


def _sources_option(help_text: str, *, required: bool) -> Any:
    """-p/--profile PROFILE PATH, repeatable: the exports a command imports."""
    return click.option(
        "--profile", "-p", "sources", nargs=2, multiple=True, required=required, metavar="PROFILE PATH", help=help_text
    )


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=False)
@_sources_option(
    "Instead of SNAPSHOT: import these exports (as `import` does; repeatable) and check them. With "
    "--backend duckdb the checks run on the imported tables and the graph is never built.",
    required=False,
)
@click.option("--keep-going", is_flag=True, help="With --profile: reject bad rows (counted on stderr), check the rest.")
@_period_options
@_query_options
@click.option("--query", "query_ids", multiple=True, metavar="ID", help="Run only this query; repeatable.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report to this file instead of standard output.",
)
@click.option(
    "--fail-on",
    type=click.Choice(GRADES),
    default="major",
    show_default=True,
    help="Exit 1 when a finding is at or above this grade ('none': never).",
)
@_backend_option("the queries", server=True)
@click.option("--uri", default=None, help="With --backend neo4j: the server (password from NEO4J_PASSWORD).")
@click.option("--user", default="neo4j", show_default=True, help="With --backend neo4j: the user.")
@click.option("--database", default=None, help="With --backend neo4j: the database.")
def check(
    snapshot: Path | None,
    sources: tuple[tuple[str, str], ...],
    keep_going: bool,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
    query_ids: tuple[str, ...],
    fmt: str,
    output: Path | None,
    fail_on: str,
    backend: str,
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
    from itsms_graph.check import check as run_check
    from itsms_graph.check import check_sources
    from itsms_graph.queries.plan import AuditPeriod

    dirs, parameters, _catalogue = _resolve(config_path, query_dirs, params)
    if (snapshot is None) == (not sources):
        raise click.UsageError("give a SNAPSHOT or --profile PROFILE PATH (one of the two)")
    if keep_going and not sources:
        raise click.UsageError("--keep-going goes with --profile")
    if uri and backend != "neo4j":  # else the checks would run on another engine than the user thinks
        raise ItsmsError(f"--uri goes with --backend neo4j (the backend is {backend})")
    if sources and backend == "neo4j":  # the server holds what was pushed, not these exports
        raise click.UsageError("--profile checks the exports in process: --backend networkx, duckdb or falkordb")
    server = _neo4j_engine(uri, user, database) if backend == "neo4j" and uri else None
    options: dict[str, Any] = {
        "period": AuditPeriod.parse(as_of, period),
        "query_dirs": dirs,
        "query_ids": query_ids or None,
        "parameters": parameters,
        "backend": backend,
        "fail_on": fail_on,
    }
    if sources:
        from itsms_graph.importers import resolve_profile

        resolved = [(resolve_profile(name), Path(path)) for name, path in sources]
        report, imported = check_sources(resolved, keep_going=keep_going, **options)
        totals = imported.to_dict()["totals"]
        click.echo(
            f"imported {totals['rows_read']:,} rows: {totals['accepted']:,} accepted, {totals['merged']:,} merged, "
            f"{totals['rejected']:,} rejected, {totals['skipped']:,} skipped (itsms-graph import --report json "
            "lists every rejection)",
            err=True,
        )
    else:
        assert snapshot is not None
        report = run_check(snapshot, server=server, **options)
    _render(report, fmt, output)
    if report.gate_failed():
        sys.exit(EXIT_FINDINGS)


@cli.command("import")
@_sources_option(
    "A profile (built-in name or profile file) and the folder or file it reads; repeatable.", required=True
)
@click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The snapshot to write."
)
@click.option("--keep-going", is_flag=True, help="Reject bad rows (reported) and load the good ones.")
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
    sources: tuple[tuple[str, str], ...], output: Path, keep_going: bool, report_format: str, report_file: Path | None
) -> None:
    """Import exports with profiles into one graph and save it as a snapshot.

    Every row ends as a node, a merged duplicate or a rejection naming file, row and column; references
    resolve across all sources, and references to ids no source contains become unresolved placeholders.

    \b
    Example:
      itsms-graph import -p bpic2014 data/bpic2014/ -o bpic.itsms
      itsms-graph import -p servicenow exports/ -p sms-register registers.xlsx -o snap.itsms --keep-going
    """
    from itsms_graph.graph.snapshot import save_tables_snapshot
    from itsms_graph.importers import import_tables, resolve_profile
    from itsms_graph.reports.imports import render_import_text, to_import_json

    resolved = [(resolve_profile(name), Path(path)) for name, path in sources]
    console = _console(stderr=True)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # one bar per file, counting rows as they are read (the total is unknown until the file ends), then one for
    # resolving them together
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as bars:
        tasks: dict[str, Any] = {}

        def progress(file: str, rows: int, done: bool) -> None:
            if file not in tasks:
                tasks[file] = bars.add_task(file, total=None)
            bars.update(tasks[file], completed=rows, total=rows if done else None)  # done: its clock stops

        imported, report = import_tables(resolved, keep_going=keep_going, progress=progress)
    # the snapshot is written from the graph tables: the graph itself is never built (the same bytes)
    save_tables_snapshot(imported.con, output, inputs=imported.inputs, declared=imported.declared_labels)
    counts = imported.counts()
    imported.close()
    if report_file is not None:
        report_file.write_text(to_import_json(report), encoding="utf-8")
    if report_format == "json":
        click.echo(to_import_json(report), nl=False)
    else:
        render_import_text(report, counts, _console())
        click.echo(f"wrote {output}")


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
    "--rows", type=click.IntRange(min=1), default=1000, show_default=True, help="How many rows of each file to try."
)
def profile_check(profile_file: str, sample: Path | None, rows: int) -> None:
    """Validate a profile against the ontology and, with --sample, against the first rows of the data.

    \b
    Example:
      itsms-graph profile check my-export.yaml --sample exports/ --rows 500
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
        for r in f.rejections[:10]:
            click.echo(f"  {r}")
        bad += f.rejected - sum(1 for r in f.rejections if r.reason == "blank row")
    for note in report.skip_notes():
        click.echo(note)
    if bad:
        raise ItsmsError(f"{bad} sample row(s) do not fit the profile")


@cli.group()
def query() -> None:
    """List, show and run canned queries.

    \b
    Example:
      itsms-graph query list
      itsms-graph query show change-implemented-without-approval --cypher
    """


@query.command("list")
@_query_options
def query_list(config_path: Path | None, query_dirs: tuple[Path, ...], params: tuple[str, ...]) -> None:
    """List the canned queries (shipped and your own).

    \b
    Example:
      itsms-graph query list --queries my-queries/
    """
    from rich.table import Table

    _dirs, _, catalogue = _resolve(config_path, query_dirs, params)
    table = Table()
    for col in ("id", "clauses", "stage", "grade"):
        table.add_column(col, no_wrap=True)
    table.add_column("title")
    for q in catalogue.values():
        table.add_row(q.id, " ".join(q.clauses), str(q.stage), q.grade, q.title)
    _console().print(table)


@query.command("show")
@click.argument("query_id")
@click.option("--cypher", is_flag=True, help="Print the Cypher statement and its parameters.")
@_period_options
@_query_options
def query_show(
    query_id: str,
    cypher: bool,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
) -> None:
    """Show a canned query's metadata, parameters and (with --cypher) its Cypher.

    \b
    Example:
      itsms-graph query show uncontrolled-change-caused-incident --cypher --as-of 2025-06-30
    """
    import json

    from itsms_graph.check import select_queries
    from itsms_graph.queries.cypher import compile_query
    from itsms_graph.queries.plan import AuditPeriod, bind

    _dirs, parameters, catalogue = _resolve(config_path, query_dirs, params)
    q = select_queries(catalogue, [query_id])[0]
    click.echo(f"{q.id}: {q.title}")
    click.echo(f"clauses {' '.join(q.clauses)}, stage {q.stage}, grade when it fails: {q.grade}")
    click.echo(f"rationale: {q.rationale}")
    click.echo(f"remediation: {q.remediation}")
    for name, p in q.parameters.items():
        click.echo(f"parameter {name} ({p.type}, default {p.default!r}): {p.description}")
    if cypher:
        bound = bind(q, AuditPeriod.parse(as_of, period), parameters)
        click.echo("\n// Cypher (Neo4j, FalkorDB)")
        click.echo(compile_query(bound))
        click.echo("// parameters")
        click.echo(json.dumps(bound.cypher_params, indent=2, sort_keys=True))


@query.command("run")
@click.argument("query_id")
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_period_options
@_query_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@_backend_option("the query")
def query_run(
    query_id: str,
    snapshot: Path,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
    fmt: str,
    backend: str,
) -> None:
    """Run one canned query on SNAPSHOT.

    \b
    Example:
      itsms-graph query run change-implemented-without-approval out/example.itsms --as-of 2025-06-30
    """
    from itsms_graph.check import check as run_check
    from itsms_graph.queries.plan import AuditPeriod

    dirs, parameters, _catalogue = _resolve(config_path, query_dirs, params)
    report = run_check(
        snapshot,
        period=AuditPeriod.parse(as_of, period),
        query_dirs=dirs,
        query_ids=[query_id],
        parameters=parameters,
        backend=backend,
        fail_on="none",
        title="itsms-graph query run",
    )
    _render(report, fmt, None)


def _audit(
    snapshot: Path,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
    backend: str = "networkx",
) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Check a snapshot with the whole catalogue: (report, engine, graph, parameters)."""
    from itsms_graph.check import engine_for
    from itsms_graph.graph.snapshot import open_snapshot
    from itsms_graph.graph.store import InputFile
    from itsms_graph.queries.plan import AuditPeriod
    from itsms_graph.queries.run import run_queries
    from itsms_graph.reports.model import build_report

    _dirs, parameters, catalogue = _resolve(config_path, query_dirs, params)
    graph = open_snapshot(snapshot)
    engine = engine_for(graph, backend)
    audit_period = AuditPeriod.parse(as_of, period)
    results = run_queries(engine, catalogue.values(), audit_period, parameters, graph.declared_labels)
    report = build_report(
        results,
        period=audit_period,
        engine=engine.name,
        inputs=graph.inputs,
        extra_inputs=[InputFile.of(snapshot, profile="snapshot")],
    )
    return report, engine, graph, parameters


def _verdict_json(report: Any, key: str, verdict: dict[str, Any]) -> str:
    """A verdict as JSON, with what every report states: tool version, audit period, inputs and their SHA-256."""
    d = report.to_dict()
    return _dump({"tool": d["tool"], "audit_period": d["audit_period"], "inputs": d["inputs"], key: verdict})


def _dump(data: Any) -> str:
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_period_options
@_query_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stage1(
    snapshot: Path,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
    fmt: str,
) -> None:
    """Stage 1 readiness: Ready, Conditionally ready or Not ready, with the deciding rule.

    Exit code 0 when Ready, 1 otherwise.

    \b
    Example:
      itsms-graph stage1 out/example.itsms --as-of 2025-06-30
    """
    from itsms_graph.audit.verdict import stage1 as decide
    from itsms_graph.reports.audit import render_stage1
    from itsms_graph.reports.terminal import render_header

    report, _, _, _ = _audit(snapshot, as_of, period, config_path, query_dirs, params)
    verdict = decide(report)
    if fmt == "json":
        click.echo(_verdict_json(report, "stage1", verdict.to_dict()), nl=False)
    else:
        console = _console()
        render_header(report, console, title="itsms-graph stage1")
        render_stage1(verdict, console)
    if verdict.outcome != "Ready":
        sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_period_options
@_query_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--systemic-rate",
    type=click.FloatRange(0, 1),
    default=0.2,
    show_default=True,
    help="A minor query failing on at least this share of its population is graded major (systemic).",
)
@click.option("--fail-on", type=click.Choice(GRADES), default="major", show_default=True)
def stage2(
    snapshot: Path,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
    fmt: str,
    systemic_rate: float,
    fail_on: str,
) -> None:
    """Stage 2: nonconformities graded major, minor, OFI per clause, and what blocks certification.

    \b
    Example:
      itsms-graph stage2 out/example.itsms --as-of 2025-06-30 --format json
    """
    from itsms_graph.audit.verdict import stage2 as decide
    from itsms_graph.queries.results import at_or_above
    from itsms_graph.reports.audit import render_stage2
    from itsms_graph.reports.terminal import render_header

    report, engine, _, parameters = _audit(snapshot, as_of, period, config_path, query_dirs, params)
    verdict = decide(report, engine, systemic_rate=systemic_rate, parameters=parameters)
    if fmt == "json":
        click.echo(_verdict_json(report, "stage2", verdict.to_dict()), nl=False)
    else:
        console = _console()
        render_header(report, console, title="itsms-graph stage2")
        render_stage2(verdict, console)
    if fail_on != "none" and any(at_or_above(g.grade, fail_on) for g in verdict.graded):
        sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_period_options
@_query_options
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="plan.xlsx, plan.csv or plan.md",
)
def cap(
    snapshot: Path,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
    output: Path,
) -> None:
    """Write the corrective action plan: one row per Stage 2 nonconformity.

    \b
    Example:
      itsms-graph cap out/example.itsms --as-of 2025-06-30 -o plan.xlsx
    """
    from itsms_graph.audit.cap import plan_rows, write_plan
    from itsms_graph.audit.verdict import stage2 as decide

    report, engine, graph, parameters = _audit(snapshot, as_of, period, config_path, query_dirs, params)
    verdict = decide(report, engine, parameters=parameters)
    rows = plan_rows(verdict, report.period.as_of, graph)
    write_plan(rows, output, report.provenance())
    click.echo(f"wrote {output}: {len(rows)} nonconformities")


@cli.command()
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_period_options
@click.option("--old-as-of", default=None, metavar="DATE", help="As-of date for OLD when it is a snapshot.")
@click.option(
    "--fail-on",
    default="new-major",
    show_default=True,
    type=click.Choice(DIFF_GATES),  # checked before two reports are read and compared
    help="Gate: new-<grade> (new findings at or above), any-<grade>, or none.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def diff(old: Path, new: Path, as_of: str | None, period: str, old_as_of: str | None, fail_on: str, fmt: str) -> None:
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
    from itsms_graph.queries.plan import AuditPeriod
    from itsms_graph.reports.audit import render_diff

    def findings(path: Path, day: str | None) -> Any:
        if path.read_bytes()[:2] == b"PK":  # a snapshot (ZIP)
            report = run_check(path, period=AuditPeriod.parse(day, period), fail_on="none")
            return findings_of_report(report.to_dict())
        return findings_of_report(load_report(path))

    result = diff_findings(findings(old, old_as_of or as_of), findings(new, as_of))
    inputs = [InputFile.of(old, profile="old"), InputFile.of(new, profile="new")]
    if fmt == "json":
        tool = {"name": "itsms-graph", "version": __version__}
        click.echo(_dump({"tool": tool, "inputs": [vars(i) for i in inputs], **result.to_dict()}), nl=False)
    else:
        console = _console()
        console.print(f"[bold]itsms-graph diff[/bold]  itsms-graph {__version__}")
        for item in inputs:
            console.print("  " + escape(item.line()), highlight=False)
        render_diff(result, console)
    if result.gate(fail_on):
        sys.exit(EXIT_FINDINGS)


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--population",
    required=True,
    metavar="QUERY_OR_LABEL",
    help="A label (Change: its records, whatever their dates) or a canned query id (the records it examines in "
    "the audit period).",
)
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE", help="Keep records whose property equals.")
@click.option("--size", type=click.IntRange(min=1), default=None, help="Sample size (default: from the table).")
@click.option("--method", type=click.Choice(["random", "systematic", "stratified"]), required=True)
@click.option("--by", type=click.Choice(["service", "month"]), default=None, help="Strata for --method stratified.")
@click.option("--seed", type=int, required=True, help="Random seed: the same seed gives the same sample.")
@click.option(
    "--worksheet",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the worksheet (.csv or .xlsx).",
)
@_period_options
def sample(
    snapshot: Path,
    population: str,
    filters: tuple[str, ...],
    size: int | None,
    method: str,
    by: str | None,
    seed: int,
    worksheet: Path | None,
    as_of: str | None,
    period: str,
) -> None:
    """Draw a reproducible audit sample (ISO 19011) and write the auditor's worksheet.

    \b
    Example:
      itsms-graph sample out/example.itsms --as-of 2025-06-30 --population change-implemented-without-approval --method stratified --by month --seed 7 -o sample.xlsx
    """
    from itsms_graph.audit.sampling import draw, population_of, write_worksheet
    from itsms_graph.graph.snapshot import open_snapshot
    from itsms_graph.graph.store import InputFile
    from itsms_graph.queries.catalogue import load_catalogue
    from itsms_graph.queries.plan import AuditPeriod
    from itsms_graph.reports.model import provenance_lines

    if worksheet is not None and worksheet.suffix.lower() not in (".csv", ".xlsx"):
        raise ItsmsError(f"{worksheet}: the worksheet is written as .csv or .xlsx")
    graph = open_snapshot(snapshot)
    audit_period = AuditPeriod.parse(as_of, period)
    ids = population_of(graph, population, load_catalogue(), audit_period, _parse_params(filters))
    drawn = draw(graph, ids, name=population, method=method, seed=seed, size=size, by=by)
    if not ids:
        click.echo(
            f"warning: the population is empty (audit period {audit_period.label()}; is --as-of right?)", err=True
        )
    click.echo(drawn.describe())
    for nid in drawn.drawn:
        click.echo(f"  {nid}" + (f"  [{drawn.strata[nid]}]" if nid in drawn.strata else ""))
    if worksheet is not None:
        inputs = [InputFile.of(snapshot, profile="snapshot"), *graph.inputs]
        write_worksheet(graph, drawn, worksheet, provenance_lines(inputs, audit_period))
        click.echo(f"wrote {worksheet}")


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option(
    "--previous",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="The previous cycle's snapshot: the report adds new and resolved findings.",
)
@click.option("--old-as-of", default=None, metavar="DATE", help="As-of date for --previous.")
@_period_options
@_query_options
def report(
    snapshot: Path,
    output: Path,
    previous: Path | None,
    old_as_of: str | None,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
) -> None:
    """Write the consultant's report: one self-contained HTML file that opens offline.

    \b
    Example:
      itsms-graph report out/example.itsms --as-of 2025-06-30 -o report.html
      itsms-graph report 2025.itsms --previous 2024.itsms --old-as-of 2024-06-30 --as-of 2025-06-30 -o report.html
    """
    from itsms_graph.check import visual_report
    from itsms_graph.queries.plan import AuditPeriod

    dirs, parameters, _catalogue = _resolve(config_path, query_dirs, params)
    html = visual_report(
        snapshot,
        period=AuditPeriod.parse(as_of, period),
        previous=previous,
        previous_period=AuditPeriod.parse(old_as_of or as_of, period),
        parameters=parameters,
        query_dirs=dirs,
    )
    output.write_text(html, encoding="utf-8")
    click.echo(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB)")


@cli.command()
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--focus", required=True, metavar="NODE_ID", help="The node to look around, e.g. Change:CHG-U2.")
@click.option("--depth", type=click.IntRange(1, 4), default=2, show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True)
def viz(snapshot: Path, focus: str, depth: int, output: Path) -> None:
    """A quick look at one node's neighbourhood, as a self-contained HTML file.

    \b
    Example:
      itsms-graph viz out/example.itsms --focus Change:CHG-U2 --depth 2 -o chg.html
    """
    from itsms_graph.graph.snapshot import open_snapshot
    from itsms_graph.reports.visual import render_focus

    output.write_text(render_focus(open_snapshot(snapshot), focus, depth), encoding="utf-8")
    click.echo(f"wrote {output}")


@cli.command("sample-findings")
@click.argument("worksheet", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def sample_findings(worksheet: Path, fmt: str) -> None:
    """Read a filled sample worksheet back: 'nonconformity' and 'no evidence' verdicts become findings.

    Exit code 1 when there is such a finding.

    \b
    Example:
      itsms-graph sample-findings sample.xlsx --format json
    """
    from itsms_graph.audit.sampling import read_worksheet

    judged = read_worksheet(worksheet)
    found = judged.findings
    if judged.unjudged:  # a worksheet handed back half done must not read as a clean sample
        click.echo(
            f"warning: {len(judged.unjudged)} sampled record(s) have no verdict yet: "
            + ", ".join(judged.unjudged[:5])
            + (" ..." if len(judged.unjudged) > 5 else ""),
            err=True,
        )
    if fmt == "json":
        click.echo(_dump([vars(f) for f in found]), nl=False)
    else:
        for f in found:
            click.echo(f"{f.id} {f.record}: {f.verdict}" + (f" ({f.note})" if f.note else ""))
        click.echo(f"{len(found)} finding(s) from the sample")
    if found:
        sys.exit(EXIT_FINDINGS)


def _neo4j_options(f: Any) -> Any:
    f = click.option("--database", default=None, help="Neo4j database (default: the server's default).")(f)
    f = click.option("--user", default="neo4j", show_default=True, help="Neo4j user.")(f)
    f = click.option("--uri", required=True, help="bolt://, neo4j://, neo4j+s:// (TLS) URI of the server.")(f)
    return f


def _neo4j_engine(uri: str, user: str, database: str | None) -> Any:
    """Connect with the password from NEO4J_PASSWORD or a hidden prompt (never a flag, never echoed)."""
    import os

    from itsms_graph.engines.neo4j import Neo4jEngine

    password = os.environ.get("NEO4J_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():  # a CI job: no one to ask, and getpass would echo what a pipe gives it
            raise ItsmsError("set NEO4J_PASSWORD: there is no terminal to ask for the Neo4j password")
        password = click.prompt("Neo4j password", hide_input=True, err=True)
    return Neo4jEngine(uri, user, password, database)


@cli.group()
def neo4j() -> None:
    """Push to Neo4j; write its Browser style, guide and query files.

    \b
    Example:
      NEO4J_PASSWORD=... itsms-graph neo4j push out/example.itsms --uri neo4j+s://xyz.databases.neo4j.io
      itsms-graph neo4j style -o itsms.grass
    """


@neo4j.command("push")
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_neo4j_options
@click.option("--batch-size", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--replace", is_flag=True, help="First remove what an earlier push (same --tag) created, only that.")
@click.option("--tag", default="itsms-graph", show_default=True, help="Tag on every node this push writes.")
@click.option("--no-findings", is_flag=True, help="Do not write (:Finding)-[:FLAGS]->(subject).")
@_period_options
def neo4j_push(
    snapshot: Path,
    uri: str,
    user: str,
    database: str | None,
    batch_size: int,
    replace: bool,
    tag: str,
    no_findings: bool,
    as_of: str | None,
    period: str,
) -> None:
    """Push SNAPSHOT into Neo4j: constraints, batched UNWIND ... MERGE, findings, counts read back.

    The password comes from NEO4J_PASSWORD or a prompt. Exit code 2 when the counts read back differ.

    \b
    Example:
      NEO4J_PASSWORD=secret itsms-graph neo4j push out/example.itsms --uri bolt://localhost:7687 --replace
    """
    from rich.progress import Progress

    from itsms_graph.check import check_graph
    from itsms_graph.exports.push import push
    from itsms_graph.graph.snapshot import open_snapshot
    from itsms_graph.queries.plan import AuditPeriod

    graph = open_snapshot(snapshot)
    findings = [] if no_findings else check_graph(graph, period=AuditPeriod.parse(as_of, period)).findings
    engine = _neo4j_engine(uri, user, database)
    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task("pushing", total=None)
        result = push(
            engine,
            graph,
            findings,
            tag=tag,
            replace=replace,
            batch_size=batch_size,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    engine.close()
    for key, n in result.actual.items():
        click.echo(f"{key}: {n:,}")
    click.echo(f"pushed {result.findings} findings" + (f"; replaced {result.deleted:,} nodes" if replace else ""))
    if not result.ok:
        raise ItsmsError("; ".join(result.problems))


@neo4j.command("style")
@click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=Path("itsms.grass"), show_default=True
)
def neo4j_style(output: Path) -> None:
    """Write the Neo4j Browser style sheet (GraSS) generated from the ontology.

    \b
    Example:
      itsms-graph neo4j style -o itsms.grass     # then drag itsms.grass onto Neo4j Browser
    """
    from itsms_graph.exports.browser import grass

    output.write_text(grass(), encoding="utf-8")
    click.echo(f"wrote {output}")


@neo4j.command("guide")
@click.option(
    "--output",
    "-o",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("guide"),
    show_default=True,
)
@_period_options
@_query_options
def neo4j_guide(
    folder: Path,
    as_of: str | None,
    period: str,
    config_path: Path | None,
    query_dirs: tuple[Path, ...],
    params: tuple[str, ...],
) -> None:
    """Write the Neo4j Browser guide and one .cypher file per canned query.

    \b
    Example:
      itsms-graph neo4j guide -o guide --as-of 2025-06-30
      python -m http.server 8001 --directory guide   # then in Browser: :play http://localhost:8001/itsms-graph.html
    """
    from itsms_graph.exports.browser import write_guide, write_query_files
    from itsms_graph.queries.plan import AuditPeriod

    _, _, catalogue = _resolve(config_path, query_dirs, params)
    audit_period = AuditPeriod.parse(as_of, period)
    path = write_guide(catalogue, folder, audit_period)
    files = write_query_files(catalogue, folder / "queries", audit_period)
    click.echo(f"wrote {path} and {len(files)} query files in {folder / 'queries'}")


@cli.group()
def export() -> None:
    """Export a snapshot for offline loading into Neo4j.

    \b
    Example:
      itsms-graph export cypher out/example.itsms -o graph.cypher
      itsms-graph export neo4j-admin out/example.itsms -o import/
    """


@export.command("cypher")
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
def export_cypher(snapshot: Path, output: Path, batch_size: int) -> None:
    """Write a Cypher script (constraints, then UNWIND ... MERGE batches, values quoted) for cypher-shell.

    \b
    Example:
      itsms-graph export cypher out/example.itsms -o graph.cypher && cypher-shell -f graph.cypher
    """
    from itsms_graph.exports.cypher_script import write_script
    from itsms_graph.graph.snapshot import open_snapshot

    write_script(open_snapshot(snapshot), output, batch_size)
    click.echo(f"wrote {output}")


@export.command("neo4j-admin")
@click.argument("snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--output", "-o", "folder", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--database", default="neo4j", show_default=True)
def export_neo4j_admin(snapshot: Path, folder: Path, database: str) -> None:
    """Write CSV files for `neo4j-admin database import full` and print the command that loads them.

    \b
    Example:
      itsms-graph export neo4j-admin out/example.itsms -o import/
    """
    from itsms_graph.exports.neo4j_admin import write_import_files
    from itsms_graph.graph.snapshot import open_snapshot

    files, command = write_import_files(open_snapshot(snapshot), folder, database)
    click.echo(
        f"wrote {len(files)} CSV files and import-command.txt in {folder}; load them (database stopped) from that "
        "folder with:"
    )
    click.echo(command)


def main() -> None:
    """Entry point of the ``itsms-graph`` command."""
    from itsms_graph.memory import return_freed_blocks

    return_freed_blocks()  # the command owns its process: freed batches go back to the system (see the module)
    cli(prog_name="itsms-graph")

"""The canned-query catalogue: query list, query show (metadata, parameters, the Cypher) and query run (one
query on a snapshot)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from itsms_graph.cli.app import cli
from itsms_graph.cli.options import (
    AuditOptions,
    backend_option,
    fail_on_option,
    pass_audit,
    period_options,
    query_options,
    snapshot_argument,
)
from itsms_graph.cli.output import console, render
from itsms_graph.errors import EXIT_FINDINGS
from itsms_graph.registry import FORMATS


@cli.group()
def query() -> None:
    """List, show and run canned queries.

    \b
    Example:
      itsms-graph query list
      itsms-graph query show change-implemented-without-approval --cypher
    """


@query.command("list")
@query_options
@pass_audit
def query_list(audit: AuditOptions) -> None:
    """List the canned queries (shipped and your own).

    \b
    Example:
      itsms-graph query list --queries my-queries/
    """
    from rich.table import Table

    table = Table()
    for col in ("id", "clauses", "stage", "grade"):
        table.add_column(col, no_wrap=True)
    table.add_column("title")
    for q in audit.catalogue.values():
        table.add_row(q.id, " ".join(q.clauses), str(q.stage), q.grade, q.title)
    console().print(table)


@query.command("show")
@click.argument("query_id")
@click.option("--cypher", is_flag=True, help="Print the Cypher statement and its parameters.")
@period_options
@query_options
@pass_audit
def query_show(query_id: str, cypher: bool, audit: AuditOptions) -> None:
    """Show a canned query's metadata, parameters and (with --cypher) its Cypher.

    \b
    Example:
      itsms-graph query show uncontrolled-change-caused-incident --cypher --as-of 2025-06-30
    """
    import json

    from itsms_graph.check import select_queries
    from itsms_graph.engines.cypher.compiler import compile_query
    from itsms_graph.queries.plan import bind

    q = select_queries(audit.catalogue, [query_id])[0]
    click.echo(f"{q.id}: {q.title}")
    click.echo(f"clauses {' '.join(q.clauses)}, stage {q.stage}, grade when it fails: {q.grade}")
    click.echo(f"rationale: {q.rationale}")
    click.echo(f"remediation: {q.remediation}")
    for name, p in q.parameters.items():
        click.echo(f"parameter {name} ({p.type}, {p.stated()}): {p.description}")
    if cypher:
        bound = bind(q, audit.period, audit.parameters.merged())
        click.echo("\n// Cypher (Neo4j, FalkorDB)")
        click.echo(compile_query(bound))
        click.echo("// parameters")
        click.echo(json.dumps(bound.cypher_params, indent=2, sort_keys=True))


@query.command("run")
@click.argument("query_id")
@snapshot_argument()
@period_options
@query_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@fail_on_option("Exit 1 when a finding is at or above this grade ('none': never).")
@backend_option("the query")
@pass_audit
def query_run(query_id: str, snapshot: Path, audit: AuditOptions, fmt: str) -> None:
    """Run one canned query on SNAPSHOT.

    \b
    Example:
      itsms-graph query run change-implemented-without-approval out/example.itsms --as-of 2025-06-30
    """
    from itsms_graph.check import check as run_check

    audit.resolve()
    report = run_check(
        snapshot,
        period=audit.period_rule(),
        query_dirs=audit.dirs,
        query_ids=[query_id],
        parameters=audit.parameters,
        backend=audit.backend,
        fail_on=audit.fail_on,
        title="itsms-graph query run",
    )
    render(report, fmt, None)
    if report.gate_failed():
        sys.exit(EXIT_FINDINGS)


@cli.command("coverage")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text: the clause tree (+ covered, - not covered); json: the same as data; markdown: the table of the "
    "clauses with requirements (docs/coverage.md).",
)
@query_options
@pass_audit
def coverage_command(fmt: str, audit: AuditOptions) -> None:
    """List every ISO/IEC 20000-1:2018 clause with the checks that cover it, and the clauses no check covers.

    Generated from the query files (shipped and --queries). A clause without sub-clauses has requirements of its
    own; a check that names a parent clause covers none of its sub-clauses.

    \b
    Example:
      itsms-graph coverage
      itsms-graph coverage --format json --queries my-queries/
    """
    import json

    from itsms_graph.queries.coverage import coverage, render_markdown, render_text

    cov = coverage(audit.catalogue)
    if fmt == "json":
        click.echo(json.dumps(cov.to_dict(), indent=2))
    else:
        click.echo(render_markdown(cov) if fmt == "markdown" else render_text(cov), nl=False)

"""The way to a graph server: neo4j push (a snapshot into Neo4j), neo4j style and guide (for Neo4j Browser), and
export cypher / neo4j-admin (files for loading offline)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from itsms_graph.cli.app import cli
from itsms_graph.cli.options import AuditOptions, pass_audit, period_options, query_options, snapshot_argument
from itsms_graph.errors import ItsmsError
from itsms_graph.exports import PUSH_BATCH
from itsms_graph.outputs import write_text


def _neo4j_options(f: Any) -> Any:
    f = click.option("--database", default=None, help="Neo4j database (default: the server's default).")(f)
    f = click.option("--user", default="neo4j", show_default=True, help="Neo4j user.")(f)
    f = click.option("--uri", required=True, help="bolt://, neo4j://, neo4j+s:// (TLS) URI of the server.")(f)
    return f


def neo4j_engine(uri: str, user: str, database: str | None) -> Any:
    """Connect with the password from NEO4J_PASSWORD or a hidden prompt (never a flag, never echoed)."""
    import os

    from itsms_graph.engines.cypher.neo4j import Neo4jEngine, refuse_credentials

    refuse_credentials(uri)  # before anything asks for a password or echoes the URI
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
@snapshot_argument()
@_neo4j_options
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=PUSH_BATCH,
    show_default=True,
    help="Rows per UNWIND statement (one transaction each).",
)
@click.option("--replace", is_flag=True, help="First remove what an earlier push (same --tag) created, only that.")
@click.option("--tag", default="itsms-graph", show_default=True, help="Tag on every node this push writes.")
@click.option("--no-findings", is_flag=True, help="Do not write (:Finding)-[:FLAGS]->(subject).")
@period_options
@pass_audit
def neo4j_push(
    snapshot: Path,
    uri: str,
    user: str,
    database: str | None,
    batch_size: int,
    replace: bool,
    tag: str,
    no_findings: bool,
    audit: AuditOptions,
) -> None:
    """Push SNAPSHOT into Neo4j: constraints, batched UNWIND ... CREATE or MERGE, findings, counts read back.

    The password comes from NEO4J_PASSWORD or a prompt. Exit code 2 when the counts read back differ.

    \b
    Example:
      NEO4J_PASSWORD=secret itsms-graph neo4j push out/example.itsms --uri bolt://localhost:7687 --replace
    """
    from rich.console import Console
    from rich.progress import Progress

    from itsms_graph.check import check_graph
    from itsms_graph.exports.push import push
    from itsms_graph.graph.snapshot import open_snapshot_tables

    # streamed from the tables the snapshot opens to (checked there for the findings): the graph is never built
    graph = open_snapshot_tables(snapshot)
    findings = [] if no_findings else check_graph(graph, period=audit.period_rule(), backend=audit.backend).findings
    engine = neo4j_engine(uri, user, database)
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

    write_text(output, grass())
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
@period_options
@query_options
@pass_audit
def neo4j_guide(folder: Path, audit: AuditOptions) -> None:
    """Write the Neo4j Browser guide and one .cypher file per canned query.

    \b
    Example:
      itsms-graph neo4j guide -o guide --as-of 2025-06-30
      python -m http.server 8001 --directory guide   # then in Browser: :play http://localhost:8001/itsms-graph.html
    """
    from itsms_graph.exports.browser import write_guide, write_query_files

    catalogue = audit.catalogue
    path = write_guide(catalogue, folder, audit.period)
    files = write_query_files(catalogue, folder / "queries", audit.period)
    click.echo(f"wrote {path} and {len(files)} query files in {folder / 'queries'}")


@cli.group()
def export() -> None:
    """Export a snapshot for offline loading into Neo4j.

    \b
    Example:
      itsms-graph export cypher out/example.itsms --as-of 2025-06-30 -o graph.cypher
      itsms-graph export neo4j-admin out/example.itsms --as-of 2025-06-30 -o import/
    """


def _with_findings(snapshot: Path, audit: AuditOptions) -> tuple[Any, Any]:
    """The graph tables SNAPSHOT opens to and the check report of every canned query on them (as of --as-of), so
    that an export writes the graph as a push does, with the Snapshot node and the findings flagging their
    subjects. The checks run on the tables by duckdb, which keeps them open for the export to stream from (the
    Python graph is never built)."""
    from itsms_graph.check import check_graph
    from itsms_graph.graph.snapshot import open_snapshot_tables

    tables = open_snapshot_tables(snapshot)
    report = check_graph(
        tables,
        period=audit.period_rule(),
        query_dirs=audit.dirs,
        parameters=audit.parameters,
        backend="duckdb",
        fail_on="none",
    )
    return tables, report


@export.command("cypher")
@snapshot_argument()
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
@click.option(
    "--dialect",
    type=click.Choice(["neo4j", "falkordb"]),
    default="neo4j",
    show_default=True,
    help="neo4j: uniqueness constraints (cypher-shell); falkordb: an index per label (it has no such constraints).",
)
@period_options
@query_options
@pass_audit
def export_cypher(snapshot: Path, output: Path, batch_size: int, dialect: str, audit: AuditOptions) -> None:
    """Write a Cypher script (an index or constraint per label, then UNWIND ... MERGE batches, values quoted), the
    findings as of --as-of included.

    \b
    Example:
      itsms-graph export cypher out/example.itsms --as-of 2025-06-30 -o graph.cypher && cypher-shell -f graph.cypher
      itsms-graph export cypher out/example.itsms --as-of 2025-06-30 --dialect falkordb -o falkor.cypher
    """
    from itsms_graph.exports.cypher_script import write_script

    tables, report = _with_findings(snapshot, audit)
    write_script(tables, output, batch_size, dialect, report.findings)  # streamed from the tables
    click.echo(
        f"wrote {output} ({dialect}): {tables.number_of_nodes():,} nodes and {len(report.findings):,} findings as of "
        f"{report.period.as_of}"
    )


@export.command("neo4j-admin")
@snapshot_argument()
@click.option("--output", "-o", "folder", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--database", default="neo4j", show_default=True)
@period_options
@query_options
@pass_audit
def export_neo4j_admin(snapshot: Path, folder: Path, database: str, audit: AuditOptions) -> None:
    """Write CSV files for `neo4j-admin database import full` (the findings as of --as-of included) and print the
    command that loads them.

    \b
    Example:
      itsms-graph export neo4j-admin out/example.itsms --as-of 2025-06-30 -o import/
    """
    from itsms_graph.exports.neo4j_admin import write_import_files

    tables, report = _with_findings(snapshot, audit)
    files, command = write_import_files(tables, folder, database, report.findings)  # streamed from the tables
    click.echo(
        f"wrote {len(files)} CSV files and import-command.txt in {folder} ({len(report.findings):,} findings as of "
        f"{report.period.as_of}); load them (database stopped) from that folder with:"
    )
    click.echo(command)

"""The auditor's sample: sample (draw it reproducibly, write the worksheet) and sample-findings (read the filled
worksheet back as findings)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from itsms_graph.cli.app import cli
from itsms_graph.cli.options import (
    AuditOptions,
    parse_params,
    pass_audit,
    period_options,
    sampling_options,
    snapshot_argument,
)
from itsms_graph.cli.output import dump
from itsms_graph.errors import EXIT_FINDINGS, ItsmsError


@cli.command()
@snapshot_argument()
@click.option(
    "--population",
    required=True,
    metavar="QUERY_OR_LABEL",
    help="A label (Change: its records dated in the audit period; with --whole-history all of them) or a canned "
    "query id (the records it applies to in the audit period).",
)
@click.option("--whole-history", is_flag=True, help="A label's records whatever their dates, not the period's.")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE", help="Keep records whose property equals.")
@click.option(
    "--size",
    type=click.IntRange(min=1),
    default=None,
    help="Sample size (default: the hypergeometric zero-failure size at --confidence and --tolerable).",
)
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
@period_options
@sampling_options
@pass_audit
def sample(
    snapshot: Path,
    population: str,
    whole_history: bool,
    confidence: float,
    tolerable: float,
    filters: tuple[str, ...],
    size: int | None,
    method: str,
    by: str | None,
    seed: int,
    worksheet: Path | None,
    audit: AuditOptions,
) -> None:
    """Draw a reproducible audit sample (ISO 19011) and write the auditor's worksheet.

    \b
    Example:
      itsms-graph sample out/example.itsms --as-of 2025-06-30 --population change-implemented-without-approval --method stratified --by month --seed 7 -o sample.xlsx
    """
    from itsms_graph.audit.facts import data_cut_off
    from itsms_graph.audit.sampling import draw, population_from_tables, write_worksheet
    from itsms_graph.graph.snapshot import open_snapshot_tables
    from itsms_graph.graph.store import InputFile
    from itsms_graph.graph.tables import within_memory
    from itsms_graph.queries.catalogue import load_catalogue
    from itsms_graph.reports.model import provenance_lines

    if worksheet is not None and worksheet.suffix.lower() not in (".csv", ".xlsx"):
        raise ItsmsError(f"{worksheet}: the worksheet is written as .csv or .xlsx")
    tables = open_snapshot_tables(snapshot)
    try:  # the population found on the tables; only the records drawn from, and those drawn, built as a graph
        with within_memory():
            audit_period = audit.period_rule()(data_cut_off(tables))
            ids, graph = population_from_tables(
                tables,
                population,
                load_catalogue(),
                audit_period,
                parse_params(filters),
                whole_history=whole_history,
                by=by,
            )
            drawn = draw(
                graph,
                ids,
                name=population,
                method=method,
                seed=seed,
                size=size,
                by=by,
                confidence=confidence,
                tolerable=tolerable,
            )
            evidence = tables.part(drawn.drawn, depth=1) if worksheet is not None else None  # their links
    finally:
        tables.close()
    if not ids:
        click.echo(
            f"warning: the population is empty (audit period {audit_period.label()}; is --as-of right?)", err=True
        )
    click.echo(drawn.describe())
    for nid in drawn.drawn:
        click.echo(f"  {nid}" + (f"  [{drawn.strata[nid]}]" if nid in drawn.strata else ""))
    if worksheet is not None and evidence is not None:
        inputs = [InputFile.of(snapshot, profile="snapshot"), *tables.inputs]
        write_worksheet(evidence, drawn, worksheet, provenance_lines(inputs, audit_period))
        click.echo(f"wrote {worksheet}")


@cli.command("sample-findings")
@click.argument("worksheet", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@sampling_options
def sample_findings(worksheet: Path, fmt: str, confidence: float, tolerable: float) -> None:
    """Read a filled sample worksheet back: 'nonconformity' and 'no evidence' verdicts become findings, and once
    every record has a verdict, the conclusion: deviations found, the upper deviation limit at --confidence, and
    whether the control operates at the --tolerable rate (accept or reject).

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
    conclusion = judged.conclude(confidence, tolerable)
    if fmt == "json":
        data = {
            "findings": [vars(f) for f in found],
            "unjudged": judged.unjudged,
            "conclusion": None if conclusion is None else conclusion.to_dict(),
        }
        click.echo(dump(data), nl=False)
    else:
        for f in found:
            click.echo(f"{f.id} {f.record}: {f.verdict}" + (f" ({f.note})" if f.note else ""))
        click.echo(f"{len(found)} finding(s) from the sample")
        if conclusion is not None:
            click.echo(conclusion.describe())
        elif judged.population is None:
            click.echo("no conclusion: the worksheet does not say how many records the sample was drawn from")
        else:
            click.echo("no conclusion until every sampled record has a verdict")
    if found:
        sys.exit(EXIT_FINDINGS)

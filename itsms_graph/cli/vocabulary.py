"""The model's vocabulary at hand: ``itsms-graph ontology`` lists the labels a profile or a query may name, with
their properties (type, enumerated values) and relationships; ``itsms-graph ontology LABEL`` one of them."""

from __future__ import annotations

import click

from itsms_graph.cli.app import cli


@cli.command()
@click.argument("label", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="A block per label, or JSON.",
)
def ontology(label: str | None, output_format: str) -> None:
    """The labels of the ontology with their properties (type, list, enumerated values) and the relationships
    that leave and reach each; with LABEL, that one (an unknown label names the nearest).

    \b
    Example:
      itsms-graph ontology
      itsms-graph ontology Incident
      itsms-graph ontology Change --format json
    """
    import orjson

    from itsms_graph.vocabulary import describe, vocabulary, vocabulary_text

    entries = [describe(label)] if label else vocabulary()
    if output_format == "json":
        click.echo(orjson.dumps(entries, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(vocabulary_text(entries), nl=False)

"""The itsms-graph command line: a thin shell that parses, calls the library and renders.

One module per command group, each adding its commands to the root group :data:`cli` (``app``):

- ``audit``: check, stage1, stage2, cap, diff (the certification questions);
- ``sampling``: sample, sample-findings (the auditor's sample and its verdicts);
- ``imports``: import, template, profile (getting an organisation's records in);
- ``queries``: query list/show/run and coverage (the canned-query catalogue and the clauses it covers);
- ``visual``: demo, report, viz (the HTML a person reads);
- ``neo4j``: neo4j push/style/guide, export cypher/neo4j-admin (the way to a graph server);
- ``vocabulary``: ontology (the labels, properties and relationships a profile or query may name).

The shared options are declared once in ``options`` (the audit options arrive as one ``AuditOptions``) and the
output helpers live in ``output``. Importing this package imports no engine, no data library and no ontology, so
that ``itsms-graph --help`` starts at once (measured by benchmarks/startup.py); each command imports what it uses.

Exit codes: 0 clean, 1 a finding at or above --fail-on, 2 a usage or input error (one line, no traceback).
"""

from __future__ import annotations

from itsms_graph.cli import audit, imports, neo4j, queries, sampling, visual, vocabulary
from itsms_graph.cli.app import cli

__all__ = ["cli", "main"]

_COMMAND_MODULES = (audit, imports, neo4j, queries, sampling, visual, vocabulary)  # imported for the commands they add


def main() -> None:
    """Entry point of the ``itsms-graph`` command."""
    from itsms_graph.memory import command_policy

    command_policy()  # the command owns its process: freed batches go back to the system (see the module)
    cli(prog_name="itsms-graph")

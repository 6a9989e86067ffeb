"""The names a user picks from, in one place: the report formats (``--format``) and the engines (``--backend``).

The command line offers these names, ``render`` and ``engine_for`` dispatch on them, and the tests walk them
(a golden file per plain format, the parity suite per engine), so adding one here is what makes it exist. Kept
free of heavy imports: ``itsms-graph --help`` lists them without loading a renderer or an engine.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: Every engine, in the order ``--backend`` lists them; networkx is the reference the others are held equal to.
BACKENDS = ("networkx", "falkordb", "neo4j", "duckdb")
#: The engine a command runs the queries on unless told otherwise: SQL over the graph tables a snapshot or an
#: import holds, without building the Python graph (networkx, the reference the others are tested against, with
#: ``--backend networkx``)
DEFAULT_BACKEND = "duckdb"
#: The engines that need a server (``--uri``): the rest run in process.
SERVER_BACKENDS = ("neo4j",)

#: The terminal table: drawn by rich, on a terminal at its width, written to a file at a fixed width.
TABLE = "table"
#: Each text format of a check report and the function (``module:name``) that renders a CheckReport as it.
RENDERERS = {
    "json": "itsms_graph.reports.formats:to_json",
    "csv": "itsms_graph.reports.formats:to_csv",
    "markdown": "itsms_graph.reports.formats:to_markdown",
    "junit": "itsms_graph.reports.formats:to_junit",
    "html": "itsms_graph.reports.html:render_html",
}
#: The formats of ``check --format`` and ``query run --format``.
FORMATS = (TABLE, *RENDERERS)
#: The width of a table written to a file, a pipe or a CI log: Rich's 80 columns would cut file names and query
#: ids short ("Detai…"), and a log never wraps.
PLAIN_WIDTH = 200


def renderer(fmt: str) -> Callable[[Any], str]:
    """The function that renders a check report in the text format *fmt* (imported on first use).

    >>> renderer("json").__name__
    'to_json'
    """
    module, _, name = RENDERERS[fmt].partition(":")
    function: Callable[[Any], str] = getattr(importlib.import_module(module), name)
    return function


def render(report: Any, fmt: str) -> str:
    """A check report as text in the format *fmt* ("table": the terminal's table at :data:`PLAIN_WIDTH`)."""
    if fmt not in FORMATS:
        raise ValueError(f"no format {fmt!r} (one of {', '.join(FORMATS)})")
    if fmt != TABLE:
        return renderer(fmt)(report)
    import io

    from rich.console import Console

    from itsms_graph.reports.terminal import render_terminal

    console = Console(record=True, width=PLAIN_WIDTH, file=io.StringIO())
    render_terminal(report, console)
    return console.export_text()

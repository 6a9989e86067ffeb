"""Where the commands write: the console (terminal width, or a fixed width for files, pipes and CI logs), the
report formats of ``--format``, and JSON as every command writes it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

#: The formats of ``check --format`` and ``query run --format``: "table" for the terminal, the others as text
#: (see :func:`render`).
FORMATS = ("table", "json", "csv", "markdown", "junit", "html")

#: The width of a table written to a file, a pipe or a CI log: Rich's 80 columns would cut file names and query
#: ids short ("Detai…"), and a log never wraps. A terminal keeps its own width, and COLUMNS is honoured.
PLAIN_WIDTH = 200


def console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else PLAIN_WIDTH
    return Console(highlight=False, soft_wrap=True, stderr=stderr, width=width)


def emit(text: str, output: Path | None) -> None:
    """*text* on standard output, or written to *output*."""
    if output is None:
        click.echo(text, nl=False)
    else:
        from itsms_graph.outputs import write_text

        write_text(output, text)


def render(report: Any, fmt: str, output: Path | None) -> None:
    """A check report in one of :data:`FORMATS`, on standard output or to *output*."""
    import io

    from rich.console import Console

    from itsms_graph.reports import formats
    from itsms_graph.reports.html import render_html
    from itsms_graph.reports.terminal import render_terminal

    if fmt == "table":
        if output is None:
            render_terminal(report, console())
        else:
            recorder = Console(record=True, width=PLAIN_WIDTH, file=io.StringIO())
            render_terminal(report, recorder)
            emit(recorder.export_text(), output)
        return
    renderers = {
        "json": formats.to_json,
        "csv": formats.to_csv,
        "markdown": formats.to_markdown,
        "junit": formats.to_junit,
        "html": render_html,
    }
    emit(renderers[fmt](report), output)


def dump(data: Any) -> str:
    """JSON as the commands write it: indented, keys sorted, one trailing newline."""
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def verdict_json(report: Any, key: str, verdict: dict[str, Any]) -> str:
    """A verdict as JSON, with what every report states: tool version, audit period, inputs and their SHA-256."""
    d = report.to_dict()
    return dump({"tool": d["tool"], "audit_period": d["audit_period"], "inputs": d["inputs"], key: verdict})

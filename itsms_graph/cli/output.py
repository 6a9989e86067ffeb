"""Where the commands write: the console (terminal width, or a fixed width for files, pipes and CI logs), the
report formats of ``--format``, and JSON as every command writes it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from itsms_graph.registry import TABLE, renderer

if TYPE_CHECKING:
    from rich.console import Console


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
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def render(report: Any, fmt: str, output: Path | None) -> None:
    """A check report in one of the registry's :data:`~itsms_graph.registry.FORMATS`, on standard output or to
    *output*."""
    if fmt != TABLE:
        emit(renderer(fmt)(report), output)
        return
    import io

    from rich.console import Console

    from itsms_graph.reports.terminal import render_terminal

    if output is None:
        render_terminal(report, console())
    else:
        recorder = Console(record=True, width=PLAIN_WIDTH, file=io.StringIO())
        render_terminal(report, recorder)
        emit(recorder.export_text(), output)


def dump(data: Any) -> str:
    """JSON as the commands write it: indented, keys sorted, one trailing newline."""
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def verdict_json(report: Any, key: str, verdict: dict[str, Any]) -> str:
    """A verdict as JSON, with what every report states: tool version, audit period, inputs and their SHA-256."""
    d = report.to_dict()
    return dump({"tool": d["tool"], "audit_period": d["audit_period"], "inputs": d["inputs"], key: verdict})

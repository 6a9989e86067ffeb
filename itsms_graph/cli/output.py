"""Where the commands write: the console (terminal width, or a fixed width for files, pipes and CI logs), the
report formats of ``--format``, and JSON as every command writes it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from itsms_graph import registry
from itsms_graph.registry import PLAIN_WIDTH, TABLE

if TYPE_CHECKING:
    from rich.console import Console


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
    """A check report in one of the registry's :data:`~itsms_graph.registry.FORMATS`, on standard output (a table
    at the terminal's width) or to *output*."""
    if fmt == TABLE and output is None:
        from itsms_graph.reports.terminal import render_terminal

        render_terminal(report, console())
    else:
        emit(registry.render(report, fmt), output)


def dump(data: Any) -> str:
    """JSON as the commands write it: indented, keys sorted, one trailing newline."""
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def verdict_json(report: Any, key: str, verdict: dict[str, Any]) -> str:
    """A verdict as JSON, with what every report states: tool version, audit period, inputs and their SHA-256."""
    d = report.to_dict()
    return dump({"tool": d["tool"], "audit_period": d["audit_period"], "inputs": d["inputs"], key: verdict})

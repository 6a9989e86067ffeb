"""The root command group: its help, --version, and the one place errors become a line on stderr and an exit code.

Exit codes: 0 clean, 1 a finding at or above --fail-on, 2 a usage or input error (one line, no traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from itsms_graph import __version__
from itsms_graph.errors import one_line


class _Cli(click.Group):
    """The root group: turns any failure into one line on stderr and its exit code (also under CliRunner): an
    ItsmsError's own, exit 2 for any other (a bug says so, with the hint to rerun with --debug), and click's own
    usage errors too (click prints usage, a hint and the error on four lines)."""

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
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # the one error boundary: every failure is one line and exit 2 (1 is findings)
            if ctx.params.get("debug") or os.environ.get("ITSMS_GRAPH_DEBUG"):
                raise
            message, code = one_line(exc)
            click.echo(f"error: {message}", err=True)
            ctx.exit(code)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="itsms-graph")
@click.option(
    "--debug",
    is_flag=True,
    help="On an unexpected error, show its traceback instead of one line (also ITSMS_GRAPH_DEBUG=1).",
)
@click.option(
    "--duckdb-memory",
    metavar="SIZE",
    default=None,
    help="What duckdb may hold while it imports or checks the graph tables (e.g. 2GB; default 600MB for an import, "
    "400MB for a snapshot, or ITSMS_DUCKDB_MEMORY, or memory_limit in itsms-graph.toml's [duckdb]); beyond it, "
    "it spills to disk.",
)
@click.option(
    "--duckdb-temp",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The folder duckdb spills to (default a fresh temporary folder, or ITSMS_DUCKDB_TEMP, or temp_directory "
    "in itsms-graph.toml's [duckdb]).",
)
def cli(debug: bool, duckdb_memory: str | None, duckdb_temp: Path | None) -> None:
    """Prove from the records whether an ISO/IEC 20000-1:2018 service management system is real.

    \b
    Example:
      itsms-graph demo                      # build the example SMS, check it, write out/report.html
      itsms-graph check out/example.itsms --as-of 2025-06-30 --format markdown
    """
    from itsms_graph.config import load_config
    from itsms_graph.duckdb_settings import configure

    # the option, else the environment, else ./itsms-graph.toml (a command's --config is read when it loads)
    configure(duckdb_memory, duckdb_temp, load_config(None).duckdb)

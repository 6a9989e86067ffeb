"""The options the commands share, declared once, and the one object the audit options arrive in.

Every auditing command takes the same audit options (``--as-of``/``--period``, ``--config``/``--queries``/
``--param``, and some of ``--backend`` and ``--fail-on``). Each is declared here once; a command places them
where its help lists them and receives them as one :class:`AuditOptions` (``@pass_audit``), which parses the
period and reads the configuration and the query catalogue once, on first use. Nothing heavy is imported at
module level: ``itsms-graph --help`` must not load the engines.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from itsms_graph.registry import BACKENDS, DEFAULT_BACKEND, SERVER_BACKENDS

if TYPE_CHECKING:
    import datetime as dt

    from itsms_graph.queries.definition import QueryDefinition
    from itsms_graph.queries.parameters import ParameterSources
    from itsms_graph.queries.plan import AuditPeriod

#: The grades a ``--fail-on`` gate can name, most serious first ("none": never fail).
GRADES = ("major", "minor", "ofi", "data-quality", "none")
#: diff's gates: new findings, or any (new and persisting), at or above a grade
DIFF_GATES = ("none", *(f"{scope}-{grade}" for scope in ("new", "any") for grade in GRADES if grade != "none"))


def parse_params(values: tuple[str, ...]) -> dict[str, Any]:
    """KEY=VALUE pairs (``--param``, ``--filter``) as a dict; a pair without ``=`` is a usage error."""
    params: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        params[key.strip()] = value.strip()
    return params


@dataclass
class AuditOptions:
    """The shared audit options of one command, as given; what they mean is computed once, when first asked."""

    as_of: str | None = None
    period_text: str = "12M"
    config_path: Path | None = None
    query_dirs: tuple[Path, ...] = ()
    params: tuple[str, ...] = ()
    backend: str = DEFAULT_BACKEND
    fail_on: str = "major"
    allow_after_cutoff: bool = False

    @cached_property
    def period(self) -> AuditPeriod:
        """The audit period --period long ending at --as-of (parsed once), for a command that reads no data (so
        knows no cut-off): without --as-of it ends today."""
        from itsms_graph.queries.plan import AuditPeriod

        return AuditPeriod.parse(self.as_of, self.period_text)

    def period_rule(self, as_of: str | None = None) -> Callable[[dt.date | None], AuditPeriod]:
        """The audit period as a function of the data's cut-off: ending at --as-of (or *as_of*: ``--old-as-of``,
        the previous cycle's), by default at the cut-off, and refused past it unless --allow-after-cutoff."""
        from itsms_graph.queries.plan import audit_period

        day = self.as_of if as_of is None else as_of

        def rule(cut_off: dt.date | None) -> AuditPeriod:
            return audit_period(day, self.period_text, cut_off, allow_after_cutoff=self.allow_after_cutoff)

        return rule

    @cached_property
    def _configured(self) -> tuple[list[Path], ParameterSources]:
        from itsms_graph.config import load_config
        from itsms_graph.queries.parameters import ParameterSources

        config = load_config(self.config_path)
        if config.duckdb:  # --config's [duckdb] table, under the option and the environment
            from itsms_graph.duckdb_settings import configure

            configure(config=config.duckdb)
        sources = ParameterSources(
            config=config.parameters, given=parse_params(self.params), config_file=str(config.path or "")
        )
        return [*config.queries, *self.query_dirs], sources

    @cached_property
    def _resolved(self) -> tuple[list[Path], ParameterSources, dict[str, QueryDefinition]]:
        from itsms_graph.queries.catalogue import load_catalogue

        dirs, sources = self._configured
        catalogue = load_catalogue(dirs)
        sources.check_known(catalogue.values())  # a misspelt parameter would leave its default in force
        return dirs, sources, catalogue

    def configure(self) -> None:
        """Read the configuration now (its duckdb settings hold from then on), not yet the catalogue."""
        self._configured  # noqa: B018 - computing the cached property is the point

    def resolve(self) -> None:
        """Read the configuration and the catalogue now (so that their errors come first)."""
        self._resolved  # noqa: B018 - computing the cached property is the point

    @property
    def dirs(self) -> list[Path]:
        """The query folders: the configuration's, then --queries."""
        return self._configured[0]

    @property
    def parameters(self) -> ParameterSources:
        """The parameter values of the configuration and of --param (which wins), each checked to be some
        query's once the catalogue is read (:meth:`resolve`), with where each came from; the graph's rules
        register joins them when a snapshot is checked."""
        return self._configured[1]

    @property
    def catalogue(self) -> dict[str, QueryDefinition]:
        """The canned queries of the shipped folder and the query folders, by id."""
        return self._resolved[2]


#: AuditOptions' field for each option's destination name
_FIELDS = {
    "as_of": "as_of",
    "period": "period_text",
    "config_path": "config_path",
    "query_dirs": "query_dirs",
    "params": "params",
    "backend": "backend",
    "fail_on": "fail_on",
    "allow_after_cutoff": "allow_after_cutoff",
}


def pass_audit(f: Callable[..., Any]) -> Callable[..., Any]:
    """Hand the command its audit options as one ``audit`` argument. Put it right above the ``def``, under the
    option decorators, which keep their places (and so their order in --help)."""

    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = {field: kwargs.pop(dest) for dest, field in _FIELDS.items() if dest in kwargs}
        return f(*args, audit=AuditOptions(**given), **kwargs)

    return command


def period_options(f: Any) -> Any:
    f = click.option(
        "--period",
        default="12M",
        show_default=True,
        help="Length of the audit period ending at --as-of: 12M, 90D, 1Y.",
    )(f)
    f = click.option(
        "--allow-after-cutoff",
        is_flag=True,
        help="Accept an --as-of after the data's cut-off (the latest record date), where obligations due since "
        "would read as missing.",
    )(f)
    f = click.option(
        "--as-of",
        "as_of",
        default=None,
        metavar="DATE",
        help="Last day of the audit period (YYYY-MM-DD); default the data's cut-off, the latest date its records "
        "state (today where a command reads no data).",
    )(f)
    return f


def query_options(f: Any) -> Any:
    f = click.option(
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        help="Set a query parameter for this run, over the configuration and the rules register (e.g. management_review_interval=6); repeatable.",
    )(f)
    f = click.option(
        "--queries",
        "query_dirs",
        multiple=True,
        type=click.Path(path_type=Path, file_okay=False),
        help="A folder of your own query files, added to the shipped ones; repeatable.",
    )(f)
    f = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Configuration file (default ./itsms-graph.toml when present).",
    )(f)
    return f


def backend_option(runs: str, *, server: bool = False, default: str = DEFAULT_BACKEND) -> Any:
    """The --backend option of a command that runs queries (*runs*: "the query" or "the queries"); neo4j, a
    server, only where a pushed snapshot is checked (*server*). By default the queries run on the graph tables
    (duckdb); a command that holds a Python graph already (demo) says networkx."""
    engines = [b for b in BACKENDS if server or b not in SERVER_BACKENDS]
    neo4j = "neo4j: on the server the snapshot was pushed to; " if server else ""
    return click.option(
        "--backend",
        type=click.Choice(engines),
        default=default,
        show_default=True,
        help=f"Engine that runs {runs} ({neo4j}duckdb: SQL over the graph as columnar tables, in process; "
        "networkx: the Python graph, the reference engine).",
    )


def fail_on_option(help_text: str | None = None) -> Any:
    """--fail-on GRADE: exit 1 when a finding is at or above it."""
    return click.option("--fail-on", type=click.Choice(GRADES), default="major", show_default=True, help=help_text)


def sources_option(help_text: str, *, required: bool) -> Any:
    """-p/--profile PROFILE PATH, repeatable: the exports a command imports."""
    return click.option(
        "--profile", "-p", "sources", nargs=2, multiple=True, required=required, metavar="PROFILE PATH", help=help_text
    )


def snapshot_argument(name: str = "snapshot", **kwargs: Any) -> Any:
    """A snapshot file that must exist."""
    return click.argument(name, type=click.Path(path_type=Path, dir_okay=False, exists=True), **kwargs)


def escalation_options(f: Any) -> Any:
    """The thresholds at which a minor nonconformity is escalated to major: this tool's heuristic (ISO/IEC 17021-1
    leaves the judgement to the auditor); they arrive as the keyword arguments of an Escalation."""
    f = click.option(
        "--spread-min",
        "spread_minimum",
        type=click.IntRange(min=1),
        default=5,
        show_default=True,
        help="Heuristic: with --spread, at least this many failing records.",
    )(f)
    f = click.option(
        "--spread",
        type=click.IntRange(min=2),
        default=2,
        show_default=True,
        help="Heuristic: a minor whose failing records span this many services or teams is major.",
    )(f)
    f = click.option(
        "--systemic-min",
        "minimum",
        type=click.IntRange(min=1),
        default=3,
        show_default=True,
        help="Heuristic: with --systemic-rate, at least this many failing records.",
    )(f)
    f = click.option(
        "--systemic-rate",
        "rate",
        type=click.FloatRange(0, 1, min_open=True),
        default=0.2,
        show_default=True,
        help="Heuristic: a minor failing on at least this share of the records it applies to is major.",
    )(f)
    return f


def sampling_options(f: Any) -> Any:
    """The attribute-sampling rule: confidence and tolerable deviation rate (ISO 19011)."""
    f = click.option(
        "--tolerable",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=0.10,
        show_default=True,
        help="Tolerable deviation rate of the zero-failure sampling rule.",
    )(f)
    f = click.option(
        "--confidence",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=0.95,
        show_default=True,
        help="Confidence of the zero-failure sampling rule.",
    )(f)
    return f

"""The optional configuration file, ``itsms-graph.toml``: extra query folders and parameter overrides.

    queries = ["audit-queries/"]      # folders of the user's own query files, relative to the file
    [parameters]
    management_review_interval = 6    # overrides the default of every query that declares it
    [duckdb]
    memory_limit = "2GB"              # what the graph tables' duckdb may hold before it spills (default 600MB
                                      # for an import, 400MB for a snapshot)
    temp_directory = "/big/disk/tmp"  # where it spills (default: a fresh temporary folder)

The organisation's own rules register (docs/organisation-rules.md) wins over [parameters]; ``--param`` wins over
both.

It is read from ``--config FILE``, else from ``./itsms-graph.toml`` when present.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsms_graph.errors import InputError, ItsmsError
from itsms_graph.limits import read_text

DEFAULT_NAME = "itsms-graph.toml"


@dataclass
class Config:
    queries: list[Path] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    #: the file read (None: no configuration file), named where a parameter's source is reported
    path: Path | None = None
    #: the [duckdb] table: memory_limit and temp_directory (itsms_graph.graph.tables.DuckDBSettings)
    duckdb: dict[str, str] = field(default_factory=dict)


def load_config(path: Path | None = None) -> Config:
    if path is None:
        path = Path(DEFAULT_NAME)
        if not path.is_file():
            return Config()
    try:
        data = tomllib.loads(read_text(path))
    except (InputError, tomllib.TOMLDecodeError) as exc:
        raise ItsmsError(f"{path}: cannot read configuration: {exc}") from None
    unknown = set(data) - {"queries", "parameters", "duckdb"}
    if unknown:
        raise ItsmsError(f"{path}: unknown configuration key(s): {', '.join(sorted(unknown))}")
    queries = data.get("queries", [])
    params = data.get("parameters", {})
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise ItsmsError(f"{path}: queries must be a list of folder paths")
    if not isinstance(params, dict):
        raise ItsmsError(f"{path}: [parameters] must be a table")
    duckdb = data.get("duckdb", {})
    if (
        not isinstance(duckdb, dict)
        or set(duckdb) - {"memory_limit", "temp_directory"}
        or not all(isinstance(v, str) for v in duckdb.values())
    ):
        raise ItsmsError(f"{path}: [duckdb] takes memory_limit and temp_directory, each a string")
    if "temp_directory" in duckdb:
        duckdb = {**duckdb, "temp_directory": str((path.parent / duckdb["temp_directory"]).resolve())}
    return Config(
        queries=[(path.parent / q).resolve() for q in queries], parameters=dict(params), duckdb=dict(duckdb), path=path
    )

"""How much memory the graph tables' duckdb may hold and where it spills the rest: settings of the process.

An import resolves its rows, and a snapshot is opened, in an in-memory duckdb (``itsms_graph.graph.tables``)
held to a memory limit, beyond which duckdb spills to a temporary folder. Both are settings: the command's
``--duckdb-memory`` and ``--duckdb-temp``, else the environment (``ITSMS_DUCKDB_MEMORY``, ``ITSMS_DUCKDB_TEMP``),
else the ``[duckdb]`` table of the configuration file, else the defaults. Kept apart from the tables module so
that the command line sets them without importing duckdb.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: What duckdb may hold in memory while it resolves an import or holds a snapshot's tables; beyond it, it spills
#: to its temporary folder. On BPIC 2014 (two runs each of the whole import, measured once the resolve stopped
#: sorting and copying every node), a larger limit no longer bought time: the resolve took 1.3 s with 400 MB,
#: 1.3-1.5 s with 600 MB and 1.4 s with 800 MB, and the import peaked at 780, 940 and 1100 MB.
DEFAULT_MEMORY_LIMIT = "400MB"
#: The environment variables that set duckdb's memory limit and temporary folder (an option or the configuration
#: file's ``[duckdb]`` table says the same; the option wins, then the environment, then the file)
MEMORY_ENV, TEMP_ENV = "ITSMS_DUCKDB_MEMORY", "ITSMS_DUCKDB_TEMP"


@dataclass(frozen=True)
class DuckDBSettings:
    """How much memory the graph tables' duckdb may hold, and the folder it spills the rest to (a fresh
    temporary folder when None)."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    temp_directory: Path | None = None

    @classmethod
    def resolved(
        cls, memory_limit: str | None = None, temp_directory: Path | None = None, config: dict[str, Any] | None = None
    ) -> DuckDBSettings:
        """The settings an option gives, else the environment (``ITSMS_DUCKDB_MEMORY``, ``ITSMS_DUCKDB_TEMP``),
        else *config* (the configuration file's ``[duckdb]`` table), else the defaults."""
        config = config or {}
        memory = memory_limit or os.environ.get(MEMORY_ENV) or config.get("memory_limit") or DEFAULT_MEMORY_LIMIT
        temp = temp_directory or os.environ.get(TEMP_ENV) or config.get("temp_directory")
        return cls(str(memory), Path(temp) if temp else None)

    def describe(self) -> str:
        """How a message names the memory limit and the ways to raise it."""
        return (
            f"duckdb's memory limit of {self.memory_limit} (raise it with itsms-graph --duckdb-memory SIZE, "
            f"{MEMORY_ENV} or "
            "memory_limit in the [duckdb] table of itsms-graph.toml)"
        )


#: The settings the process uses: an option's values (kept once given), then the environment and the configuration
#: (see :func:`configure`)
_given: tuple[str | None, Path | None] = (None, None)
_settings: DuckDBSettings | None = None


def configure(
    memory_limit: str | None = None, temp_directory: Path | None = None, config: dict[str, Any] | None = None
) -> DuckDBSettings:
    """Set the duckdb settings of every graph-table connection this process opens from now on: the option's
    values (the command's ``--duckdb-memory`` and ``--duckdb-temp``; kept when a later call gives none), else the
    environment, else *config* (a configuration file's ``[duckdb]`` table), else the defaults."""
    global _given, _settings
    if memory_limit is not None or temp_directory is not None:
        _given = (memory_limit, temp_directory)
    _settings = DuckDBSettings.resolved(*_given, config)
    return _settings


def current_settings() -> DuckDBSettings:
    """The settings graph-table connections are opened with (:func:`configure`; else the environment's)."""
    return _settings if _settings is not None else DuckDBSettings.resolved()

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

#: What duckdb may hold in memory while it holds a snapshot's tables; beyond it, it spills to its temporary folder
#: (the generated million's `check` peaked at 520 MiB with it)
DEFAULT_MEMORY_LIMIT = "400MB"
#: What duckdb may hold while it resolves an import, which holds the staged rows beside the tables it builds. Where
#: duckdb spills, it evicts blocks and gives their memory back to the system, which the next blocks take again
#: page by page: at 400 MB, `check -p bpic2014` spilled and duckdb's evictions handed back 1.9 GB (a quarter of
#: the command's CPU went to the kernel); at 600 MB (five alternated runs) the wall time fell 3.82 -> 3.56 s and
#: the system CPU 1.50 -> 1.40 s, the peak rose 566 -> 708 MiB; with 1 GB, 3.54 s and 722 MiB.
IMPORT_MEMORY_LIMIT = "600MB"
#: The environment variables that set duckdb's memory limit and temporary folder (an option or the configuration
#: file's ``[duckdb]`` table says the same; the option wins, then the environment, then the file)
MEMORY_ENV, TEMP_ENV = "ITSMS_DUCKDB_MEMORY", "ITSMS_DUCKDB_TEMP"


@dataclass(frozen=True)
class DuckDBSettings:
    """How much memory the graph tables' duckdb may hold (None: the default of its work, an import's or an opened
    snapshot's), and the folder it spills the rest to (a fresh temporary folder when None)."""

    memory_limit: str | None = None
    temp_directory: Path | None = None

    def limit(self, importing: bool = False) -> str:
        """The memory limit in force: the one set, else the default of the work (an import's or a snapshot's)."""
        return self.memory_limit or (IMPORT_MEMORY_LIMIT if importing else DEFAULT_MEMORY_LIMIT)

    @classmethod
    def resolved(
        cls, memory_limit: str | None = None, temp_directory: Path | None = None, config: dict[str, Any] | None = None
    ) -> DuckDBSettings:
        """The settings an option gives, else the environment (``ITSMS_DUCKDB_MEMORY``, ``ITSMS_DUCKDB_TEMP``),
        else *config* (the configuration file's ``[duckdb]`` table), else the defaults."""
        config = config or {}
        memory = memory_limit or os.environ.get(MEMORY_ENV) or config.get("memory_limit")
        temp = temp_directory or os.environ.get(TEMP_ENV) or config.get("temp_directory")
        return cls(str(memory) if memory else None, Path(temp) if temp else None)

    def describe(self, importing: bool = False) -> str:
        """How a message names the memory limit in force and the ways to raise it."""
        return (
            f"duckdb's memory limit of {self.limit(importing)} (raise it with itsms-graph --duckdb-memory SIZE, "
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

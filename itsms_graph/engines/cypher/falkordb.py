"""FalkorDB, embedded through falkordblite: a real openCypher database that runs on any machine.

It proves the Cypher side of every canned query without a server: the graph is loaded with the same
UNWIND ... MERGE statements as Neo4j, and each query's Cypher must return what networkx returns.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from itsms_graph.engines.cypher.engine import CypherEngine
from itsms_graph.engines.cypher.load import index_statement
from itsms_graph.errors import EngineUnavailable


def available() -> bool:
    try:
        import redislite.falkordb_client  # noqa: F401
    except ImportError:
        return False
    return True


SOCKET_TIMEOUT_S = 1800


def open_database(db_file: Path | None = None) -> Any:
    """Start an embedded FalkorDB server on *db_file* (a temporary file by default)."""
    try:
        from redislite.falkordb_client import FalkorDB
    except ImportError:
        raise EngineUnavailable("FalkorDB is not installed: pip install falkordblite (Python >= 3.12)") from None
    if db_file is None:
        folder = tempfile.mkdtemp(prefix="itsms-falkordb-")
        db_file = Path(folder) / "graph.db"
    # redislite's client gives up on a reply after 5 s; a query over a million records on a busy machine takes
    # longer (seen in CI on BPIC 2014), so wait as long as a statement may run.
    return FalkorDB(str(db_file), socket_timeout=SOCKET_TIMEOUT_S)


def _nul_in(value: Any) -> str | None:
    """A short quote of the first string in *value* (nested lists and maps) that holds a NUL, else None."""
    if isinstance(value, str):
        return repr(value[:60]) if "\x00" in value else None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return next((found for v in items if (found := _nul_in(v)) is not None), None)


class FalkorDBEngine(CypherEngine):
    name = "falkordb"

    def __init__(self, db_file: Path | None = None, graph_name: str = "itsms", *, db: Any = None) -> None:
        """Start an embedded FalkorDB on *db_file* (a temporary one by default), or use the running *db*."""
        if db is None:
            db = open_database(db_file)
        self._db = db
        self._graph = db.select_graph(graph_name)

    def run(self, statement: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        try:
            return list(self._graph.query(statement, params or {}).result_set)
        except Exception as exc:
            held = _nul_in(params or {})
            if held is None:
                raise
            # FalkorDB's strings are C strings: a NUL cannot be sent, as a parameter or as a literal
            raise EngineUnavailable(
                f"FalkorDB cannot hold a NUL character (U+0000), and a value holds one ({held}); check this graph "
                "with --backend networkx or duckdb"
            ) from exc

    def prepare(self, labels: list[str]) -> None:
        for label in labels:
            try:
                self.run(index_statement(label))
            except Exception as exc:  # FalkorDB has no CREATE INDEX IF NOT EXISTS
                if "already indexed" not in str(exc):
                    raise

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._db.close()

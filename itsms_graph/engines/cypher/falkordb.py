"""FalkorDB, embedded through falkordblite: a real openCypher database that runs on any machine.

It proves the Cypher side of every canned query without a server: the graph is loaded with the same
UNWIND statements as Neo4j (``load.py``), and each query's Cypher must return what networkx returns.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
from collections.abc import Callable
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


@functools.lru_cache(maxsize=4096)
def _identifier(key: Any) -> str:
    """A map key or parameter name in backticks, refused where FalkorDB's header parser cannot take it."""
    text = key.decode() if isinstance(key, bytes) else str(key)
    if text == "" or "`" in text:
        raise ValueError(f"FalkorDB cannot take {text!r} as a map key or parameter name")
    return "`" + text + "`"


def parameter_text(value: Any) -> str:
    """*value* as FalkorDB's ``CYPHER`` header holds a parameter: the very text its Python client writes
    (``falkordb.helpers.stringify_param_value``, tested equal), made with a dispatch on the exact type first,
    the client's own function for any other type. A push writes millions of values, and the client's chain of
    isinstance tests spent more time on them than FalkorDB spent storing them (1.6x this, measured)."""
    kind = type(value)
    if kind is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if kind is dict:
        return "{" + ",".join([_identifier(k) + ":" + parameter_text(v) for k, v in value.items()]) + "}"
    if kind is list or kind is tuple:
        return "[" + ",".join([parameter_text(v) for v in value]) + "]"
    if value is None:
        return "null"
    if kind is int or kind is float or kind is bool:
        return str(value)
    from falkordb.helpers import stringify_param_value

    return str(stringify_param_value(value))


class FalkorDBEngine(CypherEngine):
    name = "falkordb"

    def __init__(self, db_file: Path | None = None, graph_name: str = "itsms", *, db: Any = None) -> None:
        """Start an embedded FalkorDB on *db_file* (a temporary one by default), or use the running *db*."""
        if db is None:
            db = open_database(db_file)
        self._db = db
        self._graph = db.select_graph(graph_name)

    def run(self, statement: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return self._query(statement, params or {}, lambda: _nul_in(params or {}))

    def encode(self, statement: str, params: dict[str, Any]) -> Any:
        """The statement with its parameters in FalkorDB's ``CYPHER name=value ...`` header, as its client
        writes them (:func:`parameter_text`): the parameters still travel apart from the statement's text."""
        header = "".join(f"{_identifier(name)}={parameter_text(value)} " for name, value in params.items())
        text = "CYPHER " + header + statement
        # the rows are let go once written out: only what an error would quote is kept
        return text, _nul_in(params) if "\x00" in text else None

    def run_encoded(self, encoded: Any) -> None:
        text, held = encoded
        self._query(text, None, lambda: held)

    def _query(self, text: str, params: dict[str, Any] | None, nul: Callable[[], str | None]) -> list[list[Any]]:
        try:
            return list(self._graph.query(text, params).result_set)
        except Exception as exc:
            held = nul()
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

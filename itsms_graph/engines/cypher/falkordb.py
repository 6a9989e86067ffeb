"""FalkorDB, embedded through falkordblite: a real openCypher database that runs on any machine.

It proves the Cypher side of every canned query without a server: the graph is loaded with the same
UNWIND statements as Neo4j (``load.py``), and each query's Cypher must return what networkx returns.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from itsms_graph.engines.cypher.engine import CypherEngine
from itsms_graph.engines.cypher.load import LoadPart, index_statement, load_parts
from itsms_graph.errors import EngineUnavailable
from itsms_graph.graph import rows
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import EDGE_COLUMNS, GraphTables, fetch_batches, node_columns, quote
from itsms_graph.ontology import PROVENANCE_KEYS, Schema


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


def _sql_text(text: str) -> str:
    """*text* as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def text_sql(expr: str, kind: str) -> str:
    """SQL rendering the value of *expr*, of the graph tables' column type *kind*, as :func:`parameter_text`
    renders it once read into Python (tested equal); NULL for NULL. A list's null item is ``null``."""
    kind = kind.removesuffix(" NOT NULL")
    if kind.endswith("[]"):
        item = text_sql("itsms_item", kind[:-2])
        return (
            f"('[' || array_to_string(list_transform({expr}, lambda itsms_item: coalesce({item}, 'null')), ',') || ']')"
        )
    if kind == "VARCHAR":
        return f"""('"' || replace(replace({expr}, '\\', '\\\\'), '"', '\\"') || '"')"""
    if kind == "BOOLEAN":  # Python's str of a bool
        return f"(CASE WHEN {expr} THEN 'True' WHEN NOT {expr} THEN 'False' END)"
    if kind == "DOUBLE":  # duckdb writes a double as Python's repr does (shortest round trip), but a NaN's sign
        return f"(CASE WHEN isnan({expr}) THEN 'nan' ELSE CAST({expr} AS VARCHAR) END)"
    if kind == "BIGINT":
        return f"CAST({expr} AS VARCHAR)"
    raise ValueError(f"no FalkorDB parameter text for the column type {kind}")


def _map_sql(entries: list[tuple[str, str]]) -> str:
    """SQL rendering a map of the (key, SQL text of its value) *entries* whose value is not NULL, in their order,
    as :func:`parameter_text` renders the dict that leaves out the None values."""
    if not entries:
        return "'{}'"
    pieces = ", ".join(f"{_sql_text(_identifier(key) + ':')} || {value}" for key, value in entries)
    return f"('{{' || concat_ws(',', {pieces}) || '}}')"


def rows_text_select(part: LoadPart, sch: Schema, tag: str | None) -> tuple[str, list[Any]]:
    """The graph tables' SELECT (``graph.rows``) of one column: each row of *part* as the text
    :func:`parameter_text` makes of the row ``load.load_batches`` makes of it (nodes marked ``pushed_by`` = *tag*
    when given), with its parameters (the tag's text first). Rendered in duckdb, not value by value in Python:
    the push's client spent more time making and writing the rows than FalkorDB storing them."""
    if part.label is None:
        assert part.rel_type is not None
        kinds = dict(EDGE_COLUMNS)
        ends = " || ',' || ".join(text_sql(k, kinds[k]) for k in ("src", "dst"))
        props = _map_sql([(k, text_sql(quote(k), kinds[k])) for k in PROVENANCE_KEYS])
        return rows.edge_select(part.rel_type, part.ends, [f"'[' || {ends} || ',' || {props} || ']'"])
    kinds = dict(node_columns(sch))
    entries = [(k, text_sql(quote(k), kinds[k])) for k in part.keys]
    params: list[Any] = []
    if tag is not None:
        entries.append(("pushed_by", "?"))
        params.append(parameter_text(tag))
    nid = text_sql("id", kinds["id"])
    # created: the node's whole map, its id first; merged: [id, map]
    row = _map_sql([("id", nid), *entries]) if part.fresh else f"'[' || {nid} || ',' || {_map_sql(entries)} || ']'"
    sql, where = rows.node_select(part.label, [row])
    return sql, params + where


def _nul_quote(text: str) -> str | None:
    """A short quote around the first NUL in *text* (a statement made ready to send), else None."""
    at = text.find("\x00")
    return None if at < 0 else repr(text[max(0, at - 30) : at + 30])


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
        return text, _nul_quote(text)

    def encoded_batches(
        self, graph: SMSGraph | GraphTables, batch_size: int, *, tag: str | None, fresh: Collection[str]
    ) -> Iterator[tuple[int, Any]]:
        """From the graph tables, each batch's rows rendered as parameter text by duckdb (:func:`rows_text_select`):
        the same statements as :meth:`encode` makes of ``load.load_batches``' rows, without a Python value per
        cell; from a Python graph, those."""
        if not isinstance(graph, GraphTables):
            yield from super().encoded_batches(graph, batch_size, tag=tag, fresh=fresh)
            return
        head = "CYPHER " + _identifier("rows") + "=["
        for part in load_parts(graph, fresh):
            for batch in fetch_batches(graph.con, *rows_text_select(part, graph.schema, tag), batch_size):
                if batch.num_rows:
                    text = head + ",".join(batch.column(0).to_pylist()) + "] " + part.statement
                    yield batch.num_rows, (text, _nul_quote(text))

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

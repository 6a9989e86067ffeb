"""DuckDB: the canned queries as SQL over the graph tables, in process, for large exports.

The graph lives in two columnar tables (``itsms_graph/graph/tables.py``), loaded from an SMSGraph in bulk or
written by another step (a columnar import); every query is compiled from its bound definition
(``itsms_graph/engines/duckdb/compiler.py``) and must return what the networkx engine returns.
"""

from __future__ import annotations

from typing import Any

from itsms_graph.engines.duckdb.compiler import (
    NotCompilable,
    Statement,
    compile_query,
    exists_statement,
    label_counts_statement,
    property_present_statement,
)
from itsms_graph.errors import EngineUnavailable, ItsmsError
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import EDGES, NODES, load_graph
from itsms_graph.ontology import Schema, schema
from itsms_graph.queries.plan import BoundQuery


def connect() -> Any:
    """A new in-memory DuckDB connection."""
    try:
        import duckdb
    except ImportError:
        raise EngineUnavailable("DuckDB is not installed: pip install duckdb") from None
    return duckdb.connect()


class DuckDBEngine:
    """The engine protocol over a DuckDB connection that holds the graph tables."""

    name = "duckdb"

    def __init__(self, con: Any, graph_schema: Schema | None = None) -> None:
        self.con = con
        self.schema = graph_schema or schema()
        self._label_counts: dict[str, int] | None = None
        tables = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
            ).fetchall()
        }
        missing = sorted({NODES, EDGES} - tables)
        if missing:
            raise ItsmsError(f"the DuckDB connection holds no graph table {', '.join(missing)}")
        # Rows are compared and ordered as Python compares str (by code point): a connection whose default
        # collation folds case or accents would join, filter and deduplicate ids differently.
        (collation,) = con.execute("SELECT current_setting('default_collation')").fetchone()
        if collation not in ("", "binary"):
            raise ItsmsError(f"the DuckDB connection's default_collation is {collation!r}; the engine needs binary")

    @classmethod
    def from_graph(cls, graph: SMSGraph) -> DuckDBEngine:
        """An in-memory DuckDB loaded with *graph*."""
        con = connect()
        load_graph(con, graph)
        return cls(con, graph.schema)

    def _run(self, statement: Statement) -> list[tuple[Any, ...]]:
        return list(self.con.execute(statement.sql, statement.params).fetchall())

    def label_count(self, label: str) -> int:
        """Records of *label*: every label's counted in one scan, on the first call (the tables an engine runs
        on do not change under it; a check asks for some thirty labels, 0.08 s on BPIC 2014 one by one)."""
        if label not in self.schema.labels:
            raise NotCompilable(f"{label!r} is not an ontology label")
        if self._label_counts is None:
            self._label_counts = {name: int(n) for name, n in self._run(label_counts_statement(self.schema))}
        return self._label_counts.get(label, 0)

    def property_present(self, label: str, key: str) -> bool:
        return bool(self._run(property_present_statement(label, key, self.schema))[0][0])

    def rows(self, bound: BoundQuery) -> list[tuple[str, ...]]:
        return [tuple(row) for row in self._run(compile_query(bound, self.schema))]

    def exists(self, bound: BoundQuery) -> bool:
        return bool(self._run(exists_statement(bound, self.schema)))

    def close(self) -> None:
        self.con.close()

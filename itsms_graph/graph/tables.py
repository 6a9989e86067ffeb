"""The graph tables: the SMS graph as two DuckDB tables, ``nodes`` and ``edges``, their columns derived from the ontology.

They are the columnar form of the graph, for two uses: the DuckDB engine evaluates the canned queries as SQL over
them (``itsms_graph/queries/sql.py``), and a columnar import can write them straight from the export files, so
that a large export is checked without building the Python graph first (:func:`to_graph` builds it afterwards,
for the reports that walk it).

- ``nodes``: ``id`` (the store's node id, ``Change:C1``), ``label``, ``seq`` (the node's place in the order the
  graph holds its label's nodes: :func:`to_graph` and a snapshot list them by it; the rows themselves may be in
  any order, so that an import need not sort them), the provenance (``source_file``, ``source_row``,
  ``source_path``), then one column per ontology property key (``Schema.property_keys`` order,
  ``id`` and the provenance keys being the columns above), typed from the ontology: string -> VARCHAR, integer
  -> BIGINT, boolean -> BOOLEAN, float -> DOUBLE, date and datetime -> VARCHAR holding the ISO text the store
  keeps (so that SQL compares them as Python does), a list property -> a LIST of its type. A property a node
  lacks is NULL, as in the store, where it is absent.
- ``edges``: ``type``, ``src``, ``dst``, ``seq`` (the relationship's place among its type's, as ``seq`` of a node)
  and the provenance: one row per (type, src, dst), as the store keeps one relationship of a type between two
  nodes.

Names enter the DDL only from the ontology (and are quoted); values only as bulk-loaded Arrow columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from itsms_graph.errors import SchemaViolation
from itsms_graph.graph.snapshot import load_edge_columns, load_node_columns
from itsms_graph.graph.store import SMSGraph, bulk_build
from itsms_graph.ontology import PROVENANCE_KEYS, PropertyDef, Schema, schema

NODES = "nodes"
EDGES = "edges"
#: The columns every node row has before its properties: identity, label and provenance.
NODE_HEAD = (
    ("id", "VARCHAR NOT NULL"),
    ("label", "VARCHAR NOT NULL"),
    ("seq", "BIGINT NOT NULL"),
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("source_path", "VARCHAR"),
)
EDGE_COLUMNS = (
    ("type", "VARCHAR NOT NULL"),
    ("src", "VARCHAR NOT NULL"),
    ("dst", "VARCHAR NOT NULL"),
    ("seq", "BIGINT NOT NULL"),
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("source_path", "VARCHAR"),
)
SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "float": "DOUBLE",
    "date": "VARCHAR",
    "datetime": "VARCHAR",
}
_HEAD_KEYS = frozenset(name for name, _ in NODE_HEAD)


def quote(name: str) -> str:
    """A SQL identifier, double-quoted (names come from the ontology; quoting keeps a key like ``number`` or
    ``version`` from ever being read as a keyword)."""
    return '"' + name.replace('"', '""') + '"'


def sql_type(prop: PropertyDef) -> str:
    """The column type of an ontology property: its scalar type, or a LIST of it for a list property."""
    base = SQL_TYPES[prop.type]
    return base + "[]" if prop.multi_valued else base


def property_columns(sch: Schema | None = None) -> list[str]:
    """The property keys that are columns of ``nodes`` after its head (``id`` and provenance are in the head)."""
    sch = sch or schema()
    return [k for k in sch.property_keys if k not in _HEAD_KEYS]


def node_columns(sch: Schema | None = None) -> list[tuple[str, str]]:
    """Every column of ``nodes`` with its SQL type, in table order."""
    sch = sch or schema()
    return [*NODE_HEAD, *((k, sql_type(sch.properties[k])) for k in property_columns(sch))]


def ddl(sch: Schema | None = None) -> list[str]:
    """The statements that create (or replace) the two graph tables for the ontology *sch*."""
    out = []
    for table, columns in ((NODES, node_columns(sch)), (EDGES, list(EDGE_COLUMNS))):
        body = ", ".join(quote(name) + " " + kind for name, kind in columns)
        out.append(f"CREATE OR REPLACE TABLE {table} ({body})")
    return out


def create_tables(con: Any, sch: Schema | None = None) -> None:
    """Create empty graph tables on the DuckDB connection *con*, replacing any there."""
    for statement in ddl(sch):
        con.execute(statement)


def arrow_type(prop: PropertyDef) -> Any:
    """The Arrow type of an ontology property's column: what a columnar import builds it as."""
    return _arrow_type(sql_type(prop))


def _arrow_type(sql: str) -> Any:
    import pyarrow as pa

    if sql.endswith("[]"):
        return pa.list_(_arrow_type(sql[:-2]))
    base = sql.split()[0]
    return {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64()}[base]


def _from_dicts(rows: list[Any], columns: list[tuple[str, str]]) -> Any:
    """Columns of *rows* as an Arrow table, made by Arrow in C from the rows themselves: no Python loop per cell
    (one took 3 s of the 1M-node example's load). A row is a dict (an absent key is NULL, keys not asked for
    are ignored) or a tuple of the *columns* in order."""
    import pyarrow as pa

    fields = [pa.field(name, _arrow_type(kind)) for name, kind in columns]
    return pa.Table.from_struct_array(pa.array(rows, type=pa.struct(fields)))


def _insert(con: Any, table: str, columns: list[tuple[str, str]], parts: Iterable[Any]) -> None:
    """Insert Arrow tables into *table* in one statement (DuckDB reads the Arrow buffers directly; a row-by-row
    INSERT costs a statement per row). A column a part lacks is NULL."""
    import pyarrow as pa

    arrow_schema = pa.schema([pa.field(name, _arrow_type(kind)) for name, kind in columns])
    tables = []
    for part in parts:
        arrays = [
            part.column(f.name) if f.name in part.column_names else pa.nulls(part.num_rows, f.type)
            for f in arrow_schema
        ]
        tables.append(pa.Table.from_arrays(arrays, schema=arrow_schema))
    if not tables:
        return
    view = f"itsms_{table}_arrow"
    con.register(view, pa.concat_tables(tables))
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM {view}")
    finally:
        con.unregister(view)


def load_graph(con: Any, graph: SMSGraph) -> None:
    """Write *graph* into fresh graph tables on *con* (replacing any there), in bulk: per label, the properties the
    label may carry (the others stay NULL), and per relationship type its pairs and provenance, as Arrow tables."""
    import pyarrow as pa

    sch = graph.schema
    create_tables(con, sch)
    columns = node_columns(sch)
    nodes = graph._nodes
    provenance = [c for k in PROVENANCE_KEYS for c in EDGE_COLUMNS if c[0] == k]  # a Provenance tuple's order
    ends = [("src", "VARCHAR"), ("dst", "VARCHAR")]

    def node_parts() -> Iterable[Any]:
        for label in sorted(graph.labels_present()):
            ids = list(graph.nodes(label))
            allowed = sch.properties_of(label)
            part = _from_dicts([nodes[n] for n in ids], [c for c in columns if c[0] in allowed and c[0] != "id"])
            part = part.append_column("id", pa.array(ids, pa.string()))
            part = part.append_column("seq", pa.array(range(len(ids)), pa.int64()))
            yield part.append_column("label", pa.repeat(pa.scalar(label, pa.string()), len(ids)))

    def edge_parts() -> Iterable[Any]:
        for rel_type in sorted(graph.rel_types_present()):
            edges = graph.edge_provenance(rel_type)
            part = _from_dicts(list(edges.values()), provenance)
            for name, column in zip(("src", "dst"), _from_dicts(list(edges), ends).columns, strict=True):
                part = part.append_column(name, column)
            part = part.append_column("seq", pa.array(range(len(edges)), pa.int64()))
            yield part.append_column("type", pa.repeat(pa.scalar(rel_type, pa.string()), len(edges)))

    with bulk_build():  # millions of short-lived objects, none of them garbage until the end
        _insert(con, NODES, columns, node_parts())
        _insert(con, EDGES, list(EDGE_COLUMNS), edge_parts())


def table_counts(con: Any) -> dict[str, int]:
    """Nodes per label, then relationships per type, each sorted: what SMSGraph.counts says of the graph held."""
    labels = sorted(con.execute(f"SELECT label, count(*) FROM {NODES} GROUP BY label").fetchall())
    types = sorted(con.execute(f"SELECT type, count(*) FROM {EDGES} GROUP BY type").fetchall())
    return dict(labels + types)


def fetch_columns(con: Any, keys: list[str], table: str, by: str, value: str) -> dict[str, list[Any]]:
    """The columns *keys* of *table*'s rows whose *by* column is *value*, in the graph's order (by ``seq``), as
    Python lists."""
    selected = ", ".join(quote(k) for k in keys)
    return fetch_sql(con, f"SELECT {selected} FROM {table} WHERE {quote(by)} = ? ORDER BY seq", [value])


def present_node_keys(con: Any, sch: Schema | None = None) -> list[tuple[str, list[str]]]:
    """Per label (sorted), the provenance and property keys some node of it has: what a node of it carries."""
    sch = sch or schema()
    head = ["source_file", "source_row", "source_path"]
    keys = [*head, *property_columns(sch)]
    counted = ", ".join(f"count({quote(k)})" for k in keys)
    present = con.execute(f"SELECT label, {counted} FROM {NODES} GROUP BY label ORDER BY label").fetchall()
    return [(label, [k for k, n in zip(keys, counts, strict=True) if n]) for label, *counts in present]


def fetch_sql(con: Any, sql: str, params: list[Any]) -> dict[str, list[Any]]:
    """A query's result as Python lists per column, through Arrow: no tuple per row."""
    table = _fetch_arrow(con, sql, params)
    return {name: table.column(name).to_pylist() for name in table.column_names}


def _fetch_arrow(con: Any, sql: str, params: list[Any], batch: int = 1_000_000) -> Any:
    relation = con.sql(sql, params=params)
    # duckdb 2 names it to_arrow_table (fetch_arrow_table is deprecated there, and the only name before)
    fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    return fetch(batch)


#: Rows per Arrow batch when the graph is built from the tables: each batch's buffers are freed once its rows are
#: in the graph, so what building holds besides the graph is a batch's worth of Python values, not a label's
_BATCH = 65_536


def _values(column: Any, memo: dict[str, str] | None = None, *, grow: bool = True) -> list[Any]:
    """An Arrow array as Python values. With *memo*, each distinct string is made once and the cells holding it
    share the object *memo* keeps for it (added there unless ``grow=False``): a status or a timestamp that
    thousands of records repeat is kept once, and a relationship's end is the very string that keys its node.
    Each cell's own string would be made and then dropped for the shared one: millions of short-lived objects
    that fragment the heap the graph is built on."""
    import pyarrow as pa

    if memo is None or not pa.types.is_string(column.type):
        return list(column.to_pylist())
    encoded = column.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    distinct = [memo.setdefault(v, v) for v in distinct] if grow else [memo.get(v, v) for v in distinct]
    distinct.append(None)
    indices = encoded.indices.fill_null(len(distinct) - 1).to_numpy(zero_copy_only=False)
    return list(map(distinct.__getitem__, indices.tolist()))


def _batches(table: Any) -> list[Any]:
    """*table*'s record batches, last first, to be popped: the table no longer holds them, so each batch's
    buffers go as soon as it is used."""
    return list(reversed(table.to_batches()))


def to_graph(con: Any, sch: Schema | None = None, *, close: bool = False) -> SMSGraph:
    """The SMSGraph held in the graph tables on *con*, built in bulk: the same nodes with the same attributes
    (a NULL column is an absent property) and the same relationships with their provenance.

    The tables are read out first, a label and a relationship type at a time, as Arrow batches; ``close=True``
    closes *con* then, so that the graph is built while only they are held, each batch dropped once made into
    nodes or relationships, never alongside duckdb's copy of everything (on BPIC 2014, importing and building the
    graph peaked at 1373 MiB while the graph was built beside the open tables, at 952 MiB now).

    Labels and relationship types are checked against the ontology, as a snapshot's are. What the tables do not
    hold (the inputs read, the labels a source declared) is the caller's to set.
    """
    sch = sch or schema()
    nodes = []
    for label, keys in present_node_keys(con, sch):
        if label not in sch.labels:
            raise SchemaViolation(f"graph tables: label {label!r} is not in the ontology")
        sql = f"SELECT {', '.join(quote(k) for k in ('id', *keys))} FROM {NODES} WHERE label = ? ORDER BY seq"
        nodes.append((label, _batches(_fetch_arrow(con, sql, [label], _BATCH))))
    edges = []
    for (rel_type,) in con.execute(f"SELECT DISTINCT type FROM {EDGES} ORDER BY type").fetchall():
        if rel_type not in sch.relationships:
            raise SchemaViolation(f"graph tables: relationship type {rel_type!r} is not in the ontology")
        sql = f"SELECT src, dst, {', '.join(PROVENANCE_KEYS)} FROM {EDGES} WHERE type = ? ORDER BY seq"
        edges.append((rel_type, _batches(_fetch_arrow(con, sql, [rel_type], _BATCH))))
    if close:
        con.close()
    graph = SMSGraph(schema=sch, seed_clauses=False)
    canonical: dict[str, str] = {}
    with bulk_build():
        for label, batches in nodes:
            memo: dict[str, str] = {}
            while batches:
                batch = batches.pop()
                ids = _values(batch.column("id"))
                columns = {k: _values(batch.column(k), memo) for k in batch.schema.names if k != "id"}
                del batch
                load_node_columns(graph, label, ids, columns, what="graph tables")
                canonical.update(zip(ids, ids, strict=True))
        for rel_type, batches in edges:
            memo = {}
            while batches:
                batch = batches.pop()
                sources, targets = (_values(batch.column(end), canonical, grow=False) for end in ("src", "dst"))
                columns = {k: _values(batch.column(k), memo) for k in PROVENANCE_KEYS}
                del batch
                load_edge_columns(graph, rel_type, sources, targets, columns, canonical, what="graph tables")
    return graph

"""The graph tables: the SMS graph as two DuckDB tables, ``nodes`` and ``edges``, their columns derived from the ontology.

They are the columnar form of the graph, for two uses: the DuckDB engine evaluates the canned queries as SQL over
them (``itsms_graph/engines/duckdb/compiler.py``), and a columnar import can write them straight from the export
files, so that a large export is checked without building the Python graph first (:func:`to_graph` builds it
afterwards, for the reports that walk it).

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

Why one module of this length: the DDL, the bulk load, the reading back (whole, a part, a label's columns)
and :class:`GraphTables` all follow the one column layout above; apart, each would restate it.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from itsms_graph.duckdb_settings import DuckDBSettings, current_settings
from itsms_graph.errors import ItsmsError, SchemaViolation, SnapshotError
from itsms_graph.graph.store import InputFile, Provenance, SMSGraph, bulk_build
from itsms_graph.ontology import PROVENANCE_KEYS, PropertyDef, Schema, schema

#: What every reader of the nodes reads: a view with every column of :func:`node_columns`, in order; a property
#: no node holds is a typed NULL there, not stored
NODES = "nodes"
#: The table that holds the nodes: the head and the property columns some node was given (see :func:`hold_columns`).
#: An import of BPIC 2014 gives its nodes 21 of the ontology's 77 property columns; storing every one cost its nodes'
#: insert 0.54 s of wall (0.20 s with the 23 columns its files bring), and duckdb held 441 MiB of tables, not 333
NODE_ROWS = "node_rows"
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


def ddl(sch: Schema | None = None, keys: Iterable[str] = ()) -> list[str]:
    """The statements that create (or replace) the graph tables for the ontology *sch*: the nodes' table holding
    the property columns *keys* (more are added as nodes bring them, :func:`hold_columns`), the ``nodes`` view of
    every column, and ``edges``."""
    sch = sch or schema()
    held = set(keys)
    node_rows = [(name, kind) for name, kind in node_columns(sch) if name in _HEAD_KEYS or name in held]
    out = []
    for table, columns in ((NODE_ROWS, node_rows), (EDGES, list(EDGE_COLUMNS))):
        body = ", ".join(quote(name) + " " + kind for name, kind in columns)
        out.append(f"CREATE OR REPLACE TABLE {table} ({body})")
    return [*out, _nodes_view(sch, held)]


def _nodes_view(sch: Schema, held: set[str]) -> str:
    """The ``nodes`` view over the nodes' table, which holds the property columns *held*."""
    columns = ", ".join(
        quote(name)
        if name in _HEAD_KEYS or name in held
        else f"CAST(NULL AS {kind.removesuffix(' NOT NULL')}) AS {quote(name)}"
        for name, kind in node_columns(sch)
    )
    return f"CREATE OR REPLACE VIEW {NODES} AS SELECT {columns} FROM {NODE_ROWS}"


def create_tables(con: Any, sch: Schema | None = None, keys: Iterable[str] = ()) -> None:
    """Create empty graph tables on the DuckDB connection *con*, replacing any there; the nodes' table holds the
    property columns *keys* from the start."""
    for statement in ddl(sch, keys):
        con.execute(statement)


def hold_columns(con: Any, keys: Iterable[str], sch: Schema | None = None) -> None:
    """Give the nodes' table the property columns among *keys* it lacks (before nodes that hold them go in), and
    the ``nodes`` view the columns then held."""
    sch = sch or schema()
    held = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main'", [NODE_ROWS]
        ).fetchall()
    }
    kinds = dict(node_columns(sch))
    lacking = sorted({k for k in keys if k in kinds} - held)
    for key in lacking:
        con.execute(f"ALTER TABLE {NODE_ROWS} ADD COLUMN {quote(key)} {kinds[key]}")
    if lacking:
        con.execute(_nodes_view(sch, held | set(lacking)))


def arrow_type(prop: PropertyDef) -> Any:
    """The Arrow type of an ontology property's column: what a columnar import builds it as."""
    return sql_arrow_type(sql_type(prop))


def sql_arrow_type(sql: str) -> Any:
    import pyarrow as pa

    if sql.endswith("[]"):
        return pa.list_(sql_arrow_type(sql[:-2]))
    base = sql.split()[0]
    return {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64()}[base]


def _from_dicts(rows: list[Any], columns: list[tuple[str, str]]) -> Any:
    """Columns of *rows* as an Arrow table, made by Arrow in C from the rows themselves: no Python loop per cell
    (one took 3 s of the 1M-node example's load). A row is a dict (an absent key is NULL, keys not asked for
    are ignored) or a tuple of the *columns* in order."""
    import pyarrow as pa

    fields = [pa.field(name, sql_arrow_type(kind)) for name, kind in columns]
    return pa.Table.from_struct_array(pa.array(rows, type=pa.struct(fields)))


def _insert(con: Any, table: str, columns: list[tuple[str, str]], parts: Iterable[Any]) -> None:
    """Insert Arrow tables into *table* in one statement (DuckDB reads the Arrow buffers directly; a row-by-row
    INSERT costs a statement per row). A column a part lacks is NULL."""
    import pyarrow as pa

    arrow_schema = pa.schema([pa.field(name, sql_arrow_type(kind)) for name, kind in columns])
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
    labels = sorted(graph.labels_present())
    allowed = {k for label in labels for k in sch.properties_of(label)}  # the columns node_parts builds
    create_tables(con, sch, allowed)
    columns = [c for c in node_columns(sch) if c[0] in _HEAD_KEYS or c[0] in allowed]
    provenance = [c for k in PROVENANCE_KEYS for c in EDGE_COLUMNS if c[0] == k]  # a Provenance tuple's order
    ends = [("src", "VARCHAR"), ("dst", "VARCHAR")]

    def node_parts() -> Iterable[Any]:
        for label in labels:
            ids = list(graph.nodes(label))
            allowed = sch.properties_of(label)
            part = _from_dicts(graph.attrs_of(ids), [c for c in columns if c[0] in allowed and c[0] != "id"])
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
        _insert(con, NODE_ROWS, columns, node_parts())
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


def present_node_keys(
    con: Any, sch: Schema | None = None, label: str | None = None, *, within: str | None = None
) -> list[tuple[str, list[str]]]:
    """Per label (sorted; only *label* when given), the provenance and property keys some node of it has: what a
    node of it carries. A caller that wants one label asks for it: counting every column of every label once per
    label made pushing the graph tables quadratic in the labels (a third of the push's client time). *within*:
    the name of a table of node ids, the only nodes counted (a part of the graph: reading every column of every
    node for it took 0.85 s and all of duckdb's memory on the generated million)."""
    sch = sch or schema()
    head = ["source_file", "source_row", "source_path"]
    keys = [*head, *property_columns(sch)]
    counted = ", ".join(f"count({quote(k)})" for k in keys)
    conditions, params = [], []
    if label is not None:
        conditions, params = ["label = ?"], [label]
    if within is not None:
        conditions.append(f"id IN (SELECT id FROM {within})")
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    present = con.execute(
        f"SELECT label, {counted} FROM {NODES} {where} GROUP BY label ORDER BY label", params
    ).fetchall()
    return [(label, [k for k, n in zip(keys, counts, strict=True) if n]) for label, *counts in present]


def fetch_sql(con: Any, sql: str, params: list[Any]) -> dict[str, list[Any]]:
    """A query's result as Python lists per column, through Arrow: no tuple per row."""
    table = _fetch_arrow(con, sql, params)
    return {name: table.column(name).to_pylist() for name in table.column_names}


def fetch_batches(con: Any, sql: str, params: list[Any], size: int) -> Iterator[Any]:
    """A query's result as Arrow record batches of *size* rows, read as they are used (on a cursor of its own, so
    that *con* stays free for other statements meanwhile); duckdb running out of memory on the way is one line
    naming the setting (:func:`within_memory`), whoever reads."""
    cursor = con.cursor()
    try:
        with within_memory():
            relation = cursor.sql(sql, params=params)
            # duckdb 2 names it to_arrow_reader (fetch_record_batch before)
            reader = (getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch)(size)
            yield from reader
    finally:
        cursor.close()


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
    if isinstance(column, list):  # a part's column, read without Arrow (_Rows)
        if memo is None:
            return column
        if grow:
            return [memo.setdefault(v, v) if isinstance(v, str) else v for v in column]
        return [memo.get(v, v) if isinstance(v, str) else v for v in column]
    import pyarrow as pa

    if memo is None or not pa.types.is_string(column.type):
        return list(column.to_pylist())
    encoded = column.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    distinct = [memo.setdefault(v, v) for v in distinct] if grow else [memo.get(v, v) for v in distinct]
    distinct.append(None)
    indices = encoded.indices.fill_null(len(distinct) - 1).to_numpy(zero_copy_only=False)
    return list(map(distinct.__getitem__, indices.tolist()))


class _Rows:
    """A small query's result as Python lists per column, read without Arrow, shaped as the record batch
    :func:`to_graph` reads (``column``, ``schema.names``): a part of the graph (what a report draws, what its
    verdicts read) is a few hundred nodes, and reading it through Arrow loaded pyarrow and its memory pool, 66 MiB
    of the report's peak on the generated million."""

    def __init__(self, cursor: Any) -> None:
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        columns = zip(*rows, strict=True) if rows else ([] for _ in names)
        self.columns = {n: list(c) for n, c in zip(names, columns, strict=True)}
        self.schema = SimpleNamespace(names=names)

    def column(self, name: str) -> list[Any]:
        return self.columns[name]


def _batches(table: Any) -> list[Any]:
    """*table*'s record batches, last first, to be popped: the table no longer holds them, so each batch's
    buffers go as soon as it is used."""
    return list(reversed(table.to_batches()))


def to_graph(con: Any, sch: Schema | None = None, *, close: bool = False, keep: str | None = None) -> SMSGraph:
    """The SMSGraph held in the graph tables on *con*, built in bulk: the same nodes with the same attributes
    (a NULL column is an absent property) and the same relationships with their provenance.

    The tables are read out first, a label and a relationship type at a time, as Arrow batches; ``close=True``
    closes *con* then, so that the graph is built while only they are held, each batch dropped once made into
    nodes or relationships, never alongside duckdb's copy of everything (on BPIC 2014, importing and building the
    graph peaked at 1373 MiB while the graph was built beside the open tables, at 952 MiB now).

    Labels and relationship types are checked against the ontology, as a snapshot's are. What the tables do not
    hold (the inputs read, the labels a source declared) is the caller's to set. *keep*, the name of a table of
    node ids (an ``id`` column): only those nodes, and the relationships between them (a part of the graph).
    """
    sch = sch or schema()

    def fetch(sql: str, params: list[Any]) -> list[Any]:
        if keep:  # a part: a few rows, as Python values
            return [_Rows(con.execute(sql, params))]
        return _batches(_fetch_arrow(con, sql, params, _BATCH))

    nodes = []
    for label, keys in present_node_keys(con, sch, within=keep):
        if label not in sch.labels:
            raise SchemaViolation(f"graph tables: label {label!r} is not in the ontology")
        only = f" AND id IN (SELECT id FROM {keep})" if keep else ""
        sql = f"SELECT {', '.join(quote(k) for k in ('id', *keys))} FROM {NODES} WHERE label = ?{only} ORDER BY seq"
        nodes.append((label, fetch(sql, [label])))
    edges = []
    for (rel_type,) in con.execute(f"SELECT DISTINCT type FROM {EDGES} ORDER BY type").fetchall():
        if rel_type not in sch.relationships:
            raise SchemaViolation(f"graph tables: relationship type {rel_type!r} is not in the ontology")
        only = f" AND src IN (SELECT id FROM {keep}) AND dst IN (SELECT id FROM {keep})" if keep else ""
        sql = f"SELECT src, dst, {', '.join(PROVENANCE_KEYS)} FROM {EDGES} WHERE type = ?{only} ORDER BY seq"
        edges.append((rel_type, fetch(sql, [rel_type])))
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


def load_node_columns(
    graph: SMSGraph, label: str, ids: list[str], columns: dict[str, list[Any]], *, what: str = "snapshot"
) -> None:
    """Bulk-load the nodes of one label from columns (property or provenance key -> one value or None per id)
    straight into the graph's indexes: the one way a columnar form becomes nodes (a snapshot, the graph tables).
    A value many nodes hold should be one object (the caller's to share, as :func:`to_graph` does). *what* names the
    source in errors."""
    allowed = set(graph.schema.properties_of(label))
    unknown = set(columns) - allowed
    if unknown:
        raise SnapshotError(f"{what} gives {label} properties the ontology does not: {sorted(unknown)}")
    keys = list(columns)
    attrs = _rows(keys, [columns[k] for k in keys], len(ids), what)
    graph.bulk_add_nodes(label, ids, attrs)  # nulls are dropped from each row, so a marker is a key a row holds


def _rows(keys: list[str], values: list[list[Any]], n: int, what: str) -> list[dict[str, Any]]:
    """Columns back into one dict per row, nulls dropped (in C where no column has a null)."""
    if any(len(col) != n for col in values):
        raise SnapshotError(f"{what} columns of unequal length")
    if all(None not in col for col in values):
        return (
            [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)] if keys else [{} for _ in range(n)]
        )
    return [{k: v for k, v in zip(keys, row, strict=True) if v is not None} for row in zip(*values, strict=True)]


def load_edge_columns(
    graph: SMSGraph,
    rel_type: str,
    sources: list[str],
    targets: list[str],
    columns: dict[str, list[Any]],
    canonical: dict[str, str],
    *,
    what: str = "snapshot",
) -> None:
    """Bulk-load one relationship type straight into the graph's typed adjacency; one provenance tuple per
    source row, shared by that row's relationships, as the importer builds them; each end the node's own id
    string (*canonical*); a provenance value many relationships hold should be one object (the caller's to share).
    *what* names the source in errors."""
    unknown = set(columns) - set(PROVENANCE_KEYS)
    if unknown:
        raise SnapshotError(
            f"{what} gives {rel_type} relationships attributes other than provenance: {sorted(unknown)}"
        )
    if len(sources) != len(targets) or any(len(v) != len(sources) for v in columns.values()):
        raise SnapshotError(f"{what} columns of unequal length")
    files = columns.get("source_file")
    if files is None or None in files:
        raise SnapshotError(f"{what} has a {rel_type} relationship without its source_file")
    n = len(sources)
    ends = [list(map(canonical.get, sources)), list(map(canonical.get, targets))]
    for end in ends:
        if None in end:
            i = end.index(None)
            raise SnapshotError(
                f"{what} has a {rel_type} relationship to a missing node ({sources[i]} -> {targets[i]})"
            )
    provs = zip(*(columns.get(k, itertools.repeat(None, n)) for k in PROVENANCE_KEYS), strict=True)
    shared: dict[Provenance, Provenance] = {}
    edges = zip(*ends, (shared.setdefault(row, row) for row in provs), strict=True)
    done = graph.bulk_add_edges(rel_type, edges)
    if done < n:
        s, t = ends[0][done], ends[1][done]
        raise SnapshotError(f"{what} has the {rel_type} relationship {s} -> {t} twice")


def connect_tables(
    settings: DuckDBSettings | None = None, *, importing: bool = False
) -> tuple[Any, tempfile.TemporaryDirectory[str] | None]:
    """A new in-memory duckdb for the graph tables, held to the memory limit and spilling to the temporary folder
    of *settings* (the process's by default; the limit, unless set, an import's when *importing*); with the
    temporary folder it made for that, to clean up on close."""
    import duckdb

    settings = settings or current_settings()
    spill = None
    folder = settings.temp_directory
    if folder is None:
        spill = tempfile.TemporaryDirectory(prefix="itsms-duckdb-")
        folder = Path(spill.name)
    try:
        con = duckdb.connect(config={"memory_limit": settings.limit(importing), "temp_directory": str(folder)})
    except duckdb.Error as exc:
        if spill is not None:
            spill.cleanup()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ItsmsError(f"cannot open duckdb with {settings.describe(importing)}: {first}") from None
    return con, spill


@contextmanager
def within_memory(settings: DuckDBSettings | None = None, *, importing: bool = False) -> Iterator[None]:
    """Turn duckdb running out of memory into one line naming the setting that bounds it (exit 2), not a
    traceback (*importing*: the duckdb is an import's, held to an import's limit unless one is set)."""
    import duckdb

    try:
        yield
    except duckdb.OutOfMemoryException:
        raise ItsmsError(
            f"out of memory: the graph tables did not fit {(settings or current_settings()).describe(importing)}"
        ) from None


@dataclass
class GraphTables:
    """A graph held as the graph tables in an in-memory duckdb (an import, or a snapshot opened): the DuckDB engine
    checks them as they are (``check_graph(tables, backend="duckdb")``); the graph is built from them when
    something walks one."""

    con: Any
    schema: Schema
    declared_labels: set[str]
    inputs: list[InputFile]
    #: where duckdb spills what does not fit its memory limit; removed on close
    spill: tempfile.TemporaryDirectory[str] | None = None
    #: whether an import made them (its duckdb held to an import's memory limit unless one is set)
    imported: bool = False
    #: the graph once built: built on demand, once
    built: SMSGraph | None = None

    def graph(self, *, close: bool = False) -> SMSGraph:
        """The SMSGraph the tables hold, with the labels the sources declared and the inputs read, built on the
        first call (later calls return it); ``close=True`` closes the tables as soon as they are read (see
        :func:`to_graph`): what the graph is built for is then all that is left of them."""
        if self.built is None:
            with within_memory(importing=self.imported):
                graph = to_graph(self.con, self.schema, close=close)
            graph.declared_labels = set(self.declared_labels)
            for item in self.inputs:
                graph.add_input(item)
            self.built = graph
        if close:
            self.close()
        return self.built

    @contextmanager
    def threads(self, n: int) -> Iterator[None]:
        """duckdb's threads held to *n* for a while (then what they were): for a reader that streams rows to
        another process on the same machine, whose cores duckdb's other threads would only take."""
        [(was,)] = self.con.execute("SELECT current_setting('threads')").fetchall()
        self.con.execute(f"SET threads = {int(n)}")
        try:
            yield
        finally:
            self.con.execute(f"SET threads = {int(was)}")

    def neighbourhood(self, node: str, depth: int) -> SMSGraph:
        """The part of the graph within *depth* relationships of *node*, either way (:meth:`part`): walked from
        *node* to *depth*, it gives what the whole graph gives; an absent *node* gives an empty graph."""
        return self.part([node], depth=depth)

    def part(
        self,
        ids: Iterable[str] = (),
        *,
        labels: Iterable[str] = (),
        depth: int = 0,
        follow: Iterable[Iterable[str]] = (),
        whole: Iterable[str] = (),
    ) -> SMSGraph:
        """The part of the graph a reader walks, found by SQL and built alone (the whole graph is not): the nodes
        *ids* (those the tables hold) and every node of *labels*; then those within *depth* relationships of them,
        either way; then, a step for each set of relationship types in *follow*, the nodes those relationships lead
        to (following them out) from the nodes the step before reached (the first step from every node kept so
        far: ``follow=(("AFFECTS", ...), ("PART_OF",))`` is what :meth:`SMSGraph.services_of` walks); then every
        relationship of the types *whole* with its two ends. The part holds these nodes and every relationship
        between them, each as the whole graph holds it (its attributes, its place in its label's order)."""
        keep, step = "itsms_part", "itsms_part_step"
        con = self.con
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {keep} AS
            SELECT DISTINCT id FROM (SELECT unnest(?::VARCHAR[]) AS id
                                     UNION ALL SELECT id FROM {NODES} WHERE list_contains(?::VARCHAR[], label))
            SEMI JOIN {NODES} USING (id)""",
            [list(ids), list(labels)],
        )
        try:
            for _ in range(depth):
                con.execute(f"""
                    INSERT INTO {keep}
                    SELECT id FROM (SELECT dst AS id FROM {EDGES} SEMI JOIN {keep} ON {keep}.id = src
                                    UNION SELECT src FROM {EDGES} SEMI JOIN {keep} ON {keep}.id = dst)
                    ANTI JOIN {keep} USING (id)
                """)
            steps, ends = [list(types) for types in follow], list(whole)
            if steps:
                con.execute(f"CREATE OR REPLACE TEMP TABLE {step} AS SELECT id FROM {keep}")
            for types in steps:
                con.execute(
                    f"""CREATE OR REPLACE TEMP TABLE {step} AS SELECT DISTINCT dst AS id FROM {EDGES}
                    SEMI JOIN {step} ON {step}.id = src WHERE list_contains(?::VARCHAR[], type)""",
                    [types],
                )
                con.execute(f"INSERT INTO {keep} SELECT id FROM {step} ANTI JOIN {keep} USING (id)")
            if ends:
                con.execute(
                    f"""INSERT INTO {keep}
                    SELECT id FROM (SELECT src AS id FROM {EDGES} WHERE list_contains(?::VARCHAR[], type)
                                    UNION SELECT dst FROM {EDGES} WHERE list_contains(?::VARCHAR[], type))
                    ANTI JOIN {keep} USING (id)""",
                    [ends, ends],
                )
            with within_memory(importing=self.imported):
                graph = to_graph(con, self.schema, keep=keep)
        finally:
            con.execute(f"DROP TABLE IF EXISTS {keep}")
            con.execute(f"DROP TABLE IF EXISTS {step}")
        graph.declared_labels = set(self.declared_labels)
        return graph

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type, sorted: as SMSGraph.counts says of the graph."""
        return table_counts(self.con)

    def labels_present(self) -> set[str]:
        return {label for (label,) in self.con.execute(f"SELECT DISTINCT label FROM {NODES}").fetchall()}

    def number_of_nodes(self) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {NODES}").fetchall()[0][0])

    def edge_count(self) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {EDGES}").fetchall()[0][0])

    @property
    def is_open(self) -> bool:
        """Whether the tables are still held (not closed once the graph was built from them)."""
        try:
            self.con.execute("SELECT 1").fetchall()
        except Exception:  # duckdb's ConnectionException: closed
            return False
        return True

    def close(self) -> None:
        self.con.close()
        if self.spill is not None:
            self.spill.cleanup()
            self.spill = None

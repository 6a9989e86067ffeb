"""Snapshots: save a graph and re-open it without re-importing, in a safe, documented, versioned format.

A snapshot is a ZIP file (deterministic: fixed member order and timestamps). Version 2, written now, holds the
graph tables (``itsms_graph.graph.tables``) as Parquet, so that opening one loads them straight into duckdb,
where the DuckDB engine checks them; the Python graph is built from them only when something walks it:

- ``manifest.json``: ``format`` ("itsms-graph-snapshot"), ``format_version`` (2), the tool version, the inputs
  with their SHA-256, the declared labels, the counts per label and relationship type, and ``members``: each
  Parquet member's SHA-256 and size in bytes;
- ``nodes.parquet``: the ``nodes`` table, by label then ``seq`` (0, 1, ... within a label), with the columns
  some node holds;
- ``edges.parquet``: the ``edges`` table, by type then ``seq`` (the order the store walks: by source, sources
  in the order they first appear).

Version 1 (JSON: ``nodes/<Label>.json`` ``{"ids", "columns"}`` and ``edges/<TYPE>.json``
``{"source", "target", "columns"}``) is still read, into the same tables.

Nothing in a snapshot is trusted: opening one runs no code from it (no pickle), reads each member within the
decompression limits (``itsms_graph.limits``, judged on the sizes the ZIP declares, which zipfile never
reads past), refuses a member it does not expect or holds twice, checks each
member's checksum, the manifest's shape, every column's type, and then the tables as a whole against the ontology
(labels, relationship types, the properties each label may carry, dates, enumerations, each relationship's
domain and range, unique ids and relationships, the counts). A snapshot that fails is refused with one line.

Why one module of this length: it writes version 2 and reads versions 1 and 2, with the full validation of each on
open; the format is one specification (docs/snapshot-format.md) and its reader and writer change together.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from itsms_graph import __version__
from itsms_graph.duckdb_settings import DuckDBSettings
from itsms_graph.errors import ItsmsError, SnapshotError
from itsms_graph.graph.store import InputFile, SMSGraph
from itsms_graph.graph.tables import (
    EDGE_COLUMNS,
    EDGES,
    NODE_ROWS,
    NODES,
    GraphTables,
    connect_tables,
    create_tables,
    hold_columns,
    load_graph,
    node_columns,
    quote,
    sql_arrow_type,
    table_counts,
    within_memory,
)
from itsms_graph.limits import check_archive
from itsms_graph.ontology import PROVENANCE_KEYS, Schema, schema
from itsms_graph.outputs import atomic_output, make_folder, writing

FORMAT = "itsms-graph-snapshot"
FORMAT_VERSION = 2
#: The versions this itsms-graph reads
READS = (1, 2)
_EPOCH = (1980, 1, 1, 0, 0, 0)
MANIFEST = "manifest.json"
NODES_MEMBER, EDGES_MEMBER = "nodes.parquet", "edges.parquet"
#: A manifest is a few KB; more is not a manifest
_MANIFEST_BYTES = 64 << 20
#: Rows per Parquet row group: each group is written and read as one batch
_ROW_GROUP = 131_072
#: zlib's fastest level, for the version-1 members only: on BPIC 2014's (199 MB of JSON) level 1 took 0.36 s for
#: 14.7 MB, level 6 1.29 s for 12.4 MB
_LEVEL = 1


# -- writing -----------------------------------------------------------------------------------------------------


def save_snapshot(graph: SMSGraph, path: Path) -> Path:
    """Write *graph* to *path* (through its graph tables); the same graph always gives the same bytes."""
    con, spill = connect_tables()
    try:
        load_graph(con, graph)
        return save_tables_snapshot(con, path, inputs=graph.inputs, declared=graph.declared_labels)
    finally:
        con.close()
        if spill is not None:
            spill.cleanup()


def _present(con: Any, table: str, columns: Iterable[str]) -> list[str]:
    """The *columns* of *table* that some row holds, in order: a column nothing holds is not written."""
    columns = list(columns)
    if not columns:
        return []
    (counted,) = con.execute(f"SELECT {', '.join(f'count({quote(c)})' for c in columns)} FROM {table}").fetchall()
    return [c for c, n in zip(columns, counted, strict=True) if n]


def save_tables_snapshot(
    con: Any, path: Path, *, inputs: list[InputFile], declared: set[str], importing: bool = False
) -> Path:
    """Write the graph the graph tables on *con* hold (``itsms_graph.graph.tables``) to *path*: the same bytes as
    :func:`save_snapshot` of the graph they hold, without building it. The rows are written in the graph's order
    with ``seq`` renumbered from 0, so that the bytes do not depend on how the tables were made. The file appears
    whole or not at all (written beside *path*, then renamed over it). *importing*: *con* is an import's (its
    memory limit an import's, unless set)."""
    head = ["id", "label", "seq"]
    node_cols = _present(con, NODES, [c for c, _ in node_columns() if c not in head])
    edge_cols = _present(con, EDGES, PROVENANCE_KEYS)
    nodes_sql = (
        f"SELECT id, label, row_number() OVER (PARTITION BY label ORDER BY seq) - 1 AS seq"
        f"{''.join(', ' + quote(c) for c in node_cols)} FROM {NODES} ORDER BY label, seq"
    )
    # the store's order: by source, in the order sources first appear, then by target as added
    edges_sql = (
        "SELECT type, src, dst, row_number() OVER (PARTITION BY type ORDER BY g, seq) - 1 AS seq"
        f"{''.join(', ' + c for c in edge_cols)} FROM (SELECT *, min(seq) OVER (PARTITION BY type, src) AS g "
        f"FROM {EDGES}) ORDER BY type, seq"
    )
    path = Path(path)
    # the members are written in a scratch folder beside the target, then zipped into it whole
    with writing(path), tempfile.TemporaryDirectory(prefix=".itsms-snapshot-", dir=make_folder(path.parent)) as work:
        members = {}
        for name, sql in ((NODES_MEMBER, nodes_sql), (EDGES_MEMBER, edges_sql)):
            file = Path(work) / name
            with within_memory(importing=importing):
                _write_parquet(con, sql, file)
            members[name] = {"sha256": _sha256(file), "bytes": file.stat().st_size}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tool_version": __version__,
            "inputs": [vars(i) for i in inputs],
            "declared_labels": sorted(declared),
            "counts": table_counts(con),
            "members": members,
        }
        with atomic_output(path) as fh, zipfile.ZipFile(fh, "w") as zf:
            _add(zf, MANIFEST, orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))
            for name in members:
                info = _info(name, zipfile.ZIP_STORED)  # Parquet is compressed already
                with zf.open(info, "w") as out, (Path(work) / name).open("rb") as src:
                    while block := src.read(1 << 20):
                        out.write(block)
    return path


def _info(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    zf.writestr(_info(name, zipfile.ZIP_DEFLATED), data, compresslevel=_LEVEL)


def _write_parquet(con: Any, sql: str, file: Path) -> None:
    """The rows of *sql* as a Parquet file, a row group at a time; the same rows always give the same bytes."""
    import pyarrow.parquet as pq

    relation = con.sql(sql)
    # duckdb 2 names it to_arrow_reader (fetch_record_batch before)
    reader = (getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch)(_ROW_GROUP)
    with pq.ParquetWriter(file, reader.schema, compression="zstd", compression_level=3) as writer:
        for batch in reader:
            writer.write_batch(batch, row_group_size=_ROW_GROUP)


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# -- reading -----------------------------------------------------------------------------------------------------


def open_snapshot(path: Path, *, graph_schema: Schema | None = None) -> SMSGraph:
    """Re-open a snapshot as the Python graph (built from its tables, which are then closed)."""
    return open_snapshot_tables(path, graph_schema=graph_schema).graph(close=True)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the snapshot at *path*, its shape checked (see :func:`_check_manifest`)."""
    try:
        with zipfile.ZipFile(path) as zf:
            check_archive(path.name, zf)  # before anything inflates: a snapshot is an untrusted file
            return _manifest(zf, path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SnapshotError(f"{path}: not an itsms-graph snapshot ({exc})") from None


def open_snapshot_tables(
    path: Path, *, graph_schema: Schema | None = None, settings: DuckDBSettings | None = None
) -> GraphTables:
    """Open a snapshot as the graph tables in a new duckdb, checked in full (see the module); SnapshotError names
    what is wrong."""
    sch = graph_schema or schema()
    path = Path(path)
    con, spill = connect_tables(settings)
    tables = GraphTables(con, sch, set(), [], spill)
    try:
        with zipfile.ZipFile(path) as zf, within_memory(settings):
            # before anything inflates: each member inflates at most to the size it declares (zipfile stops there)
            check_archive(path.name, zf)
            manifest = _manifest(zf, path)
            create_tables(con, sch)
            if manifest["format_version"] == 1:
                _load_v1(con, zf, path, sch)
            else:
                _load_v2(con, zf, path, manifest, spill.name if spill else None, sch)
            _check_tables(con, sch, path, manifest["counts"])
        tables.inputs = [InputFile(**item) for item in manifest["inputs"]]
        tables.declared_labels = set(manifest["declared_labels"])
        return tables
    except (OSError, zipfile.BadZipFile) as exc:
        tables.close()
        raise SnapshotError(f"{path}: not an itsms-graph snapshot ({exc})") from None
    except SnapshotError:
        tables.close()
        raise
    except ItsmsError as exc:  # a limit passed, or duckdb out of memory: said of this snapshot
        tables.close()
        raise SnapshotError(f"{path}: {exc}") from None
    except BaseException:
        tables.close()
        raise


def _members(zf: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    """The snapshot's members by name (folder entries, which ``zip -r`` adds, hold nothing); a name held twice is
    refused: which of the two a reader takes differs between tools."""
    found: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        if info.filename.endswith("/"):
            continue
        if info.filename in found:
            raise SnapshotError(f"{path}: corrupt snapshot (member {info.filename} appears twice)")
        found[info.filename] = info
    return found


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, cap: int | None = None) -> bytes:
    if cap is not None and info.file_size > cap:
        raise SnapshotError(f"{path}: corrupt snapshot ({info.filename} is {info.file_size} bytes)")
    return zf.read(info)


def _manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    members = _members(zf, path)
    if MANIFEST not in members:
        raise SnapshotError(f"{path}: not an itsms-graph snapshot (no {MANIFEST})")
    try:
        manifest = orjson.loads(_read(zf, members[MANIFEST], path, _MANIFEST_BYTES))
    except orjson.JSONDecodeError as exc:
        raise SnapshotError(f"{path}: not an itsms-graph snapshot ({MANIFEST}: {exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise SnapshotError(f"{path}: not an itsms-graph snapshot (format {found!r})")
    version = manifest.get("format_version")
    if version not in READS or type(version) is not int:
        raise SnapshotError(
            f"{path}: snapshot format version {version} is not supported by this itsms-graph (reads versions "
            f"{', '.join(map(str, READS))}); re-import the sources"
        )
    _check_manifest(manifest, path)
    expected = {MANIFEST, *manifest.get("members", {})}
    for name in members:
        if version == 1 and name.startswith(("nodes/", "edges/")) and name.endswith(".json"):
            continue
        if name not in expected:
            raise SnapshotError(f"{path}: corrupt snapshot (unexpected member {name})")
    for name in manifest.get("members", {}):
        if name not in members:
            raise SnapshotError(f"{path}: corrupt snapshot (member {name} is missing)")
    return dict(manifest)


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_manifest(manifest: dict[str, Any], path: Path) -> None:
    """The manifest's shape: each key of its version, each value of its type."""

    def refuse(key: str, what: str) -> SnapshotError:
        return SnapshotError(f"{path}: malformed manifest ({key} must be {what})")

    def is_int(v: Any) -> bool:
        return type(v) is int and v >= 0

    keys = {"format", "format_version", "tool_version", "inputs", "declared_labels", "counts"}
    if manifest["format_version"] >= 2:
        keys.add("members")
    missing = sorted(keys - manifest.keys())
    if missing:
        raise refuse(missing[0], "present")
    extra = sorted(manifest.keys() - keys)
    if extra:
        raise SnapshotError(f"{path}: malformed manifest (unknown key {extra[0]})")
    if not isinstance(manifest["tool_version"], str):
        raise refuse("tool_version", "a string")
    fields = {"path": str, "sha256": str, "profile": str, "rows": int}
    inputs = manifest["inputs"]
    if not isinstance(inputs, list) or not all(
        isinstance(i, dict)
        and i.keys() == fields.keys()
        and all(type(i[k]) is t for k, t in fields.items())
        and is_int(i["rows"])
        for i in inputs
    ):
        raise refuse("inputs", "a list of {path, sha256, profile, rows}")
    declared = manifest["declared_labels"]
    if not isinstance(declared, list) or not all(isinstance(x, str) for x in declared):
        raise refuse("declared_labels", "a list of labels")
    counts = manifest["counts"]
    if not isinstance(counts, dict) or not all(is_int(n) for n in counts.values()):
        raise refuse("counts", "an object of counts")
    if "members" in keys:
        members = manifest["members"]
        if (
            not isinstance(members, dict)
            or set(members) != {NODES_MEMBER, EDGES_MEMBER}
            or not all(
                isinstance(m, dict)
                and m.keys() == {"sha256", "bytes"}
                and isinstance(m["sha256"], str)
                and _SHA256.fullmatch(m["sha256"])
                and is_int(m["bytes"])
                for m in members.values()
            )
        ):
            raise refuse("members", f"{{{NODES_MEMBER}, {EDGES_MEMBER}}} each with its sha256 and bytes")


@contextlib.contextmanager
def _scratch(path: Path, file: Path) -> Iterator[IO[bytes]]:
    """*file*, in the scratch folder a snapshot's members are unpacked to, open to write; a failure to write there
    (a full disk, a file-size limit) is said as such, not as a damaged snapshot."""
    try:
        with file.open("wb") as out:
            yield out
    except OSError as exc:
        raise SnapshotError(
            f"{path}: cannot unpack it into the scratch folder {file.parent.parent} ({exc.strerror or exc}); free "
            "space there or name another with --duckdb-temp"
        ) from None


def _load_v2(
    con: Any, zf: zipfile.ZipFile, path: Path, manifest: dict[str, Any], work: str | None, sch: Schema
) -> None:
    """The Parquet members, checksums verified and columns typed as the ontology says, into the tables (read by
    duckdb alone: a command on a snapshot loads neither pyarrow nor numpy, 57 MiB of its peak)."""
    import duckdb

    members = _members(zf, path)
    expected = {NODES: dict(node_columns(sch)), EDGES: dict(EDGE_COLUMNS)}
    with tempfile.TemporaryDirectory(prefix="itsms-open-", dir=work) as folder:
        for name, table in ((NODES_MEMBER, NODES), (EDGES_MEMBER, EDGES)):
            info, declared = members[name], manifest["members"][name]
            file = Path(folder) / name
            digest = hashlib.sha256()
            with zf.open(info) as stream, _scratch(path, file) as out:
                while block := stream.read(1 << 20):
                    digest.update(block)
                    out.write(block)
            if file.stat().st_size != declared["bytes"] or digest.hexdigest() != declared["sha256"]:
                raise SnapshotError(f"{path}: corrupt snapshot ({name} does not match its checksum in the manifest)")
            try:
                found = dict(
                    con.execute(
                        "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))", [str(file)]
                    ).fetchall()
                )
            except duckdb.Error as exc:
                raise SnapshotError(f"{path}: corrupt snapshot ({name}: {_first_line(exc)})") from None
            columns = expected[table]
            for column, held in found.items():
                kind = columns.get(column)
                if kind is None:
                    raise SnapshotError(f"{path}: {name} has a column {column!r} the ontology does not define")
                want = kind.removesuffix(" NOT NULL")
                if held != want:
                    raise SnapshotError(f"{path}: {name} column {column!r} holds {held}, the ontology stores {want}")
            for name_, kind in columns.items():
                if "NOT NULL" in kind and name_ not in found:
                    raise SnapshotError(f"{path}: {name} lacks its column {name_!r}")
            into = table
            if table == NODES:  # the nodes' table holds the columns the member has
                hold_columns(con, found, sch)
                into = NODE_ROWS
            try:
                con.execute(f"INSERT INTO {into} BY NAME SELECT * FROM read_parquet(?)", [str(file)])
            except duckdb.OutOfMemoryException:
                raise
            except duckdb.Error as exc:
                raise SnapshotError(f"{path}: corrupt snapshot ({name}: {_first_line(exc)})") from None
            file.unlink()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load_v1(con: Any, zf: zipfile.ZipFile, path: Path, sch: Schema) -> None:
    """The JSON members of a version-1 snapshot into the tables, each column typed as the ontology says."""
    import pyarrow as pa

    members = _members(zf, path)
    kinds = dict(node_columns(sch))
    names = sorted(members)
    for name in names:
        if not (name.startswith("nodes/") and name.endswith(".json")):
            continue
        label = name[len("nodes/") : -len(".json")]
        if label not in sch.labels:
            raise SnapshotError(f"{path}: label {label!r} is not in the ontology")
        data = _json(zf, members[name], path, {"ids": list, "columns": dict})
        ids, columns = data["ids"], data["columns"]
        n = len(ids)
        allowed = sch.properties_of(label)
        arrays = {"id": _typed(ids, "VARCHAR", path, name, "ids")}
        for key, values in columns.items():
            if key in ("id", "label", "seq") or key not in kinds or (key not in allowed and key not in PROVENANCE_KEYS):
                raise SnapshotError(f"{path}: snapshot gives {label} properties the ontology does not: [{key!r}]")
            if not isinstance(values, list) or len(values) != n:
                raise SnapshotError(f"{path}: {name} columns of unequal length")
            arrays[key] = _typed(values, kinds[key], path, name, key)
        arrays["label"] = pa.repeat(pa.scalar(label, pa.string()), n)
        arrays["seq"] = pa.array(range(n), pa.int64())
        hold_columns(con, arrays, sch)
        _insert_arrow(con, NODE_ROWS, pa.table(arrays))
    edge_kinds = dict(EDGE_COLUMNS)
    for name in names:
        if not (name.startswith("edges/") and name.endswith(".json")):
            continue
        rel_type = name[len("edges/") : -len(".json")]
        if rel_type not in sch.relationships:
            raise SnapshotError(f"{path}: relationship type {rel_type!r} is not in the ontology")
        data = _json(zf, members[name], path, {"source": list, "target": list, "columns": dict})
        n = len(data["source"])
        unknown = sorted(set(data["columns"]) - set(PROVENANCE_KEYS))
        if unknown:
            raise SnapshotError(
                f"{path}: snapshot gives {rel_type} relationships attributes other than provenance: {unknown}"
            )
        if len(data["target"]) != n or any(not isinstance(v, list) or len(v) != n for v in data["columns"].values()):
            raise SnapshotError(f"{path}: {name} columns of unequal length")
        arrays = {
            "src": _typed(data["source"], "VARCHAR", path, name, "source"),
            "dst": _typed(data["target"], "VARCHAR", path, name, "target"),
            **{k: _typed(v, edge_kinds[k], path, name, k) for k, v in data["columns"].items()},
        }
        arrays["type"] = pa.repeat(pa.scalar(rel_type, pa.string()), n)
        arrays["seq"] = pa.array(range(n), pa.int64())
        _insert_arrow(con, EDGES, pa.table(arrays))


def _json(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, shape: dict[str, type]) -> Any:
    try:
        data = orjson.loads(_read(zf, info, path))
    except orjson.JSONDecodeError as exc:
        raise SnapshotError(f"{path}: corrupt snapshot ({info.filename}: {exc})") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), t) for k, t in shape.items()):
        raise SnapshotError(f"{path}: corrupt snapshot ({info.filename} is not {{{', '.join(shape)}}})")
    return data


def _typed(values: list[Any], sql: str, path: Path, member: str, key: str) -> Any:
    """*values* as the Arrow column of SQL type *sql*, refused unless each is of that type: Arrow infers the
    column's type from the values (a number among strings fails), and only an exact match, a column of nulls or
    whole numbers where floats belong are taken (Arrow would convert 1.5 to an integer column silently)."""
    import pyarrow as pa

    want = sql_arrow_type(sql)
    try:
        found = pa.array(values)
    except (pa.ArrowException, OverflowError) as exc:
        raise SnapshotError(f"{path}: {member} column {key!r} holds values of mixed types ({exc})") from None
    if found.type == want:
        return found
    base_want = want.value_type if pa.types.is_list(want) else want
    base_found = found.type.value_type if pa.types.is_list(found.type) else found.type
    same_shape = pa.types.is_list(want) == pa.types.is_list(found.type)
    if pa.types.is_null(found.type) or (
        same_shape
        and (pa.types.is_null(base_found) or (pa.types.is_float64(base_want) and pa.types.is_int64(base_found)))
    ):
        return found.cast(want)
    raise SnapshotError(f"{path}: {member} column {key!r} holds {found.type}, the ontology stores {want}")


def _insert_arrow(con: Any, table: str, data: Any) -> None:
    view = f"itsms_{table}_in"
    con.register(view, data)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")
    finally:
        con.unregister(view)


# -- checking the tables as a whole ------------------------------------------------------------------------------

#: How the store writes a date and a date-time (``itsms_graph.graph.store``): ISO text, which SQL then casts
_DATE_SQL = {"date": (r"\d{4}-\d{2}-\d{2}", "DATE"), "datetime": (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", "TIMESTAMP")}


def _check_tables(con: Any, sch: Schema, path: Path, counts: dict[str, Any]) -> None:
    """The tables against the ontology and the manifest; the first problem found is refused, naming a node or
    relationship that shows it."""

    def first(sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
        rows = con.execute(sql, params or []).fetchall()
        return tuple(rows[0]) if rows else None

    def refuse(what: str) -> SnapshotError:
        return SnapshotError(f"{path}: {what}")

    for (label,) in con.execute(f"SELECT DISTINCT label FROM {NODES} ORDER BY label").fetchall():
        if label not in sch.labels:
            raise refuse(f"label {label!r} is not in the ontology")
    for (rel_type,) in con.execute(f"SELECT DISTINCT type FROM {EDGES} ORDER BY type").fetchall():
        if rel_type not in sch.relationships:
            raise refuse(f"relationship type {rel_type!r} is not in the ontology")
    bad = first(f"SELECT id FROM {NODES} GROUP BY id HAVING count(*) > 1 ORDER BY id LIMIT 1")
    if bad:
        raise refuse(f"node {bad[0]} appears twice")
    bad = first(
        f"SELECT id, label FROM {NODES} WHERE NOT starts_with(id, label || ':') OR length(id) = length(label) + 1 "
        "ORDER BY id LIMIT 1"
    )
    if bad:
        raise refuse(f"node id {bad[0]!r} is not {bad[1]}:<id>")
    bad = first(
        f"SELECT label FROM {NODES} GROUP BY label HAVING count(DISTINCT seq) < count(*) ORDER BY label LIMIT 1"
    )
    if bad:
        raise refuse(f"two {bad[0]} nodes have the same seq")
    keys = [c for c, _ in node_columns(sch)[6:]]  # the property columns, after id, label, seq and provenance
    counted = ", ".join(f"count({quote(k)})" for k in keys)
    for label, *present in con.execute(
        f"SELECT label, {counted} FROM {NODES} GROUP BY label ORDER BY label"
    ).fetchall():
        allowed = sch.properties_of(label)
        for key, n in zip(keys, present, strict=True):
            if n and key not in allowed:
                raise refuse(f"snapshot gives {label} properties the ontology does not: [{key!r}]")
    for key in keys:
        prop = sch.properties[key]
        if prop.type not in _DATE_SQL:
            continue
        pattern, cast = _DATE_SQL[prop.type]
        qk = quote(key)
        value = "v" if prop.multi_valued else qk
        wrong = f"NOT regexp_full_match({value}, '{pattern}') OR TRY_CAST({value} AS {cast}) IS NULL"
        where = (
            f"len(list_filter({qk}, lambda v: {wrong})) > 0" if prop.multi_valued else f"{qk} IS NOT NULL AND ({wrong})"
        )
        bad = first(f"SELECT id, {qk} FROM {NODES} WHERE {where} ORDER BY id LIMIT 1")
        if bad:
            raise refuse(f"node {bad[0]}: {key}={bad[1]!r} is not a {prop.type}")
    for (label, key), allowed_values in sorted(sch.enumerations.items()):
        if key not in keys:
            continue
        qk = quote(key)
        values = list(allowed_values)
        wrong = (
            f"NOT list_has_all(?::VARCHAR[], {qk})"
            if sch.properties[key].multi_valued
            else f"NOT list_contains(?::VARCHAR[], {qk})"
        )
        bad = first(
            f"SELECT id, {qk} FROM {NODES} WHERE label = ? AND {qk} IS NOT NULL AND {wrong} ORDER BY id LIMIT 1",
            [label, values],
        )
        if bad:
            raise refuse(f"node {bad[0]}: {key}={bad[1]!r} is not one of {', '.join(values)}")
    bad = first(f"SELECT type, src, dst FROM {EDGES} WHERE source_file IS NULL ORDER BY type, src, dst LIMIT 1")
    if bad:
        raise refuse(f"the {bad[0]} relationship {bad[1]} -> {bad[2]} has no source_file")
    bad = first(f"SELECT type, src, dst FROM {EDGES} GROUP BY type, src, dst HAVING count(*) > 1 ORDER BY ALL LIMIT 1")
    if bad:
        raise refuse(f"the {bad[0]} relationship {bad[1]} -> {bad[2]} appears twice")
    bad = first(f"SELECT type FROM {EDGES} GROUP BY type HAVING count(DISTINCT seq) < count(*) ORDER BY type LIMIT 1")
    if bad:
        raise refuse(f"two {bad[0]} relationships have the same seq")
    # each relationship's ends, in one pass: a missing node is an end without a label
    triples = con.execute(
        f"SELECT DISTINCT e.type, s.label, t.label FROM {EDGES} e LEFT JOIN {NODES} s ON s.id = e.src "
        f"LEFT JOIN {NODES} t ON t.id = e.dst ORDER BY ALL"
    ).fetchall()
    if any(s_label is None or t_label is None for _, s_label, t_label in triples):
        for end in ("src", "dst"):
            bad = first(
                f"SELECT type, src, dst FROM {EDGES} e ANTI JOIN {NODES} n ON n.id = e.{end} ORDER BY ALL LIMIT 1"
            )
            if bad:
                raise refuse(f"a {bad[0]} relationship to a missing node ({bad[1]} -> {bad[2]})")
    for rel_type, s_label, t_label in triples:
        if not sch.relationships[rel_type].allows(s_label, t_label):
            example = first(
                f"SELECT e.src, e.dst FROM {EDGES} e JOIN {NODES} s ON s.id = e.src JOIN {NODES} t ON t.id = e.dst "
                "WHERE e.type = ? AND s.label = ? AND t.label = ? ORDER BY ALL LIMIT 1",
                [rel_type, s_label, t_label],
            )
            assert example is not None
            raise refuse(
                f"the ontology does not allow ({s_label})-[:{rel_type}]->({t_label}): {example[0]} -> {example[1]}"
            )
    if table_counts(con) != counts:
        raise refuse("corrupt snapshot (its counts do not match its manifest)")

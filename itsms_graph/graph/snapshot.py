"""Snapshots: save a graph and re-open it without re-importing, in a safe, documented, versioned format.

A snapshot is a ZIP file (deterministic: sorted members, fixed timestamps) holding JSON only:

- ``manifest.json``: ``format`` ("itsms-graph-snapshot"), ``format_version``, the tool version, the inputs
  with their SHA-256, the declared labels, and counts per label and relationship type;
- ``nodes/<Label>.json``: columnar, ``{"ids": [...], "columns": {"key": [value or null, ...]}}``;
- ``edges/<TYPE>.json``: ``{"source": [...], "target": [...], "columns": {...provenance...}}``.

No pickle: opening a snapshot runs no code from it. Labels and relationship types are checked against the
ontology when read, so a snapshot cannot smuggle a label into Cypher.
"""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path
from typing import Any

import orjson

from itsms_graph import __version__
from itsms_graph.errors import SnapshotError
from itsms_graph.graph.store import InputFile, Provenance, SMSGraph, bulk_build
from itsms_graph.limits import check_archive
from itsms_graph.ontology import PROVENANCE_KEYS, Schema, schema
from itsms_graph.outputs import atomic_output

FORMAT = "itsms-graph-snapshot"
FORMAT_VERSION = 1
_EPOCH = (1980, 1, 1, 0, 0, 0)


#: zlib's fastest level: on BPIC 2014's snapshot (199 MB of JSON) level 1 took 0.36 s for 14.7 MB, level 6 1.29 s
#: for 12.4 MB; compressing was half the time of writing the snapshot
_LEVEL = 1


def _write(zf: zipfile.ZipFile, name: str, payload: Any) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, orjson.dumps(payload, option=orjson.OPT_SORT_KEYS), compresslevel=_LEVEL)


def _manifest(inputs: list[InputFile], declared: set[str], counts: dict[str, int]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "inputs": [vars(i) for i in inputs],
        "declared_labels": sorted(declared),
        "counts": counts,
    }


def save_snapshot(graph: SMSGraph, path: Path) -> Path:
    """Write *graph* to *path*; the same graph always gives the same bytes."""
    with atomic_output(path) as fh, zipfile.ZipFile(fh, "w") as zf:
        _write(zf, "manifest.json", _manifest(graph.inputs, graph.declared_labels, graph.counts()))
        for label in sorted(graph.labels_present()):
            ids = list(graph.nodes(label))
            attrs = [graph.attrs(n) for n in ids]
            keys = sorted({k for a in attrs for k in a if k != "label"})
            columns = {k: [a.get(k) for a in attrs] for k in keys}
            _write(zf, f"nodes/{label}.json", {"ids": ids, "columns": columns})
        for rel_type in sorted(graph.rel_types_present()):
            pairs = list(graph.edges(rel_type))
            edges = graph.edge_provenance(rel_type)
            provs = [edges[pair] for pair in pairs]
            columns = {k: [p[i] for p in provs] for i, k in enumerate(PROVENANCE_KEYS)}
            _write(
                zf,
                f"edges/{rel_type}.json",
                {
                    "source": [s for s, _ in pairs],
                    "target": [t for _, t in pairs],
                    "columns": {k: v for k, v in columns.items() if any(x is not None for x in v)},
                },
            )
    return path


def save_tables_snapshot(con: Any, path: Path, *, inputs: list[InputFile], declared: set[str]) -> Path:
    """Write the graph the graph tables on *con* hold (``itsms_graph.graph.tables``) to *path*, without building
    it: the same bytes as :func:`save_snapshot` of the graph they hold, a label and a relationship type at a time
    (an import writes its snapshot this way)."""
    from itsms_graph.graph.tables import EDGES, NODES, fetch_columns, fetch_sql, present_node_keys, table_counts

    with atomic_output(path) as fh, zipfile.ZipFile(fh, "w") as zf:
        _write(zf, "manifest.json", _manifest(inputs, declared, table_counts(con)))
        for label, keys in present_node_keys(con):
            columns = fetch_columns(con, ["id", *keys], NODES, "label", label)
            ids = columns.pop("id")
            _write(zf, f"nodes/{label}.json", {"ids": ids, "columns": dict(sorted(columns.items()))})
        for (rel_type,) in con.execute(f"SELECT DISTINCT type FROM {EDGES} ORDER BY type").fetchall():
            counted = con.execute(
                f"SELECT {', '.join(f'count({k})' for k in PROVENANCE_KEYS)} FROM {EDGES} WHERE type = ?", [rel_type]
            ).fetchall()[0]
            keys = [k for k, n in zip(PROVENANCE_KEYS, counted, strict=True) if n]
            # the store's order: by source, in the order sources first appear, then by target as added
            selected = ", ".join(["src", "dst", *keys])
            columns = fetch_sql(
                con,
                f"SELECT {selected} FROM (SELECT *, min(seq) OVER (PARTITION BY src) AS g FROM {EDGES} "
                "WHERE type = ?) ORDER BY g, seq",
                [rel_type],
            )
            source, target = columns.pop("src"), columns.pop("dst")
            _write(
                zf,
                f"edges/{rel_type}.json",
                {"source": source, "target": target, "columns": dict(sorted(columns.items()))},
            )
    return path


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as zf:
            check_archive(path.name, zf)  # before anything inflates: a snapshot is an untrusted file too
            manifest = orjson.loads(zf.read("manifest.json"))
    except (OSError, zipfile.BadZipFile, KeyError, orjson.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: not an itsms-graph snapshot ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise SnapshotError(f"{path}: not an itsms-graph snapshot (format {manifest.get('format')!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise SnapshotError(
            f"{path}: snapshot format version {manifest.get('format_version')} is not supported by this "
            f"itsms-graph (reads version {FORMAT_VERSION}); re-import the sources"
        )
    return dict(manifest)


def open_snapshot(path: Path, *, graph_schema: Schema | None = None) -> SMSGraph:
    """Re-open a snapshot written by :func:`save_snapshot`."""
    with bulk_build():
        return _open(path, graph_schema)


def _open(path: Path, graph_schema: Schema | None) -> SMSGraph:
    sch = graph_schema or schema()
    manifest = read_manifest(path)
    graph = SMSGraph(schema=sch, seed_clauses=False)
    graph.inputs = [InputFile(**item) for item in manifest["inputs"]]
    graph.declared_labels = set(manifest["declared_labels"])
    try:
        with zipfile.ZipFile(path) as zf:
            # a snapshot re-zipped by hand (zip -r) carries folder entries such as "nodes/": they hold nothing
            names = sorted(n for n in zf.namelist() if not n.endswith("/"))
            #: node id -> the very string that keys the node: relationships hold it, not a copy per mention
            canonical: dict[str, str] = {}
            for name in names:
                if name.startswith("nodes/"):
                    label = name[len("nodes/") : -len(".json")]
                    if label not in sch.labels:
                        raise SnapshotError(f"{path}: label {label!r} is not in the ontology")
                    data = orjson.loads(zf.read(name))
                    _share_columns(data["columns"])
                    load_node_columns(graph, label, data["ids"], data["columns"])
                    canonical.update(zip(data["ids"], data["ids"], strict=True))
            for name in names:
                if name.startswith("edges/"):
                    rel_type = name[len("edges/") : -len(".json")]
                    if rel_type not in sch.relationships:
                        raise SnapshotError(f"{path}: relationship type {rel_type!r} is not in the ontology")
                    data = orjson.loads(zf.read(name))
                    _share_columns(data["columns"])
                    load_edge_columns(graph, rel_type, data["source"], data["target"], data["columns"], canonical)
    except (zipfile.BadZipFile, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"{path}: corrupt snapshot ({exc})") from None
    if graph.counts() != manifest["counts"]:
        raise SnapshotError(f"{path}: corrupt snapshot (its counts do not match its manifest)")
    return graph


def load_node_columns(
    graph: SMSGraph, label: str, ids: list[str], columns: dict[str, list[Any]], *, what: str = "snapshot"
) -> None:
    """Bulk-load the nodes of one label from columns (property or provenance key -> one value or None per id)
    straight into the graph's indexes: the one way a columnar form becomes nodes (a snapshot, the graph tables).
    A value many nodes hold should be one object (the caller's to share: see :func:`_shared`). *what* names the
    source in errors."""
    allowed = set(graph.schema.properties_of(label))
    unknown = set(columns) - allowed
    if unknown:
        raise SnapshotError(f"{what} gives {label} properties the ontology does not: {sorted(unknown)}")
    keys = list(columns)
    attrs = _rows(keys, [columns[k] for k in keys], len(ids), what)
    for row in attrs:
        row["label"] = label
    graph._nodes.update(zip(ids, attrs, strict=True))
    graph._by_label.setdefault(label, {}).update(dict.fromkeys(ids))
    for key in graph.schema.marker_keys:
        if key in columns:
            marked = graph._marked.setdefault(key, {})
            marked.update((n, None) for n, v in zip(ids, columns[key], strict=True) if v is not None)


def _share_columns(columns: dict[str, list[Any]]) -> None:
    """Each column :func:`_shared`, in place: the parsed column, with a string object per cell, goes before the
    next is made."""
    for k in columns:
        columns[k] = _shared(columns[k])


def _shared(column: list[Any]) -> list[Any]:
    """A column whose equal strings are one object, as the importer's memos leave them: a status, a source file
    or a timestamp that thousands of records repeat is kept once (BPIC 2014 re-opens in 886 MiB, 1139 without it).

    >>> a, b = _shared(["x" * 30 + str(i % 2) for i in range(4)])[::2]
    >>> a is b
    True
    """
    seen: dict[str, str] = {}
    return [seen.setdefault(v, v) if type(v) is str else v for v in column]


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
    done = graph._index_edges(rel_type, edges)
    if done < n:
        s, t = ends[0][done], ends[1][done]
        raise SnapshotError(f"{what} has the {rel_type} relationship {s} -> {t} twice")

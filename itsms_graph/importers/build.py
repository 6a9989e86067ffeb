"""Where export rows become the graph: profile-driven import with nothing lost and every problem located.

Every row read ends as an accepted record (a new node), a merged duplicate (an existing node updated by the
stated rule), a skipped row (another table of the profile takes it) or a rejection with file, row, column, value
and reason; per file, rows read = accepted + merged + rejected + skipped. References to ids that no input defines
become placeholder nodes flagged ``unresolved`` (never a silent drop); markers such as ``#MULTIVALUE`` are
recorded on the node as unnamed references, never as ids.

The import runs a column at a time. A file is read into columns (``columns.py``); each distinct cell is converted
once by the table's compiled conversions (``cells.py``); what each row makes of its cells (its rejection, record,
the targets it names and defines, its relationships) is decided for all rows at once with numpy and pyarrow;
and what rows make together across files (merges, relationships to records read later, placeholders) with SQL in
an in-memory duckdb, which ends holding the graph tables (``itsms_graph.graph.tables``): what the DuckDB engine
checks as they are, and what the graph is built from.

The result is what reading the rows one by one, in order, gives (``tests/row_importer.py`` does that, and the
tests compare the two): a node's provenance is its first row; a merge follows the table's rule (latest by a
timestamp, else the later row; min, max, first), and a row that only names a node fills what it lacks; a
relationship keeps the provenance of the row that made it first, where a relationship to a record read later is
made once every source is read; placeholders are made in that same order.
"""

from __future__ import annotations

import fnmatch
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from itsms_graph.errors import InputError, SchemaViolation
from itsms_graph.graph.store import InputFile, SMSGraph
from itsms_graph.graph.tables import (
    GraphTables,
    arrow_type,
    connect_tables,
    load_graph,
    quote,
    sql_type,
    within_memory,
)
from itsms_graph.importers.cells import (
    ROW_ID,
    Bad,
    RowRejected,
    TablePlan,
    described,
    plain_string,
    plain_temporal,
    string_cells,
)
from itsms_graph.importers.columns import CellColumn, FileColumns, read_csv_columns, read_rows, temporal_cells
from itsms_graph.importers.profile import Column, Profile, Table
from itsms_graph.importers.readers import RowSource, SheetNotFound, open_rows
from itsms_graph.importers.report import KEEP_REJECTIONS, FileReport, ImportReport, Rejection, value_note
from itsms_graph.importers.values import TemporalParser
from itsms_graph.ontology import Schema

__all__ = [
    "RESOLVING",
    "FileReport",
    "ImportReport",
    "ImportedTables",
    "Importer",
    "Rejection",
    "import_sources",
    "import_tables",
    "open_table_file",
]

#: What an import says of its progress: (a file, or the step after the files; its rows so far; whether it is done)
Progress = Callable[[str, int, bool], None]
#: The step after the files, in an import's progress: merges and references resolved across every file read
RESOLVING = "merges and references, across the files"
#: A row's events are ordered by (row, sub): the record is sub 0, then each defined target, reference by
#: reference; a relationship's place in its row likewise (reference, source, target).
_SUB_BITS = 20
_PART_BITS = 8
_MAX_PARTS = 1 << _PART_BITS


def _repeat(text: str, n: int) -> pa.Array:
    """*text* n times, as one Arrow string column."""
    return pa.repeat(pa.scalar(text, pa.string()), n)


def _prefixed(label: str, local: pa.Array) -> pa.Array:
    """Node ids ``label:local`` (null where local is)."""
    return pc.binary_join_element_wise(label, local, ":")


def _pairs(s_parent: np.ndarray, t_parent: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (source, target) of the same row, by row, then source, then target: positions in the two exploded
    arrays (both ordered by row)."""
    cs, ct = np.bincount(s_parent, minlength=n), np.bincount(t_parent, minlength=n)
    s_start, t_start = np.cumsum(cs) - cs, np.cumsum(ct) - ct
    both = np.flatnonzero(cs * ct)
    pairs = (cs * ct)[both]
    row = np.repeat(both, pairs)
    k = np.arange(int(pairs.sum()), dtype=np.int64) - np.repeat(np.cumsum(pairs) - pairs, pairs)
    return s_start[row] + k // ct[row], t_start[row] + k % ct[row]


def _explode(index: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the *rows* (each holding distinct cell index[row] with lengths[cell] parts): per part, its row, its
    place among its cell's parts, and its position in the cells' concatenated parts."""
    cells = index[rows]
    per_row = lengths[cells]
    total = int(per_row.sum())
    parent = np.repeat(rows, per_row)
    starts = np.cumsum(per_row) - per_row
    place = np.arange(total, dtype=np.int64) - np.repeat(starts, per_row)
    offsets = np.cumsum(lengths) - lengths
    return parent, place, np.repeat(offsets[cells], per_row) + place


@dataclass
class _ReadFile:
    """A file of a table opened and read into columns, with what opening it reported (its columns None when the
    table's sheet is absent from the workbook)."""

    report: ImportReport
    file_report: FileReport | None = None
    item: InputFile | None = None
    plan: TablePlan | None = None
    cols: FileColumns | None = None


#: An import held as the graph tables (the name the importer's callers know)
ImportedTables = GraphTables


@dataclass
class Importer:
    """Imports any number of (profile, path) sources into one graph, a column at a time (see the module)."""

    graph: SMSGraph = field(default_factory=SMSGraph)
    keep_going: bool = False
    report: ImportReport = field(default_factory=ImportReport)
    progress: Progress | None = None
    sample_rows: int | None = None
    #: the duckdb a file's rows go to as soon as they are made (the staged tables, see :meth:`_stage`), which ends
    #: holding the graph tables; opened with the first file
    _con: duckdb.DuckDBPyConnection | None = None
    _spill: tempfile.TemporaryDirectory[str] | None = None
    #: the property keys staged records, and staged defined targets, carry
    _record_keys: set[str] = field(default_factory=set)
    _define_keys: set[str] = field(default_factory=set)
    _rows_before: int = 0  # global number of the next file's first row
    _tables: list[Table] = field(default_factory=list)  # tno -> table
    _files: list[str] = field(default_factory=list)  # fno -> file name
    #: a reference's target labels, each with its direction (out: from the row's node) -> lid
    _label_lists: dict[tuple[tuple[str, bool], ...], int] = field(default_factory=dict)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The import's duckdb, opened (with the staged tables) on first use."""
        if self._con is None:
            self._con, self._spill = connect_tables()
            props = [(k, sql_type(self.graph.schema.properties[k])) for k in self.graph.schema.property_keys]
            for name, columns in _STAGED.items():
                body = [*columns, *(props if name in ("records_in", "defines_in") else [])]
                self._con.execute(f"CREATE TEMP TABLE {name} ({', '.join(f'{quote(c)} {t}' for c, t in body)})")
        return self._con

    def _stage(self, name: str, rows: pa.Table) -> None:
        """Put a file's *rows* into the staged table *name* now, in duckdb (which spills what passes its memory
        limit to disk): what the import holds in Python is one file's, never everything read."""
        con = self._connection()
        if name == "records_in":
            self._record_keys.update(k for k in rows.column_names if k in self.graph.schema.properties)
        elif name == "defines_in":
            self._define_keys.update(k for k in rows.column_names if k in self.graph.schema.properties)
        con.register("itsms_staged_rows", rows)
        try:
            with within_memory():
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM itsms_staged_rows")
        finally:
            con.unregister("itsms_staged_rows")

    def close(self) -> None:
        """Let go of what the import holds (its duckdb and the folder it spills to): after an error, or once its
        tables are handed over."""
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._spill is not None:
            self._spill.cleanup()
            self._spill = None

    def add_source(self, profile: Profile, path: Path) -> None:
        """Import every table of *profile* found at *path* (a folder or one file), file by file in order; the
        next file is read into columns on another thread while this one is converted (Arrow's reading leaves
        the GIL), and its turn comes, with its errors, only once this one is done."""
        files = source_files(profile, path, self.report)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="itsms-read") as reader:
            ahead = reader.submit(self._read, profile, *files[0]) if files else None
            for i, (table, file) in enumerate(files):
                assert ahead is not None
                turn, ahead = ahead, reader.submit(self._read, profile, *files[i + 1]) if i + 1 < len(files) else None
                self._import_file(table, file, turn.result())

    def _read(self, profile: Profile, table: Table, path: Path) -> _ReadFile:
        """One file opened and read into columns, touching nothing of the import: what it adds to the report
        goes to a report of its own, which its turn adds to the import's."""
        opened = _ReadFile(ImportReport())
        found = open_table_file(profile, table, path, opened.report)
        if found is None:
            return opened
        source, headers, opened.file_report, opened.item = found
        label = f"{path.name} ({table.name})"
        if self.progress:
            self.progress(label, 0, False)
        opened.plan = plan = TablePlan(self.graph.schema, table, path.name, headers)
        needed = sorted(set(headers.values()))
        moved = None if self.progress is None else lambda rows, p=self.progress: p(label, rows, False)
        cols = read_csv_columns(
            source,
            needed,
            table.nulls,
            self.sample_rows,
            None if table.record.id == ROW_ID else plan.id_column,
            moved,
        )
        opened.cols = cols if cols is not None else read_rows(source.rows, needed, table.nulls, self.sample_rows, moved)
        return opened

    def _import_file(self, table: Table, path: Path, opened: _ReadFile) -> None:
        """A file's turn: its report joins the import's, in the order the files come, and its rows are made."""
        self.report.files += opened.report.files
        self.report.absent_sheets += opened.report.absent_sheets
        for name in opened.report.skipped_tables:
            if name not in self.report.skipped_tables:
                self.report.skipped_tables.append(name)
        if opened.cols is None or opened.plan is None or opened.file_report is None or opened.item is None:
            return
        report, item = opened.file_report, opened.item
        self.graph.declared_labels.update((table.record.label, *table.declares))
        self._file(opened.plan, path.name, opened.cols, report)
        opened.cols = None
        pa.default_memory_pool().release_unused()  # the file's columns: Arrow keeps freed memory otherwise
        if self.progress:
            self.progress(f"{path.name} ({table.name})", report.rows_read, True)
        self.graph.add_input(InputFile(item.path, item.sha256, item.profile, report.rows_read))

    # -- one file: what each row makes -------------------------------------------------------------------------

    def _file(self, plan: TablePlan, file: str, cols: FileColumns, report: FileReport) -> None:
        table, sch = plan.table, self.graph.schema
        if len(plan.references) >= 1 << _PART_BITS:  # a relationship's place in its row is counted in 24 bits
            raise InputError(f"profile table {table.name} has {len(plan.references)} references; at most 255")
        n = len(cols.rn)
        report.rows_read = n
        tno, fno = len(self._tables), len(self._files)
        self._tables.append(table)
        self._files.append(file)
        gseq = np.arange(self._rows_before, self._rows_before + n, dtype=np.int64)
        self._rows_before += n

        def column(header: str | None, constant: Any = None) -> CellColumn:
            if header is None:
                return CellColumn.constant(constant, n)
            return cols.columns.get(header) or CellColumn.constant(None, n)

        readable = np.array([e is None for e in cols.error], dtype=bool)
        take = np.ones(n, dtype=bool)
        if table.where is not None:
            where = column(plan.where_column)
            take = where.mask([table.where.accepts(u) for u in where.uniques]) | ~readable

        # why a row is rejected: the first reason in the row importer's order (reader, id, properties, references)
        reason: list[str | None] = list(cols.error)
        bad_column = list(cols.error_column)
        bad_value = [""] * n
        rejected = ~readable & take

        def reject(mask: np.ndarray, why: Callable[[int], str], col: str, raw: Callable[[int], Any]) -> None:
            nonlocal rejected
            new = mask & take & ~rejected
            for i in np.flatnonzero(new).tolist():
                value = raw(i)
                reason[i], bad_column[i], bad_value[i] = why(i), col, "" if value is None else str(value)
            rejected |= new

        def converted(
            col: CellColumn,
            compute: Callable[[Any], Any],
            where_name: str,
            label: str,
            key: str,
            spec: Column | None,
            rows: np.ndarray | None = None,
        ) -> pa.Array:
            """compute of every distinct cell (null where it does not convert); a row whose cell does not convert
            is rejected (of *rows*, when given)."""
            result, bad = _cell_values(sch, label, key, spec, col, compute, table.nulls)
            if bad:
                flags = np.zeros(len(result), dtype=bool)
                flags[list(bad)] = True
                reject(
                    flags[col.index] & readable & (True if rows is None else rows),
                    lambda i: bad[col.index[i]].reason,
                    where_name,
                    lambda i: col.uniques[col.index[i]],
                )
            return result

        rec = table.record
        blank_row = lambda i: "blank row"  # noqa: E731
        if rec.id == ROW_ID:
            reject(cols.blank & readable, blank_row, "", lambda i: None)
            local = pc.binary_join_element_wise(plan.row_id_stem, pc.cast(pa.array(cols.rn), pa.string()), "")
        else:
            ids = column(plan.id_column)
            id_values, no_id = plan.ids(lambda: ids.uniques, ids.arrow)
            flags = np.zeros(len(id_values), dtype=bool)
            flags[list(no_id)] = True
            bad_id = flags[ids.index] & readable
            blank = cols.blank & bad_id
            reject(blank, blank_row, "", lambda i: None)
            reject(
                bad_id & ~blank,
                lambda i: no_id[ids.index[i]],
                plan.id_column,
                lambda i: ids.uniques[ids.index[i]],
            )
            local = id_values.take(pa.array(ids.index))

        props: dict[str, pa.Array] = {}
        for key, where_name, header, constant, compute in plan.properties.items:
            col = column(header, constant)
            props[key] = converted(col, compute, where_name, rec.label, key, table.properties[key]).take(
                pa.array(col.index)
            )

        # references: what each cell names, and the properties of what it names
        refs = []
        for ref_no, (ref, targets, ref_props) in enumerate(plan.references):
            col = column(targets.header)
            named = targets.named(lambda c=col: c.uniques, col.arrow)  # type: ignore[misc]
            has_targets = named.counts[col.index] > 0
            whole_props: dict[str, tuple[CellColumn, pa.Array]] = {}
            split: dict[int, list[dict[str, Any]]] = {}
            if ref.properties:
                split_rows = np.zeros(n, dtype=bool)
                if ref.separator is not None:
                    split_rows = (named.parts >= 2)[col.index] & has_targets
                for key, where_name, header, constant, compute in ref_props.items:
                    pcol = column(header, constant)
                    values = converted(
                        pcol, compute, where_name, ref.label, key, ref.properties[key], has_targets & ~split_rows
                    )
                    whole_props[key] = (pcol, values)
                for i in np.flatnonzero(split_rows & readable & take & ~rejected).tolist():
                    try:
                        split[i] = described(ref, named.cell(int(col.index[i])), ref_props, cols.row(i))
                    except RowRejected as exc:
                        reject(np.arange(n) == i, lambda _i, e=exc: e.reason, exc.column, lambda _i, e=exc: e.value)  # type: ignore[misc]
            refs.append((ref_no, ref, col, named, whole_props, split))

        ok = readable & take & ~rejected
        report.skipped = int((~take).sum())
        report.rejected = int(rejected.sum())
        bad_rows = np.flatnonzero(rejected).tolist()
        if not self.keep_going:
            first = next((i for i in bad_rows if reason[i] != "blank row"), None)
            if first is not None:
                why = reason[first] or ""
                raise InputError(
                    why + value_note(why, bad_value[first]),
                    file=file,
                    row=int(cols.rn[first]),
                    column=bad_column[first] or None,
                )
        report.rejections = [
            Rejection(file, int(cols.rn[i]), bad_column[i], bad_value[i], reason[i] or "")
            for i in bad_rows[:KEEP_REJECTIONS]
        ]

        rows = np.flatnonzero(ok)
        sel = pa.array(rows)
        nid = _prefixed(rec.label, local)
        count = len(rows)
        self._stage(
            "records_in",
            pa.table(
                {
                    "gseq": pa.array(gseq[rows]),
                    "fno": pa.array(np.full(count, fno, np.int32)),
                    "rn": pa.array(cols.rn[rows]),
                    "tno": pa.array(np.full(count, tno, np.int32)),
                    "nid": nid.take(sel),
                    "label": _repeat(rec.label, count),
                    **{k: v.take(sel) for k, v in props.items()},
                }
            ),
        )
        # each reference's targets, one per (row, place): the row, the place, and the target's id
        ends: dict[str, tuple[np.ndarray, np.ndarray, pa.Array, pa.Array]] = {}
        for ref_no, ref, col, named, whole_props, split in refs:
            unnamed = named.unnamed[col.index] & ok
            if unnamed.any():
                marked = int(unnamed.sum())
                marker = pa.array(np.full(marked, f"{ref.rel}:{ref.label}", dtype=object), pa.string())
                self._stage("unnamed_in", pa.table({"nid": nid.filter(pa.array(unnamed)), "marker": marker}))
                report.unnamed_references += marked
            parent, place, at = _explode(col.index, rows, named.counts)
            if len(place) and int(place.max()) >= _MAX_PARTS:
                raise InputError(f"a cell names more than {_MAX_PARTS - 1} ids", file=file, column=ref.column)
            target_local = named.flat.take(pa.array(at))
            target_nid = _prefixed(ref.label, target_local)
            ends[ref.column] = (parent, place, target_local, target_nid)
            if not ref.defines:
                continue
            target_props: dict[str, pa.Array] = {}
            for key, (pcol, values) in whole_props.items():
                kind = arrow_type(sch.properties[key])
                per_target = values.take(pa.array(pcol.index[parent]))
                if split:  # the targets of a separated cell, each with its own part of the property's cell
                    patched = per_target.to_pylist()
                    for k, (p, j) in enumerate(zip(parent.tolist(), place.tolist(), strict=True)):
                        if p in split:
                            patched[k] = split[p][j].get(key)
                    per_target = pa.array(patched, kind)
                target_props[key] = per_target
            self._stage(
                "defines_in",
                pa.table(
                    {
                        "gseq": pa.array(gseq[parent]),
                        "fno": pa.array(np.full(len(parent), fno, np.int32)),
                        "rn": pa.array(cols.rn[parent]),
                        "sub": pa.array(1 + (ref_no << _PART_BITS) + place),
                        "nid": target_nid,
                        "label": _repeat(ref.label, len(parent)),
                        **target_props,
                    }
                ),
            )
        for ref_no, ref, *_ in refs:
            t_parent, t_place, t_local, _ = ends[ref.column]
            if ref.source is None:
                src, s_place = nid.take(pa.array(t_parent)), np.zeros(len(t_parent), dtype=np.int64)
                l_parent, l_place, l_local = t_parent, t_place, t_local
            else:  # every source of the row with every target of the row, source by source
                s_parent, s_places, _, s_nid = ends[ref.source]
                ps, pt = _pairs(s_parent, t_parent, n)
                src, s_place = s_nid.take(pa.array(ps)), s_places[ps]
                l_parent, l_place, l_local = t_parent[pt], t_place[pt], t_local.take(pa.array(pt))
            links = len(l_parent)
            report.edges += links
            labels = tuple((label, d == "out") for label, d in zip(ref.labels, ref.directions, strict=True))
            lid = self._label_lists.setdefault(labels, len(self._label_lists))
            self._stage(
                "links_in",
                pa.table(
                    {
                        "gseq": pa.array(gseq[l_parent]),
                        "fno": pa.array(np.full(links, fno, np.int32)),
                        "rn": pa.array(cols.rn[l_parent]),
                        "lsub": pa.array((ref_no << (2 * _PART_BITS)) + (s_place << _PART_BITS) + l_place),
                        "rel": _repeat(ref.rel, links),
                        "src": src,
                        "tlocal": l_local,
                        "lid": pa.array(np.full(links, lid, np.int32)),
                    }
                ),
            )

    # -- every source read: nodes, merges, relationships, placeholders --------------------------------------------

    def finish(self) -> tuple[SMSGraph, ImportReport]:
        """Resolve every record, merge and reference across the sources, and build the graph."""
        imported = self.imported()
        try:
            return imported.graph(close=True), self.report
        finally:
            imported.close()

    def imported(self) -> ImportedTables:
        """Resolve every record, merge and reference across the sources into the graph tables (its progress is
        the step RESOLVING: 0 rows, then, done, every row read)."""
        rows = sum(f.rows_read for f in self.report.files)
        if self.progress:
            self.progress(RESOLVING, 0, False)
        con, spill = self._connection(), self._spill
        try:
            with within_memory():
                self._resolve(con)
        except BaseException:
            self.close()
            raise
        self._con = self._spill = None  # the tables' now
        if self.progress:
            self.progress(RESOLVING, rows, True)
        return ImportedTables(con, self.graph.schema, set(self.graph.declared_labels), list(self.graph.inputs), spill)

    def _resolve(self, con: duckdb.DuckDBPyConnection) -> None:
        """Fill the graph tables on *con* with everything read (``itsms_graph.graph.tables``)."""
        graph, sch = self.graph, self.graph.schema
        load_graph(con, graph)  # what the graph held before the import: the clauses
        nodes = graph._nodes
        keys = sorted(self._record_keys | self._define_keys)
        # how a label's records merge each property: one rule per (label, property), the same in every table
        modes: dict[tuple[str, str], set[str]] = {}
        for table in self._tables:
            for key, col in table.properties.items():
                modes.setdefault((table.record.label, key), set()).add(col.aggregate)
        mixed = sorted(k for k, m in modes.items() if len(m) > 1)
        if mixed:
            label, key = mixed[0]
            raise InputError(
                f"the tables that import {label} merge {key} by different rules ({sorted(modes[label, key])})"
            )
        latest = {tno: t.record.latest_by for tno, t in enumerate(self._tables) if t.record.latest_by}
        okey = (
            "CASE tno " + " ".join(f"WHEN {tno} THEN {quote(key)}" for tno, key in latest.items()) + " END"
            if latest
            else "NULL"
        )
        con.register(
            "files_in",
            pa.table(
                {"fno": pa.array(range(len(self._files)), pa.int32()), "file": pa.array(self._files, pa.string())}
            ),
        )
        # the nodes the graph held before (the clauses, in the graph tables already) that a row writes too
        touched = [
            nid
            for (nid,) in con.execute(
                "SELECT DISTINCT nid FROM (SELECT nid FROM records_in UNION ALL SELECT nid FROM defines_in) "
                "SEMI JOIN nodes ON nodes.id = nid ORDER BY nid"
            ).fetchall()
        ]
        con.register(
            "pre_in",
            pa.table(
                {
                    "nid": pa.array(touched, pa.string()),
                    "label": pa.array([nodes[n]["label"] for n in touched], pa.string()),
                    **{
                        k: pa.array(
                            [nodes[n].get(k) for n in touched],
                            arrow_type(sch.properties[k]),
                        )
                        for k in keys
                    },
                }
            ),
        )
        cols = ", ".join(quote(k) for k in keys)
        rec_cols = ", ".join(quote(k) if k in self._record_keys else f"NULL AS {quote(k)}" for k in keys)
        def_cols = ", ".join(quote(k) if k in self._define_keys else f"NULL AS {quote(k)}" for k in keys)
        sep = ", " if keys else ""
        # every event that writes a node, in order: records (sub 0), defined targets, and the nodes the graph had
        # (read where they are, in the files' Arrow tables: a node that one event writes is copied once, to merged)
        ev = f"""(
            SELECT nid, label, (gseq << {_SUB_BITS}) AS ord, fno, rn, true AS is_rec, {okey} AS okey{sep}{rec_cols}
              FROM records_in
            UNION ALL
            SELECT nid, label, (gseq << {_SUB_BITS}) + sub, fno, rn, false, NULL{sep}{def_cols} FROM defines_in
            UNION ALL
            SELECT nid, label, -1, NULL, NULL, false, NULL{sep}{cols} FROM pre_in)
        """
        con.execute(
            "CREATE TEMP TABLE many AS SELECT nid FROM (SELECT nid FROM records_in UNION ALL SELECT nid FROM defines_in "
            "UNION ALL SELECT nid FROM pre_in) GROUP BY nid HAVING count(*) > 1"
        )
        # a node one event writes is that event; the others fold their events by the merge rules, label by label
        # over the properties the label's events write
        con.execute(f"""
            CREATE TEMP TABLE merged AS
            SELECT nid, label, ord AS first_ord, fno, rn, is_rec AS by_record{sep}{cols} FROM {ev} ANTI JOIN many USING (nid)
        """)
        if latest:  # a record is newer when its latest_by value is at least every earlier record's
            con.execute(f"""
                CREATE TEMP TABLE multi AS SELECT *, (okey IS NULL OR prev IS NULL OR okey >= prev) AS newer FROM (
                    SELECT *, max(okey) OVER (PARTITION BY nid ORDER BY ord
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
                    FROM {ev} SEMI JOIN many USING (nid))
            """)
        else:  # without latest_by, the later record always wins
            con.execute(f"CREATE TEMP TABLE multi AS SELECT *, true AS newer FROM {ev} SEMI JOIN many USING (nid)")
        # the events are in merged and multi now: what was staged goes
        for name in ("records_in", "defines_in"):
            con.execute(f"DROP TABLE {name}")
        con.unregister("pre_in")
        written = ", ".join(f"count({quote(k)})" for k in keys)
        for label, *counts in con.execute(
            f"SELECT label{sep}{written} FROM multi GROUP BY label ORDER BY label"
        ).fetchall():
            finals = [
                f"{_merge_rule(k, next(iter(modes.get((label, k), {'last'}))))} AS {quote(k)}"
                for k, n in zip(keys, counts, strict=True)
                if n
            ]
            con.execute(
                f"""
                INSERT INTO merged BY NAME
                SELECT nid, any_value(label) AS label, min(ord) AS first_ord,
                    arg_min(fno, ord) FILTER (WHERE ord >= 0) AS fno, arg_min(rn, ord) FILTER (WHERE ord >= 0) AS rn,
                    arg_min(is_rec, ord) AS by_record{"".join(", " + f for f in finals)}
                FROM multi WHERE label = ? GROUP BY nid
                """,
                [label],
            )
        # merged, counted where it happens: a record folded into a node an earlier event made (every record of a
        # node after its first event; the first one, when a record, is the node's accepted record, counted below)
        folded = dict(
            con.execute(
                "SELECT fno, count(*) FROM (SELECT fno, is_rec, row_number() OVER (PARTITION BY nid ORDER BY ord) AS k "
                "FROM multi) WHERE is_rec AND k > 1 GROUP BY fno"
            ).fetchall()
        )
        # every node is in merged now: what made it goes, so that duckdb's memory holds what comes next
        for name in ("many", "multi"):
            con.execute(f"DROP TABLE {name}")
        # accepted: a record that made its node; merged: every other record
        made = dict(
            con.execute("SELECT fno, count(*) FROM merged WHERE by_record AND first_ord >= 0 GROUP BY fno").fetchall()
        )
        for fno, report in enumerate(self.report.files):
            report.accepted, report.merged = made.get(fno, 0), folded.get(fno, 0)
            report.check_balance()  # against the rows its reader read: a row lost or made twice stops the import

        con.execute(
            "CREATE TEMP TABLE unnamed AS SELECT nid, list_sort(list_distinct(list(marker))) AS markers "
            "FROM unnamed_in GROUP BY nid"
        )
        marker = quote("unnamed_references")
        if touched:  # nodes the graph held (all the table holds yet) that rows wrote too: updated in place
            sets = ", ".join(
                [*(f"{quote(k)} = m.{quote(k)}" for k in keys), f"{marker} = coalesce(u.markers, nodes.{marker})"]
            )
            con.execute(f"""
                UPDATE nodes SET {sets} FROM merged m LEFT JOIN unnamed u USING (nid)
                WHERE nodes.id = m.nid AND m.first_ord < 0
            """)
        # a new node's place: after the graph's (seq 0 .. its count), by the event that made it
        con.execute(f"""
            INSERT INTO nodes BY NAME
            SELECT {
            ", ".join(
                [
                    "m.nid AS id",
                    "m.label",
                    f"m.first_ord + {len(nodes)} AS seq",
                    "f.file AS source_file",
                    "m.rn AS source_row",
                    *(f"m.{quote(k)}" for k in keys),
                    f"u.markers AS {marker}",
                ]
            )
        }
            FROM merged m LEFT JOIN files_in f USING (fno) LEFT JOIN unnamed u USING (nid)
            WHERE m.first_ord >= 0
        """)
        # when each node came to be: a relationship to a node that existed when its row was read is made then
        # (the graph's own nodes, seq below its count, were there before any row)
        con.execute(f"""
            CREATE TEMP TABLE known AS
            SELECT nid, first_ord >> {_SUB_BITS} AS born FROM merged WHERE first_ord >= 0
            UNION ALL SELECT id, -1 FROM nodes WHERE seq < {len(nodes)}
        """)
        for name in ("merged", "unnamed", "unnamed_in"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        self._resolve_links(con)
        con.execute("DROP TABLE known")
        for name in ("lbl", "late_in", "placeholders_in", "files_in"):
            con.unregister(name)
        pa.default_memory_pool().release_unused()

    def _resolve_links(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every reference as a relationship: to the record of the first of its labels that one input holds, else
        to a placeholder flagged unresolved; each relationship with the provenance of the row that made it first."""
        unresolved = self.report.unresolved
        lists = sorted(self._label_lists.items(), key=lambda kv: kv[1])
        con.register(
            "lbl",
            pa.table(
                {
                    "lid": pa.array([lid for labels, lid in lists for _ in labels], pa.int32()),
                    "pos": pa.array([p for labels, _ in lists for p in range(len(labels))], pa.int32()),
                    "lab": pa.array([lab for labels, _ in lists for lab, _ in labels], pa.string()),
                    "out": pa.array([out for labels, _ in lists for _, out in labels], pa.bool_()),
                }
            ),
        )
        # references to the record of their first label, made as their row was read if that record existed then
        # (read once, by the relationships' insert at the end)
        resolved = """
            SELECT l.*, lbl.lab || ':' || l.tlocal AS target, lbl.out, k.born <= l.gseq AS immediate
            FROM links_in l JOIN lbl ON lbl.lid = l.lid AND lbl.pos = 0 JOIN known k ON k.nid = lbl.lab || ':' || l.tlocal
        """
        # references whose first label has no record: another label's record, else a placeholder, in order
        rest = con.execute("""
            SELECT l.gseq, l.lsub, l.fno, l.rn, l.rel, l.src, l.tlocal, l.lid,
                (SELECT min(b.pos) FROM lbl b JOIN known k ON k.nid = b.lab || ':' || l.tlocal WHERE b.lid = l.lid)
            FROM links_in l JOIN lbl ON lbl.lid = l.lid AND lbl.pos = 0
            WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.nid = lbl.lab || ':' || l.tlocal)
            ORDER BY l.gseq, l.lsub
        """).fetchall()
        label_lists = [labels for labels, _ in lists]
        placeholders: dict[str, tuple[str, int, int]] = {}  # id -> label, fno, row
        late: list[tuple[Any, ...]] = []
        seen: set[tuple[str, str, str]] = set()
        for gseq, lsub, fno, rn, rel, src, tlocal, lid, real_pos in rest:
            labels = label_lists[lid]
            target, out = next(
                (
                    (f"{lab}:{tlocal}", out)
                    for pos, (lab, out) in enumerate(labels)
                    if pos == real_pos or f"{lab}:{tlocal}" in placeholders
                ),
                ("", labels[0][1]),
            )
            first = labels[0][0]
            if not target:
                if not tlocal:
                    raise SchemaViolation(f"a {first} node needs a non-empty id")
                target = f"{first}:{tlocal}"
                placeholders[target] = (first, fno, rn)
            a, b = (src, target) if out else (target, src)
            if target in placeholders and (rel, a, b) not in seen:
                seen.add((rel, a, b))
                unresolved[(rel, first)] += 1
            late.append((gseq, lsub, fno, rn, rel, a, b))
        con.register(
            "placeholders_in",
            pa.table(
                {
                    "id": pa.array(list(placeholders), pa.string()),
                    "label": pa.array([p[0] for p in placeholders.values()], pa.string()),
                    "fno": pa.array([p[1] for p in placeholders.values()], pa.int32()),
                    "source_row": pa.array([p[2] for p in placeholders.values()], pa.int64()),
                    "seq": pa.array(range(len(placeholders)), pa.int64()),
                }
            ),
        )
        con.execute("""
            INSERT INTO nodes BY NAME
            SELECT id, label, (SELECT coalesce(max(seq), -1) FROM nodes) + 1 + seq AS seq, f.file AS source_file, source_row,
                true AS unresolved
            FROM placeholders_in LEFT JOIN files_in f USING (fno)
        """)
        columns: list[Any] = list(zip(*late, strict=True)) if late else [[]] * 7
        con.register(
            "late_in",
            pa.table(
                {
                    name: pa.array(list(values), kind)
                    for name, kind, values in zip(
                        ("gseq", "lsub", "fno", "rn", "rel", "a", "b"),
                        (pa.int64(), pa.int64(), pa.int32(), pa.int64(), pa.string(), pa.string(), pa.string()),
                        columns,
                        strict=True,
                    )
                }
            ),
        )
        # a relationship made more than once keeps its first making: made as its row was read before made at the
        # end, then by row and place in the row (one key: a pending flag, the row, the place; lsub < 2^24)
        key = "(CAST(NOT immediate AS BIGINT) << 62) | (gseq << 24) | lsub"
        # its place among its type's: after the graph's (seq 0 .. their count), by that key
        held = self.graph.edge_count()
        # a relationship the graph held before (the clauses' PART_OF) is not made again: only a type the graph
        # holds can repeat one, so only those rows are looked up (an anti-join over every relationship was the
        # import's largest statement, and the one that ran out of memory on BPIC 2014 x4)
        held_types = sorted(self.graph.rel_types_present())
        again = (
            "WHERE NOT (e.rel IN (SELECT unnest(?::VARCHAR[])) "
            "AND EXISTS (SELECT 1 FROM edges x WHERE x.type = e.rel AND x.src = e.a AND x.dst = e.b))"
            if held_types
            else ""
        )
        # every making of a relationship, as a table (which duckdb spills beyond its memory limit), then folded
        # into one relationship each a part at a time: a part holds the relationships of the sources that hash to
        # it, whole, so that no fold holds every relationship at once (all at once ran out of 400 MB at BPIC x4)
        con.execute(f"""
            CREATE TEMP TABLE made AS
            SELECT rel, CASE WHEN out THEN src ELSE target END AS a, CASE WHEN out THEN target ELSE src END AS b,
                   fno, rn, {key} AS k FROM ({resolved})
            UNION ALL SELECT rel, a, b, fno, rn, {key.replace("NOT immediate", "true")} FROM late_in
        """)
        con.execute("DROP TABLE links_in")
        ((made,),) = con.execute("SELECT count(*) FROM made").fetchall()
        parts = max(1, -(-made // _FOLD_ROWS))
        for part in range(parts):
            only = f"WHERE hash(a) % {parts} = {part}" if parts > 1 else ""
            con.execute(
                f"""
                INSERT INTO edges BY NAME
                SELECT rel AS type, a AS src, b AS dst, k + {held} AS seq, f.file AS source_file, rn AS source_row
                FROM (SELECT rel, a, b, min(k) AS k, arg_min(fno, k) AS fno, arg_min(rn, k) AS rn FROM made {only}
                      GROUP BY rel, a, b) e
                LEFT JOIN files_in f USING (fno)
                {again}
            """,
                [held_types] if held_types else [],
            )
        con.execute("DROP TABLE made")


#: Relationship makings folded at a time (into one relationship each): about 150 MB of duckdb's memory
_FOLD_ROWS = 1_000_000


#: What a file's rows make, staged in duckdb as each file is done (columns before the property columns, which the
#: records and the defined targets have all of): records, targets a row defines, references, unnamed references
_STAGED: dict[str, list[tuple[str, str]]] = {
    "records_in": [
        ("gseq", "BIGINT"),
        ("fno", "INTEGER"),
        ("rn", "BIGINT"),
        ("tno", "INTEGER"),
        ("nid", "VARCHAR"),
        ("label", "VARCHAR"),
    ],
    "defines_in": [
        ("gseq", "BIGINT"),
        ("fno", "INTEGER"),
        ("rn", "BIGINT"),
        ("sub", "BIGINT"),
        ("nid", "VARCHAR"),
        ("label", "VARCHAR"),
    ],
    "links_in": [
        ("gseq", "BIGINT"),
        ("fno", "INTEGER"),
        ("rn", "BIGINT"),
        ("lsub", "BIGINT"),
        ("rel", "VARCHAR"),
        ("src", "VARCHAR"),
        ("tlocal", "VARCHAR"),
        ("lid", "INTEGER"),
    ],
    "unnamed_in": [("nid", "VARCHAR"), ("marker", "VARCHAR")],
}


def _cell_values(
    sch: Schema,
    label: str,
    key: str,
    spec: Column | None,
    col: CellColumn,
    compute: Callable[[Any], Any],
    nulls: tuple[str, ...],
) -> tuple[pa.Array, dict[int, Bad]]:
    """compute of every distinct cell of *col* as the property's Arrow column (null where a cell does not
    convert), and by position the cells that do not: Arrow's text cells of a date or timestamp read a part at a
    time and a plain string's in Arrow, every other cell by compute."""
    prop = sch.properties[key]
    if col.arrow is not None and spec is not None and plain_temporal(sch, label, key, spec):
        result, said = temporal_cells(col.arrow, TemporalParser(spec.formats, prop.type), nulls, compute)
        return result, {i: v for i, v in said.items() if type(v) is Bad}
    if col.arrow is not None and spec is not None and plain_string(sch, label, key, spec):
        return string_cells(col.arrow, nulls), {}
    values = [compute(u) for u in col.uniques]
    bad = {i: v for i, v in enumerate(values) if type(v) is Bad}
    return pa.array([None if type(v) is Bad else v for v in values], arrow_type(prop)), bad


def _merge_rule(key: str, mode: str) -> str:
    """The value a node ends with for *key*, over its events (ord: their order; is_rec: a record, not a row that
    only names the node; newer: a record at least as late as every earlier one by the table's latest_by). As the
    row importer folds them: the first value set stays unless a newer record (last), a smaller or larger one (min,
    max) replaces it; a row that only names the node fills a property the node lacks, never more."""
    qk = quote(key)
    first = f"arg_min({qk}, ord) FILTER (WHERE {qk} IS NOT NULL)"
    if mode == "first":
        return first
    if mode in ("min", "max"):
        return f"{'least' if mode == 'min' else 'greatest'}({first}, {mode}({qk}) FILTER (WHERE is_rec))"
    newer = f"is_rec AND newer AND {qk} IS NOT NULL"
    return (
        f"CASE WHEN max(ord) FILTER (WHERE {newer}) > min(ord) FILTER (WHERE {qk} IS NOT NULL) "
        f"THEN arg_max({qk}, ord) FILTER (WHERE {newer}) ELSE {first} END"
    )


def open_table_file(
    profile: Profile, table: Table, path: Path, report_all: ImportReport
) -> tuple[RowSource, dict[str, str], FileReport, InputFile] | None:
    """Open one file of a table: its rows, the header naming each column the table reads, and its FileReport
    (added to *report_all*); None when an optional table's sheet is absent (reported). A required column the
    file lacks is an error naming it."""
    try:
        source = open_rows(
            path,
            fmt=table.format,
            encoding=table.encoding,
            delimiter=table.delimiter,
            records_key=table.records_key,
            sheet=table.sheet,
            member=table.member,
        )
    except SheetNotFound as exc:
        name = f"{profile.id}:{table.name}"
        if not table.optional:
            raise InputError(
                f"profile {profile.id} table {table.name} reads sheet {exc.sheet!r}, which the workbook does "
                f"not have (its sheets: {', '.join(exc.sheets)}); a table that may be absent says optional: true",
                file=path.name,
            ) from None
        report_all.absent_sheets.append({"table": name, "file": path.name, "sheet": exc.sheet})
        if name not in report_all.skipped_tables:
            report_all.skipped_tables.append(name)
        return None
    # each column the table reads is looked up once per file, under the first of its spellings the file has
    headers = profile.headers(table, source.columns)
    missing = sorted(profile.required_columns(table) - headers.keys())
    if missing:
        shown = ", ".join(source.columns[:12]) + (" ..." if len(source.columns) > 12 else "")
        hint = " (is the delimiter right?)" if len(source.columns) == 1 else ""
        others = table.spellings(missing[0])[1:]
        also = f" (or {', '.join(repr(o) for o in others)})" if others else ""
        raise InputError(
            f"profile {profile.id} table {table.name} needs column {missing[0]!r}{also}, which the "
            f"file does not have{hint}; its columns: {shown}",
            file=path.name,
            row=1,
            column=missing[0],
        )
    item = InputFile.of(path, profile=f"{profile.id}:{table.name}")
    # an absent optional column needs nothing more: a row without the key reads as null, as an empty cell does
    absent = sorted(profile.optional_columns(table) - headers.keys())
    report = FileReport(file=path.name, profile=profile.id, table=table.name, sha256=item.sha256, absent_columns=absent)
    report_all.files.append(report)
    return source, headers, report, item


#: File name starts that are never an export: Excel's lock file beside an open workbook (``~$registers.xlsx``),
#: LibreOffice's (``.~lock.registers.xlsx#``) and hidden files such as macOS's ``._registers.xlsx``. A folder
#: glob such as ``*.xlsx`` matches them, and reading one fails the whole import.
_NOT_EXPORTS = ("~$", ".~lock", ".")


def source_files(profile: Profile, path: Path, report: ImportReport) -> list[tuple[Table, Path]]:
    """(table, file) for every file at *path* (a folder or one file) a table of *profile* reads, table by table;
    a table no file matches is reported skipped, and a source none matches is an error."""
    found = []
    for table in profile.tables:
        files = files_for(table, path)
        if not files:
            report.skipped_tables.append(f"{profile.id}:{table.name}")
        found += [(table, file) for file in files]
    if not found:
        patterns = ", ".join(dict.fromkeys(p for t in profile.tables for p in t.files))
        raise InputError(f"no file matches profile {profile.id} (it reads {patterns})", file=str(path))
    return found


def files_for(table: Table, path: Path) -> list[Path]:
    """The files of a folder that the table's globs match (lock and hidden files left out), or the one file."""
    if path.is_dir():
        found = {
            p
            for pattern in table.files
            for p in path.glob(pattern)
            if p.is_file() and not p.name.startswith(_NOT_EXPORTS)
        }
        return sorted(found)
    if any(fnmatch.fnmatch(path.name, pattern) for pattern in table.files):
        return [path]
    return []


def _read_sources(sources: Iterable[tuple[Profile, Path]], keep_going: bool, progress: Progress | None) -> Importer:
    importer = Importer(keep_going=keep_going, progress=progress)
    try:
        for profile, path in sources:
            importer.add_source(profile, path)
    except BaseException:
        importer.close()
        raise
    return importer


def import_tables(
    sources: Iterable[tuple[Profile, Path]],
    *,
    keep_going: bool = False,
    progress: Progress | None = None,
) -> tuple[ImportedTables, ImportReport]:
    """Import every (profile, path) into graph tables, without building the graph; return them with the report."""
    importer = _read_sources(sources, keep_going, progress)
    return importer.imported(), importer.report


def import_sources(
    sources: Iterable[tuple[Profile, Path]],
    *,
    keep_going: bool = False,
    progress: Progress | None = None,
) -> tuple[SMSGraph, ImportReport]:
    """Import every (profile, path) into one graph; return it with the import report."""
    return _read_sources(sources, keep_going, progress).finish()

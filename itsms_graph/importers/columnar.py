"""Columnar import: the profile semantics of build.py, computed a column at a time instead of a row at a time.

A file is read into columns, each column's distinct cells are converted once by build.py's own converters, and
what a row makes of them (rejection, record, merge, references, relationships) is decided for all rows at once:
per file with numpy and pyarrow, across files with SQL in an in-memory duckdb. The result is the same graph and
the same import report as the row importer's (tested on every profile's data); Python runs per distinct cell and
per node, not per cell.

Order is the row importer's: a node's provenance is its first row, a merge follows the table's rule (latest by a
timestamp, else the later row; min, max, first), a relationship keeps the provenance of the row that made it
first (a relationship to a record read later is made after every source is read), and placeholders for ids no
input holds are made in that same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import csv
import zlib

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from itsms_graph.errors import InputError, SchemaViolation
from itsms_graph.graph.store import InputFile, SMSGraph, bulk_build
from itsms_graph.graph.tables import load_graph, to_graph
from itsms_graph.importers.build import (
    KEEP_REJECTIONS,
    ROW_ID,
    FileReport,
    ImportReport,
    Rejection,
    _Bad,
    _described,
    _files_for,
    _RowRejected,
    _TablePlan,
    _value_note,
    open_table_file,
    plain_temporal,
)
from itsms_graph.importers.profile import Column, Profile, Table
from itsms_graph.importers.readers import RowSource, _head, _open_binary
from itsms_graph.importers.values import TemporalParser, is_null

#: A row's events are ordered by (row, sub): the record is sub 0, then each defined target, reference by
#: reference; a relationship's place in its row likewise (reference, source, target).
_SUB_BITS = 20
_PART_BITS = 8
_MAX_PARTS = 1 << _PART_BITS


def _arrow_type(kind: str, multi: bool) -> pa.DataType:
    base = {"integer": pa.int64(), "boolean": pa.bool_(), "float": pa.float64()}.get(kind, pa.string())
    return pa.list_(base) if multi else base


@dataclass
class _Column:
    """One column of a file: its distinct cells and, per row, which one it holds."""

    uniques: list[Any]
    index: np.ndarray  # int64, one per row
    #: the distinct cells as an Arrow array, when the column was read by Arrow (all strings)
    arrow: pa.Array | None = None

    @classmethod
    def constant(cls, value: Any, n: int) -> _Column:
        return cls([value], np.zeros(n, dtype=np.int64))

    def per_row(self, per_unique: list[Any]) -> list[Any]:
        return [per_unique[i] for i in self.index.tolist()]

    def mask(self, per_unique: list[bool]) -> np.ndarray:
        return np.array(per_unique, dtype=bool)[self.index] if per_unique else np.zeros(len(self.index), bool)


def _column_of(values: list[Any]) -> _Column:
    """A column as distinct cells: a cell that is a list (a repeated column, a JSON list) stays one cell."""
    seen: dict[Any, int] = {}
    uniques: list[Any] = []
    index = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        key = (type(v), tuple(v)) if isinstance(v, list) else (type(v), v)
        j = seen.get(key)
        if j is None:
            j = seen[key] = len(uniques)
            uniques.append(v)
        index[i] = j
    return _Column(uniques, index)


@dataclass
class _FileColumns:
    """A file read into columns: row numbers, the reader's own rejections, whether each row is blank, and the
    columns the table reads (by header)."""

    rn: np.ndarray
    error: list[str | None]  # why the reader could not read the row (a malformed row), else None
    error_column: list[str]
    blank: np.ndarray  # bool: every cell of the row is null
    columns: dict[str, _Column]
    #: row index -> {header: cell} for the rows a conversion needs whole (separated reference properties)
    row: Callable[[int], dict[str, Any]]
    #: columns holds every column of the file (blank is then known only for a log without ids: see is_blank)
    all_cells: bool = False

    def is_blank(self, mask: np.ndarray, nulls: tuple[str, ...]) -> np.ndarray:
        """Whether each row of *mask* is blank (every cell null)."""
        if not self.all_cells:
            return self.blank & mask
        out = np.zeros(len(mask), dtype=bool)
        for i in np.flatnonzero(mask).tolist():
            out[i] = all(is_null(v, nulls) for v in self.row(i).values())
        return out


def _read_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], headers: list[str], nulls: tuple[str, ...], limit: int | None
) -> _FileColumns:
    """The row readers' rows, transposed into columns."""
    rns: list[int] = []
    errors: list[str | None] = []
    error_columns: list[str] = []
    blank: list[bool] = []
    cells: dict[str, list[Any]] = {h: [] for h in headers}
    for row_no, row in rows:
        if limit is not None and len(rns) >= limit:
            break
        rns.append(row_no)
        error = row.get("__error__")
        errors.append(error)
        error_columns.append(row.get("__column__", "") if error else "")
        blank.append(error is None and all(is_null(v, nulls) for v in row.values()))
        for h in headers:
            cells[h].append(None if error else row.get(h))
    columns = {h: _column_of(v) for h, v in cells.items()}
    return _FileColumns(
        np.array(rns, dtype=np.int64),
        errors,
        error_columns,
        np.array(blank, dtype=bool),
        columns,
        lambda i: {h: c.uniques[c.index[i]] for h, c in columns.items()},
    )


def _read_arrow(
    source: RowSource, needed: list[str], nulls: tuple[str, ...], at_row: bool, limit: int | None
) -> _FileColumns | None:
    """A plain CSV read by pyarrow's reader (in C, on every core), or None when the file needs the row reader: an
    encoding other than UTF-8, Excel's ``sep=`` line, a header that repeats or leaves out a column name, a row
    whose fields do not match the header, bytes that are not UTF-8. The row reader then reads it, with its own
    located errors; both give the same cells for a file this one takes."""
    if source.format not in ("csv", "tsv") or source.encoding not in ("utf-8", "utf-8-sig"):
        return None
    head = _head(source.path)
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    if first.startswith("sep=") or first.count('"') % 2:
        return None
    header = [c.strip() for c in next(csv.reader([first.rstrip("\r")], delimiter=source.delimiter), [])]
    named = [h for h in header if h]
    if len(header) < 2 or len(set(named)) != len(named):
        return None
    invalid: list[Any] = []
    names = [f"c{i}" for i in range(len(header))]
    try:
        with _open_binary(source.path) as fh:
            table = pa_csv.read_csv(
                fh,
                read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
                parse_options=pa_csv.ParseOptions(
                    delimiter=source.delimiter,
                    quote_char='"',
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=lambda row: invalid.append(row) or "skip",
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
    except (pa.ArrowInvalid, OSError, EOFError, zlib.error):
        return None
    if invalid:
        return None
    if limit is not None:
        table = table.slice(0, limit)
    n = table.num_rows
    # a column without a header (trailing separators) is not read, as the row reader leaves it out
    named_columns = {h: table.column(c) for h, c in zip(header, names, strict=True) if h}
    columns = {h: _column_of_arrow(named_columns[h]) for h in needed if h in named_columns}
    blank = np.zeros(n, dtype=bool)
    if at_row:  # a log without ids: every row's blankness decides (the other tables ask for the rows without an id)
        value_set = pa.array(list(nulls), pa.string())
        blank = np.ones(n, dtype=bool)
        for cells in named_columns.values():
            trimmed = pc.utf8_trim(cells, characters=_WHITESPACE)
            blank &= pc.is_in(trimmed, value_set=value_set).to_numpy(zero_copy_only=False)

    def row(i: int) -> dict[str, Any]:
        return {h: cells[i].as_py() for h, cells in named_columns.items()}

    return _FileColumns(
        np.arange(2, n + 2, dtype=np.int64), [None] * n, [""] * n, blank, columns, row, all_cells=True
    )


def _column_of_arrow(arr: pa.ChunkedArray) -> _Column:
    encoded = pc.dictionary_encode(arr.combine_chunks())
    index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return _Column(encoded.dictionary.to_pylist(), index, encoded.dictionary)


#: Every character str.strip() removes, so that Arrow trims a cell exactly as Python does.
_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
#: A timestamp cell a date part and a time part make, printable ASCII around one space: split as str.split() does.
_TWO_PARTS = r"^[\x21-\x7e]+ [\x21-\x7e]+$"


def _temporal_uniques(
    cells: pa.Array, parser: TemporalParser, nulls: tuple[str, ...], compute: Callable[[Any], Any]
) -> list[Any]:
    """compute (a plain date or datetime column's conversion, build.py's) of every distinct cell, the cells of
    the usual shape read a part at a time: their distinct date parts and time parts go through the parser's own
    part readers (a few thousand days and times where there are hundreds of thousands of timestamps), the same
    formats tried in the same order. Every other cell, and every cell no split format takes, goes to compute."""
    n = len(cells)
    result: pa.Array = pa.nulls(n, pa.string())
    simple = pc.fill_null(pc.match_substring_regex(cells, _TWO_PARTS), False)
    if pc.any(simple).as_py():
        parts = pc.split_pattern(pc.if_else(simple, cells, pa.scalar(None, pa.string())), " ", max_splits=1)
        days, times = pc.list_element(parts, 0), pc.list_element(parts, 1)
        candidates = []
        for i, split in enumerate(parser.splits):
            if split is None:
                break  # the parser reads this format and the later ones whole
            day = _part_of(days, lambda t, i=i, f=split[0]: parser._part(parser.dates, i, t, f, True))  # type: ignore[misc]
            time = _part_of(times, lambda t, i=i, f=split[1]: parser._part(parser.times, i, t, f, False))  # type: ignore[misc]
            if parser.kind == "date":
                candidates.append(pc.if_else(pc.is_valid(time), day, pa.scalar(None, pa.string())))
            else:
                candidates.append(pc.binary_join_element_wise(day, time, "T"))
        if candidates:
            result = pc.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
        null_cells = pc.is_in(cells, value_set=pa.array(list(nulls), pa.string()))
        result = pc.if_else(null_cells, pa.scalar(None, pa.string()), result)
    values: list[Any] = result.to_pylist()
    done = pc.or_(pc.is_valid(result), pc.fill_null(pc.is_in(cells, value_set=pa.array(list(nulls), pa.string())), False))
    for i in np.flatnonzero(~done.to_numpy(zero_copy_only=False)).tolist():
        values[i] = compute(cells[i].as_py())
    return values


def _part_of(parts: pa.Array, read: Callable[[str], str | None]) -> pa.Array:
    """read of every distinct part, per cell."""
    encoded = pc.dictionary_encode(parts)
    read_parts = pa.array([None if t is None else read(t) for t in encoded.dictionary.to_pylist()], pa.string())
    return read_parts.take(encoded.indices)


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
class ColumnarImporter:
    """Imports any number of (profile, path) sources into one graph, a column at a time (see the module)."""

    graph: SMSGraph = field(default_factory=SMSGraph)
    keep_going: bool = False
    report: ImportReport = field(default_factory=ImportReport)
    progress: Callable[[str, int], None] | None = None
    sample_rows: int | None = None
    _records: list[pa.Table] = field(default_factory=list)
    _defines: list[pa.Table] = field(default_factory=list)
    _links: list[pa.Table] = field(default_factory=list)
    _unnamed: list[pa.Table] = field(default_factory=list)
    _rows_before: int = 0  # global number of the next file's first row
    _tables: list[Table] = field(default_factory=list)  # tno -> table
    _files: list[str] = field(default_factory=list)  # fno -> file name
    _label_lists: dict[tuple[str, ...], int] = field(default_factory=dict)  # a reference's target labels -> lid

    def add_source(self, profile: Profile, path: Path) -> None:
        """Import every table of *profile* found at *path* (a folder or one file)."""
        matched_any = False
        for table in profile.tables:
            files = _files_for(table, path)
            if not files:
                self.report.skipped_tables.append(f"{profile.id}:{table.name}")
                continue
            matched_any = True
            for file in files:
                self._import_file(profile, table, file)
        if not matched_any:
            patterns = ", ".join(dict.fromkeys(p for t in profile.tables for p in t.files))
            raise InputError(f"no file matches profile {profile.id} (it reads {patterns})", file=str(path))

    def _import_file(self, profile: Profile, table: Table, path: Path) -> None:
        opened = open_table_file(profile, table, path, self.report)
        if opened is None:
            return
        source, headers, report, item = opened
        label = f"{path.name} ({table.name})"
        if self.progress:
            self.progress(label, 0)
        self.graph.declared_labels.update((table.record.label, *table.declares))
        plan = _TablePlan(self.graph.schema, table, path.name, headers)
        needed = sorted(set(headers.values()))
        cols = _read_arrow(source, needed, table.nulls, table.record.id == ROW_ID, self.sample_rows)
        if cols is None:
            cols = _read_rows(source.rows, needed, table.nulls, self.sample_rows)
        self._file(plan, path.name, cols, report)
        if self.progress:
            self.progress(label, report.rows_read)
        self.graph.add_input(InputFile(item.path, item.sha256, item.profile, report.rows_read))

    # -- one file: what each row makes -------------------------------------------------------------------------

    def _file(self, plan: _TablePlan, file: str, cols: _FileColumns, report: FileReport) -> None:
        table, sch = plan.table, self.graph.schema
        n = len(cols.rn)
        report.rows_read = n
        tno, fno = len(self._tables), len(self._files)
        self._tables.append(table)
        self._files.append(file)
        gseq = np.arange(self._rows_before, self._rows_before + n, dtype=np.int64)
        self._rows_before += n

        def column(header: str | None, constant: Any = None) -> _Column:
            if header is None:
                return _Column.constant(constant, n)
            return cols.columns.get(header) or _Column.constant(None, n)

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
            col: _Column, compute: Callable[[Any], Any], where_name: str, label: str, key: str, spec: Column | None
        ) -> list[Any]:
            """compute of every distinct cell; a row whose cell does not convert is rejected."""
            if col.arrow is not None and spec is not None and plain_temporal(sch, label, key, spec):
                kind = sch.properties[key].type
                values = _temporal_uniques(col.arrow, TemporalParser(spec.formats, kind), table.nulls, compute)
            else:
                values = [compute(u) for u in col.uniques]
            bad = [type(v) is _Bad for v in values]
            if any(bad):
                reject(
                    col.mask(bad) & readable,
                    lambda i: values[col.index[i]].reason,
                    where_name,
                    lambda i: col.uniques[col.index[i]],
                )
            return [None if type(v) is _Bad else v for v in values]

        rec = table.record
        blank_row = lambda i: "blank row"  # noqa: E731
        if rec.id == ROW_ID:
            reject(cols.blank & readable, blank_row, "", lambda i: None)
            local: list[Any] = [f"{plan.row_id_stem}{r}" for r in cols.rn.tolist()]
        else:
            ids = column(plan.id_column)
            id_values = [plan.id_memo.compute(u) for u in ids.uniques]
            bad_id = ids.mask([type(v) is _Bad for v in id_values]) & readable
            blank = cols.is_blank(bad_id, table.nulls)
            reject(blank, blank_row, "", lambda i: None)
            reject(
                bad_id & ~blank, lambda i: id_values[ids.index[i]].reason, plan.id_column, lambda i: ids.uniques[ids.index[i]]
            )
            local = ids.per_row([None if type(v) is _Bad else v for v in id_values])

        props: dict[str, pa.Array] = {}
        for key, where_name, header, constant, memo in plan.properties.items:
            col = column(header, constant)
            values = converted(col, memo.compute, where_name, rec.label, key, table.properties[key])
            prop = sch.properties[key]
            props[key] = pa.array(values, type=_arrow_type(prop.type, prop.multi_valued)).take(pa.array(col.index))

        # references: what each cell names, and the properties of what it names
        refs = []
        for ref_no, (ref, targets, ref_props) in enumerate(plan.references):
            col = column(targets.header)
            named = [targets.memo.compute(u) for u in col.uniques]
            counts = np.array([len(t[0]) for t in named], dtype=np.int64)
            has_targets = counts[col.index] > 0
            whole_props: dict[str, tuple[_Column, list[Any]]] = {}
            split: dict[int, list[dict[str, Any]]] = {}
            if ref.properties:
                split_rows = np.zeros(n, dtype=bool)
                if ref.separator is not None:
                    split_rows = col.mask([t[3] >= 2 for t in named]) & has_targets
                for key, where_name, header, constant, memo in ref_props.items:
                    pcol = column(header, constant)
                    values = [memo.compute(u) for u in pcol.uniques]
                    bad = pcol.mask([type(v) is _Bad for v in values]) & readable & has_targets & ~split_rows
                    if bad.any():
                        reject(
                            bad,
                            lambda i, p=pcol, v=values: v[p.index[i]].reason,  # type: ignore[misc]
                            where_name,
                            lambda i, p=pcol: p.uniques[p.index[i]],  # type: ignore[misc]
                        )
                    whole_props[key] = (pcol, [None if type(v) is _Bad else v for v in values])
                for i in np.flatnonzero(split_rows & readable & take & ~rejected).tolist():
                    try:
                        split[i] = _described(ref, named[col.index[i]], ref_props, cols.row(i))
                    except _RowRejected as exc:
                        reject(np.arange(n) == i, lambda _i, e=exc: e.reason, exc.column, lambda _i, e=exc: e.value)  # type: ignore[misc]
            refs.append((ref_no, ref, col, named, counts, whole_props, split))

        ok = readable & take & ~rejected
        report.skipped = int((~take).sum())
        report.rejected = int(rejected.sum())
        bad_rows = np.flatnonzero(rejected).tolist()
        if not self.keep_going:
            first = next((i for i in bad_rows if reason[i] != "blank row"), None)
            if first is not None:
                why = reason[first] or ""
                raise InputError(
                    why + _value_note(why, bad_value[first]),
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
        nid = np.array([None if v is None else f"{rec.label}:{v}" for v in local], dtype=object)
        common = {"gseq": pa.array(gseq[rows]), "fno": pa.array(np.full(len(rows), fno, np.int32))}
        common["rn"] = pa.array(cols.rn[rows])
        self._records.append(
            pa.table(
                {
                    **common,
                    "tno": pa.array(np.full(len(rows), tno, np.int32)),
                    "nid": pa.array(nid[rows], pa.string()),
                    "label": pa.array([rec.label] * len(rows), pa.string()),
                    **{k: v.take(sel) for k, v in props.items()},
                }
            )
        )
        ends: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # reference column -> parent, place, nid
        for ref_no, ref, col, named, counts, whole_props, split in refs:
            unnamed = col.mask([t[1] for t in named]) & ok
            if unnamed.any():
                marker = f"{ref.rel}:{ref.label}"
                self._unnamed.append(
                    pa.table({"nid": pa.array(nid[unnamed], pa.string()), "marker": [marker] * int(unnamed.sum())})
                )
                report.unnamed_references += int(unnamed.sum())
            flat = np.array([t for cell in named for t in cell[0]], dtype=object)
            parent, place, at = _explode(col.index, rows, counts)
            if len(place) and int(place.max()) >= _MAX_PARTS:
                raise InputError(f"a cell names more than {_MAX_PARTS - 1} ids", file=file, column=ref.column)
            target_local = flat[at] if len(at) else np.array([], dtype=object)
            target_nid = np.array([f"{ref.label}:{t}" for t in target_local.tolist()], dtype=object)
            ends[ref.column] = (parent, place, target_nid)
            if ref.defines:
                sub = 1 + (ref_no << _PART_BITS) + place
                described: dict[str, pa.Array] = {}
                for key, (pcol, values) in whole_props.items():
                    per_target = [values[pcol.index[p]] for p in parent.tolist()]
                    for k, (p, j) in enumerate(zip(parent.tolist(), place.tolist(), strict=True)):
                        if p in split:
                            per_target[k] = split[p][j].get(key)
                    prop = sch.properties[key]
                    described[key] = pa.array(per_target, type=_arrow_type(prop.type, prop.multi_valued))
                self._defines.append(
                    pa.table(
                        {
                            "gseq": pa.array(gseq[parent]),
                            "fno": pa.array(np.full(len(parent), fno, np.int32)),
                            "rn": pa.array(cols.rn[parent]),
                            "sub": pa.array(sub),
                            "nid": pa.array(target_nid, pa.string()),
                            "label": pa.array([ref.label] * len(parent), pa.string()),
                            **described,
                        }
                    )
                )
        for ref_no, ref, col, named, counts, whole_props, split in refs:
            t_parent, t_place, _ = ends[ref.column]
            target_local = np.array([t for cell in named for t in cell[0]], dtype=object)
            t_local = target_local[_explode(col.index, rows, counts)[2]] if len(t_parent) else target_local[:0]
            if ref.source is None:
                src, s_place = nid[t_parent], np.zeros(len(t_parent), dtype=np.int64)
                l_parent, l_place, l_local = t_parent, t_place, t_local
            else:
                s_parent, s_places, s_nid = ends[ref.source]
                # every source of the row with every target of the row, sources first
                by_row: dict[int, list[int]] = {}
                for k, p in enumerate(s_parent.tolist()):
                    by_row.setdefault(p, []).append(k)
                picks_s, picks_t = [], []
                for k, p in enumerate(t_parent.tolist()):
                    for s in by_row.get(p, ()):
                        picks_s.append(s)
                        picks_t.append(k)
                order = np.lexsort((np.array(picks_t, np.int64), np.array(picks_s, np.int64))) if picks_s else []
                ps, pt = np.array(picks_s, np.int64)[order], np.array(picks_t, np.int64)[order]
                src, s_place = s_nid[ps], s_places[ps]
                l_parent, l_place, l_local = t_parent[pt], t_place[pt], t_local[pt]
            report.edges += len(l_parent)
            labels = (ref.label, *ref.or_labels)
            lid = self._label_lists.setdefault(labels, len(self._label_lists))
            self._links.append(
                pa.table(
                    {
                        "gseq": pa.array(gseq[l_parent]),
                        "fno": pa.array(np.full(len(l_parent), fno, np.int32)),
                        "rn": pa.array(cols.rn[l_parent]),
                        "lsub": pa.array((ref_no << (2 * _PART_BITS)) + (s_place << _PART_BITS) + l_place),
                        "rel": pa.array([ref.rel] * len(l_parent), pa.string()),
                        "src": pa.array(src, pa.string()),
                        "tlocal": pa.array(l_local, pa.string()),
                        "lid": pa.array(np.full(len(l_parent), lid, np.int32)),
                        "out": pa.array(np.full(len(l_parent), ref.dir == "out", bool)),
                    }
                )
            )

    # -- every source read: nodes, merges, relationships, placeholders --------------------------------------------

    def finish(self) -> tuple[SMSGraph, ImportReport]:
        """Resolve every record, merge and reference across the sources into the graph tables (on ``self.con``),
        and build the graph from them."""
        con = self.tables()
        graph = to_graph(con, self.graph.schema)
        graph.declared_labels = set(self.graph.declared_labels)
        for item in self.graph.inputs:
            graph.add_input(item)
        return graph, self.report

    def tables(self) -> duckdb.DuckDBPyConnection:
        """Resolve every record, merge and reference across the sources; return a duckdb connection holding the
        graph tables (``itsms_graph.graph.tables``): what the DuckDB engine checks without building the graph."""
        graph, sch = self.graph, self.graph.schema
        con = duckdb.connect()
        load_graph(con, graph)  # what the graph held before the import: the clauses
        nodes = graph._nodes
        keys = sorted({k for t in (*self._records, *self._defines) for k in t.column_names if k in sch.properties})
        # how a label's records merge each property: one rule per (label, property), the same in every table
        modes: dict[tuple[str, str], set[str]] = {}
        for table in self._tables:
            for key, col in table.properties.items():
                modes.setdefault((table.record.label, key), set()).add(col.aggregate)
        mixed = sorted(k for k, m in modes.items() if len(m) > 1)
        if mixed:
            label, key = mixed[0]
            raise InputError(f"the tables that import {label} merge {key} by different rules ({sorted(modes[label, key])})")
        latest = {tno: t.record.latest_by for tno, t in enumerate(self._tables) if t.record.latest_by}
        okey = (
            "CASE tno " + " ".join(f"WHEN {tno} THEN {_q(key)}" for tno, key in latest.items()) + " END"
            if latest
            else "NULL"
        )
        head = {"gseq": pa.int64(), "fno": pa.int32(), "rn": pa.int64(), "nid": pa.string(), "label": pa.string()}
        records = _concat(self._records, {**head, "tno": pa.int32()})
        defines = _concat(self._defines, {**head, "sub": pa.int64()})
        con.register("records_in", records)
        con.register("defines_in", defines)
        con.register("files_in", pa.table({"fno": pa.array(range(len(self._files)), pa.int32()),
                                           "file": pa.array(self._files, pa.string())}))
        touched = [n for n in dict.fromkeys(con.execute(
            "SELECT nid FROM records_in UNION ALL SELECT nid FROM defines_in").fetchnumpy()["nid"].tolist())
            if n in nodes] if nodes else []
        con.register("pre_in", pa.table({
            "nid": pa.array(touched, pa.string()),
            "label": pa.array([nodes[n]["label"] for n in touched], pa.string()),
            **{k: pa.array([nodes[n].get(k) for n in touched], _arrow_type(sch.properties[k].type,
                                                                          sch.properties[k].multi_valued))
               for k in keys}}))
        cols = ", ".join(_q(k) for k in keys)
        rec_cols = ", ".join(_q(k) if k in records.column_names else f"NULL AS {_q(k)}" for k in keys)
        def_cols = ", ".join(_q(k) if k in defines.column_names else f"NULL AS {_q(k)}" for k in keys)
        sep = ", " if keys else ""
        # every event that writes a node, in order: records (sub 0), defined targets, and the nodes the graph had
        con.execute(f"""
            CREATE TEMP TABLE ev AS
            SELECT nid, label, (gseq << {_SUB_BITS}) AS ord, fno, rn, true AS is_rec, {okey} AS okey{sep}{rec_cols}
              FROM records_in
            UNION ALL
            SELECT nid, label, (gseq << {_SUB_BITS}) + sub, fno, rn, false, NULL{sep}{def_cols} FROM defines_in
            UNION ALL
            SELECT nid, label, -1, NULL, NULL, false, NULL{sep}{cols} FROM pre_in
        """)
        con.execute("CREATE TEMP TABLE many AS SELECT nid FROM ev GROUP BY nid HAVING count(*) > 1")
        # a node one event writes is that event; the others fold their events by the merge rules, label by label
        # over the properties the label's events write
        con.execute(f"""
            CREATE TEMP TABLE merged AS
            SELECT nid, label, ord AS first_ord, fno, rn, is_rec AS by_record{sep}{cols} FROM ev ANTI JOIN many USING (nid)
        """)
        con.execute("""
            CREATE TEMP TABLE multi AS SELECT *, (okey IS NULL OR prev IS NULL OR okey >= prev) AS newer FROM (
                SELECT *, max(okey) OVER (PARTITION BY nid ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                    AS prev FROM ev SEMI JOIN many USING (nid))
        """)
        written = ", ".join(f"count({_q(k)})" for k in keys)
        for label, *counts in con.execute(f"SELECT label{sep}{written} FROM multi GROUP BY label ORDER BY label").fetchall():
            finals = [
                f"{_merge_rule(k, next(iter(modes.get((label, k), {'last'}))))} AS {_q(k)}"
                for k, n in zip(keys, counts, strict=True)
                if n
            ]
            con.execute(
                f"""
                INSERT INTO merged BY NAME
                SELECT nid, any_value(label) AS label, min(ord) AS first_ord,
                    arg_min(fno, ord) FILTER (WHERE ord >= 0) AS fno, arg_min(rn, ord) FILTER (WHERE ord >= 0) AS rn,
                    arg_min(is_rec, ord) AS by_record{''.join(", " + f for f in finals)}
                FROM multi WHERE label = ? GROUP BY nid
                """,
                [label],
            )
        # accepted: a record that made its node; merged: every other record
        made = dict(con.execute(
            "SELECT fno, count(*) FROM merged WHERE by_record AND first_ord >= 0 GROUP BY fno").fetchall())
        read = dict(con.execute("SELECT fno, count(*) FROM records_in GROUP BY fno").fetchall())
        for fno, report in enumerate(self.report.files):
            report.accepted = made.get(fno, 0)
            report.merged = read.get(fno, 0) - report.accepted

        con.register("unnamed_in", _concat(self._unnamed, {"nid": pa.string(), "marker": pa.string()}))
        con.execute("CREATE TEMP TABLE unnamed AS SELECT nid, list_sort(list_distinct(list(marker))) AS markers "
                    "FROM unnamed_in GROUP BY nid")
        marker = _q("unnamed_references")
        con.execute(f"""
            INSERT INTO nodes BY NAME
            SELECT {", ".join(["m.nid AS id", "m.label", "f.file AS source_file", "m.rn AS source_row",
                               *(f"m.{_q(k)}" for k in keys), f"u.markers AS {marker}"])}
            FROM merged m LEFT JOIN files_in f USING (fno) LEFT JOIN unnamed u USING (nid)
            WHERE m.first_ord >= 0 ORDER BY m.first_ord
        """)
        if touched:
            sets = ", ".join([*(f"{_q(k)} = m.{_q(k)}" for k in keys), f"{marker} = coalesce(u.markers, nodes.{marker})"])
            con.execute(f"""
                UPDATE nodes SET {sets} FROM merged m LEFT JOIN unnamed u USING (nid)
                WHERE nodes.id = m.nid AND m.first_ord < 0
            """)
        self._resolve_links(con)
        return con

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
                    "lab": pa.array([lab for labels, _ in lists for lab in labels], pa.string()),
                }
            ),
        )
        con.register("links_in", _concat(self._links, {
            "gseq": pa.int64(), "fno": pa.int32(), "rn": pa.int64(), "lsub": pa.int64(), "rel": pa.string(),
            "src": pa.string(), "tlocal": pa.string(), "lid": pa.int32(), "out": pa.bool_()}))
        # when each node came to be: a relationship to a node that existed when its row was read is made then
        con.execute(f"""
            CREATE TEMP TABLE known AS
            SELECT id AS nid, coalesce(m.first_ord >> {_SUB_BITS}, -1) AS born FROM nodes LEFT JOIN merged m ON m.nid = id
        """)
        con.execute("""
            CREATE TEMP TABLE resolved AS
            SELECT l.*, lbl.lab || ':' || l.tlocal AS target, k.born <= l.gseq AS immediate
            FROM links_in l JOIN lbl ON lbl.lid = l.lid AND lbl.pos = 0 JOIN known k ON k.nid = lbl.lab || ':' || l.tlocal
        """)
        # references whose first label has no record: another label's record, else a placeholder, in order
        rest = con.execute("""
            SELECT l.gseq, l.lsub, l.fno, l.rn, l.rel, l.src, l.tlocal, l.lid, l.out,
                (SELECT min(b.pos) FROM lbl b JOIN known k ON k.nid = b.lab || ':' || l.tlocal WHERE b.lid = l.lid)
            FROM links_in l JOIN lbl ON lbl.lid = l.lid AND lbl.pos = 0
            WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.nid = lbl.lab || ':' || l.tlocal)
            ORDER BY l.gseq, l.lsub
        """).fetchall()
        label_lists = [labels for labels, _ in lists]
        placeholders: dict[str, tuple[str, int, int]] = {}  # id -> label, fno, row
        late: list[tuple[Any, ...]] = []
        seen: set[tuple[str, str, str]] = set()
        for gseq, lsub, fno, rn, rel, src, tlocal, lid, out, real_pos in rest:
            labels = label_lists[lid]
            target = next(
                (
                    f"{lab}:{tlocal}"
                    for pos, lab in enumerate(labels)
                    if pos == real_pos or f"{lab}:{tlocal}" in placeholders
                ),
                "",
            )
            if not target:
                if not tlocal:
                    raise SchemaViolation(f"a {labels[0]} node needs a non-empty id")
                target = f"{labels[0]}:{tlocal}"
                placeholders[target] = (labels[0], fno, rn)
            a, b = (src, target) if out else (target, src)
            if target in placeholders and (rel, a, b) not in seen:
                seen.add((rel, a, b))
                unresolved[(rel, labels[0])] += 1
            late.append((gseq, lsub, fno, rn, rel, a, b))
        con.register("placeholders_in", pa.table({
            "id": pa.array(list(placeholders), pa.string()),
            "label": pa.array([p[0] for p in placeholders.values()], pa.string()),
            "fno": pa.array([p[1] for p in placeholders.values()], pa.int32()),
            "source_row": pa.array([p[2] for p in placeholders.values()], pa.int64())}))
        con.execute("""
            INSERT INTO nodes BY NAME SELECT id, label, f.file AS source_file, source_row, true AS unresolved
            FROM placeholders_in LEFT JOIN files_in f USING (fno)
        """)
        columns = list(zip(*late, strict=True)) if late else [[]] * 7
        con.register("late_in", pa.table({
            name: pa.array(list(values), kind)
            for name, kind, values in zip(
                ("gseq", "lsub", "fno", "rn", "rel", "a", "b"),
                (pa.int64(), pa.int64(), pa.int32(), pa.int64(), pa.string(), pa.string(), pa.string()),
                columns,
                strict=True,
            )
        }))
        con.execute("""
            INSERT INTO edges BY NAME
            SELECT rel AS type, a AS src, b AS dst, f.file AS source_file, rn AS source_row FROM (
              SELECT *, row_number() OVER (PARTITION BY rel, a, b ORDER BY immediate DESC, gseq, lsub) AS k FROM (
                SELECT rel, CASE WHEN out THEN src ELSE target END AS a, CASE WHEN out THEN target ELSE src END AS b,
                       fno, rn, gseq, lsub, immediate FROM resolved
                UNION ALL SELECT rel, a, b, fno, rn, gseq, lsub, false FROM late_in)) e
            LEFT JOIN files_in f USING (fno)
            WHERE k = 1 AND NOT EXISTS (SELECT 1 FROM edges x WHERE x.type = e.rel AND x.src = e.a AND x.dst = e.b)
            ORDER BY immediate DESC, gseq, lsub
        """)


def _q(name: str) -> str:
    """A property key as a SQL identifier (keys are the ontology's snake_case names)."""
    return '"' + name.replace('"', '""') + '"'


def _merge_rule(key: str, mode: str) -> str:
    """The value a node ends with for *key*, over its events (ord: their order; is_rec: a record, not a row that
    only names the node; newer: a record at least as late as every earlier one by the table's latest_by). As the
    row importer folds them: the first value set stays unless a newer record (last), a smaller or larger one (min,
    max) replaces it; a row that only names the node fills a property the node lacks, never more."""
    qk = _q(key)
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


def _concat(tables: list[pa.Table], base: dict[str, pa.DataType]) -> pa.Table:
    """The tables as one, columns a table lacks null; an empty table with the *base* columns when none."""
    if not tables:
        return pa.table({k: pa.array([], t) for k, t in base.items()})
    return pa.concat_tables(tables, promote_options="default")


def import_sources_columnar(
    sources: Iterable[tuple[Profile, Path]],
    *,
    keep_going: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> tuple[SMSGraph, ImportReport]:
    """Import every (profile, path) into one graph, a column at a time; return it with the import report."""
    importer = ColumnarImporter(keep_going=keep_going, progress=progress)
    with bulk_build():
        for profile, path in sources:
            importer.add_source(profile, path)
        return importer.finish()

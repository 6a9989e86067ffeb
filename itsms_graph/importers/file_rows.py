"""The import's first stage: what each row of one file makes, decided for a slice of the file's rows at once.

A file's columns (``columns.py``) are converted a distinct cell at a time (``cells.py``); then, with numpy and
pyarrow over a slice of rows (a quarter of a million; the whole of a shorter file), each row's rejection (the first
reason in the row importer's order: reader, id, properties, references), its record, the targets it names and
defines, and its relationships. What a slice makes is staged in the import's duckdb as soon as the slice is done
(``Importer._stage``); how the rows of every file come together is the next stage's (``resolve.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from itsms_graph.errors import InputError
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import arrow_type
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
from itsms_graph.importers.columns import CellColumn, FileColumns, sliced, temporal_cells
from itsms_graph.importers.profile import Column, Table
from itsms_graph.importers.report import KEEP_REJECTIONS, FileReport, Rejection, value_note
from itsms_graph.importers.values import TemporalParser
from itsms_graph.ontology import Schema

#: A row's events are ordered by (row, sub): the record is sub 0, then each defined target, reference by
#: reference; a relationship's place in its row likewise (reference, source, target).
_SUB_BITS = 20
_PART_BITS = 8
_MAX_PARTS = 1 << _PART_BITS
#: A file's rows decided at a time (see ``FileDecisions._file``): BPIC 2014 x4's import with a 1 GB duckdb reached
#: 2250 MiB (RSS sampled every 50 ms, so at least that) with every row of its 1.87M-row activity file at once; its
#: peak (ru_maxrss) was 1823 MiB with a million a slice and 1419 MiB with a quarter of a million, for 5 % more CPU
_SLICE_ROWS = 250_000


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


def _first_of_each(a: pa.Array, b: pa.Array) -> np.ndarray:
    """The position of each distinct (a, b) pair's first occurrence, in order."""
    positions = pa.array(np.arange(len(a), dtype=np.int64))
    grouped = (
        pa.table({"a": a, "b": b, "i": positions}).group_by(["a", "b"], use_threads=False).aggregate([("i", "min")])
    )
    return np.sort(grouped.column("i_min").to_numpy())


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


class FileDecisions:
    """The Importer's per-file stage (a part of ``Importer``, which holds the state named here)."""

    graph: SMSGraph
    keep_going: bool
    _rows_before: int
    _tables: list[Table]
    _files: list[str]
    _label_lists: dict[tuple[tuple[str, bool], ...], int]
    _several: set[tuple[int, int]]
    _row_ids: dict[int, str]

    def _stage(self, name: str, rows: pa.Table) -> None:
        raise NotImplementedError

    def _file(self, plan: TablePlan, file: str, cols: FileColumns, report: FileReport) -> None:
        """What every row of the file makes, staged: decided for up to ``_SLICE_ROWS`` rows at a time, so that
        what is held beyond the file's columns is a slice's, however long the file (a file's every row at once
        held several GB of BPIC 2014 x15's 7M activity rows)."""
        table = plan.table
        if len(plan.references) >= 1 << _PART_BITS:  # a relationship's place in its row is counted in 24 bits
            raise InputError(f"profile table {table.name} has {len(plan.references)} references; at most 255")
        tno, fno = len(self._tables), len(self._files)
        self._tables.append(table)
        self._files.append(file)
        for part in sliced(cols, _SLICE_ROWS):
            self._rows(plan, file, part, report, tno, fno)

    def _rows(self, plan: TablePlan, file: str, cols: FileColumns, report: FileReport, tno: int, fno: int) -> None:
        table, sch = plan.table, self.graph.schema
        n = len(cols.rn)
        report.rows_read += n
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
            result, bad = _cell_values(sch, label, key, spec, col, compute, table.nulls, table.zone)
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
        row_ids = rec.id == ROW_ID
        if row_ids:  # a row's id is its file's and its row's: the resolve writes it (see ``own_ids``, below)
            reject(cols.blank & readable, blank_row, "", lambda i: None)
            self._row_ids[fno] = f"{rec.label}:{plan.row_id_stem}"
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

        # each property's value per distinct cell, with the cells' column: taken row by row for the rows staged
        props: dict[str, tuple[pa.Array, CellColumn]] = {}
        for key, where_name, header, constant, compute in plan.properties.items:
            col = column(header, constant)
            props[key] = (converted(col, compute, where_name, rec.label, key, table.properties[key]), col)

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
        report.skipped += int((~take).sum())
        report.rejected += int(rejected.sum())
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
        report.rejections += [
            Rejection(file, int(cols.rn[i]), bad_column[i], bad_value[i], reason[i] or "")
            for i in bad_rows[: max(0, KEEP_REJECTIONS - len(report.rejections))]
        ]

        rows = np.flatnonzero(ok)
        count = len(rows)

        nid = None if row_ids else _prefixed(rec.label, local)

        def own_ids(at: np.ndarray) -> pa.Array:
            """The ids of the rows' own nodes at *at*: null in a table without ids, whose row's id the resolve
            makes from its file and row (``Label:file#row``, ``Resolution``): BPIC 2014's 466,660 activities'
            ids are 58 characters, and staged as text, once a record and once per relationship, they were a
            sixth of what the import staged, and made the resolve spill"""
            return pa.nulls(len(at), pa.string()) if nid is None else nid.take(pa.array(at))

        self._stage(
            "records_in",
            pa.table(
                {
                    "gseq": pa.array(gseq[rows]),
                    "fno": pa.array(np.full(count, fno, np.int32)),
                    "rn": pa.array(cols.rn[rows]),
                    "tno": pa.array(np.full(count, tno, np.int32)),
                    "nid": own_ids(rows),
                    "label": _repeat(rec.label, count),
                    **{k: values.take(pa.array(col.index[rows])) for k, (values, col) in props.items()},
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
                at = np.flatnonzero(unnamed)
                self._stage(
                    "unnamed_in",
                    pa.table(
                        {
                            "fno": pa.array(np.full(marked, fno, np.int32)),
                            "rn": pa.array(cols.rn[at]),
                            "nid": own_ids(at),
                            "marker": marker,
                        }
                    ),
                )
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
                src, s_place = own_ids(t_parent), np.zeros(len(t_parent), dtype=np.int64)
                l_parent, l_place, l_local = t_parent, t_place, t_local
            else:  # every source of the row with every target of the row, source by source
                s_parent, s_places, _, s_nid = ends[ref.source]
                ps, pt = _pairs(s_parent, t_parent, n)
                src, s_place = s_nid.take(pa.array(ps)), s_places[ps]
                l_parent, l_place, l_local = t_parent[pt], t_place[pt], t_local.take(pa.array(pt))
            report.edges += len(l_parent)
            if ref.source is not None and ref.defines and len(l_parent):
                # two targets of a row linked on every row naming both (BPIC 2014's configuration item PART_OF its
                # service component: 270,491 makings, 15,356 relationships): the slice's first making of each is
                # the one the resolve would keep (the target defined in the row, every making is made as its row
                # is read, and the first in row order wins), so the others are not staged
                kept = _first_of_each(src, l_local)
                if len(kept) < len(l_parent):
                    src, s_place = src.take(pa.array(kept)), s_place[kept]
                    l_parent, l_place, l_local = l_parent[kept], l_place[kept], l_local.take(pa.array(kept))
            links = len(l_parent)
            if links and int(l_place.max()) > 0:  # a cell named several targets
                self._several.add((fno, ref_no))
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


def _cell_values(
    sch: Schema,
    label: str,
    key: str,
    spec: Column | None,
    col: CellColumn,
    compute: Callable[[Any], Any],
    nulls: tuple[str, ...],
    zone: str,
) -> tuple[pa.Array, dict[int, Bad]]:
    """compute of every distinct cell of *col* as the property's Arrow column (null where a cell does not
    convert), and by position the cells that do not: Arrow's text cells of a date or timestamp read a part at a
    time and a plain string's in Arrow, every other cell by compute."""
    prop = sch.properties[key]
    if col.arrow is not None and spec is not None and plain_temporal(sch, label, key, spec):
        result, said = temporal_cells(col.arrow, TemporalParser(spec.formats, prop.type, zone), nulls, compute)
        return result, {i: v for i, v in said.items() if type(v) is Bad}
    if col.arrow is not None and spec is not None and plain_string(sch, label, key, spec):
        return string_cells(col.arrow, nulls), {}
    values = [compute(u) for u in col.uniques]
    bad = {i: v for i, v in enumerate(values) if type(v) is Bad}
    return pa.array([None if type(v) is Bad else v for v in values], arrow_type(prop)), bad

"""Reading an export file into columns of distinct cells: the shape the importer converts and decides on.

A plain UTF-8 CSV is read by pyarrow's CSV reader (in C, on every core); any other file (XLSX, JSON, YAML, another
encoding, a malformed row, a quote pyarrow would read leniently) by the row readers of ``readers.py``, transposed. Both give the same cells and the same
row numbers for a file both can read. Each column is held as its distinct cells and, per row, the index of its
cell, so that a conversion runs once per distinct cell, however many rows repeat it.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from itsms_graph.importers.cells import stripped
from itsms_graph.importers.readers import RowSource, _head, _text_stream, header_names
from itsms_graph.importers.strict_scan import StrictScan
from itsms_graph.importers.values import TemporalParser, _fast_format, is_null
from itsms_graph.limits import open_gzip

#: How much of a CSV pyarrow reads at a time (its reader parses a block on every core; a progress bar moves by it)
_BLOCK = 1 << 22
#: How often the row readers say how far they are
_PROGRESS_ROWS = 1 << 16


class CellColumn:
    """One column of a file: its distinct cells and, per row, which one it holds. A column Arrow read keeps its
    distinct cells as an Arrow array, made Python strings only if a conversion asks for them."""

    def __init__(self, uniques: list[Any] | None, index: np.ndarray, arrow: pa.Array | None = None) -> None:
        self._uniques = uniques
        self.index = index  # one per row
        self.arrow = arrow

    @property
    def uniques(self) -> list[Any]:
        if self._uniques is None:
            assert self.arrow is not None
            self._uniques = self.arrow.to_pylist()
        return self._uniques

    @classmethod
    def constant(cls, value: Any, n: int) -> CellColumn:
        return cls([value], np.zeros(n, dtype=np.int64))

    def mask(self, per_unique: list[bool]) -> np.ndarray:
        return np.array(per_unique, dtype=bool)[self.index] if per_unique else np.zeros(len(self.index), bool)


def _column_of(values: list[Any]) -> CellColumn:
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
    return CellColumn(uniques, index)


@dataclass
class FileColumns:
    """A file read into columns: row numbers, the reader's own rejections, whether each row is blank, and the
    columns the table reads (by header)."""

    rn: np.ndarray
    error: list[str | None]  # why the reader could not read the row (a malformed row), else None
    error_column: list[str]
    blank: np.ndarray  # bool: every cell of the row is null
    columns: dict[str, CellColumn]
    #: row index -> {header: cell} for the rows a conversion needs whole (separated reference properties)
    row: Callable[[int], dict[str, Any]]


def sliced(cols: FileColumns, size: int) -> Iterator[FileColumns]:
    """*cols* a *size* of rows at a time (itself when it has no more): each slice's columns hold the distinct cells
    its rows hold, so that a conversion of a slice converts those."""
    n = len(cols.rn)
    if n <= size:
        yield cols
        return
    for start in range(0, n, size):
        stop = min(n, start + size)

        def row(i: int, start: int = start) -> dict[str, Any]:
            return cols.row(start + i)

        yield FileColumns(
            cols.rn[start:stop],
            cols.error[start:stop],
            cols.error_column[start:stop],
            cols.blank[start:stop],
            {h: _cells_of_rows(c, start, stop) for h, c in cols.columns.items()},
            row,
        )


def _cells_of_rows(col: CellColumn, start: int, stop: int) -> CellColumn:
    used, index = _used_cells(col.index[start:stop], len(col.uniques if col.arrow is None else col.arrow))
    if col.arrow is not None and col._uniques is None:
        return CellColumn(None, index.astype(np.int64), col.arrow.take(pa.array(used)))
    uniques = col.uniques
    arrow = None if col.arrow is None else col.arrow.take(pa.array(used))
    return CellColumn([uniques[u] for u in used.tolist()], index.astype(np.int64), arrow)


def _used_cells(index: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct cells among *index* (each below *cells*), in order, and each row's place among them: what
    ``np.unique(index, return_inverse=True)`` gives, marked and counted in one pass instead of sorted (BPIC 2014's
    slices sorted their activity log's cells in 0.14 of the rows' 1.1 s of CPU)."""
    present = np.zeros(cells, dtype=bool)
    present[index] = True
    used = np.flatnonzero(present)
    place = np.empty(cells, dtype=np.int64)
    place[used] = np.arange(len(used), dtype=np.int64)
    return used, place[index]


def read_rows(
    rows: Iterable[tuple[int, dict[str, Any]]],
    headers: list[str],
    nulls: tuple[str, ...],
    limit: int | None,
    progress: Callable[[int], None] | None = None,
) -> FileColumns:
    """The row readers' rows, transposed into columns."""
    rns: list[int] = []
    errors: list[str | None] = []
    error_columns: list[str] = []
    blank: list[bool] = []
    cells: dict[str, list[Any]] = {h: [] for h in headers}
    for row_no, row in rows:
        if limit is not None and len(rns) >= limit:
            break
        if progress is not None and len(rns) % _PROGRESS_ROWS == 0:
            progress(len(rns))
        rns.append(row_no)
        error = row.get("__error__")
        errors.append(error)
        error_columns.append(row.get("__column__", "") if error else "")
        blank.append(error is None and all(is_null(v, nulls) for v in row.values()))
        for h in headers:
            cells[h].append(None if error else row.get(h))
    columns = {h: _column_of(v) for h, v in cells.items()}
    return FileColumns(
        np.array(rns, dtype=np.int64),
        errors,
        error_columns,
        np.array(blank, dtype=bool),
        columns,
        lambda i: {h: c.uniques[c.index[i]] for h, c in columns.items()},
    )


def _read_arrow(
    source: RowSource,
    names: list[str],
    skip: Callable[[Any], str],
    limit: int | None,
    progress: Callable[[int], None] | None,
) -> tuple[pa.Table, StrictScan, int, bool]:
    """The file's rows as one table of strings (its header skipped, columns named *names*), read a block at a time
    by pyarrow's reader; with the quote counter that read it, the rows read and whether a *limit* stopped it."""
    gz = source.path.name.lower().endswith(".gz")
    with open_gzip(source.path) if gz else pa.input_stream(str(source.path)) as raw:  # gzip within the limits
        fh = StrictScan(raw, source.delimiter)
        reader = pa_csv.open_csv(
            fh,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=_BLOCK),
            parse_options=pa_csv.ParseOptions(
                delimiter=source.delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=skip,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        batches, read, early = [], 0, False
        for batch in reader:  # a block at a time: the progress moves, and a sample stops early
            batches.append(batch)
            read += batch.num_rows
            if progress is not None:
                progress(read if limit is None else min(read, limit))
            if limit is not None and read >= limit:
                early = True
                break
        table = pa.Table.from_batches(batches, schema=reader.schema)
        del batches
    return table, fh, read, early


@contextlib.contextmanager
def _quiet_invalid_row_text() -> Iterator[list[Any]]:
    """pyarrow decodes a row whose fields do not match the header as UTF-8 before handing it to the invalid-row
    handler; when the row holds bytes that are not UTF-8, that decoding fails where Python cannot raise, and Python
    prints the error with a traceback on stderr ("Exception ignored in ..."; found by the fuzz suite). The read then
    fails and the row reader reads the file, locating the bytes; so such an error is collected here, not printed."""
    seen: list[Any] = []
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, UnicodeDecodeError):
            seen.append(unraisable.exc_value)
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield seen
    finally:
        sys.unraisablehook = previous


def read_csv_columns(
    source: RowSource,
    needed: list[str],
    nulls: tuple[str, ...],
    limit: int | None,
    id_header: str | None,
    progress: Callable[[int], None] | None = None,
) -> FileColumns | None:
    """A plain CSV read by pyarrow's reader (in C, on every core), or None when the file needs the row reader: an
    encoding other than UTF-8, Excel's ``sep=`` line, a header that repeats or leaves out a column name, a row
    whose fields do not match the header, bytes that are not UTF-8. The row reader then reads it, with its own
    located errors; both give the same cells for a file this one takes.

    Whether a row is blank is what decides a row without an id: it is asked of every row of a log without ids
    (*id_header* None), else of the rows whose id cell is null."""
    if source.format not in ("csv", "tsv") or source.encoding not in ("utf-8", "utf-8-sig"):
        return None
    head = _head(source.path)
    # the header line, whichever line break ends it (classic Mac files end lines with a lone CR)
    first = re.split(r"\r\n|\r|\n", head.decode("utf-8", errors="replace").lstrip("\ufeff"), maxsplit=1)[0]
    if first.startswith("sep=") or first.count('"') % 2:
        return None
    header = header_names(next(csv.reader([first.rstrip("\r")], delimiter=source.delimiter), []), source.path)
    named = [h for h in header if h]
    if len(header) < 2 or len(set(named)) != len(named):
        return None
    invalid: list[Any] = []

    def skip(row: Any) -> str:  # a row whose fields do not match the header: the row reader reports it
        invalid.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    try:
        with _quiet_invalid_row_text() as undecodable:
            table, fh, read, early = _read_arrow(source, names, skip, limit, progress)
    except (pa.ArrowInvalid, OSError, EOFError, zlib.error):
        return None
    if invalid or undecodable:
        return None
    # pyarrow's reader takes a quote still open at the end of the file, and text after a closing quote, without a
    # word (the rest of the file would be one cell): a file with any quote is read by it only when the strict reader
    # finds its records the same: as the scan of the bytes pyarrow read counts them, or where the scan is unsure,
    # read again by the strict reader (in C, a second pass); else the row reader reads it and locates the fault
    if fh.quotes and (early or fh.strict_records() != read + 1) and not _strictly_the_same(source, read, early):
        return None
    if limit is not None:
        table = table.slice(0, limit)
    n = table.num_rows
    # a column without a header (trailing separators) is not read, as the row reader leaves it out; a row is
    # blank when every cell the file names is null; then only the columns the table reads are kept
    value_set = pa.array(list(nulls), pa.string())

    def null(cells: Any) -> np.ndarray:
        return np.asarray(pc.is_in(stripped(cells), value_set=value_set))

    # (each column asked only of the rows every column before found null: in a log, the first column settles it)
    rows = np.arange(n) if id_header is None else np.flatnonzero(null(table.column(names[header.index(id_header)])))
    for h, c in zip(header, names, strict=True):
        if h and len(rows):
            cells = table.column(c)
            rows = rows[null(cells.take(pa.array(rows)) if len(rows) < n else cells)]
    blank = np.zeros(n, dtype=bool)
    blank[rows] = True
    # the file is held once: each column the table reads leaves the file's table as it becomes its distinct
    # cells and the index of each row's (the columns it does not read leave first)
    wanted = {c: h for h, c in zip(header, names, strict=True) if h in set(needed)}
    table = table.select(list(wanted))
    columns: dict[str, CellColumn] = {}
    for c, h in wanted.items():
        columns[h] = _column_of_arrow(table.column(c))
        table = table.drop_columns([c])
    del table

    def row(i: int) -> dict[str, Any]:
        return {h: c.uniques[c.index[i]] for h, c in columns.items()}

    return FileColumns(np.arange(2, n + 2, dtype=np.int64), [None] * n, [""] * n, blank, columns, row)


def _strictly_the_same(source: RowSource, rows: int, early: bool) -> bool:
    """Whether csv.reader in strict mode (RFC 4180: every quote closed, nothing after a closing quote but a
    separator or a line break) reads the header and *rows* records from the file, and no more unless the read
    stopped *early*."""
    stream = _text_stream(source.path, source.encoding)
    try:
        records = csv.reader(stream, delimiter=source.delimiter, strict=True)
        found = sum(1 for _ in itertools.islice(records, rows + 2))
    except (csv.Error, UnicodeDecodeError, OSError, EOFError, zlib.error):
        return False
    finally:
        stream.close()
    return found == rows + 1 or (early and found == rows + 2)


def _column_of_arrow(arr: pa.ChunkedArray) -> CellColumn:
    encoded = pc.dictionary_encode(arr.combine_chunks())
    index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return CellColumn(None, index, encoded.dictionary)


#: A timestamp cell a date part and a time part make, printable ASCII around one space: split as str.split() does.
_TWO_PARTS = r"^[\x21-\x7e]+ [\x21-\x7e]+$"


def temporal_cells(
    cells: pa.Array, parser: TemporalParser, nulls: tuple[str, ...], compute: Callable[[Any], Any]
) -> tuple[pa.Array, dict[int, Any]]:
    """compute (a plain date or datetime column's conversion, build.py's) of every distinct cell, the cells of
    the usual shape read a part at a time: their distinct date parts and time parts go through the parser's own
    part readers (a few thousand days and times where there are hundreds of thousands of timestamps), the same
    formats tried in the same order. Every other cell, and every cell no split format takes, goes to compute.
    Returns the ISO texts (null for a null cell and for one that does not convert) and, by position, what
    compute said of the cells it was asked about."""
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
            time = _part_of(
                times,
                lambda t, i=i, f=split[1]: parser._part(parser.times, i, t, f, False),  # type: ignore[misc]
                _clock(split[1]),
            )
            if parser.kind == "date":
                candidates.append(pc.if_else(pc.is_valid(time), day, pa.scalar(None, pa.string())))
            else:
                candidates.append(pc.binary_join_element_wise(day, time, "T"))
        if candidates:
            result = pc.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
        null_cells = pc.is_in(cells, value_set=pa.array(list(nulls), pa.string()))
        result = pc.if_else(null_cells, pa.scalar(None, pa.string()), result)
    done = pc.or_(
        pc.is_valid(result), pc.fill_null(pc.is_in(cells, value_set=pa.array(list(nulls), pa.string())), False)
    )
    others = {i: compute(cells[i].as_py()) for i in np.flatnonzero(~done.to_numpy(zero_copy_only=False)).tolist()}
    if others:
        at = pa.array(list(others), pa.int64())
        good = pa.array([v if isinstance(v, str) else None for v in others.values()], pa.string())
        mask = np.zeros(n, dtype=bool)
        mask[list(others)] = True
        result = pc.replace_with_mask(result, pa.array(mask), good.take(pc.sort_indices(at)))
    return result, others


def _part_of(
    parts: pa.Array, read: Callable[[str], str | None], fast: Callable[[pa.Array], pa.Array] | None = None
) -> pa.Array:
    """read of every distinct part, per cell; *fast* reads in Arrow the parts it can (null for the others)."""
    encoded = pc.dictionary_encode(parts)
    distinct = encoded.dictionary
    known = fast(distinct) if fast is not None else pa.nulls(len(distinct), pa.string())
    # the parts *fast* left (all of them without it) are read one at a time; the others stay in Arrow
    left = pc.and_(pc.is_null(known), pc.is_valid(distinct))
    at = np.flatnonzero(left.to_numpy(zero_copy_only=False))
    if len(at):
        values = pa.array([read(text) for text in distinct.take(pa.array(at)).to_pylist()], pa.string())
        known = pc.replace_with_mask(known, left, values)
    return known.take(encoded.indices)


def _clock(fmt: str) -> Callable[[pa.Array], pa.Array] | None:
    """A reader, in Arrow, of the time parts the format's fast pattern takes with ASCII digits and that are a
    time of day, as ``HH:MM:SS`` (what TemporalParser's time part reader gives them); null for any other part,
    which the parser then reads itself. None when the format is not a fast one of hours, minutes, seconds."""
    compiled = _fast_format(fmt)
    if compiled is None or not set(compiled[1]) <= {"H", "M", "S", "f"}:
        return None
    pattern, fields = "^(?:" + compiled[0].pattern + ")$", compiled[1]
    limits = {"H": 24, "M": 60, "S": 60}

    def read(distinct: pa.Array) -> pa.Array:
        found = pc.extract_regex(distinct, pattern)  # RE2: \d and \s are ASCII, a subset of what Python takes
        parts, ok = {}, pc.is_valid(found)
        for field in ("H", "M", "S"):
            if field in fields:
                value = pc.cast(pc.struct_field(found, field), pa.int64())
                ok = pc.and_(ok, pc.less(value, limits[field]))
                parts[field] = pc.utf8_lpad(pc.cast(value, pa.string()), 2, "0")
            else:
                parts[field] = pa.scalar("00", pa.string())
        text = pc.binary_join_element_wise(parts["H"], parts["M"], parts["S"], ":")
        return pc.if_else(pc.fill_null(ok, False), text, pa.scalar(None, pa.string()))

    return read

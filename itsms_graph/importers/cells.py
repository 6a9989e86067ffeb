"""What a cell of an export means under a profile: a table compiled once per file into the conversion of each
column it reads (property values, record ids, the ids a reference names), each a function of the cell alone, so
that the importer converts every distinct cell once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from itsms_graph.errors import SchemaViolation
from itsms_graph.graph.store import checked_value
from itsms_graph.importers.profile import Column, Reference, Table
from itsms_graph.importers.values import TemporalParser, convert, is_null
from itsms_graph.ontology import Schema

#: A record id that a table without an id column uses: the file's name and the row number.
ROW_ID = "@row"
#: Every character str.strip() and str.split() take for whitespace, so that Arrow trims a cell and splits it into
#: words exactly as Python does (tested against str.isspace over every code point).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
#: A run of that whitespace, for RE2
_RUN = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]+"


@dataclass(frozen=True)
class Bad:
    """A cell that does not convert: the reason."""

    reason: str


class Properties:
    """One mapping of columns to the properties of a label, compiled: each column converts by its own function, and
    is read under the header that names it in the file (*headers*: column -> header, from the table's aliases)."""

    def __init__(
        self, sch: Schema, label: str, columns: dict[str, Column], table: Table, headers: dict[str, str] | None = None
    ) -> None:
        named = headers or {}
        self.items = []
        for key, col in columns.items():
            header = named.get(col.column, col.column) if col.column else None
            self.items.append((key, header or key, header, col.value, converter(sch, label, key, col, table)))

    def convert(self, row: dict[str, Any], part: tuple[str, int, int] | None = None) -> dict[str, Any]:
        """The properties of *row*; with *part* = (separator, parts, place), of one target of a separated
        reference: a cell split into as many parts as the reference's cell gives that target its own part."""
        props: dict[str, Any] = {}
        for key, where, column, constant, compute in self.items:
            raw = row.get(column) if column else constant
            if part is not None and type(raw) is str:
                pieces = raw.split(part[0])
                if len(pieces) == part[1]:
                    raw = pieces[part[2]]
            value = compute(raw)
            if value is None:
                continue
            if type(value) is Bad:
                raise RowRejected(where, raw, value.reason)
            props[key] = list(value) if type(value) is list else value  # a node never shares a list
        return props


def converter(sch: Schema, label: str, key: str, col: Column, table: Table) -> Callable[[Any], Any]:
    """The conversion of one cell for one property: the ontology value, None for a null, or Bad(reason)."""
    prop = sch.properties[key]
    nulls = table.nulls

    def compute(raw: Any) -> Any:
        try:
            if prop.multi_valued:
                parts = [] if is_null(raw, nulls) else str(raw).split(col.split or ",")
                values = [convert(part, prop.type, col, nulls, table.zone) for part in parts]
                value: Any = [v for v in values if v is not None] or None
            else:
                value = convert(raw, prop.type, col, nulls, table.zone)
        except ValueError as exc:
            return Bad(str(exc))
        if value is None:
            return None
        enum = sch.enumerations.get((label, key))
        if enum is not None and value not in enum:
            return Bad(f"{value!r} is not one of {', '.join(enum)} (map it in the profile)")
        try:
            return checked_value(sch, label, key, value, f"{label}.{key}")
        except SchemaViolation as exc:
            return Bad(str(exc))

    if not plain_temporal(sch, label, key, col):
        return compute
    parse = TemporalParser(col.formats, prop.type, table.zone)

    def temporal(raw: Any) -> Any:
        """A date or timestamp cell: the same answer as compute, without its general steps (the ISO text
        that parse_temporal returns is what the store keeps). Most timestamps are distinct, so this is the
        conversion that runs most."""
        if type(raw) is not str:
            return compute(raw)
        text = raw.strip()
        if text in nulls:
            return None
        try:
            return parse(text)
        except ValueError as exc:
            return Bad(str(exc))

    return temporal


def plain_temporal(sch: Schema, label: str, key: str, col: Column) -> bool:
    """Whether a cell of *col* converts as a date or timestamp alone (TemporalParser): no list, map or enumeration."""
    prop = sch.properties[key]
    return (
        prop.type in ("date", "datetime")
        and not prop.multi_valued
        and not col.map
        and (label, key) not in sch.enumerations
    )


def plain_string(sch: Schema, label: str, key: str, col: Column) -> bool:
    """Whether a cell of *col* converts as text alone: a string property with no list, map or enumeration, which
    the store takes as any text."""
    prop = sch.properties[key]
    if prop.type != "string" or prop.multi_valued or col.map or (label, key) in sch.enumerations:
        return False
    try:
        checked_value(sch, label, key, "", key)
    except SchemaViolation:
        return False
    return True


# -- the same conversions of a column's distinct cells at once, in Arrow ---------------------------------------------
# For the cells a CSV read gives (text, never a list or a number); each is tested equal to its function of one cell.


def _one_of(cells: pa.Array, texts: tuple[str, ...] | list[str]) -> np.ndarray:
    """Per cell, whether it is one of *texts* (a null cell is not)."""
    if not texts:
        return np.zeros(len(cells), dtype=bool)
    found = pc.is_in(cells, value_set=pa.array(list(texts), pa.string()))
    return np.asarray(pc.fill_null(found, False), dtype=bool)


def stripped(cells: pa.Array) -> pa.Array:
    """str.strip() of every cell."""
    return pc.utf8_trim(cells, characters=WHITESPACE)


def _words(text: pa.Array) -> pa.Array:
    """ " ".join(cell.split()) of every stripped cell: id_text of a text."""
    return pc.replace_substring_regex(text, _RUN, " ")


def _null_cells(cells: pa.Array, text: pa.Array, nulls: tuple[str, ...]) -> np.ndarray:
    """is_null of every cell, *text* being the cells stripped."""
    return np.asarray(pc.is_null(cells), dtype=bool) | _one_of(text, nulls)


def _where(keep: np.ndarray, values: pa.Array) -> pa.Array:
    """*values*, null where *keep* is false."""
    return pc.if_else(pa.array(keep, pa.bool_()), values, pa.scalar(None, values.type))


def _prefixed(prefix: str, values: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(prefix, values, "") if prefix else values


def string_cells(cells: pa.Array, nulls: tuple[str, ...]) -> pa.Array:
    """A plain string column's conversion (converter's, see plain_string) of every cell: the cell stripped, null
    where that is a null spelling."""
    text = stripped(cells)
    return _where(~_null_cells(cells, text, nulls), text)


#: What a reference cell names: the target ids, whether it said "several, unnamed", the position of each target
#: among the cell's separated parts, and how many parts the cell had.
Named = tuple[tuple[str, ...], bool, tuple[int, ...], int]


@dataclass
class NamedCells:
    """What each distinct cell of a reference column names, for all cells at once."""

    flat: pa.Array  # every target id, cell by cell
    counts: np.ndarray  # how many targets each cell names
    unnamed: np.ndarray  # whether each cell said "several, unnamed"
    parts: np.ndarray  # how many separated parts each cell has
    cell: Callable[[int], Named]  # what one cell names, whole

    @classmethod
    def of(cls, named: list[Named]) -> NamedCells:
        return cls(
            pa.array([t for cell in named for t in cell[0]], pa.string()),
            np.array([len(cell[0]) for cell in named], dtype=np.int64),
            np.array([cell[1] for cell in named], dtype=bool),
            np.array([cell[3] for cell in named], dtype=np.int64),
            named.__getitem__,
        )


class Targets:
    """One reference column compiled: cell -> what it names (Named)."""

    def __init__(self, ref: Reference, table: Table, header: str) -> None:
        self.ref, self.header, self.table = ref, header, table
        self.compute: Callable[[Any], Named] = lambda raw: reference_targets(ref, raw, table)

    def named(self, uniques: Callable[[], list[Any]], arrow: pa.Array | None) -> NamedCells:
        """What every distinct cell names: read in Arrow when the cells are Arrow's text and the reference maps no
        value, else by compute, a cell at a time."""
        ref, table = self.ref, self.table
        if arrow is None or ref.map or ref.separator == "":
            return NamedCells.of([self.compute(u) for u in uniques()])
        n = len(arrow)
        null_cell = _null_cells(arrow, stripped(arrow), table.nulls)
        if ref.separator is None:
            lists = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), arrow)
        else:
            lists = pc.split_pattern(arrow, ref.separator)
        lengths = np.asarray(pc.fill_null(pc.list_value_length(lists), 0), dtype=np.int64)
        parent = np.repeat(np.arange(n, dtype=np.int64), lengths)
        text = stripped(pc.list_flatten(lists))
        skipped = np.asarray(pc.equal(text, ""), dtype=bool) | _one_of(text, table.nulls) | null_cell[parent]
        marker = _one_of(text, table.not_ids) & ~skipped
        target = ~skipped & ~marker
        return NamedCells(
            _prefixed(ref.id_prefix, _words(text.filter(pa.array(target)))),
            np.bincount(parent[target], minlength=n).astype(np.int64),
            np.bincount(parent[marker], minlength=n) > 0,
            np.where(null_cell, 0, lengths),
            lambda j: self.compute(arrow[j].as_py()),
        )


def reference_targets(ref: Reference, raw: Any, table: Table) -> Named:
    if is_null(raw, table.nulls):
        return (), False, (), 0
    cells = raw if isinstance(raw, list) else [raw]  # a repeated column: every repetition's value
    parts = [p for cell in cells for p in (str(cell).split(ref.separator) if ref.separator else [str(cell)])]
    targets, places, unnamed = [], [], False
    for place, part in enumerate(parts):
        text = part.strip()
        if ref.map and text in ref.map:
            mapped = ref.map[text]
            if mapped is None:
                continue
            text = mapped
        if not text or text in table.nulls:
            continue
        if text in table.not_ids:
            unnamed = True
            continue
        targets.append(ref.id_prefix + id_text(text))
        places.append(place)
    return tuple(targets), unnamed, tuple(places), len(parts)


def row_id_stem(table: Table, file: str) -> str:
    """What the ids of a table without ids (``@row``) start with in *file*: its name's stem, then the row
    (``Detail_Incident_Activity#2``); a file of the same name in another source gives the same ids."""
    return table.record.id_prefix + id_text(Path(file).name.split(".")[0]) + "#"


class TablePlan:
    """A table of a profile compiled once per file: its converters and reference readers, each reading its column
    under the header that names it in this file (*headers*: column -> header, the table's aliases resolved)."""

    def __init__(self, sch: Schema, table: Table, file: str, headers: dict[str, str] | None = None) -> None:
        named = headers or {}
        self.table = table
        #: a table without ids names its records by file and row: ``Detail_Incident_Activity#2``
        self.row_id_stem = row_id_stem(table, file)
        #: the headers of the id column and of the row filter's column in this file
        self.id_column = named.get(table.record.id, table.record.id)
        self.where_column = "" if table.where is None else named.get(table.where.column, table.where.column)
        self.properties = Properties(sch, table.record.label, table.properties, table, named)
        self.references = [
            (
                ref,
                Targets(ref, table, named.get(ref.column, ref.column)),
                Properties(sch, ref.label, ref.properties, table, named),
            )
            for ref in table.references
        ]
        self.id_compute: Callable[[Any], Any] = lambda raw: record_id(table, raw)
        #: reference column -> the labels its targets may have, in the order they are tried
        self.labels = {ref.column: ref.labels for ref in table.references}

    def ids(self, uniques: Callable[[], list[Any]], arrow: pa.Array | None) -> tuple[pa.Array, dict[int, str]]:
        """The record id of every distinct cell of the id column (null where there is none) and, by position, why
        a cell gives none: read in Arrow when the cells are Arrow's text, else by id_compute a cell at a time."""
        table = self.table
        if arrow is None:
            values = [self.id_compute(u) for u in uniques()]
            bad = {i: v.reason for i, v in enumerate(values) if type(v) is Bad}
            return pa.array([None if type(v) is Bad else v for v in values], pa.string()), bad
        text = stripped(arrow)
        null = _null_cells(arrow, text, table.nulls)
        marker = _one_of(text, table.not_ids) & ~null
        bad = dict.fromkeys(np.flatnonzero(null).tolist(), "no id")
        bad.update(dict.fromkeys(np.flatnonzero(marker).tolist(), "the id column holds a marker, not an id"))
        return _where(~(null | marker), _prefixed(table.record.id_prefix, _words(text))), bad


def record_id(table: Table, raw: Any) -> Any:
    if is_null(raw, table.nulls):
        return Bad("no id")
    if str(raw).strip() in table.not_ids:
        return Bad("the id column holds a marker, not an id")
    return table.record.id_prefix + id_text(raw)


class RowRejected(Exception):
    def __init__(self, column: str, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, "" if value is None else str(value), reason


def described(ref: Reference, named: Named, ref_props: Properties, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of each target a reference names (converted before the row writes anything)."""
    targets, _, places, parts = named
    if not ref.properties or not targets:
        return [{}] * len(targets)
    if ref.separator is None or parts < 2:
        return [ref_props.convert(row)] * len(targets)
    return [ref_props.convert(row, (ref.separator, parts, place)) for place in places]


def id_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return " ".join(str(raw).split())  # UCI ids hold double spaces ("Problem ID  2"): one id, one spelling

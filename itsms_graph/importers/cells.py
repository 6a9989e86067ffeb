"""What a cell of an export means under a profile: a table compiled once per file into the conversion of each
column it reads (property values, record ids, the ids a reference names), each a function of the cell alone, so
that the importer converts every distinct cell once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsms_graph.errors import SchemaViolation
from itsms_graph.graph.store import checked_value
from itsms_graph.importers.profile import Column, Reference, Table
from itsms_graph.importers.values import TemporalParser, convert, is_null
from itsms_graph.ontology import Schema

#: A record id that a table without an id column uses: the file's name and the row number.
ROW_ID = "@row"


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
                values = [convert(part, prop.type, col, nulls) for part in parts]
                value: Any = [v for v in values if v is not None] or None
            else:
                value = convert(raw, prop.type, col, nulls)
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
    parse = TemporalParser(col.formats, prop.type)

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


#: What a reference cell names: the target ids, whether it said "several, unnamed", the position of each target
#: among the cell's separated parts, and how many parts the cell had.
Named = tuple[tuple[str, ...], bool, tuple[int, ...], int]


class Targets:
    """One reference column compiled: cell -> what it names (Named)."""

    def __init__(self, ref: Reference, table: Table, header: str) -> None:
        self.ref, self.header = ref, header
        self.compute: Callable[[Any], Named] = lambda raw: reference_targets(ref, raw, table)


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


class TablePlan:
    """A table of a profile compiled once per file: its converters and reference readers, each reading its column
    under the header that names it in this file (*headers*: column -> header, the table's aliases resolved)."""

    def __init__(self, sch: Schema, table: Table, file: str, headers: dict[str, str] | None = None) -> None:
        named = headers or {}
        self.table = table
        #: a table without ids names its records by file and row: ``Detail_Incident_Activity#2``
        self.row_id_stem = table.record.id_prefix + id_text(Path(file).name.split(".")[0]) + "#"
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
        self.labels = {ref.column: (ref.label, *ref.or_labels) for ref in table.references}


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

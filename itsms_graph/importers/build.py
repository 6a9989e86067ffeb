"""Where an export row becomes nodes and edges: profile-driven import with nothing lost and every problem located.

Every row read ends as an accepted record (a new node), a merged duplicate (an existing node updated by the
stated rule), or a rejection with file, row, column, value and reason; per file, rows read = accepted + merged
+ rejected. References to ids that no input defines become placeholder nodes flagged ``unresolved`` (never a
silent drop); markers such as ``#MULTIVALUE`` are recorded on the node as unnamed references, never as ids.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsms_graph.errors import InputError, SchemaViolation
from itsms_graph.graph.store import InputFile, SMSGraph, bulk_build, checked_value
from itsms_graph.importers.profile import Column, Profile, Reference, Table
from itsms_graph.importers.readers import RowSource, SheetNotFound, open_rows
from itsms_graph.importers.values import TemporalParser, convert, is_null
from itsms_graph.ontology import Schema

#: A record id that a table without an id column uses: the file's name and the row number.
ROW_ID = "@row"
#: How many rejections a file report keeps in full (all are counted).
KEEP_REJECTIONS = 1000


def _value_note(reason: str, value: str) -> str:
    """`` (value '...')`` after a reason, unless the reason already quotes the value."""
    return f" (value {value!r})" if value and repr(value) not in reason else ""


@dataclass(frozen=True)
class Rejection:
    file: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"file {self.file}, row {self.row}" + (f", column {self.column}" if self.column else "")
        shown = _value_note(self.reason, self.value)
        return f"{where}: {self.reason}{shown}"


@dataclass
class FileReport:
    file: str
    profile: str
    table: str
    sha256: str
    rows_read: int = 0
    accepted: int = 0
    merged: int = 0
    rejected: int = 0
    #: rows another table of the profile takes (the table's row filter does not match them)
    skipped: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    edges: int = 0
    unnamed_references: int = 0
    #: optional columns of the profile the file does not have: null in every row of the file
    absent_columns: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.accepted + self.merged + self.rejected + self.skipped

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "profile": self.profile,
            "table": self.table,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "merged": self.merged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "edges": self.edges,
            "unnamed_references": self.unnamed_references,
            "absent_columns": self.absent_columns,
            "rejections": [vars(r) for r in self.rejections],
        }


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    #: (relationship type, target label) -> number of references to ids no input defines
    unresolved: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: "profile:table" of the tables skipped: no file of a source matched, or (an optional table) a workbook
    #: lacked its sheet; absent_sheets says which workbook
    skipped_tables: list[str] = field(default_factory=list)
    #: the workbooks that lacked an optional table's sheet: {"table": "profile:table", "file": ..., "sheet": ...}
    absent_sheets: list[dict[str, str]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def skip_notes(self) -> list[str]:
        """One line per skipped table, saying why, for the import report and profile check."""
        notes = [
            f"no sheet {a['sheet']!r} in {a['file']}: optional table {a['table']} skipped for it"
            for a in self.absent_sheets
        ]
        without_sheet = {a["table"] for a in self.absent_sheets}
        notes += [f"no file for table {t}" for t in self.skipped_tables if t not in without_sheet]
        return notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "unresolved_references": [
                {"rel": rel, "label": label, "count": n} for (rel, label), n in sorted(self.unresolved.items())
            ],
            "skipped_tables": self.skipped_tables,
            "absent_sheets": self.absent_sheets,
            "totals": {
                "rows_read": sum(f.rows_read for f in self.files),
                "accepted": sum(f.accepted for f in self.files),
                "merged": sum(f.merged for f in self.files),
                "rejected": self.rejected,
                "skipped": sum(f.skipped for f in self.files),
            },
        }


#: A reference waiting for every source to be read: (rel, source node, target labels in order, target local id,
#: direction, file, row). A tuple, not an object: a large import may keep millions until the end.
_Pending = tuple[str, str, tuple[str, ...], str, str, str, int]
_MISSING = object()
#: A column's conversions are remembered while they pay: exports repeat states, categories and timestamps
#: (a change's CI rows, an incident's events), but not ids. After this many distinct values a column whose
#: values repeat less than half the time stops remembering.
_MEMO_TRIAL = 20_000
#: ... and no column remembers more than this many distinct values (about 20 MB), however often they repeat.
MEMO_MAX = 200_000


@dataclass(frozen=True)
class _Bad:
    """A cell that does not convert, remembered like a good one: the reason."""

    reason: str


class _Memo:
    """raw cell -> converted value (or _Bad), for the cells that repeat."""

    __slots__ = ("compute", "hits", "memo", "on")

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        self.compute = compute
        self.memo: dict[str, Any] = {}
        self.hits, self.on = 0, True

    def __call__(self, raw: Any) -> Any:
        if not self.on or type(raw) is not str:
            return self.compute(raw)
        value = self.memo.get(raw, _MISSING)
        if value is not _MISSING:
            self.hits += 1
            return value
        value = self.compute(raw)
        if len(self.memo) < MEMO_MAX:
            self.memo[raw] = value
        if len(self.memo) >= _MEMO_TRIAL and self.hits < len(self.memo):
            self.on, self.memo = False, {}  # mostly distinct values: remembering costs more than it saves
        return value


class _Properties:
    """One mapping of columns to the properties of a label, compiled: each column converts through a memo, and is
    read under the header that names it in the file (*headers*: column -> header, from the table's aliases)."""

    def __init__(
        self, sch: Schema, label: str, columns: dict[str, Column], table: Table, headers: dict[str, str] | None = None
    ) -> None:
        named = headers or {}
        self.items = []
        for key, col in columns.items():
            header = named.get(col.column, col.column) if col.column else None
            self.items.append((key, header or key, header, col.value, _Memo(_converter(sch, label, key, col, table))))

    def convert(self, row: dict[str, Any], part: tuple[str, int, int] | None = None) -> dict[str, Any]:
        """The properties of *row*; with *part* = (separator, parts, place), of one target of a separated
        reference: a cell split into as many parts as the reference's cell gives that target its own part."""
        props: dict[str, Any] = {}
        for key, where, column, constant, memo in self.items:
            raw = row.get(column) if column else constant
            if part is not None and type(raw) is str:
                pieces = raw.split(part[0])
                if len(pieces) == part[1]:
                    raw = pieces[part[2]]
            value = memo(raw)
            if value is None:
                continue
            if type(value) is _Bad:
                raise _RowRejected(where, raw, value.reason)
            props[key] = list(value) if type(value) is list else value  # a node never shares a list
        return props


def _converter(sch: Schema, label: str, key: str, col: Column, table: Table) -> Callable[[Any], Any]:
    """The conversion of one cell for one property: the ontology value, None for a null, or _Bad(reason)."""
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
            return _Bad(str(exc))
        if value is None:
            return None
        enum = sch.enumerations.get((label, key))
        if enum is not None and value not in enum:
            return _Bad(f"{value!r} is not one of {', '.join(enum)} (map it in the profile)")
        try:
            return checked_value(sch, label, key, value, f"{label}.{key}")
        except SchemaViolation as exc:
            return _Bad(str(exc))

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
            return _Bad(str(exc))

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
_Named = tuple[tuple[str, ...], bool, tuple[int, ...], int]


class _Targets:
    """One reference column compiled: cell -> what it names (_Named), remembered per distinct cell."""

    def __init__(self, ref: Reference, table: Table, header: str) -> None:
        self.ref, self.header = ref, header
        self.memo = _Memo(lambda raw: _reference_targets(ref, raw, table))

    def __call__(self, row: dict[str, Any]) -> _Named:
        result: _Named = self.memo(row.get(self.header))
        return result


def _reference_targets(ref: Reference, raw: Any, table: Table) -> _Named:
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
        targets.append(ref.id_prefix + _id_text(text))
        places.append(place)
    return tuple(targets), unnamed, tuple(places), len(parts)


class _TablePlan:
    """A table of a profile compiled once per file: its converters and reference readers, each reading its column
    under the header that names it in this file (*headers*: column -> header, the table's aliases resolved)."""

    def __init__(self, sch: Schema, table: Table, file: str, headers: dict[str, str] | None = None) -> None:
        named = headers or {}
        self.table = table
        #: a table without ids names its records by file and row: ``Detail_Incident_Activity#2``
        self.row_id_stem = table.record.id_prefix + _id_text(Path(file).name.split(".")[0]) + "#"
        #: the headers of the id column and of the row filter's column in this file
        self.id_column = named.get(table.record.id, table.record.id)
        self.where_column = "" if table.where is None else named.get(table.where.column, table.where.column)
        self.properties = _Properties(sch, table.record.label, table.properties, table, named)
        self.references = [
            (
                ref,
                _Targets(ref, table, named.get(ref.column, ref.column)),
                _Properties(sch, ref.label, ref.properties, table, named),
            )
            for ref in table.references
        ]
        self.id_memo = _Memo(lambda raw: _record_id(table, raw))
        #: reference column -> the labels its targets may have, in the order they are tried
        self.labels = {ref.column: (ref.label, *ref.or_labels) for ref in table.references}


def _record_id(table: Table, raw: Any) -> Any:
    if is_null(raw, table.nulls):
        return _Bad("no id")
    if str(raw).strip() in table.not_ids:
        return _Bad("the id column holds a marker, not an id")
    return table.record.id_prefix + _id_text(raw)


class _RowRejected(Exception):
    def __init__(self, column: str, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, "" if value is None else str(value), reason


@dataclass
class Importer:
    """Imports any number of (profile, path) sources into one graph; references resolve across them."""

    graph: SMSGraph = field(default_factory=SMSGraph)
    keep_going: bool = False
    report: ImportReport = field(default_factory=ImportReport)
    progress: Callable[[str, int], None] | None = None
    #: read at most this many rows of each file (profile check on a sample)
    sample_rows: int | None = None
    _pending: list[_Pending] = field(default_factory=list)
    _latest: dict[str, Any] = field(default_factory=dict)
    #: a relationship's target id -> the one string every relationship to it holds (466k BPIC events name 47k
    #: incidents: without it, each event's relationship kept its own copy of its incident's id)
    _ids: dict[str, str] = field(default_factory=dict)

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
        for row_no, row in source.rows:
            if self.sample_rows is not None and report.rows_read >= self.sample_rows:
                break
            report.rows_read += 1
            if (
                table.where is not None
                and "__error__" not in row
                and not table.where.accepts(row.get(plan.where_column))
            ):
                report.skipped += 1
                continue
            try:
                self._import_row(plan, path.name, row_no, row, report)
            except _RowRejected as rej:
                rejection = Rejection(path.name, row_no, rej.column, rej.value, rej.reason)
                if not self.keep_going and rej.reason != "blank row":
                    raise InputError(
                        rej.reason + _value_note(rej.reason, rej.value),
                        file=path.name,
                        row=row_no,
                        column=rej.column or None,
                    ) from None
                report.rejected += 1
                if len(report.rejections) < KEEP_REJECTIONS:
                    report.rejections.append(rejection)
            if self.progress and report.rows_read % 10_000 == 0:
                self.progress(label, report.rows_read)
        if self.progress:
            self.progress(label, report.rows_read)
        self.graph.add_input(InputFile(item.path, item.sha256, item.profile, report.rows_read))

    def _import_row(self, plan: _TablePlan, file: str, row_no: int, row: dict[str, Any], report: FileReport) -> None:
        table = plan.table
        if "__error__" in row:
            raise _RowRejected(row.get("__column__", ""), None, row["__error__"])
        rec = table.record
        if rec.id == ROW_ID:
            if all(is_null(v, table.nulls) for v in row.values()):
                raise _RowRejected("", None, "blank row")
            local = f"{plan.row_id_stem}{row_no}"
        else:
            raw_id = row.get(plan.id_column)
            local = plan.id_memo(raw_id)
            if type(local) is _Bad:
                if all(is_null(v, table.nulls) for v in row.values()):
                    raise _RowRejected("", None, "blank row")
                raise _RowRejected(plan.id_column, raw_id, local.reason)
        props = plan.properties.convert(row)
        order_key = None if rec.latest_by is None else props.get(rec.latest_by)
        # references are converted before anything is written, so a rejected row leaves no trace
        refs = [(ref, targets(row), ref_props) for ref, targets, ref_props in plan.references]
        described = [_described(ref, named, ref_props, row) for ref, named, ref_props in refs]

        graph = self.graph
        nid = f"{rec.label}:{local}"
        if nid in graph._nodes:
            self._merge(nid, rec.label, props, table, order_key)
            report.merged += 1
        else:
            graph.add_node(rec.label, local, props, source_file=file, source_row=row_no, checked=True)
            if order_key is not None:
                self._latest[nid] = order_key
            report.accepted += 1
        ends: dict[str, list[str]] = {}
        for (ref, (targets, unnamed, _, _), _), props_of in zip(refs, described, strict=True):
            if unnamed:
                self._mark_unnamed(nid, ref)
                report.unnamed_references += 1
            if ref.defines:
                ends[ref.column] = [
                    self._define(ref.label, t, p, file, row_no) for t, p in zip(targets, props_of, strict=True)
                ]
            else:
                ends[ref.column] = [f"{ref.label}:{t}" for t in targets]
        for ref, (targets, _, _, _), _ in refs:
            sources = [nid] if ref.source is None else ends.get(ref.source, [])
            for src in sources:
                for target in targets:
                    self._link(ref.rel, src, plan.labels[ref.column], target, ref.dir, file, row_no)
            report.edges += len(sources) * len(targets)

    def _link(
        self, rel: str, source: str, labels: tuple[str, ...], local: str, direction: str, file: str, row: int
    ) -> None:
        """The relationship now when its target exists (as the first of its labels); else once every source is
        read (finish), when the target is a record of a later file or a placeholder. Most references point back
        (an event to its incident)."""
        target = f"{labels[0]}:{local}"
        target = self._ids.setdefault(target, target)
        if target not in self.graph._nodes:
            self._pending.append((rel, source, labels, local, direction, file, row))
            return
        a, b = (source, target) if direction == "out" else (target, source)
        try:
            self.graph.add_edge(rel, a, b, source_file=file, source_row=row)
        except SchemaViolation as exc:
            raise InputError(str(exc), file=file, row=row) from None

    def _define(self, label: str, local: str, props: dict[str, Any], file: str, row_no: int) -> str:
        """The node a row describes besides its record (a CI named on a change row): created, or its missing
        properties filled."""
        tid = f"{label}:{local}"
        attrs = self.graph._nodes.get(tid)
        if attrs is None:
            self.graph.add_node(label, local, props, source_file=file, source_row=row_no, checked=True)
        else:
            missing = {k: v for k, v in props.items() if attrs.get(k) is None}
            if missing:
                self.graph.add_node(label, local, missing, source_file=file, checked=True)
        return tid

    def _merge(self, nid: str, label: str, props: dict[str, Any], table: Table, order_key: Any) -> None:
        """Merge a duplicate row: the latest row (by latest_by, else the later row) wins, aggregates apply."""
        attrs = self.graph.attrs(nid)
        current = self._latest.get(nid)
        newer = order_key is None or current is None or order_key >= current
        if order_key is not None and newer:
            self._latest[nid] = order_key
        update: dict[str, Any] = {}
        for key, value in props.items():
            if value is None:
                continue
            old = attrs.get(key)
            how = table.properties[key].aggregate
            if old is None:
                update[key] = value
            elif how == "min":
                update[key] = min(old, value)
            elif how == "max":
                update[key] = max(old, value)
            elif how == "last" and newer:
                update[key] = value
        if update:
            self.graph.add_node(label, nid.split(":", 1)[1], update, source_file=attrs["source_file"], checked=True)

    def _mark_unnamed(self, nid: str, ref: Reference) -> None:
        marker = f"{ref.rel}:{ref.label}"
        existing = self.graph.attrs(nid).get("unnamed_references", [])
        if marker not in existing:
            label, local = nid.split(":", 1)
            update = {"unnamed_references": sorted([*existing, marker])}
            self.graph.add_node(label, local, update, source_file="", checked=True)

    def finish(self) -> tuple[SMSGraph, ImportReport]:
        """Resolve references across every source: unknown targets become placeholders flagged unresolved."""
        graph, unresolved = self.graph, self.report.unresolved
        nodes = graph._nodes
        for rel, source, labels, target_local, direction, file, row in self._pending:
            target = next((t for t in (f"{label}:{target_local}" for label in labels) if t in nodes), "")
            target_label = labels[0]
            if target:
                attrs = nodes[target]
            else:
                target = graph.add_node(
                    target_label, target_local, {"unresolved": True}, source_file=file, source_row=row
                )
                attrs = nodes[target]
            a, b = (source, target) if direction == "out" else (target, source)
            if attrs.get("unresolved") and not graph.has_edge(a, b, rel):
                unresolved[(rel, target_label)] += 1
            try:
                graph.add_edge(rel, a, b, source_file=file, source_row=row)
            except SchemaViolation as exc:
                raise InputError(str(exc), file=file, row=row) from None
        self._pending.clear()
        self._ids.clear()
        return graph, self.report


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
    report = FileReport(
        file=path.name, profile=profile.id, table=table.name, sha256=item.sha256, absent_columns=absent
    )
    report_all.files.append(report)
    return source, headers, report, item


def _described(ref: Reference, named: _Named, ref_props: _Properties, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of each target a reference names (converted before the row writes anything)."""
    targets, _, places, parts = named
    if not ref.properties or not targets:
        return [{}] * len(targets)
    if ref.separator is None or parts < 2:
        return [ref_props.convert(row)] * len(targets)
    return [ref_props.convert(row, (ref.separator, parts, place)) for place in places]


def _id_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return " ".join(str(raw).split())  # UCI ids hold double spaces ("Problem ID  2"): one id, one spelling


#: File name starts that are never an export: Excel's lock file beside an open workbook (``~$registers.xlsx``),
#: LibreOffice's (``.~lock.registers.xlsx#``) and hidden files such as macOS's ``._registers.xlsx``. A folder
#: glob such as ``*.xlsx`` matches them, and reading one fails the whole import.
_NOT_EXPORTS = ("~$", ".~lock", ".")


def _files_for(table: Table, path: Path) -> list[Path]:
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


def import_sources(
    sources: Iterable[tuple[Profile, Path]],
    *,
    keep_going: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> tuple[SMSGraph, ImportReport]:
    """Import every (profile, path) into one graph; return it with the import report."""
    import os
    if os.environ.get("COLUMNAR"):
        from itsms_graph.importers.columnar import import_sources_columnar
        return import_sources_columnar(sources, keep_going=keep_going, progress=progress)
    importer = Importer(keep_going=keep_going, progress=progress)
    with bulk_build():
        for profile, path in sources:
            importer.add_source(profile, path)
        return importer.finish()

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
from itsms_graph.graph.store import InputFile, SMSGraph, bulk_build
from itsms_graph.importers.profile import Column, Profile, Reference, Table
from itsms_graph.importers.readers import open_rows
from itsms_graph.importers.values import convert, is_null

#: A record id that a table without an id column uses: the file's name and the row number.
ROW_ID = "@row"
#: How many rejections a file report keeps in full (all are counted).
KEEP_REJECTIONS = 1000


@dataclass(frozen=True)
class Rejection:
    file: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"file {self.file}, row {self.row}" + (f", column {self.column}" if self.column else "")
        shown = f" (value {self.value!r})" if self.value else ""
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
            "rejections": [vars(r) for r in self.rejections],
        }


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    #: (relationship type, target label) -> number of references to ids no input defines
    unresolved: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped_tables: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "unresolved_references": [
                {"rel": rel, "label": label, "count": n} for (rel, label), n in sorted(self.unresolved.items())
            ],
            "skipped_tables": self.skipped_tables,
            "totals": {
                "rows_read": sum(f.rows_read for f in self.files),
                "accepted": sum(f.accepted for f in self.files),
                "merged": sum(f.merged for f in self.files),
                "rejected": self.rejected,
                "skipped": sum(f.skipped for f in self.files),
            },
        }


@dataclass(frozen=True)
class _Pending:
    rel: str
    source: str
    target_label: str
    target_local: str
    direction: str
    file: str
    row: int


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
            patterns = ", ".join(p for t in profile.tables for p in t.files)
            raise InputError(f"no file matches profile {profile.id} (it reads {patterns})", file=str(path))

    def _import_file(self, profile: Profile, table: Table, path: Path) -> None:
        source = open_rows(
            path,
            fmt=table.format,
            encoding=table.encoding,
            delimiter=table.delimiter,
            records_key=table.records_key,
            sheet=table.sheet,
        )
        missing = sorted(profile.columns(table) - set(source.columns))
        if missing:
            shown = ", ".join(source.columns[:12]) + (" ..." if len(source.columns) > 12 else "")
            hint = " (is the delimiter right?)" if len(source.columns) == 1 else ""
            raise InputError(
                f"profile {profile.id} table {table.name} needs column {missing[0]!r}, which the "
                f"file does not have{hint}; its columns: {shown}",
                file=path.name,
                row=1,
                column=missing[0],
            )
        item = InputFile.of(path, profile=f"{profile.id}:{table.name}")
        report = FileReport(file=path.name, profile=profile.id, table=table.name, sha256=item.sha256)
        self.report.files.append(report)
        label = f"{path.name} ({table.name})"
        if self.progress:
            self.progress(label, 0)
        self.graph.declared_labels.update((table.record.label, *table.declares))
        for row_no, row in source.rows:
            if self.sample_rows is not None and report.rows_read >= self.sample_rows:
                break
            report.rows_read += 1
            if (
                table.where is not None
                and "__error__" not in row
                and not table.where.accepts(row.get(table.where.column))
            ):
                report.skipped += 1
                continue
            try:
                self._import_row(table, path.name, row_no, row, report)
            except _RowRejected as rej:
                rejection = Rejection(path.name, row_no, rej.column, rej.value, rej.reason)
                if not self.keep_going and rej.reason != "blank row":
                    raise InputError(
                        f"{rej.reason}" + (f" (value {rej.value!r})" if rej.value else ""),
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

    def _import_row(self, table: Table, file: str, row_no: int, row: dict[str, Any], report: FileReport) -> None:
        if "__error__" in row:
            raise _RowRejected(row.get("__column__", ""), None, row["__error__"])
        if all(is_null(v, table.nulls) for v in row.values()):
            raise _RowRejected("", None, "blank row")
        rec = table.record
        raw_id = f"{Path(file).name.split('.')[0]}#{row_no}" if rec.id == ROW_ID else row.get(rec.id)
        if is_null(raw_id, table.nulls):
            raise _RowRejected(rec.id, raw_id, "no id")
        local = rec.id_prefix + _id_text(raw_id)
        if str(raw_id).strip() in table.not_ids:
            raise _RowRejected(rec.id, raw_id, "the id column holds a marker, not an id")
        props = self._convert_all(rec.label, table.properties, row, table)
        order_key = self._order_key(table, props)
        # references are converted before anything is written, so a rejected row leaves no trace
        refs = [(ref, self._reference_targets(ref, row, table)) for ref in table.references]
        ref_props = {ref.column: self._convert_all(ref.label, ref.properties, row, table) for ref, _ in refs}

        nid = f"{rec.label}:{local}"
        existed = nid in self.graph
        if existed:
            self._merge(nid, rec.label, props, table, order_key)
            report.merged += 1
        else:
            self.graph.add_node(rec.label, local, props, source_file=file, source_row=row_no)
            if order_key is not None:
                self._latest[nid] = order_key
            report.accepted += 1
        ends: dict[str, list[str]] = {ref.column: [] for ref, _ in refs}
        for ref, (targets, unnamed) in refs:
            if unnamed:
                self._mark_unnamed(nid, ref)
                report.unnamed_references += 1
            for target in targets:
                tid = f"{ref.label}:{target}"
                ends[ref.column].append(tid)
                if ref.defines:
                    if tid in self.graph:
                        self._fill(tid, ref.label, ref_props[ref.column])
                    else:
                        self.graph.add_node(
                            ref.label, target, ref_props[ref.column], source_file=file, source_row=row_no
                        )
        for ref, (targets, _) in refs:
            sources = [nid] if ref.source is None else ends.get(ref.source, [])
            for src in sources:
                for target in targets:
                    self._pending.append(_Pending(ref.rel, src, ref.label, target, ref.dir, file, row_no))
                    report.edges += 1

    def _convert_all(self, label: str, columns: dict[str, Column], row: dict[str, Any], table: Table) -> dict[str, Any]:
        props: dict[str, Any] = {}
        sch = self.graph.schema
        for key, col in columns.items():
            prop = sch.properties[key]
            raw = row.get(col.column) if col.column else col.value
            try:
                if prop.multi_valued:
                    parts = [] if is_null(raw, table.nulls) else str(raw).split(col.split or ",")
                    values = [convert(p, prop.type, col, table.nulls) for p in parts]
                    props[key] = [v for v in values if v is not None] or None
                else:
                    props[key] = convert(raw, prop.type, col, table.nulls)
            except ValueError as exc:
                raise _RowRejected(col.column or key, raw, str(exc)) from None
            enum = sch.enumerations.get((label, key))
            if enum is not None and props[key] is not None and props[key] not in enum:
                raise _RowRejected(
                    col.column or key, raw, f"{props[key]!r} is not one of {', '.join(enum)} (map it in the profile)"
                )
        return props

    def _order_key(self, table: Table, props: dict[str, Any]) -> Any:
        if table.record.latest_by is None:
            return None
        return props.get(table.record.latest_by)

    def _reference_targets(self, ref: Reference, row: dict[str, Any], table: Table) -> tuple[list[str], bool]:
        raw = row.get(ref.column)
        if is_null(raw, table.nulls):
            return [], False
        cells = raw if isinstance(raw, list) else [raw]  # a repeated column: every repetition's value
        parts = [p for cell in cells for p in (str(cell).split(ref.separator) if ref.separator else [str(cell)])]
        targets, unnamed = [], False
        for part in parts:
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
        return targets, unnamed

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
            self.graph.add_node(label, nid.split(":", 1)[1], update, source_file=attrs["source_file"])

    def _fill(self, nid: str, label: str, props: dict[str, Any]) -> None:
        attrs = self.graph.attrs(nid)
        missing = {k: v for k, v in props.items() if v is not None and attrs.get(k) is None}
        if missing:
            self.graph.add_node(label, nid.split(":", 1)[1], missing, source_file=attrs["source_file"])

    def _mark_unnamed(self, nid: str, ref: Reference) -> None:
        attrs = self.graph.attrs(nid)
        marker = f"{ref.rel}:{ref.label}"
        existing = list(attrs.get("unnamed_references", []))
        if marker not in existing:
            attrs["unnamed_references"] = sorted([*existing, marker])

    def finish(self) -> tuple[SMSGraph, ImportReport]:
        """Resolve references across every source: unknown targets become placeholders flagged unresolved."""
        for p in self._pending:
            target = f"{p.target_label}:{p.target_local}"
            if target not in self.graph:
                self.graph.add_node(
                    p.target_label, p.target_local, {"unresolved": True}, source_file=p.file, source_row=p.row
                )
            a, b = (p.source, target) if p.direction == "out" else (target, p.source)
            if self.graph.attrs(target).get("unresolved") and not self.graph.has_edge(a, b, p.rel):
                self.report.unresolved[(p.rel, p.target_label)] += 1
            try:
                self.graph.add_edge(p.rel, a, b, source_file=p.file, source_row=p.row)
            except SchemaViolation as exc:
                raise InputError(str(exc), file=p.file, row=p.row) from None
        self._pending.clear()
        return self.graph, self.report


def _id_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return " ".join(str(raw).split())  # UCI ids hold double spaces ("Problem ID  2"): one id, one spelling


def _files_for(table: Table, path: Path) -> list[Path]:
    if path.is_dir():
        found = {p for pattern in table.files for p in path.glob(pattern) if p.is_file()}
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
    importer = Importer(keep_going=keep_going, progress=progress)
    with bulk_build():
        for profile, path in sources:
            importer.add_source(profile, path)
        return importer.finish()

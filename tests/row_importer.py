"""The reference importer: the profile semantics read one row at a time, in order, into an SMSGraph.

This is how itsms-graph imported until the columnar importer (``itsms_graph/importers/build.py``) replaced it
for speed. It stays here as the specification the columnar importer is tested against: both must give the same
graph and the same report on any profile and data (``tests/test_importer_parity.py``). It shares the cell
conversions (``cells.py``) and the file opening with the product, so that what the two are compared on is what a
row makes of its cells, and what rows make together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsms_graph.errors import InputError, SchemaViolation
from itsms_graph.graph.store import InputFile, SMSGraph, bulk_build
from itsms_graph.importers.build import open_table_file, source_files
from itsms_graph.importers.cells import ROW_ID, Bad, RowRejected, TablePlan, described
from itsms_graph.importers.profile import Profile, Reference, Table
from itsms_graph.importers.report import KEEP_REJECTIONS, FileReport, ImportReport, Rejection, value_note
from itsms_graph.importers.values import is_null

#: A reference waiting for every source to be read: (rel, source node, target labels in order, target local id,
#: the direction to a target of each label, file, row).
_Pending = tuple[str, str, tuple[str, ...], str, tuple[str, ...], str, int]


@dataclass
class RowImporter:
    """Imports any number of (profile, path) sources into one graph; references resolve across them."""

    graph: SMSGraph = field(default_factory=SMSGraph)
    keep_going: bool = False
    report: ImportReport = field(default_factory=ImportReport)
    progress: Callable[[str, int, bool], None] | None = None
    #: read at most this many rows of each file (profile check on a sample)
    sample_rows: int | None = None
    _pending: list[_Pending] = field(default_factory=list)
    _latest: dict[str, Any] = field(default_factory=dict)
    #: a relationship's target id -> the one string every relationship to it holds (466k BPIC events name 47k
    #: incidents: without it, each event's relationship kept its own copy of its incident's id)
    _ids: dict[str, str] = field(default_factory=dict)

    def add_source(self, profile: Profile, path: Path) -> None:
        """Import every table of *profile* found at *path* (a folder or one file)."""
        for table, file in source_files(profile, path, self.report):
            self._import_file(profile, table, file)

    def _import_file(self, profile: Profile, table: Table, path: Path) -> None:
        opened = open_table_file(profile, table, path, self.report)
        if opened is None:
            return
        source, headers, report, item = opened
        label = f"{path.name} ({table.name})"
        if self.progress:
            self.progress(label, 0, False)
        self.graph.declared_labels.update((table.record.label, *table.declares))
        plan = TablePlan(self.graph.schema, table, path.name, headers)
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
            except RowRejected as rej:
                rejection = Rejection(path.name, row_no, rej.column, rej.value, rej.reason)
                if not self.keep_going and rej.reason != "blank row":
                    raise InputError(
                        rej.reason + value_note(rej.reason, rej.value),
                        file=path.name,
                        row=row_no,
                        column=rej.column or None,
                    ) from None
                report.rejected += 1
                if len(report.rejections) < KEEP_REJECTIONS:
                    report.rejections.append(rejection)
            if self.progress and report.rows_read % 10_000 == 0:
                self.progress(label, report.rows_read, False)
        if self.progress:
            self.progress(label, report.rows_read, True)
        self.graph.add_input(InputFile(item.path, item.sha256, item.profile, report.rows_read))

    def _import_row(self, plan: TablePlan, file: str, row_no: int, row: dict[str, Any], report: FileReport) -> None:
        table = plan.table
        if "__error__" in row:
            raise RowRejected(row.get("__column__", ""), None, row["__error__"])
        rec = table.record
        if rec.id == ROW_ID:
            if all(is_null(v, table.nulls) for v in row.values()):
                raise RowRejected("", None, "blank row")
            local = f"{plan.row_id_stem}{row_no}"
        else:
            raw_id = row.get(plan.id_column)
            local = plan.id_compute(raw_id)
            if type(local) is Bad:
                if all(is_null(v, table.nulls) for v in row.values()):
                    raise RowRejected("", None, "blank row")
                raise RowRejected(plan.id_column, raw_id, local.reason)
        props = plan.properties.convert(row)
        order_key = None if rec.latest_by is None else props.get(rec.latest_by)
        # references are converted before anything is written, so a rejected row leaves no trace
        refs = [
            (ref, targets.compute(row.get(targets.header)), ref_props) for ref, targets, ref_props in plan.references
        ]
        per_target = [described(ref, named, ref_props, row) for ref, named, ref_props in refs]

        graph = self.graph
        nid = f"{rec.label}:{local}"
        if nid in graph:
            self._merge(nid, rec.label, props, table, order_key)
            report.merged += 1
        else:
            graph.add_node(rec.label, local, props, source_file=file, source_row=row_no, checked=True)
            if order_key is not None:
                self._latest[nid] = order_key
            report.accepted += 1
        ends: dict[str, list[str]] = {}
        for (ref, (targets, unnamed, _, _), _), props_of in zip(refs, per_target, strict=True):
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
                    self._link(ref.rel, src, plan.labels[ref.column], target, ref.directions, file, row_no)
            report.edges += len(sources) * len(targets)

    def _link(
        self,
        rel: str,
        source: str,
        labels: tuple[str, ...],
        local: str,
        directions: tuple[str, ...],
        file: str,
        row: int,
    ) -> None:
        """The relationship now when its target exists (as the first of its labels); else once every source is
        read (finish), when the target is a record of a later file or a placeholder. Most references point back
        (an event to its incident)."""
        target = f"{labels[0]}:{local}"
        target = self._ids.setdefault(target, target)
        if target not in self.graph:
            self._pending.append((rel, source, labels, local, directions, file, row))
            return
        a, b = (source, target) if directions[0] == "out" else (target, source)
        try:
            self.graph.add_edge(rel, a, b, source_file=file, source_row=row)
        except SchemaViolation as exc:
            raise InputError(str(exc), file=file, row=row) from None

    def _define(self, label: str, local: str, props: dict[str, Any], file: str, row_no: int) -> str:
        """The node a row describes besides its record (a CI named on a change row): created, or its missing
        properties filled."""
        tid = f"{label}:{local}"
        attrs = self.graph.attrs(tid) if tid in self.graph else None
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
        for rel, source, labels, target_local, directions, file, row in self._pending:
            pos, target = next(
                ((p, t) for p, t in enumerate(f"{label}:{target_local}" for label in labels) if t in nodes), (0, "")
            )
            target_label = labels[0]
            if target:
                attrs = nodes[target]
            else:
                target = graph.add_node(
                    target_label, target_local, {"unresolved": True}, source_file=file, source_row=row
                )
                attrs = nodes[target]
            a, b = (source, target) if directions[pos] == "out" else (target, source)
            if attrs.get("unresolved") and not graph.has_edge(a, b, rel):
                unresolved[(rel, target_label)] += 1
            try:
                graph.add_edge(rel, a, b, source_file=file, source_row=row)
            except SchemaViolation as exc:
                raise InputError(str(exc), file=file, row=row) from None
        self._pending.clear()
        self._ids.clear()
        return graph, self.report


def import_sources(
    sources: Iterable[tuple[Profile, Path]],
    *,
    keep_going: bool = False,
    progress: Callable[[str, int, bool], None] | None = None,
) -> tuple[SMSGraph, ImportReport]:
    """Import every (profile, path) into one graph, row by row; return it with the import report."""
    importer = RowImporter(keep_going=keep_going, progress=progress)
    with bulk_build():
        for profile, path in sources:
            importer.add_source(profile, path)
        return importer.finish()

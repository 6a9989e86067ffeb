"""Where export rows become the graph: profile-driven import with nothing lost and every problem located.

Every row read ends as an accepted record (a new node), a merged duplicate (an existing node updated by the
stated rule), a skipped row (another table of the profile takes it) or a rejection with file, row, column, value
and reason; per file, rows read = accepted + merged + rejected + skipped. References to ids that no input defines
become placeholder nodes flagged ``unresolved`` (never a silent drop); markers such as ``#MULTIVALUE`` are
recorded on the node as unnamed references, never as ids.

The import runs a column at a time, in stages. A file is read into columns (``columns.py``; the next file on
another thread meanwhile); each distinct cell is converted once by the table's compiled conversions
(``cells.py``); what each row makes of its cells (its rejection, record, the targets it names and defines, its
relationships) is decided with numpy and pyarrow a slice of rows at a time (``file_rows.py``) and staged in an
in-memory duckdb as the slice is done, on a thread of its own while the next slice is decided (which spills what passes its memory limit to disk: Python holds a file's
columns and a slice's decisions, with what of the slice before waits for duckdb, never more); and what rows make together across files (merges, relationships to records read later,
placeholders) is resolved with SQL there (``resolve.py``), which ends holding the graph tables
(``itsms_graph.graph.tables``): what the DuckDB engine checks as they are, and what the graph is built from. This
module holds the import together: the files of each source (``sources.py``) read, their rows staged.

The result is what reading the rows one by one, in order, gives (``tests/row_importer.py`` does that, and the
tests compare the two): a node's provenance is its first row; a merge follows the table's rule (latest by a
timestamp, else the later row; min, max, first), and a row that only names a node fills what it lacks; a
relationship keeps the provenance of the row that made it first, where a relationship to a record read later is
made once every source is read; placeholders are made in that same order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from itsms_graph.graph.store import InputFile, SMSGraph
from itsms_graph.graph.tables import (
    GraphTables,
    connect_tables,
    quote,
    sql_type,
    within_memory,
)
from itsms_graph.importers.cells import (
    ROW_ID,
    TablePlan,
)
from itsms_graph.importers.columns import FileColumns, read_csv_columns, read_rows
from itsms_graph.importers.file_rows import _SUB_BITS, FileDecisions
from itsms_graph.importers.profile import Profile, Table
from itsms_graph.importers.report import FileReport, ImportReport, Rejection
from itsms_graph.importers.resolve import Resolution
from itsms_graph.importers.sources import open_table_file, source_files
from itsms_graph.memory import release_arrow_memory

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
class Importer(FileDecisions, Resolution):
    """Imports any number of (profile, path) sources into one graph, a column at a time (see the module)."""

    graph: SMSGraph = field(default_factory=SMSGraph)
    keep_going: bool = False
    report: ImportReport = field(default_factory=ImportReport)
    progress: Progress | None = None
    sample_rows: int | None = None
    #: stop on what the report would warn of (a table's glob that matches nothing while another matches)
    strict: bool = False
    #: the duckdb a file's rows go to as soon as they are made (the staged tables, see :meth:`_stage`), which ends
    #: holding the graph tables; opened with the first file
    _con: duckdb.DuckDBPyConnection | None = None
    _spill: tempfile.TemporaryDirectory[str] | None = None
    #: the thread that puts staged rows into duckdb, one insert at a time, in order, while the next rows are
    #: decided (duckdb leaves the GIL as it inserts); the inserts under way or waiting (at most ``_PENDING``)
    _stager: ThreadPoolExecutor | None = None
    _staging: list[Future[None]] = field(default_factory=list)
    #: the property keys staged records, and staged defined targets, carry
    _record_keys: set[str] = field(default_factory=set)
    _define_keys: set[str] = field(default_factory=set)
    _rows_before: int = 0  # global number of the next file's first row
    _tables: list[Table] = field(default_factory=list)  # tno -> table
    _files: list[str] = field(default_factory=list)  # fno -> file name
    #: a reference's target labels, each with its direction (out: from the row's node) -> lid
    _label_lists: dict[tuple[tuple[str, bool], ...], int] = field(default_factory=dict)
    #: (fno, reference number) of the references a row of the file made more than one relationship by
    _several: set[tuple[int, int]] = field(default_factory=set)
    _row_ids: dict[int, str] = field(default_factory=dict)  # fno -> its ids' start, in a table without ids

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The import's duckdb, opened (with the staged tables) on first use."""
        if self._con is None:
            self._con, self._spill = connect_tables(importing=True)
            for name, columns in _STAGED.items():
                self._con.execute(f"CREATE TEMP TABLE {name} ({', '.join(f'{quote(c)} {t}' for c, t in columns)})")
        return self._con

    def _stage(self, name: str, rows: pa.Table) -> None:
        """Put a file's *rows* into the staged table *name*, in duckdb (which spills what passes its memory limit
        to disk), on the staging thread while the next rows are decided: what the import holds in Python is a
        slice's, and what of the slice before waits for its insert (at most ``_PENDING`` inserts), never
        everything read. An insert's error is raised when a later one waits for it, or before the resolve
        (:meth:`_staged`)."""
        self._staged(_PENDING - 1)
        if self._stager is None:
            self._stager = ThreadPoolExecutor(max_workers=1, thread_name_prefix="itsms-stage")
        self._staging.append(self._stager.submit(self._insert, name, rows))

    def _staged(self, pending: int = 0) -> None:
        """Wait for the inserts under way until at most *pending* are left, raising the first error."""
        while len(self._staging) > pending:
            self._staging.pop(0).result()

    def _insert(self, name: str, rows: pa.Table) -> None:
        """Insert *rows* into the staged table *name*. The records and the defined targets gain a property column
        when a file first brings that property: a staged table holds the properties the files have, not the
        ontology's every key (staging all of them, mostly null, was a quarter of a large import's time)."""
        con = self._connection()
        keys = {"records_in": self._record_keys, "defines_in": self._define_keys}.get(name)
        if keys is not None:
            properties = self.graph.schema.properties
            for key in sorted(k for k in rows.column_names if k in properties and k not in keys):
                con.execute(f"ALTER TABLE {name} ADD COLUMN {quote(key)} {sql_type(properties[key])}")
                keys.add(key)
        select = "SELECT * FROM itsms_staged_rows"
        if name == "defines_in":
            select = _first_namings(rows.column_names, self.graph.schema.properties)
        con.register("itsms_staged_rows", rows)
        try:
            with within_memory(importing=True):
                con.execute(f"INSERT INTO {name} BY NAME {select}")
        finally:
            con.unregister("itsms_staged_rows")

    def close(self) -> None:
        """Let go of what the import holds (its duckdb and the folder it spills to): after an error, or once its
        tables are handed over."""
        if self._stager is not None:  # the insert under way ends first, those waiting are dropped (no error raised)
            self._stager.shutdown(wait=True, cancel_futures=True)
            self._stager = None
            self._staging = []
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._spill is not None:
            self._spill.cleanup()
            self._spill = None

    def add_source(self, profile: Profile, path: Path, meanwhile: Callable[[], object] | None = None) -> None:
        """Import every table of *profile* found at *path* (a folder or one file), file by file in order; the
        next files (``_AHEAD``) are read into columns on other threads (``_READERS``) while this one is converted
        (Arrow's reading leaves the GIL), and a file's turn comes, with its errors, only once the one before is done.
        *meanwhile* is done once the first files are being read, before any of their rows is made (if it fails,
        what waits to be read is not)."""
        files = source_files(profile, path, self.report, strict=self.strict)
        with ThreadPoolExecutor(max_workers=_READERS, thread_name_prefix="itsms-read") as reader:
            ahead = [reader.submit(self._read, profile, *file) for file in files[:_AHEAD]]
            if meanwhile is not None:
                try:
                    meanwhile()
                except BaseException:
                    reader.shutdown(cancel_futures=True)
                    raise
            for i, (table, file) in enumerate(files):
                if i + _AHEAD < len(files):
                    ahead.append(reader.submit(self._read, profile, *files[i + _AHEAD]))
                self._import_file(table, file, ahead.pop(0).result())

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
        release_arrow_memory()  # the file's columns, where Arrow's pool keeps freed memory
        if self.progress:
            self.progress(f"{path.name} ({table.name})", report.rows_read, True)
        self.graph.add_input(InputFile(item.path, item.sha256, item.profile, report.rows_read))

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
        try:
            self._staged()
            if self._stager is not None:
                self._stager.shutdown(wait=True)
                self._stager = None
            con, spill = self._connection(), self._spill
            with within_memory(importing=True):
                self._resolve(con)
        except BaseException:
            self.close()
            raise
        self._con = self._spill = None  # the tables' now
        if self.progress:
            self.progress(RESOLVING, rows, True)
        graph = self.graph
        return ImportedTables(con, graph.schema, set(graph.declared_labels), list(graph.inputs), spill, imported=True)


#: The files read ahead of the one whose rows are made (BPIC 2014: reading its activity log took longer than making
#: the rows of the file before, and with one file ahead the rows waited 0.28 s for it; with two the reader waited
#: between files, and with three it reads on: median wall 3.91 -> 3.78 s, five alternated runs)
_AHEAD = 3
#: The files read at once (Arrow's reading leaves the GIL): with one, BPIC 2014's rows still waited 0.15-0.27 s for
#: the activity log, read after the three files before it; with two, median wall 3.82 -> 3.65 s and 3.96 -> 3.85 s
#: (two sets of six alternated runs), peak 709 -> 712-716 MiB
_READERS = 2

#: The inserts that may wait on the staging thread while the next rows are decided (with one, each of a slice's
#: stagings waited for the one before: BPIC 2014's main thread waited 0.33-0.41 s, with four 0.18-0.19 s)
_PENDING = 4

#: What a file's rows make, staged in duckdb as each file is done (columns before the property columns, which the
#: records and the defined targets gain as files bring them): records, targets a row defines, references, unnamed
#: references
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
    "unnamed_in": [("fno", "INTEGER"), ("rn", "BIGINT"), ("nid", "VARCHAR"), ("marker", "VARCHAR")],
}


def _first_namings(columns: list[str], properties: dict[str, Any]) -> str:
    """The staged rows' defined targets, one a node: its first naming (in row order, then place in the row), with
    the first value each property was given. The resolve reads nothing else of a row that only names a node (it
    fills what the node lacks, first value first: ``resolve._merge_rule``), so a file that names the same
    configuration item on thousands of rows stages it once: BPIC 2014's defined targets went from 1,007,642
    rows to 19,722."""
    order = f"(gseq << {_SUB_BITS}) + sub"
    firsts = [f"arg_min({quote(c)}, {order}) AS {quote(c)}" for c in ("gseq", "sub", "fno", "rn")]
    firsts += [
        f"arg_min({quote(k)}, {order}) FILTER (WHERE {quote(k)} IS NOT NULL) AS {quote(k)}"
        for k in columns
        if k in properties
    ]
    return f"SELECT nid, any_value(label) AS label, {', '.join(firsts)} FROM itsms_staged_rows GROUP BY nid"


def _read_sources(
    sources: Iterable[tuple[Profile, Path]],
    keep_going: bool,
    progress: Progress | None,
    strict: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> Importer:
    importer = Importer(keep_going=keep_going, progress=progress, strict=strict)
    try:
        for i, (profile, path) in enumerate(sources):
            importer.add_source(profile, path, meanwhile if i == 0 else None)
    except BaseException:
        importer.close()
        raise
    return importer


def import_tables(
    sources: Iterable[tuple[Profile, Path]],
    *,
    keep_going: bool = False,
    progress: Progress | None = None,
    strict: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[ImportedTables, ImportReport]:
    """Import every (profile, path) into graph tables, without building the graph; return them with the report.
    With *strict*, what the report would warn of stops the import; *meanwhile* is done while the first files
    are read, before any row is made (a check reads its catalogue then)."""
    importer = _read_sources(sources, keep_going, progress, strict, meanwhile)
    return importer.imported(), importer.report


def import_sources(
    sources: Iterable[tuple[Profile, Path]],
    *,
    keep_going: bool = False,
    progress: Progress | None = None,
    strict: bool = False,
) -> tuple[SMSGraph, ImportReport]:
    """Import every (profile, path) into one graph; return it with the import report. With *strict*, what the
    report would warn of stops the import."""
    return _read_sources(sources, keep_going, progress, strict).finish()

"""The files of a source: which files a profile's tables read in a folder (lock and hidden files left out, nothing
read from outside it), and each opened with the columns its table needs checked and its report begun."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from itsms_graph.errors import InputError
from itsms_graph.graph.store import InputFile
from itsms_graph.importers.profile import Profile, Table
from itsms_graph.importers.readers import RowSource, SheetNotFound, open_rows
from itsms_graph.importers.report import FileReport, ImportReport

__all__ = ["files_for", "open_table_file", "source_files", "unmatched_globs"]


def open_table_file(
    profile: Profile, table: Table, path: Path, report_all: ImportReport
) -> tuple[RowSource, dict[str, str], FileReport, InputFile] | None:
    """Open one file of a table: its rows, the header naming each column the table reads, and its FileReport
    (added to *report_all*); None when an optional table's sheet is absent (reported). A required column the
    file lacks is an error naming it. The report lists the file's columns that no table of the profile reading
    the file reads."""
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
    read = {h for t in _tables_reading(profile, path) for h in profile.headers(t, source.columns).values()}
    report = FileReport(
        file=path.name,
        profile=profile.id,
        table=table.name,
        sha256=item.sha256,
        absent_columns=absent,
        unread_columns=sorted(c for c in source.columns if c not in read),
        warnings=list(source.warnings),
    )
    report_all.files.append(report)
    return source, headers, report, item


#: File name starts that are never an export: Excel's lock file beside an open workbook (``~$registers.xlsx``),
#: LibreOffice's (``.~lock.registers.xlsx#``) and hidden files such as macOS's ``._registers.xlsx``. A folder
#: glob such as ``*.xlsx`` matches them, and reading one fails the whole import.
_NOT_EXPORTS = ("~$", ".~lock", ".")


def source_files(
    profile: Profile, path: Path, report: ImportReport, *, strict: bool = False
) -> list[tuple[Table, Path]]:
    """(table, file) for every file at *path* (a folder or one file) a table of *profile* reads, table by table;
    a table no file matches is reported skipped, and a source none matches is an error. A glob that matches
    nothing while another of the table's globs for the same kind of file matches (a typo in one of two) is a
    warning, or with *strict* an error."""
    found = []
    for table in profile.tables:
        files = files_for(table, path)
        if not files:
            report.skipped_tables.append(f"{profile.id}:{table.name}")
        for note in unmatched_globs(profile, table, path):
            if strict:
                raise InputError(note + " (strict)", file=str(path))
            report.warnings.append(note)
        found += [(table, file) for file in files]
    if not found:
        patterns = ", ".join(dict.fromkeys(p for t in profile.tables for p in t.files))
        raise InputError(f"no file matches profile {profile.id} (it reads {patterns})", file=str(path))
    return found


def files_for(table: Table, path: Path) -> list[Path]:
    """The files of a folder that the table's globs match (lock and hidden files left out), or the one file."""
    if path.is_dir():
        return sorted({p for pattern in table.files for p in _globbed(path, pattern)})
    if any(fnmatch.fnmatch(path.name, pattern) for pattern in table.files):
        return [path]
    return []


def _globbed(folder: Path, pattern: str) -> list[Path]:
    """The files of *folder* a glob matches, lock and hidden files left out; a link (or a pattern a profile let
    through, such as ``../*``) may lead out of the folder: never read from there."""
    inside = folder.resolve()
    return [
        p
        for p in folder.glob(pattern)
        if p.is_file() and not p.name.startswith(_NOT_EXPORTS) and p.resolve().is_relative_to(inside)
    ]


def _glob_kind(pattern: str) -> str:
    """The kind of file a glob is written for: its extension, with ``.gz`` (``.csv.gz``). A table's globs of
    different kinds name one export's alternative formats, of which one is there."""
    name = pattern.rsplit("/", 1)[-1].lower()
    gz = name.endswith(".gz")
    return Path(name.removesuffix(".gz")).suffix + (".gz" if gz else "")


def unmatched_globs(profile: Profile, table: Table, path: Path) -> list[str]:
    """A note per glob of *table* that matches no file in the folder *path* while another of its globs for the
    same kind of file matches some: two globs meant to read two parts of an export, one of them mistyped."""
    if not path.is_dir() or len(table.files) < 2:
        return []
    matched = {pattern: len(_globbed(path, pattern)) for pattern in table.files}
    notes = []
    for pattern, hits in matched.items():
        siblings = [q for q, n in matched.items() if n and q != pattern and _glob_kind(q) == _glob_kind(pattern)]
        if not hits and siblings:
            notes.append(
                f"table {profile.id}:{table.name}: glob {pattern!r} matches no file in {path.name or path} "
                f"while {siblings[0]!r} matches {matched[siblings[0]]}"
            )
    return notes


def _tables_reading(profile: Profile, path: Path) -> list[Table]:
    """The tables of *profile* that read the file *path*."""
    return [t for t in profile.tables if any(fnmatch.fnmatch(path.name, pattern) for pattern in t.files)]

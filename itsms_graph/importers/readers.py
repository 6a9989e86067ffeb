"""Reading export files as streams of rows: CSV/TSV (dialect and encoding detected), XLSX, JSON, JSON Lines, YAML,
and ``.gz`` of any of them. A row is ``(row number, {column: value})``; rows are never held twice in memory.

Row numbers are what a person sees: in a CSV or a sheet the header is row 1 and the first record row 2; in JSON
the first record is row 1 (``records[0]``).

CSV is read strictly (RFC 4180): a quote never closed, or closed with text after it, would read the rows after it
as one cell; such a record is a rejection naming its row, column and the lines it spans, and reading goes on at the
line after it.

Why one module of this length: one reader per format (CSV/TSV, XLSX, JSON, JSON Lines, YAML, gzip of each) behind
one row protocol, sharing the header, encoding and location rules that make their rejections say the same thing.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from itsms_graph import safe_yaml
from itsms_graph.errors import InputError
from itsms_graph.limits import check_archive, decode_text, open_gzip

csv.field_size_limit(1 << 24)
_SNIFF_BYTES = 1 << 16


class SheetNotFound(InputError):
    """A workbook without the sheet a table names: the importer skips an optional table, else stops."""

    def __init__(self, path: Path, sheet: str, sheets: list[str]) -> None:
        super().__init__(f"no sheet {sheet!r} (sheets: {', '.join(sheets)})", file=path.name)
        self.sheet, self.sheets = sheet, sheets


@dataclass
class RowSource:
    """An opened file: its columns and an iterator of rows."""

    path: Path
    format: str
    columns: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str = ""
    delimiter: str = ""
    #: what opening the file found that imports but may not be what was meant (the import report lists it)
    warnings: list[str] = field(default_factory=list)


def detect_format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    for ext, fmt in (
        (".csv", "csv"),
        (".tsv", "tsv"),
        (".txt", "csv"),
        (".xlsx", "xlsx"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
        (".yaml", "yaml"),
        (".yml", "yaml"),
        (".xes", "xes"),
        (".xmlocel", "ocel"),
        (".jsonocel", "ocel"),
    ):
        if name.endswith(ext):
            return fmt
    raise InputError("cannot tell the format from the file name (use a profile's format:)", file=path.name)


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return open_gzip(path)  # type: ignore[return-value]
    return path.open("rb")


def _head(path: Path) -> bytes:
    try:
        with _open_binary(path) as fh:
            return fh.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read: {exc}", file=path.name) from None


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the head decodes as UTF-8, UTF-16 with a BOM (Excel's "Unicode text"),
    else cp1252 (Windows Latin-1)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # the codec reads the BOM and the byte order from it
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a multi-byte character cut at the end of the head
            return "cp1252"
    return "utf-8"


def header_names(cells: list[Any], path: Path, row: int = 1) -> list[str]:
    """A header row's column names: a byte order mark and whitespace around a name are not part of it (a BOM
    left by an encoding stated as plain UTF-8, or by files concatenated); a line break inside a name is refused,
    naming the column, since no profile could name it."""
    names = []
    for place, cell in enumerate(cells, start=1):
        name = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        if "\r" in name or "\n" in name:
            raise InputError(
                f"header column {place} ({name!r}) holds a line break; rename the column in the export",
                file=path.name,
                row=row,
                column=repr(name),
            )
        names.append(name)
    return names


def _single_byte(encoding: str) -> bool:
    """Whether *encoding* reads every byte as one character (latin-1, cp1252, ...): UTF-8 text read so is mojibake
    rather than an error."""
    try:
        return len(b"\xc3\xa9".decode(encoding, errors="replace")) == 2
    except LookupError:
        return False


def utf8_under_single_byte(path: Path, encoding: str, delimiter: str, columns: list[str]) -> str | None:
    """A warning when a file declared in a single-byte encoding is valid UTF-8 with multi-byte characters (it then
    imports as mojibake, ``Ã©`` for ``é``): the first such cell's row, column and text. None otherwise."""
    if not _single_byte(encoding):
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    multi = False
    try:
        with _open_binary(path) as fh:
            while block := fh.read(1 << 20):
                multi = multi or not block.isascii()
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, OSError, EOFError, zlib.error):
        return None  # not UTF-8 (or unreadable, which reading it says): the declared encoding stands
    if not multi:
        return None
    stream = _text_stream(path, "utf-8-sig")
    try:
        for row_no, values in enumerate(csv.reader(stream, delimiter=delimiter), start=1):
            for place, value in enumerate(values):
                if not value.isascii():
                    column = columns[place] if row_no > 1 and place < len(columns) else f"header column {place + 1}"
                    shown = value.encode("utf-8").decode(encoding, errors="replace")
                    return (
                        f"{path.name} is declared {encoding} but is valid UTF-8 with multi-byte characters: row "
                        f"{row_no}, column {column} reads {shown!r} where UTF-8 reads {value!r} (state encoding: "
                        "utf-8, or leave it out to detect it)"
                    )
    except (csv.Error, UnicodeDecodeError, OSError):
        pass
    finally:
        stream.close()
    return None


def _detect_delimiter(sample: str, fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    first = sample.splitlines()[0] if sample else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _text_stream(path: Path, encoding: str) -> IO[str]:
    return io.TextIOWrapper(_open_binary(path), encoding=encoding, newline="")


def _csv_rows(path: Path, fmt: str, encoding: str | None, delimiter: str | None) -> RowSource:
    head = _head(path)
    enc = encoding or detect_encoding(head)
    try:
        sample = head.decode(enc, errors="replace")
    except LookupError:
        raise InputError(f"unknown encoding {enc!r}", file=path.name) from None
    # Excel writes a first line "sep=;" when asked to: it states the separator and is not the header
    hint = re.match(r"sep=(.)\r?\n", sample.lstrip("\ufeff"))
    delim = delimiter or (hint.group(1) if hint else _detect_delimiter(sample, fmt))
    stream = _text_stream(path, enc)
    if hint:
        stream.readline()
    lines = _Lines(stream, 1 if hint else 0)
    reader = csv.reader(lines, delimiter=delim, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        stream.close()
        raise InputError("the file is empty (no header row)", file=path.name, row=2 if hint else 1) from None
    except UnicodeDecodeError as exc:
        stream.close()
        raise _decoding_error(path, enc, delim, [], exc) from None
    except csv.Error as exc:
        stream.close()
        raise InputError(f"cannot read the header: {exc}", file=path.name, row=2 if hint else 1) from None
    try:
        columns = header_names(header, path, 2 if hint else 1)
    except InputError:
        stream.close()
        raise
    repeated = {c for c in columns if c and columns.count(c) > 1}
    unnamed = "" in columns  # a column without a header (a trailing separator) is not read

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        row_no = 2 if hint else 1  # the header's line: the first record is on the next
        try:
            while True:
                lines.start()
                try:
                    values = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:  # the reader goes on at the line after the one it stopped on
                    row_no += 1
                    reason, at = lines.quote_fault(exc, delim)
                    fault: dict[str, Any] = {"__error__": reason}
                    if at is not None and at < len(columns) and columns[at]:
                        fault["__column__"] = columns[at]
                    yield row_no, fault
                    continue
                row_no += 1
                if len(values) > len(columns) and any(v.strip() for v in values[len(columns) :]):
                    yield row_no, {"__error__": f"row has {len(values)} fields, the header has {len(columns)}"}
                    continue
                if 0 < len(values) < len(columns) and any(columns[len(values) :]):
                    missing = next(c for c in columns[len(values) :] if c)
                    reason = (
                        f"row has {len(values)} fields, the header has {len(columns)} (a truncated or malformed row)"
                    )
                    yield row_no, {"__error__": reason, "__column__": missing}
                    continue
                if repeated:
                    yield row_no, _with_repeats(columns, values, repeated)
                elif unnamed:
                    yield row_no, {c: v for c, v in zip(columns, values, strict=False) if c}
                else:
                    yield row_no, dict(zip(columns, values, strict=False))
        except UnicodeDecodeError as exc:
            raise _decoding_error(path, enc, delim, columns, exc) from None
        except (EOFError, zlib.error, OSError) as exc:
            raise InputError(f"the file is truncated or corrupt: {exc}", file=path.name, row=row_no + 1) from None
        finally:
            stream.close()

    source = RowSource(path, fmt, [c for c in columns if c], rows(), enc, delim)
    if encoding is not None:  # a declared encoding: said so when the text is UTF-8 all the same
        warning = utf8_under_single_byte(path, enc, delim, columns)
        if warning is not None:
            source.warnings.append(warning)
    return source


class _Lines:
    """A text stream's lines for csv.reader, counted, keeping the lines of the record being read: a record the
    strict reader refuses (a quote never closed, text after a closing quote) is then located by its first line,
    its column and the lines it would have swallowed."""

    def __init__(self, stream: IO[str], before: int) -> None:
        self._stream = stream
        self.number = before  # the lines read so far
        self.first = before + 1  # the first line of the record being read
        self.record: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._stream.readline()
        if not line:
            raise StopIteration
        self.number += 1
        if len(self.record) < 2:  # the first line locates a fault; a second says the record spans lines
            self.record.append(line)
        return line

    def start(self) -> None:
        """The next line read starts a record."""
        self.first, self.record = self.number + 1, []

    def quote_fault(self, exc: csv.Error, delimiter: str) -> tuple[str, int | None]:
        """Why the strict reader refused the record it was reading, and the place of the field at fault."""
        at = quote_fault_field(self.record[0] if self.record else "", delimiter)
        last = self.number
        if "unexpected end of data" in str(exc):
            return (
                f"a quote opened in this row is never closed: lines {self.first}-{last} (the rest of the file) "
                "would be read as one cell",
                at,
            )
        if "expected after" in str(exc):
            if last > self.first:
                return (
                    f"a quote opened in this row closes only on line {last}, with text after it: lines "
                    f"{self.first}-{last} would be read as one cell (a quote inside a quoted cell is written twice)",
                    at,
                )
            return "text after a closing quote (a quote inside a quoted cell is written twice)", at
        return f"malformed CSV: {exc}", at


def quote_fault_field(line: str, delimiter: str) -> int | None:
    """The place of the field of *line* where a quote goes wrong: one never closed on the line, or one closed and
    followed by text; None when the line has neither (RFC 4180, as csv.reader reads it with strict=True)."""
    field, state = 0, "start"
    for c in line.rstrip("\r\n"):
        if state == "start":
            state = "quoted" if c == '"' else "plain"
            if c == delimiter:
                field, state = field + 1, "start"
        elif state == "plain":
            if c == delimiter:
                field, state = field + 1, "start"
        elif state == "quoted":
            if c == '"':
                state = "closed"
        elif c == '"':  # closed: a doubled quote inside the cell
            state = "quoted"
        elif c == delimiter:
            field, state = field + 1, "start"
        else:
            return field
    return field if state == "quoted" else None


def _decoding_error(
    path: Path, encoding: str, delimiter: str, columns: list[str], exc: UnicodeDecodeError
) -> InputError:
    bad_row, bad_column = _locate_bad_bytes(path, encoding, delimiter, columns)
    return InputError(
        f"not valid {encoding} text ({exc.reason}); state the profile's encoding",
        file=path.name,
        row=bad_row,
        column=bad_column,
    )


def _with_repeats(columns: list[str], values: list[Any], repeated: set[str]) -> dict[str, Any]:
    """A row by header, a column without a header left out; where the header repeats a column (Jira repeats a link
    column once per link, in CSV or a sheet), the repeated column's non-empty values as a list, so no value is
    lost."""
    row: dict[str, Any] = {}
    for c, v in zip(columns, values, strict=False):
        if not c:
            continue
        if c in repeated:
            row.setdefault(c, [])
            if v is not None and str(v).strip():
                row[c].append(v)
        else:
            row[c] = v
    return row


def _locate_bad_bytes(path: Path, encoding: str, delimiter: str, columns: list[str]) -> tuple[int | None, str | None]:
    """The row and column of the first bytes that do not decode (text streams decode in blocks, so re-scan)."""
    sep = delimiter.encode(encoding, errors="replace") if encoding else delimiter.encode()
    try:
        with _open_binary(path) as fh:
            for row_no, line in enumerate(fh, start=1):
                if row_no == 1 and not columns:
                    header = line.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
                    try:
                        columns = [c.strip() for c in next(csv.reader([header], delimiter=delimiter), [])]
                    except csv.Error:  # a header holding a lone CR (a classic Mac file is one binary "line")
                        columns = []
                try:
                    line.decode(encoding)
                except UnicodeDecodeError:
                    for i, cell in enumerate(line.split(sep)):
                        try:
                            cell.decode(encoding)
                        except UnicodeDecodeError:
                            return row_no, columns[i] if i < len(columns) else None
                    return row_no, None
    except (OSError, EOFError, zlib.error):
        pass
    return None, None


def _records_rows(path: Path, fmt: str, records: list[Any], member: str = "value") -> RowSource:
    columns: list[str] = []
    seen: set[str] = set()
    for rec in records:
        if isinstance(rec, dict):
            for k in rec:
                if k not in seen:
                    seen.add(k)
                    columns.append(str(k))

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for i, rec in enumerate(records, start=1):
            if not isinstance(rec, dict):
                yield i, {"__error__": f"record {i} is not an object"}
                continue
            row = {str(k): _flatten(v, member) for k, v in rec.items()}
            nested = next((k for k, v in row.items() if not _plain(v)), None)
            if nested is not None:
                kind = "an object" if isinstance(row[nested], dict) else "a list holding objects or lists"
                yield (
                    i,
                    {"__error__": f"the cell is {kind}, not a value (state the table's member:)", "__column__": nested},
                )
                continue
            broken = next((k for k, v in row.items() if _unpaired(v)), None)
            if broken is not None:  # found by make fuzz: it failed in Arrow, which holds only UTF-8
                yield (
                    i,
                    {
                        "__error__": "the cell holds half of a UTF-16 surrogate pair (an escape such as \\udd0f "
                        "that names no character): fix the export's escaping",
                        "__column__": broken,
                    },
                )
                continue
            yield i, row

    return RowSource(path, fmt, columns, rows())


#: the members of a cell object that hold its value, tried after the table's ``member``: ServiceNow's Table API
#: gives {"value", "link"} (raw values), {"display_value", "link"} (display values) or both (display value all)
_MEMBERS = ("value", "display_value")


#: Half of a UTF-16 surrogate pair: a JSON or YAML escape (\ud800-\udfff) may name one alone, which is no character
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unpaired(value: Any) -> bool:
    """Whether a cell (a value or a list of values) holds a lone surrogate, which no UTF-8 text can hold."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    return isinstance(value, list) and any(isinstance(v, str) and _SURROGATE.search(v) for v in value)


def _plain(value: Any) -> bool:
    """A cell a column can hold: a value, or a list of values (a repeated or multi-valued column)."""
    if isinstance(value, dict):
        return False
    return not isinstance(value, list) or not any(isinstance(v, (dict, list)) for v in value)


def _flatten(value: Any, member: str = "value") -> Any:
    """A cell that is an object read as one of its members: *member* (a table's ``member``), else value, else
    display_value; an object with none of them is left as it is."""
    if isinstance(value, dict):
        for key in (member, *_MEMBERS):
            if key in value:
                return value[key]
    return value


def _load_structured(path: Path, fmt: str, records_key: str | None, member: str = "value") -> RowSource:
    try:
        with _open_binary(path) as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"the file is truncated or corrupt: {exc}", file=path.name) from None
    # JSON and YAML are Unicode by their standards: UTF-8 (a BOM allowed), or UTF-16 with its BOM
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-16 text ({exc.reason} at byte {exc.start})", file=path.name) from None
    else:
        text = decode_text(raw, path.name)
    try:
        if fmt == "jsonl":
            data: Any = []
            for n, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        data.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InputError(f"malformed JSON line: {exc.msg}", file=path.name, row=n) from None
        elif fmt == "json":
            data = json.loads(text)
        else:
            data = safe_yaml.load(text, path.name)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg} at line {exc.lineno}", file=path.name) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=path.name) from None
    except RecursionError:  # json's C parser checks Python's recursion limit (about 1,000 levels)
        raise InputError("nested too deeply to read (records are objects of values)", file=path.name) from None
    if isinstance(data, dict):
        key = records_key or next((k for k in ("records", "result", "rows") if k in data), None)
        if key is None or not isinstance(data.get(key), list):
            raise InputError("expected a list of records, or an object with a 'records' list", file=path.name)
        data = data[key]
    if not isinstance(data, list):
        raise InputError("expected a list of records", file=path.name)
    return _records_rows(path, fmt, data, member)


def _xlsx_rows(path: Path, sheet: str | None) -> RowSource:
    try:
        import openpyxl
    except ImportError:
        raise InputError("reading XLSX needs openpyxl (pip install openpyxl)", file=path.name) from None
    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(path.name, archive)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(f"not a readable XLSX workbook: {exc}", file=path.name) from None
    if sheet is not None and sheet not in book.sheetnames:
        sheets = book.sheetnames
        book.close()  # a read-only workbook keeps its file open until closed
        raise SheetNotFound(path, sheet, sheets)
    # a workbook's first sheet may be hidden (a lookup list, a macro's scratch): the first one a person sees is read
    visible = [w for w in book.worksheets if getattr(w, "sheet_state", "visible") == "visible"]
    if not sheet and not visible:
        book.close()
        raise InputError(
            "every sheet of the workbook is hidden; name the sheet to read (a profile's sheet:)", file=path.name
        )
    ws = book[sheet] if sheet else visible[0]
    it = ws.iter_rows(values_only=True)
    try:
        header = next(it, None)
    except Exception as exc:  # a damaged sheet fails in openpyxl's XML parser, as many types
        book.close()
        raise InputError(f"the sheet is damaged: {type(exc).__name__}: {exc}", file=path.name, row=1) from None
    if header is None:
        book.close()
        raise InputError("the sheet is empty (no header row)", file=path.name, row=1)
    try:
        columns = header_names(list(header), path)
    except InputError:
        book.close()
        raise
    repeated = {c for c in columns if c and columns.count(c) > 1}

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        n = 1
        try:
            for n, values in enumerate(it, start=2):
                yield n, _with_repeats(columns, list(values), repeated)
        except Exception as exc:  # a damaged sheet fails in openpyxl's XML parser, as many types
            raise InputError(
                f"the sheet is damaged from this row on: {type(exc).__name__}: {exc}", file=path.name, row=n + 1
            ) from None
        finally:
            book.close()

    return RowSource(path, "xlsx", [c for c in columns if c], rows())


def open_rows(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    records_key: str | None = None,
    sheet: str | None = None,
    member: str = "value",
) -> RowSource:
    """Open *path* and return its columns and a lazy iterator of its rows."""
    if not path.is_file():
        raise InputError("no such file", file=path.name)
    fmt = fmt or detect_format(path)
    if fmt in ("csv", "tsv"):
        return _csv_rows(path, fmt, encoding, delimiter)
    if fmt == "xlsx":
        return _xlsx_rows(path, sheet)
    if fmt in ("xes", "ocel"):  # event logs: the table a process-mining tool flattens them to (eventlogs.py)
        from itsms_graph.importers.eventlogs import open_ocel, open_xes

        columns, rows = open_xes(path) if fmt == "xes" else open_ocel(path, records_key)
        return RowSource(path, fmt, columns, rows)
    return _load_structured(path, fmt, records_key, member)

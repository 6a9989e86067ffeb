"""Reading process-mining event logs as rows: XES (IEEE 1849) and OCEL 2.0 (XML or JSON), ``.gz`` of either.

A log is read as the table a process-mining tool flattens it to, so that a profile maps it as it would map that
table exported as CSV (and gets the same graph):

- XES: one row per event, its attributes by key (``concept:name``, ``time:timestamp``, ``org:resource``), and its
  trace's attributes as ``case:KEY`` (``case:concept:name``), as pm4py and ProM name them. Values are the text
  the log holds (a ``date`` as written, offset included); a ``list`` or ``container`` attribute and the
  meta-attributes nested in an attribute are not read (the report lists no such column).
- OCEL 2.0: a table states which of the log's four tables it reads (``records_key``): ``events`` (``ocel:eid``,
  ``ocel:activity``, ``ocel:timestamp``, the event's attributes), ``objects`` (``ocel:oid``, ``ocel:type``, each
  attribute's latest value), ``event_objects`` (``ocel:eid``, ``ocel:activity``, ``ocel:timestamp``,
  ``ocel:oid``, ``ocel:type``, ``ocel:qualifier``: which events concern which objects) and ``object_objects``
  (``ocel:oid``, ``ocel:type``, ``ocel:oid_2``, ``ocel:type_2``, ``ocel:qualifier``: how objects relate).

Rows are numbered as that table's CSV rows are (the header row 1, the first record row 2), so a rejection's row
is the line of the same record in the log's CSV flattening. XML is read streamed (one trace, or one object or
event, at a time, by Python's expat: as fast as lxml on a 90k-event log and no dependency,
``benchmarks/RESULTS-xes.md``), in two passes: the first finds the columns (and each object's type), remembered for
the other tables that read the log, the second gives the rows. An OCEL JSON file is read whole. No external entity
is fetched, and a document whose entities amplify it is refused.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import xml.etree.ElementTree as ElementTree
import zlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal

from itsms_graph.errors import InputError

#: The four tables of an OCEL 2.0 log, as a profile's ``records_key`` names them
OCEL_TABLES = ("events", "objects", "event_objects", "object_objects")
#: XES attribute elements whose ``value`` is a cell (``list`` and ``container`` hold other attributes), by their tag
#: with and without the XES namespace: a set lookup per attribute instead of splitting each tag
_XES_NS = "{http://www.xes-standard.org/}"
_XES_VALUES = frozenset(
    tag for name in ("string", "date", "int", "float", "boolean", "id") for tag in (name, _XES_NS + name)
)
_XES_EVENT = frozenset({"event", _XES_NS + "event"})
_XES_TRACE = frozenset({"trace", _XES_NS + "trace"})

Row = tuple[int, dict[str, Any]]


def _open(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _iterparse(fh: IO[bytes], events: tuple[Literal["start", "end"], ...]) -> Iterator[tuple[str, Any]]:
    """(event, element) of an XML stream, by Python's own expat parser: as fast as lxml's iterparse at reading an
    XES log into rows (within 7 %, the machine's noise) without a dependency; rustxes and pm4py were faster but hold
    the whole log (benchmarks/RESULTS-xes.md). Expat fetches no external entity, and refuses a document whose
    entities amplify it (a billion laughs)."""
    return ElementTree.iterparse(fh, events=events)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xml_errors(path: Path, read: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    """*read*'s items, a malformed or truncated file said as an InputError naming it (and where the parser
    stopped)."""
    try:
        yield from read()
    except ElementTree.ParseError as exc:
        raise InputError(f"malformed XML: {exc}", file=path.name) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"the file is truncated or corrupt: {exc}", file=path.name) from None


# -- XES -----------------------------------------------------------------------------------------------------------


def _cells(elem: Any, prefix: str = "") -> dict[str, Any]:
    """An XES element's own attributes by key (a ``list`` or ``container``, and attributes nested in an
    attribute, left out)."""
    cells = {}
    for a in elem:
        if a.tag in _XES_VALUES:
            key = a.get("key")
            if key is not None:
                cells[prefix + key] = a.get("value")
    return cells


def _trace_rows(trace: Any) -> list[dict[str, Any]]:
    """A trace's events as rows: each event's attributes, and the trace's as ``case:KEY`` (which may follow its
    events in the file)."""
    case = _cells(trace, "case:")
    return [{**case, **_cells(e)} for e in trace if e.tag in _XES_EVENT]


def xes_rows(path: Path) -> Iterator[Row]:
    """One row per event: its attributes and its trace's as ``case:KEY``, numbered from 2 (a CSV's rows). A trace
    is read whole as it ends, then dropped."""

    def read() -> Iterator[Row]:
        row_no = 1
        with _open(path) as fh:
            root = None
            for kind, elem in _iterparse(fh, ("start", "end")):
                if root is None:
                    root = elem
                if kind == "end" and elem.tag in _XES_TRACE:
                    for row in _trace_rows(elem):
                        row_no += 1
                        yield row_no, row
                    root.clear()  # the traces read: expat's tree keeps them as the log's children otherwise

    return _xml_errors(path, read)


# -- OCEL 2.0 ------------------------------------------------------------------------------------------------------


def _latest(values: list[tuple[str, int, Any]]) -> Any:
    """The value with the latest time (then the later in the file): an object attribute's current value."""

    def instant(text: str) -> dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return dt.datetime.min.replace(tzinfo=dt.UTC)
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    return max(values, key=lambda v: (instant(v[0]), v[1]))[2]


def _object_row(oid: Any, otype: Any, attributes: list[tuple[str, str, Any]]) -> dict[str, Any]:
    """An object's row: its id, type and each attribute's latest value (attributes: name, time, value)."""
    by_name: dict[str, list[tuple[str, int, Any]]] = {}
    for place, (name, time, value) in enumerate(attributes):
        by_name.setdefault(name, []).append((time or "", place, value))
    return {"ocel:oid": oid, "ocel:type": otype, **{n: _latest(v) for n, v in by_name.items()}}


#: One OCEL 2.0 record as the reader sees it, whatever the file's syntax: ("object", id, type, time, attributes
#: [(name, time, value)], relationships [(object id, qualifier)]) or ("event", ...), the time None for an object
Entity = tuple[str, Any, Any, Any, list[tuple[str, str, Any]], list[tuple[Any, Any]]]


def _ocel_xml_entities(path: Path) -> Iterator[Entity]:
    stack: list[Any] = []  # the open elements: an object's or event's parent is the list it is read from
    with _open(path) as fh:
        for kind, elem in _iterparse(fh, ("start", "end")):
            if kind == "start":
                stack.append(elem)
                continue
            stack.pop()
            tag = _local(elem.tag)
            if tag not in ("object", "event") or not stack or _local(stack[-1].tag) not in ("objects", "events"):
                continue
            attributes, relationships = [], []
            for child in elem:
                group = _local(child.tag)
                for item in child:
                    if not isinstance(item.tag, str):
                        continue
                    if group == "attributes":
                        attributes.append((item.get("name"), item.get("time"), item.text or ""))
                    elif group == "objects":
                        relationships.append((item.get("object-id"), item.get("qualifier")))
            yield tag, elem.get("id"), elem.get("type"), elem.get("time"), attributes, relationships
            stack[-1].clear()  # the entities read: the parser keeps them as the list's children otherwise


def _ocel_json_entities(path: Path) -> Iterator[Entity]:
    try:
        with _open(path) as fh:
            data = json.loads(fh.read())
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg} at line {exc.lineno}", file=path.name) from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(f"the file is truncated or corrupt: {exc}", file=path.name) from None
    if not isinstance(data, dict) or not isinstance(data.get("objects", []), list):
        raise InputError("not an OCEL 2.0 JSON log (an object with 'objects' and 'events' lists)", file=path.name)
    for kind, key in (("object", "objects"), ("event", "events")):
        for entity in data.get(key) or []:
            if not isinstance(entity, dict):
                raise InputError(f"an entry of {key!r} is not an object", file=path.name)
            attributes = [(a.get("name"), a.get("time"), a.get("value")) for a in entity.get("attributes") or []]
            relationships = [(r.get("objectId"), r.get("qualifier")) for r in entity.get("relationships") or []]
            yield kind, entity.get("id"), entity.get("type"), entity.get("time"), attributes, relationships


def _ocel_entities(path: Path) -> Iterator[Entity]:
    with _open(path) as fh:
        try:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"the file is truncated or corrupt: {exc}", file=path.name) from None
    if head.startswith(b"{"):
        return _ocel_json_entities(path)
    return _xml_errors(path, lambda: _ocel_xml_entities(path))


def ocel_rows(path: Path, table: str, types: dict[Any, Any]) -> Iterator[Row]:
    """The rows of one of the log's four tables (OCEL_TABLES), numbered from 2; *types*: object id -> type."""
    row_no = 1
    for kind, ident, otype, time, attributes, relationships in _ocel_entities(path):
        if table == "objects" and kind == "object":
            row_no += 1
            yield row_no, _object_row(ident, otype, attributes)
        elif table == "events" and kind == "event":
            row_no += 1
            yield (
                row_no,
                {
                    "ocel:eid": ident,
                    "ocel:activity": otype,
                    "ocel:timestamp": time,
                    **{name: value for name, _, value in attributes},
                },
            )
        elif table == "event_objects" and kind == "event":
            for oid, qualifier in relationships:
                row_no += 1
                yield (
                    row_no,
                    {
                        "ocel:eid": ident,
                        "ocel:activity": otype,
                        "ocel:timestamp": time,
                        "ocel:oid": oid,
                        "ocel:type": types.get(oid),
                        "ocel:qualifier": qualifier,
                    },
                )
        elif table == "object_objects" and kind == "object":
            for target, qualifier in relationships:
                row_no += 1
                yield (
                    row_no,
                    {
                        "ocel:oid": ident,
                        "ocel:type": otype,
                        "ocel:oid_2": target,
                        "ocel:type_2": types.get(target),
                        "ocel:qualifier": qualifier,
                    },
                )


# -- opening a log as a row source -----------------------------------------------------------------------------------


def _columns(rows: Iterator[Row]) -> list[str]:
    """Every column the rows have, in the order they first appear (the first pass over the log)."""
    seen: dict[str, None] = {}
    for _, row in rows:
        for key in row:
            if key not in seen:
                seen[key] = None
    return list(seen)


def _stamp(path: Path) -> tuple[str, int, int]:
    """What identifies a file's content for the first pass's memo: its path, size and modification time."""
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


@lru_cache(maxsize=4)
def _xes_columns(stamp: tuple[str, int, int]) -> list[str]:
    return _columns(xes_rows(Path(stamp[0])))


@lru_cache(maxsize=4)
def _ocel_first_pass(stamp: tuple[str, int, int]) -> tuple[dict[Any, Any], dict[str, list[str]]]:
    """Each object's type, and the columns of the events and objects tables, in one pass over the log."""
    path = Path(stamp[0])
    types: dict[Any, Any] = {}
    columns: dict[str, dict[str, None]] = {
        "events": dict.fromkeys(("ocel:eid", "ocel:activity", "ocel:timestamp")),
        "objects": dict.fromkeys(("ocel:oid", "ocel:type")),
    }
    for kind, ident, otype, _, attributes, _ in _ocel_entities(path):
        if kind == "object":
            types[ident] = otype
        for name, _, _ in attributes:
            columns["events" if kind == "event" else "objects"].setdefault(name)
    return types, {table: list(names) for table, names in columns.items()}


def open_xes(path: Path) -> tuple[list[str], Iterator[Row]]:
    """The columns of an XES log and its rows: two streamed passes, the first remembered for the other tables
    that read the same log."""
    return list(_xes_columns(_stamp(path))), xes_rows(path)


def open_ocel(path: Path, table: str | None) -> tuple[list[str], Iterator[Row]]:
    """The columns of one table of an OCEL 2.0 log and its rows: the first pass also learns each object's type,
    which the relationship tables give beside each object id."""
    if table not in OCEL_TABLES:
        stated = f"records_key {table!r}" if table else "no records_key"
        raise InputError(
            f"an OCEL 2.0 log holds the tables {', '.join(OCEL_TABLES)}; the profile's table states {stated}",
            file=path.name,
        )
    types, columns = _ocel_first_pass(_stamp(path))
    if table in columns:
        return list(columns[table]), ocel_rows(path, table, types)
    fixed = {
        "event_objects": ["ocel:eid", "ocel:activity", "ocel:timestamp", "ocel:oid", "ocel:type", "ocel:qualifier"],
        "object_objects": ["ocel:oid", "ocel:type", "ocel:oid_2", "ocel:type_2", "ocel:qualifier"],
    }
    return fixed[table], ocel_rows(path, table, types)

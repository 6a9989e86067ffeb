"""Turning a cell into an ontology value: nulls, true/false spellings, date formats, value maps, decimal commas.

A value that cannot be converted raises ValueError with the reason; the importer adds file, row and column.

Time has one rule (``instant_text``): a timestamp is stored as the UTC instant it names, as ISO text without an
offset (``2010-03-31T14:59:42``), so that text order is time order on every engine. A timestamp with an offset
(``+02:00``, ``Z``) is converted by it; a naive one is taken in the zone its profile states (``timezone``, UTC
unless stated), a local time that zone skips is refused and one it repeats is the first (the earlier instant). A
date is a calendar date and stays the one written. The original offset stays in the source row, which every node
names (``source_file``, ``source_row``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import sys
import zoneinfo
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Protocol


class Column(Protocol):
    """What a conversion reads of a profile's column (``importers.profile.Column`` is one): declared here so that
    the profile, which checks its zones with this module, is not imported back."""

    @property
    def formats(self) -> tuple[str, ...]: ...
    @property
    def true(self) -> tuple[str, ...]: ...
    @property
    def false(self) -> tuple[str, ...]: ...
    @property
    def map(self) -> Mapping[str, Any]: ...
    @property
    def decimal_comma(self) -> bool: ...


_ISO_DATETIME = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
)
_ISO_DATE = ("%Y-%m-%d",)
#: the zone a profile takes naive timestamps in unless it states one
DEFAULT_ZONE = "UTC"
_UTC = dt.UTC


@lru_cache(maxsize=64)
def time_zone(name: str) -> dt.tzinfo:
    """The IANA zone *name* (``Europe/Amsterdam``, ``UTC``); ValueError naming the nearest known names."""
    if name == DEFAULT_ZONE:
        return _UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    import difflib

    near = difflib.get_close_matches(name, sorted(zoneinfo.available_timezones()), n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else ""
    raise ValueError(f"unknown time zone {name!r}{hint}; an IANA name such as 'Europe/Amsterdam' or 'UTC'")


def instant_text(moment: dt.datetime | dt.date, kind: str, zone: str = DEFAULT_ZONE) -> str:
    """The one rule (see the module): what the store keeps of *moment* for a ``date`` or ``datetime`` property."""
    if not isinstance(moment, dt.datetime):
        if kind == "date":
            return moment.isoformat()
        moment = dt.datetime.combine(moment, dt.time())  # a day's start, in the stated zone
    if kind == "date":
        return moment.date().isoformat()  # the calendar date written, offset or not
    if moment.tzinfo is None:
        if zone == DEFAULT_ZONE:
            return moment.replace(microsecond=0).isoformat()
        tz = time_zone(zone)
        local = moment.replace(tzinfo=tz)  # fold 0: a repeated local time is the first of the two
        if local.astimezone(_UTC).astimezone(tz).replace(tzinfo=None) != moment:
            raise ValueError(f"{moment.isoformat(sep=' ')} does not exist in {zone} (the clocks skip it)")
        moment = local
    return moment.astimezone(_UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _int64(value: int, raw: Any) -> int:
    """*value*, when a graph engine can hold it (a signed 64-bit integer: Arrow, duckdb, Neo4j, FalkorDB)."""
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f"{raw!r} is beyond the 64-bit integer range")
    return value


def is_null(raw: Any, nulls: tuple[str, ...]) -> bool:
    if raw is None:
        return True
    if isinstance(raw, list):  # a repeated column
        return all(is_null(v, nulls) for v in raw)
    return isinstance(raw, str) and raw.strip() in nulls


#: strptime directives the fast path reads itself, with what each accepts (as strptime does: 1-2 digits), as
#: named groups: the same pattern reads a column's distinct time parts in Arrow (RE2 takes this syntax too)
_FAST_DIRECTIVES = {
    "Y": r"(?P<Y>\d{4})",
    "m": r"(?P<m>\d{1,2})",
    "d": r"(?P<d>\d{1,2})",
    "H": r"(?P<H>\d{1,2})",
    "M": r"(?P<M>\d{1,2})",
    "S": r"(?P<S>\d{1,2})",
    "f": r"(?P<f>\d{1,6})",
}


@lru_cache(maxsize=64)
def _fast_format(fmt: str) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    """*fmt* as a regular expression and the order of its fields, when it uses only %Y %m %d %H %M %S %f
    (what ITSM exports use); None sends the format to strptime."""
    pattern, fields, i = [], [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            directive = fmt[i + 1 : i + 2]
            if directive not in _FAST_DIRECTIVES or directive in fields:
                return None
            pattern.append(_FAST_DIRECTIVES[directive])
            fields.append(directive)
            i += 2
            continue
        pattern.append(r"\s+" if ch.isspace() else re.escape(ch))
        i += 1
    return re.compile("".join(pattern), re.IGNORECASE), tuple(fields)


def _strptime(text: str, fmt: str) -> dt.datetime:
    """datetime.strptime, read without it for the common numeric formats (six times faster; the same answer:
    a text the fast path does not take goes to strptime)."""
    compiled = _fast_format(fmt)
    if compiled is not None:
        found = compiled[0].fullmatch(text)
        if found is not None:
            parts = dict(zip(compiled[1], found.groups(), strict=True))
            try:
                return dt.datetime(
                    int(parts.get("Y", 1900)),
                    int(parts.get("m", 1)),
                    int(parts.get("d", 1)),
                    int(parts.get("H", 0)),
                    int(parts.get("M", 0)),
                    int(parts.get("S", 0)),
                    int(parts.get("f", "0").ljust(6, "0")),
                )
            except ValueError:
                pass
    return dt.datetime.strptime(text, fmt)


@lru_cache(maxsize=1 << 16)
def parse_temporal(text: str, formats: tuple[str, ...], kind: str, zone: str = DEFAULT_ZONE) -> str:
    """*text* read by the first of *formats* that takes it, else as ISO-8601 (with an offset or ``Z`` too), as
    instant_text keeps it. Cached: exports repeat the same timestamps many times (an incident's events)."""
    parsed: dt.datetime | None = None
    for fmt in (*formats, *(_ISO_DATETIME + _ISO_DATE)):
        try:
            parsed = _strptime(text, fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = dt.datetime.fromisoformat(text)  # offsets, Z, fractions of a second
        except ValueError:
            shown = ", ".join(formats) if formats else "ISO-8601"
            raise ValueError(f"{text!r} is not a {kind} in the format {shown}") from None
    return instant_text(parsed, kind, zone)


def _split_format(fmt: str) -> tuple[str, str] | None:
    """A format of a date part, one space, and a time part (``%d-%m-%Y %H:%M``), as its two parts."""
    if fmt.count(" ") != 1:
        return None
    date_fmt, time_fmt = fmt.split(" ")
    date_directives = set(re.findall(r"%(.)", date_fmt))
    time_directives = set(re.findall(r"%(.)", time_fmt))
    if date_directives <= {"Y", "m", "d"} and time_directives <= {"H", "M", "S", "f"} and time_directives:
        return date_fmt, time_fmt
    return None


#: the most date parts, and time parts, one column's parser remembers
PART_MEMO_MAX = 200_000


class TemporalParser:
    """parse_temporal for one column's formats, reading a timestamp as a date part and a time part, each
    remembered: an export's timestamps are mostly distinct, but their days and their times of day repeat
    (466k BPIC 2014 activity timestamps, a few thousand days). Same answers as parse_temporal (tested)."""

    def __init__(self, formats: tuple[str, ...], kind: str, zone: str = DEFAULT_ZONE) -> None:
        self.formats, self.kind, self.zone = formats, kind, zone
        # a naive timestamp outside UTC is an instant only whole (the zone's offset depends on the day and hour)
        whole = kind == "datetime" and zone != DEFAULT_ZONE
        self.splits = [] if whole else [_split_format(f) for f in formats]
        self.dates: dict[tuple[int, str], str | None] = {}
        self.times: dict[tuple[int, str], str | None] = {}

    def _part(self, memo: dict[tuple[int, str], str | None], i: int, text: str, fmt: str, date: bool) -> str | None:
        key = (i, text)
        found = memo.get(key, _UNSEEN)
        if found is _UNSEEN:
            try:
                parsed = _strptime(text, fmt)
                found = parsed.date().isoformat() if date else parsed.time().replace(microsecond=0).isoformat()
            except ValueError:
                found = None
            if len(memo) < PART_MEMO_MAX:  # times with fractions of a second hardly repeat: a bounded memo
                memo[key] = found
        return found  # type: ignore[return-value]

    def __call__(self, text: str) -> str:
        pieces = text.split(None, 1)
        for i, split in enumerate(self.splits):
            if split is None:
                break  # a format read whole: parse_temporal tries every format in order
            if len(pieces) != 2:
                continue
            day = self._part(self.dates, i, pieces[0], split[0], True)
            if day is None:
                continue
            time = self._part(self.times, i, pieces[1], split[1], False)
            if time is None:
                continue
            return day if self.kind == "date" else f"{day}T{time}"
        # no split format took it (or one is read whole): every format in order, ISO-8601, or the error
        return parse_temporal(text, self.formats, self.kind, self.zone)


_UNSEEN = object()


def convert(raw: Any, kind: str, col: Column, nulls: tuple[str, ...], zone: str = DEFAULT_ZONE) -> Any:
    """The ontology value of *raw* for a property of type *kind*; None when the cell is null. A naive timestamp
    is taken in *zone* (the profile's)."""
    if is_null(raw, nulls):
        return None
    if isinstance(raw, list):  # a repeated column holds one value per repetition
        values = [v for v in raw if not is_null(v, nulls)]
        if len(values) > 1:
            raise ValueError(f"the column is repeated with several values {values!r}; map it as a reference")
        raw = values[0]
    if isinstance(raw, str):
        raw = raw.strip()
        if raw in col.map:
            return col.map[raw]
    elif col.map and str(raw) in col.map:
        return col.map[str(raw)]
    if kind == "string":
        if isinstance(raw, float) and raw.is_integer():
            return str(int(raw))
        if isinstance(raw, (dt.datetime, dt.date)):
            return raw.isoformat()  # a workbook's date cell read as text: as the workbook holds it
        text = str(raw)
        # categorical values (states, categories, kinds) repeat across rows: one string object each
        return sys.intern(text) if len(text) <= 40 else text
    if kind == "integer":
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not an integer")
        if isinstance(raw, int):
            return _int64(raw, raw)
        if isinstance(raw, float) and raw.is_integer():
            return _int64(int(raw), raw)
        text = str(raw).replace(",", ".") if col.decimal_comma else str(raw)
        # read exactly (never through a float, which rounds past 2^53: 12345678901234567 is not ...568)
        try:
            number = decimal.Decimal(text.strip())
        except decimal.InvalidOperation:
            raise ValueError(f"{raw!r} is not an integer") from None
        if not number.is_finite() or number.adjusted() > 19:
            raise ValueError(f"{raw!r} is beyond the 64-bit integer range")
        if number != number.to_integral_value():
            raise ValueError(f"{raw!r} is not a whole number")
        return _int64(int(number), raw)
    if kind == "float":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        text = str(raw).replace(".", "").replace(",", ".") if col.decimal_comma else str(raw)
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw)
        if text in col.true:
            return True
        if text in col.false:
            return False
        raise ValueError(
            f"{raw!r} is none of the true spellings ({', '.join(col.true)}) or false spellings ({', '.join(col.false)})"
        )
    if kind in ("date", "datetime"):
        if isinstance(raw, (dt.datetime, dt.date)):  # a workbook's or YAML file's own date or timestamp
            return instant_text(raw, kind, zone)
        return parse_temporal(str(raw), col.formats, kind, zone)
    raise ValueError(f"unsupported property type {kind}")

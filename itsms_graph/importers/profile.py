"""Import profiles: a declarative YAML description of one source's export, checked against the ontology.

A profile lists tables. Each table says which file(s) it reads, how (format, delimiter, encoding, null
spellings), which column is the record's id and which label it becomes, which columns become which ontology
properties (with true/false spellings, date formats, value maps, and how duplicate rows aggregate), and which
columns are references to other labels through which relationship type (with multi-value separators and
markers that are not ids, such as BPIC 2014's ``#MULTIVALUE``). Property types come from the ontology.
A property or reference marked ``optional`` may be missing from a file (it is then null in every row, and the
import report says so); any other column missing from a file stops the import. Likewise a table marked
``optional`` may find its sheet missing from a workbook (the table is skipped, and reported). A table's
``aliases`` give a column other headers (ServiceNow's XLSX export heads each column with the field's label, not its
name): each file reads the first of the column and its aliases that it has.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from itsms_graph.errors import InputError
from itsms_graph.importers.values import DEFAULT_ZONE, time_zone
from itsms_graph.ontology import PROVENANCE_KEYS, Schema, schema
from itsms_graph.safe_yaml import load_file

Format = Literal["csv", "tsv", "xlsx", "json", "jsonl", "yaml", "xes", "ocel"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Column(_Strict):
    """How one column becomes one property value."""

    column: str | None = None
    value: Any = None  # a constant instead of a column
    formats: tuple[str, ...] = ()  # strptime formats for date/datetime (ISO-8601 always accepted)
    true: tuple[str, ...] = ("true", "True", "TRUE", "1", "yes", "Yes", "Y", "y")
    false: tuple[str, ...] = ("false", "False", "FALSE", "0", "no", "No", "N", "n")
    map: dict[str, Any] = Field(default_factory=dict)  # source spelling -> ontology value
    decimal_comma: bool = False
    #: how rows that merge into one node combine this property: the later row wins (last), or the extreme
    aggregate: Literal["last", "first", "min", "max"] = "last"
    split: str | None = None  # list properties: separator
    #: a column some exports leave out (a field not every instance has): absent, the property is null in every
    #: row and the import report names the column; present, it reads as any other
    optional: bool = False

    @model_validator(mode="after")
    def _source(self) -> Column:
        if (self.column is None) == (self.value is None):
            raise ValueError("a property takes exactly one of column or value")
        if self.optional and self.column is None:
            raise ValueError("optional is for a column; a constant value is never absent")
        return self


class Reference(_Strict):
    """A column holding the id(s) of other records, linked through a relationship type."""

    column: str
    rel: str
    label: str
    #: the target may be a record of these labels too (a Jira link does not say the linked issue's type): the
    #: id resolves to the first of label, *or_labels that has a record with it; an id none has is a placeholder
    #: of ``label``
    or_labels: tuple[str, ...] = ()
    dir: Literal["out", "in"] = "out"  # out: (record)-[rel]->(target)
    #: the direction for a target that resolves to one of these labels, where it differs from ``dir`` (a Jira
    #: Relates link read from the linked issue's side: from an incident, a change is related to, never relates)
    dir_for: dict[str, Literal["out", "in"]] = Field(default_factory=dict)

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels a target may have, in the order they are tried."""
        return (self.label, *self.or_labels)

    @property
    def directions(self) -> tuple[str, ...]:
        """The direction of the relationship to a target of each of those labels."""
        return tuple(self.dir_for.get(label, self.dir) for label in self.labels)

    separator: str | None = None
    #: the row describes the referenced node itself (e.g. a CI named on a change row): it is not unresolved
    defines: bool = False
    properties: dict[str, Column] = Field(default_factory=dict)
    #: link from another reference's node instead of from the record (e.g. a CI PART_OF its component)
    source: str | None = Field(default=None, description="column of another reference of this table")
    id_prefix: str = ""
    #: cell spelling -> target id, or null for "no reference" (e.g. an in_scope column: {"yes": "SMS", "no": null})
    map: dict[str, str | None] = Field(default_factory=dict)
    #: the file may lack the column (and the columns of the reference's properties): absent, no row refers
    optional: bool = False


class Record(_Strict):
    label: str
    id: str  # the id column, or "@row": the file name and row number (a log without record ids)
    id_prefix: str = ""
    #: duplicate ids merge; the row with the latest value of this property (a key of the table's properties,
    #: e.g. updated_at) wins; without it the later row wins
    latest_by: str | None = None


class RowFilter(_Strict):
    """Which rows of a file a table takes (e.g. one issue type of a Jira export); the others are 'skipped'."""

    column: str
    in_: tuple[str, ...] = Field(default=(), alias="in")
    not_in: tuple[str, ...] = ()
    #: a file may lack the column: its rows are then read as holding no value there (an older export of a class
    #: that gained a column: iTop's UserRequest before request_type)
    optional: bool = False

    def accepts(self, value: Any) -> bool:
        text = "" if value is None else str(value).strip()
        if self.in_ and text not in self.in_:
            return False
        return text not in self.not_in


#: Codecs Python decodes text with that no export file is written in: names, escapes and punycode
_NOT_FILE_ENCODINGS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape"}


class Table(_Strict):
    name: str
    files: tuple[str, ...] = Field(min_length=1)  # glob patterns, matched against file names
    format: Format | None = None
    delimiter: str | None = None
    encoding: str | None = None
    records_key: str | None = None  # JSON: the key of the list of records ("records" for ServiceNow)
    #: JSON, YAML: a cell that is an object is read as this member of it (else "value", else "display_value"):
    #: ServiceNow's Table API gives {"display_value", "link"} or {"display_value", "value"} objects
    member: str = "value"
    sheet: str | None = None  # XLSX sheet name (default: the first)
    nulls: tuple[str, ...] = ("", "NULL", "null", "?", "-", "N/A")
    not_ids: tuple[str, ...] = ()  # markers meaning "several references, not named"
    record: Record
    where: RowFilter | None = None
    properties: dict[str, Column] = Field(default_factory=dict)
    references: tuple[Reference, ...] = ()
    #: labels this table covers even when it has no rows (an empty register is evidence of absence)
    declares: tuple[str, ...] = ()
    #: the example row a template of this table's register holds (``itsms-graph template``): column -> value; the
    #: user replaces it with the first real row
    example: dict[str, str] = Field(default_factory=dict)
    #: a workbook may lack the table's sheet: the table is then skipped for that workbook (and declares nothing
    #: from it), where otherwise the import stops. A table no file matches is skipped either way.
    optional: bool = False
    #: column -> other headers that name it (a display label where the profile reads the field name): a file is
    #: read through the first of the column and its aliases that it has, decided once per file. Every use of the
    #: column (id, row filter, property, reference) goes with it; the profile keeps naming it by ``column``.
    aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    #: the zone its naive timestamps are local time of (an IANA name); the profile's unless stated
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            time_zone(value)
        return value

    @property
    def zone(self) -> str:
        """The zone the table's naive timestamps are taken in."""
        return self.timezone or DEFAULT_ZONE

    @field_validator("files")
    @classmethod
    def _inside_the_folder(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        """A file pattern names files inside the input folder: never an absolute path, never a ".." part."""
        for pattern in patterns:
            parts = pattern.replace("\\", "/").split("/")
            if pattern.startswith(("/", "\\")) or ".." in parts or (len(pattern) > 1 and pattern[1] == ":"):
                raise ValueError(f"file pattern {pattern!r} reaches outside the input folder; name files inside it")
        return patterns

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 1 or value in '\r\n"' or value == "\0"):
            raise ValueError(
                f"a delimiter is one character, not a quote or a line break, such as ',' ';' '|' (not {value!r})"
            )
        return value

    @field_validator("encoding")
    @classmethod
    def _text_encoding(cls, value: str | None) -> str | None:
        """An encoding that decodes text files: not a codec for bytes (base64), domain names (idna) or escapes."""
        if value is None:
            return value
        try:
            info = codecs.lookup(value)
            b"id,title\r\n\xe9".decode(value, errors="replace")
        except (LookupError, UnicodeError, ValueError, TypeError):
            raise ValueError(f"{value!r} is not an encoding for text files (such as utf-8, cp1252, latin-1)") from None
        if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FILE_ENCODINGS:
            raise ValueError(f"{value!r} is not an encoding for text files (such as utf-8, cp1252, latin-1)")
        return value

    def spellings(self, column: str) -> tuple[str, ...]:
        """The headers that may name *column* in a file, in the order they are tried."""
        return (column, *self.aliases.get(column, ()))


class Profile(_Strict):
    id: str
    title: str
    description: str = ""
    source: str = ""  # citation / documentation of the export format
    tables: tuple[Table, ...] = Field(min_length=1)
    #: the zone naive timestamps are local time of, for every table that states none (UTC unless stated: a
    #: profile never guesses the machine's zone)
    timezone: str = DEFAULT_ZONE

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        time_zone(value)
        return value

    @model_validator(mode="after")
    def _tables_zone(self) -> Profile:
        """Each table that states no zone takes the profile's."""
        tables = tuple(t if t.timezone else t.model_copy(update={"timezone": self.timezone}) for t in self.tables)
        object.__setattr__(self, "tables", tables)
        return self

    def columns(self, table: Table) -> set[str]:
        """Every column the table's mapping reads (a template's header), required or optional."""
        return {column for column, _ in _column_uses(table)}

    def required_columns(self, table: Table) -> set[str]:
        """The columns a file of the table must have: one missing is an error naming it."""
        return {column for column, optional in _column_uses(table) if not optional}

    def optional_columns(self, table: Table) -> set[str]:
        """The columns a file of the table may lack: every use says optional (a column that a required property
        or reference also reads is required). Absent, they read as null."""
        return self.columns(table) - self.required_columns(table)

    def headers(self, table: Table, present: Iterable[str]) -> dict[str, str]:
        """column -> the header that names it in a file with the *present* headers: the first of the column and
        its aliases that the file has. A column that none names is left out (missing, or absent if optional)."""
        have = set(present)
        found: dict[str, str] = {}
        for column in self.columns(table):
            header = next((h for h in table.spellings(column) if h in have), None)
            if header is not None:
                found[column] = header
        return found

    def check_against(self, sch: Schema) -> list[str]:
        """Problems with the ontology (unknown labels, properties, relationship types, endpoints)."""
        problems: list[str] = []
        for t in self.tables:
            where = f"table {t.name}"
            if t.record.label not in sch.labels:
                problems.append(
                    f"{where}: label {t.record.label!r} is not in the ontology{sch.nearest_label(t.record.label)}"
                )
                continue
            problems += _check_props(sch, t.record.label, t.properties, where)
            if t.record.latest_by is not None and t.record.latest_by not in t.properties:
                problems.append(f"{where}: latest_by {t.record.latest_by!r} is not one of the table's properties")
            by_column = {r.column: r for r in t.references}
            for ref in t.references:
                rwhere = f"{where}, reference {ref.column!r}"
                unknown = [label for label in (ref.label, *ref.or_labels) if label not in sch.labels]
                if unknown:
                    problems.append(
                        f"{rwhere}: label {unknown[0]!r} is not in the ontology{sch.nearest_label(unknown[0])}"
                    )
                    continue
                if ref.or_labels and ref.defines:
                    problems.append(f"{rwhere}: a reference that defines its targets names one label (no or_labels)")
                rel = sch.relationships.get(ref.rel)
                src_label = t.record.label
                if ref.source is not None:
                    if ref.source not in by_column:
                        problems.append(f"{rwhere}: source {ref.source!r} is not a reference of the table")
                        continue
                    src_label = by_column[ref.source].label
                if rel is None:
                    problems.append(
                        f"{rwhere}: relationship type {ref.rel!r} is not in the ontology{sch.nearest_type(ref.rel)}"
                    )
                else:
                    stray = sorted(set(ref.dir_for) - set(ref.labels))
                    if stray:
                        problems.append(f"{rwhere}: dir_for names {stray[0]!r}, which is not one of its labels")
                    for label, direction in zip(ref.labels, ref.directions, strict=True):
                        a, b = (src_label, label) if direction == "out" else (label, src_label)
                        if not rel.allows(a, b):
                            problems.append(
                                f"{rwhere}: the ontology does not allow ({a})-[:{ref.rel}]->({b})" + _between(sch, a, b)
                            )
                problems += _check_props(sch, ref.label, ref.properties, rwhere)
            for label in t.declares:
                if label not in sch.labels:
                    problems.append(
                        f"{where}: declares {label!r}, which is not in the ontology{sch.nearest_label(label)}"
                    )
            problems += _check_aliases(t, self.columns(t), where)
        return problems


def _column_uses(table: Table) -> Iterator[tuple[str, bool]]:
    """(column, optional) for every place the table's mapping reads a column. The id is never optional: without it
    no row can be named; a row filter is when it says so (its rows then hold no value in that column)."""
    if table.record.id != "@row":
        yield table.record.id, False
    if table.where is not None:
        yield table.where.column, table.where.optional
    for col in table.properties.values():
        if col.column:
            yield col.column, col.optional
    for ref in table.references:
        yield ref.column, ref.optional
        for col in ref.properties.values():
            if col.column:  # without its reference column a reference's properties describe nothing
                yield col.column, ref.optional or col.optional


def _check_aliases(table: Table, columns: set[str], where: str) -> list[str]:
    """Aliases name columns the table reads, and no header names two of them (which would the file mean?)."""
    problems: list[str] = []
    named: dict[str, str] = {column: column for column in columns}
    for column, others in table.aliases.items():
        if column not in columns:
            problems.append(f"{where}: aliases name column {column!r}, which the table does not read")
            continue
        for header in others:
            if named.setdefault(header, column) != column:
                problems.append(f"{where}: header {header!r} would name both column {named[header]!r} and {column!r}")
    return problems


def _between(sch: Schema, a: str, b: str) -> str:
    """The relationship types the ontology allows from *a* to *b*, said as a hint (or that none does)."""
    types = sorted(r.type for r in sch.relationships.values() if r.allows(a, b))
    if not types:
        return (
            f"; no relationship type goes from {a} to {b} (is dir: in meant?)"
            if any(r.allows(b, a) for r in sch.relationships.values())
            else f"; no relationship type links {a} and {b}"
        )
    return f"; from {a} to {b} it allows {', '.join(types)}"


def _check_props(sch: Schema, label: str, props: dict[str, Column], where: str) -> list[str]:
    allowed = sch.properties_of(label)
    out = []
    for key, col in props.items():
        if key not in allowed or key in ("id", *PROVENANCE_KEYS):
            # risk_level -> risk: a prefix either way is near too
            out.append(f"{where}: the ontology gives {label} no property {key!r}{sch.nearest_property(label, key)}")
            continue
        enum = sch.enumerations.get((label, key))
        if enum is not None:
            bad = [v for v in col.map.values() if v not in enum]
            if col.value is not None and col.value not in enum:
                bad.append(col.value)
            if bad:
                out.append(f"{where}: {label}.{key} has no value {bad[0]!r} (allowed: {', '.join(enum)})")
    return out


def load_profile(path: Path, sch: Schema | None = None) -> Profile:
    """Read and validate a profile file; InputError names the file and every problem."""
    data = load_file(path)
    if not isinstance(data, dict):
        raise InputError("a profile is a mapping of keys", file=str(path))
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InputError("; ".join(problems), file=str(path)) from None
    problems = profile.check_against(sch or schema())
    if problems:
        raise InputError("; ".join(problems), file=str(path))
    return profile

"""Where a finding is born: query results (pass, fail with findings, or not assessable) and findings.

A finding is built from the query definition and one result row of subject ids, never from engine internals,
so every engine yields the same findings for the same rows. Its id is derived from the query id and the
subject ids (never from order), so it is stable across runs and snapshots.
"""

from __future__ import annotations

import hashlib
import heapq
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import accumulate, groupby
from typing import overload

from itsms_graph.queries.definition import ANY, GRADE_ORDER, MatchNode, MatchRel, QueryDefinition
from itsms_graph.queries.parameters import UsedParameter


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_ASSESSABLE = "not assessable"


class Population(Sequence[str]):
    """The distinct records a query applies to, sorted by code point, held as one UTF-8 buffer and where each id
    ends in it: a Python str costs 50-60 bytes beside its text (the generated million's report held 746k ids in
    its queries' populations: 48 MiB as tuples of str, 16 MiB so). Equal to any sequence of the same ids."""

    __slots__ = ("_data", "_ends")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        # sorted, then each id once: an engine's rows come sorted, which sorted() takes in one pass (a set first
        # shuffled them: BPIC 2014's eight populations took 0.14 s to make); the text encoded at once, each id's
        # bytes its characters where all are ASCII
        ordered = [i for i, _ in groupby(sorted(ids))]
        text = "".join(ordered)
        self._data = text.encode("utf-8", "surrogatepass")
        sizes = (
            map(len, ordered)
            if len(self._data) == len(text)
            else (len(i.encode("utf-8", "surrogatepass")) for i in ordered)
        )
        self._ends = array("I" if len(self._data) < 2**32 else "Q", accumulate(sizes))

    def __len__(self) -> int:
        return len(self._ends)

    def _encoded(self, i: int) -> bytes:
        return self._data[self._ends[i - 1] if i else 0 : self._ends[i]]

    def _at(self, i: int) -> str:
        return self._encoded(i).decode("utf-8", "surrogatepass")

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            return tuple(self._at(i) for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("population index out of range")
        return self._at(index)

    def __iter__(self) -> Iterator[str]:
        return (self._at(i) for i in range(len(self)))

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        encoded = value.encode("utf-8", "surrogatepass")  # UTF-8 orders as the code points do
        i = bisect_left(range(len(self)), encoded, key=self._encoded)
        return i < len(self) and self._encoded(i) == encoded

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Population):
            return self._data == other._data and self._ends == other._ends
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Population({list(self)!r})"


def distinct_count(populations: Iterable[Sequence[str]]) -> int:
    """How many distinct records the *populations* hold together, merged in order without a set of them all (a
    :class:`Population` is sorted already)."""
    ordered = [p if isinstance(p, Population) else sorted(p) for p in populations]
    return sum(1 for _ in groupby(heapq.merge(*ordered)))


@dataclass(frozen=True)
class Hop:
    """One link of an evidence chain: ``source -[rel]-> target`` as it exists in the graph."""

    source: str
    rel: str
    target: str

    def __str__(self) -> str:
        return f"{self.source} -[:{self.rel}]-> {self.target}"


@dataclass(frozen=True)
class Finding:
    id: str
    query: str
    title: str
    grade: str
    stage: int
    clauses: tuple[str, ...]
    subjects: tuple[str, ...]
    chain: tuple[Hop, ...]
    missing: str

    @property
    def subject(self) -> str:
        """The record the finding is about: the query's first match variable (a change, a supplier...)."""
        return self.subjects[0] if self.subjects else ""

    @property
    def message(self) -> str:
        return f"{', '.join(self.subjects)}: missing {self.missing}" if self.subjects else f"missing {self.missing}"


@dataclass
class QueryResult:
    query: QueryDefinition
    status: Status
    findings: list[Finding] = field(default_factory=list)
    #: what the data lacks when the status is not assessable ("no Approval records", ...)
    missing_data: list[str] = field(default_factory=list)
    rows: list[tuple[str, ...]] = field(default_factory=list)
    #: the value and source (default, config, rules register, --param) of each parameter the query declares
    parameters: dict[str, UsedParameter] = field(default_factory=dict)
    #: the distinct records (first match variable) the query applies to, its own applicability conditions
    #: included: the denominator of a failure rate; None for an existence query (expect: some)
    population: Sequence[str] | None = None

    @property
    def grade(self) -> str:
        return self.query.grade

    @property
    def failing(self) -> tuple[str, ...]:
        """The distinct records that fail, sorted: one per subject however many rows (inputs, months) fail."""
        return tuple(sorted({f.subject for f in self.findings}))


def finding_id(query_id: str, subjects: tuple[str, ...]) -> str:
    digest = hashlib.sha256("\x1f".join(subjects).encode()).hexdigest()[:12]
    return f"{query_id}:{digest}"


def chain_of(query: QueryDefinition, row: tuple[str, ...]) -> tuple[Hop, ...]:
    """The matched path as hops, each drawn in the relationship's own direction."""
    values = dict(zip(query.columns, row, strict=True))  # node ids, rel types and the each value
    hops = []
    for i in range(1, len(query.match), 2):
        left, rel, right = query.match[i - 1], query.match[i], query.match[i + 1]
        assert isinstance(left, MatchNode) and isinstance(rel, MatchRel) and isinstance(right, MatchNode)
        if rel.via:
            continue  # the row does not say which way (the relationship, or a via path) reached the node
        a, b = values[left.node], values[right.node]
        rel_type = values[f"rel{i}"] if rel.rel == ANY else rel.rel
        # "both": the row does not say which way the relationship points; read it from the later node
        hops.append(Hop(a, rel_type, b) if rel.dir == "out" else Hop(b, rel_type, a))
    return tuple(hops)


def _finding(
    query: QueryDefinition, subjects: tuple[str, ...], chain: tuple[Hop, ...] = (), key: tuple[str, ...] = (), **kw: str
) -> Finding:
    return Finding(
        id=finding_id(query.id, (*subjects, *key)),
        query=query.id,
        title=query.title,
        grade=query.grade,
        stage=query.stage,
        clauses=query.clauses,
        subjects=subjects,
        chain=chain,
        missing=kw.get("missing", query.missing),
    )


def findings_for(query: QueryDefinition, rows: list[tuple[str, ...]]) -> list[Finding]:
    if query.expect == "some":
        return [] if rows else [_finding(query, (f"Clause:{query.clauses[0]}",))]
    if query.having is not None:
        return [_finding(query, (row[0],), missing=_group_missing(query, row)) for row in rows]
    nodes = [i for i, c in enumerate(query.columns) if c in query.variables]
    each = query.columns.index(query.each.as_) if query.each else None

    def subjects(row: tuple[str, ...]) -> tuple[str, ...]:
        ids = tuple(row[i] for i in nodes)
        return ids if each is None else (*ids, f"{query.each.as_}={row[each]}")  # type: ignore[union-attr]

    # a relationship of any type is part of what a row is: one source may name the same missing record twice,
    # over CAUSED_BY and over RELATED_TO, and each is a finding of its own, with an id of its own
    any_types = [
        query.columns.index(f"rel{i}") for i, m in enumerate(query.match) if isinstance(m, MatchRel) and m.rel == ANY
    ]
    return [_finding(query, subjects(row), chain_of(query, row), tuple(row[i] for i in any_types)) for row in rows]


def _group_missing(query: QueryDefinition, row: tuple[str, ...]) -> str:
    """What a ``having`` group misses, with the counts it was kept for: ``... (4 Incident records)``, or
    ``... (6 of 20 Change records, 30%)`` with a share."""
    assert query.having is not None
    label = query.label_of(query.having.count)
    if query.having.share is None:
        return f"{query.missing} ({row[1]} {label} records)"
    count, meeting = int(row[1]), int(row[2])
    target = f", against a target of {float(row[3]):g}%" if len(row) > 3 else ""  # percent_from: the one applied
    return f"{query.missing} ({meeting} of {count} {label} records, {round(100 * meeting / count)}%{target})"


def absent_population(query: QueryDefinition) -> list[Finding]:
    """The finding of a query whose required population is empty (no process at all to own): one, against its
    clause, as an existence query gives, since the standard requires such records to exist."""
    label = query.nodes[0].label
    return [_finding(query, (f"Clause:{query.clauses[0]}",), missing=f"any {label} record the requirement applies to")]


def at_or_above(grade: str, threshold: str) -> bool:
    return GRADE_ORDER[grade] >= GRADE_ORDER[threshold]

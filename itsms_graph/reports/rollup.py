"""The per-clause roll-up every rendering of a verdict reads: the report's summary, clause sections and coverage
heatmap all count from one ClauseRollup, so they cannot disagree.

An item is a Stage 2 nonconformity (with its grade after escalation) or a Stage 1 area of concern, as the audit
layer rolls them up per requirement (itsms_graph.audit.nonconformity), with the per-record findings behind it.
It belongs to every clause it cites, and to each of their ancestors once: a clause's counts are the distinct
items of its subtree, so "clause 8: no nonconformity" cannot stand above a sub-clause that holds one. A check
belongs to the clauses it cites the same way (passed, not assessable). Data-quality findings cite no requirement
and are counted apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from itsms_graph.audit.report import CheckReport
from itsms_graph.ontology import Clause, clause_key, clauses
from itsms_graph.queries.results import Finding, QueryResult, Status

if TYPE_CHECKING:
    from itsms_graph.audit.nonconformity import Concern
    from itsms_graph.audit.verdict import Stage1Verdict, Stage2Verdict
    from itsms_graph.graph.store import SMSGraph

#: What an item is, in the order a reader weighs it: Stage 2 grades, then Stage 1 areas of concern.
KINDS = ("major", "minor", "ofi", "concern")
KIND_NAMES = {"major": "major", "minor": "minor", "ofi": "OFI", "concern": "Stage 1 area(s) of concern"}
#: The relationship by which a document addresses a clause (an approved one counts for the clause's row).
ADDRESSES = "ADDRESSES"
#: The deepest clauses the heatmap has a row for (deeper ones roll up into them).
HEATMAP_DEPTH = 2


@dataclass(frozen=True)
class Item:
    """A nonconformity or area of concern as the verdict judged it: *kind* is its grade after escalation, or
    ``concern``; *findings* are the per-record findings behind it (each with its chain)."""

    id: str
    kind: str
    clauses: tuple[str, ...]
    title: str
    statement: str
    findings: tuple[Finding, ...]

    @property
    def home(self) -> str:
        """The clause under which the item's own section stands: its requirement's clause."""
        return self.clauses[0]


@dataclass
class ClauseRollup:
    """A clause and its subtree: the distinct items, checks and approved documents that cite any of it."""

    clause: Clause
    items: list[Item] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    not_assessable: list[str] = field(default_factory=list)
    documents: set[str] = field(default_factory=set)

    @property
    def number(self) -> str:
        return self.clause.number

    @property
    def documented(self) -> int:
        """Approved documents that address the clause or a sub-clause."""
        return len(self.documents)

    def counts(self) -> dict[str, int]:
        return {k: sum(i.kind == k for i in self.items) for k in KINDS}

    def own(self) -> list[Item]:
        """The items whose section stands under this very clause."""
        return [i for i in self.items if i.home == self.number]

    def cited_here(self) -> list[Item]:
        """Items that cite this very clause but stand under another (a check citing two clauses)."""
        return [i for i in self.items if self.number in i.clauses and i.home != self.number]

    def statement(self) -> str:
        """The clause's one-line verdict, from the same counts as its heatmap row."""
        counts = self.counts()
        if self.items:
            said = ", ".join(f"{n} {KIND_NAMES[k]}" for k, n in counts.items() if n)
            where = sorted({c for i in self.items for c in i.clauses if _within(c, self.number)}, key=clause_key)
            text = f"{said} (in {', '.join(where)})."
            if self.not_assessable:
                text += f" {len(self.not_assessable)} check(s) could not be assessed."
            return text
        passed, unknown = len(self.passed), len(self.not_assessable)
        if passed and unknown:
            return f"No finding in the {passed} check(s) the records could answer; {unknown} could not be assessed."
        if passed:
            return f"No finding: {passed} check(s) passed."
        if unknown:
            return f"Not assessed: none of its {unknown} check(s) could be answered from the records."
        return "No canned check cites this clause or its sub-clauses."


def _within(number: str, ancestor: str) -> bool:
    return number == ancestor or number.startswith(ancestor + ".")


def _lineage(number: str) -> list[str]:
    """*number* and each ancestor: 8.5.1.3 -> 8.5.1.3, 8.5.1, 8.5, 8."""
    parts = number.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


@dataclass
class Rollup:
    """Every clause of the catalogue with its subtree's items and checks, in document order."""

    by_clause: dict[str, ClauseRollup]
    items: list[Item]

    def __getitem__(self, number: str) -> ClauseRollup:
        return self.by_clause[number]

    def totals(self) -> dict[str, int]:
        """Distinct items over the whole SMS (an item citing two clauses counts once here)."""
        return {k: sum(i.kind == k for i in self.items) for k in KINDS}

    def rows(self, depth: int = HEATMAP_DEPTH) -> list[ClauseRollup]:
        return [r for r in self.by_clause.values() if r.clause.depth <= depth]

    def sections(self) -> list[ClauseRollup]:
        """The clauses the report gives a section: every heatmap row, and each deeper clause an item cites."""
        cited = {c for i in self.items for c in i.clauses}
        return [r for r in self.by_clause.values() if r.clause.depth <= HEATMAP_DEPTH or r.number in cited]


def items_of(stage1: Stage1Verdict | None, stage2: Stage2Verdict) -> list[Item]:
    """The verdicts' items: each Stage 2 nonconformity with its grade, and each Stage 1 area of concern (none
    without *stage1*), with the findings behind each."""

    def item(c: Concern, kind: str, findings: dict[str, Finding]) -> Item:
        behind = tuple(dict.fromkeys(findings[i] for e in c.evidence for i in e.findings if i in findings))
        return Item(c.id, kind, tuple(dict.fromkeys((c.clause, *c.clauses))), c.title, c.statement, behind)

    items = [item(nc, nc.grade, stage2.findings) for nc in stage2.nonconformities]
    if stage1 is not None:
        items += [item(c, "concern", stage1.findings) for c in stage1.concerns]
    order = {k: n for n, k in enumerate(KINDS)}
    return sorted(items, key=lambda i: (order[i.kind], clause_key(i.home), i.id))


def build_rollup(
    results: Iterable[QueryResult],
    items: Iterable[Item],
    graph: SMSGraph | None = None,
    catalogue: Iterable[Clause] = (),
) -> Rollup:
    """Roll *items* and the checks of *results* up the clause tree (and, given *graph*, its approved documents)."""
    known = {c.number: c for c in (catalogue or clauses())}
    out = {n: ClauseRollup(known[n]) for n in sorted(known, key=clause_key)}
    items = list(items)

    def targets(numbers: Iterable[str]) -> list[ClauseRollup]:
        seen = {a for n in numbers for a in _lineage(n)}
        return [out[a] for a in sorted(seen, key=clause_key) if a in out]

    for item in items:
        for row in targets(item.clauses):
            row.items.append(item)
    for r in results:
        if r.query.grade == "data-quality":
            continue
        for row in targets(r.query.clauses):
            if r.status is Status.PASS:
                row.passed.append(r.query.id)
            elif r.status is Status.NOT_ASSESSABLE:
                row.not_assessable.append(r.query.id)
    if graph is not None:
        for source, target in graph.edges(ADDRESSES):
            if graph.attrs(source).get("approved_on"):
                for row in targets([target.split(":", 1)[1]]):
                    row.documents.add(source)
    return Rollup(out, items)


def rollup_of(
    report: CheckReport, stage1: Stage1Verdict | None, stage2: Stage2Verdict, graph: SMSGraph | None = None
) -> Rollup:
    """The roll-up of a check report's verdicts: what the report, the heatmap and the terminal all count from."""
    return build_rollup(report.results, items_of(stage1, stage2), graph)

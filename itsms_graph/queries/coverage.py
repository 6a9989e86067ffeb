"""What the check catalogue covers of ISO/IEC 20000-1:2018: every clause of ontology/clauses.ttl with the checks
that name it, generated from the query files (never a hand-kept list).

A clause *with requirements of its own* is a clause without sub-clauses (4.1, 8.5.1.3, 10.2): a parent such as 8.5
only groups its sub-clauses. ``ontology/clauses.ttl`` overrides that where a clause says otherwise
(``itsms:ownRequirement false`` on 8.3.1, which only introduces its sub-clauses, with an rdfs:comment saying why).
A check covers the clauses its ``clauses`` list names; a parent clause a check names is listed with that check but
covers none of its sub-clauses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from itsms_graph.ontology import Clause, clauses
from itsms_graph.queries.definition import QueryDefinition


@dataclass(frozen=True)
class ClauseCoverage:
    clause: Clause
    #: ids of the checks that name the clause, sorted
    checks: tuple[str, ...]
    #: the clause has requirements of its own (no sub-clauses, unless clauses.ttl says otherwise), so a check should
    #: cover it
    requirement: bool

    @property
    def covered(self) -> bool:
        return bool(self.checks)


@dataclass(frozen=True)
class Coverage:
    clauses: tuple[ClauseCoverage, ...]
    checks: int

    @property
    def requirement_clauses(self) -> list[ClauseCoverage]:
        return [c for c in self.clauses if c.requirement]

    @property
    def without_requirement(self) -> list[ClauseCoverage]:
        """The clauses without sub-clauses that clauses.ttl marks as stating no requirement of their own."""
        return [c for c in self.clauses if c.clause.own_requirement is False]

    @property
    def uncovered(self) -> list[ClauseCoverage]:
        """The clauses with requirements that no check covers, in document order."""
        return [c for c in self.requirement_clauses if not c.covered]

    def to_dict(self) -> dict[str, object]:
        return {
            "checks": self.checks,
            "requirement_clauses": len(self.requirement_clauses),
            "covered": len(self.requirement_clauses) - len(self.uncovered),
            "uncovered": [c.clause.number for c in self.uncovered],
            "no_requirement": [c.clause.number for c in self.without_requirement],
            "clauses": [
                {
                    "number": c.clause.number,
                    "title": c.clause.title,
                    "requirement": c.requirement,
                    "checks": list(c.checks),
                }
                for c in self.clauses
            ],
        }


def render_text(cov: Coverage) -> str:
    """One line per clause (indented by depth) with its checks, then the summary and the uncovered clauses."""
    lines = []
    for c in cov.clauses:
        mark = "  " if not c.requirement else ("+ " if c.covered else "- ")
        checks = f": {', '.join(c.checks)}" if c.checks else ""
        lines.append(f"{mark}{'  ' * (c.clause.depth - 1)}{c.clause.number} {c.clause.title}{checks}")
    lines.append("")
    lines.append(summary(cov))
    if cov.uncovered:
        lines.append("Not covered: " + _named(cov.uncovered))
    if cov.without_requirement:
        lines.append(f"{NO_REQUIREMENT}: {_named(cov.without_requirement)}")
    return "\n".join(lines) + "\n"


NO_REQUIREMENT = "No requirement of its own (ontology/clauses.ttl says why)"


def _named(found: Iterable[ClauseCoverage]) -> str:
    return ", ".join(f"{c.clause.number} {c.clause.title}" for c in found)


def summary(cov: Coverage) -> str:
    need = len(cov.requirement_clauses)
    return f"{cov.checks} checks in the catalogue; {need} clauses with requirements, {need - len(cov.uncovered)} of them covered."


def render_markdown(cov: Coverage) -> str:
    """A Markdown table of the clauses with requirements and their checks (docs/coverage.md quotes it)."""
    rows = ["| Clause | Title | Checks |", "|---|---|---|"]
    for c in cov.requirement_clauses:
        checks = ", ".join(f"`{q}`" for q in c.checks) or "**none**"
        rows.append(f"| {c.clause.number} | {c.clause.title} | {checks} |")
    if cov.without_requirement:
        rows += ["", f"{NO_REQUIREMENT}: {_named(cov.without_requirement)}."]
    return "\n".join(rows) + "\n"


def coverage(catalogue: Mapping[str, QueryDefinition], catalogue_clauses: Iterable[Clause] | None = None) -> Coverage:
    """The coverage of *catalogue* (a query id -> definition mapping, as load_catalogue gives) over the clauses."""
    every = tuple(catalogue_clauses if catalogue_clauses is not None else clauses())
    parents = {c.parent for c in every if c.parent}
    by_clause: dict[str, list[str]] = {c.number: [] for c in every}
    for query in catalogue.values():
        for number in query.clauses:
            by_clause[number].append(query.id)

    def requirement(c: Clause) -> bool:
        return c.own_requirement if c.own_requirement is not None else c.number not in parents

    return Coverage(
        tuple(ClauseCoverage(c, tuple(sorted(by_clause[c.number])), requirement(c)) for c in every),
        len(catalogue),
    )

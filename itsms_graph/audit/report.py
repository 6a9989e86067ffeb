"""The check report: the query results and the facts of their records, in one deterministic, JSON-ready structure.

It belongs to the audit layer (the verdicts read it; the renderings in itsms_graph.reports draw it). Every report
states the tool version, the audit period, the data's cut-off and the SHA-256 of each input; it holds no timestamp
but the stated audit date, so the same inputs give byte-identical reports.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from itsms_graph import __version__
from itsms_graph.audit.facts import Facts
from itsms_graph.escaping import spreadsheet_cell
from itsms_graph.graph.store import InputFile
from itsms_graph.ontology import clause_key
from itsms_graph.queries.definition import GRADE_ORDER
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.results import Finding, QueryResult, Status, at_or_above


def provenance_lines(inputs: list[InputFile], period: AuditPeriod, tool_version: str = __version__) -> list[str]:
    """What every report states, as lines for a file that has no other place for them (a plan, a worksheet):
    the tool version, the audit period and each input with its SHA-256.

    >>> provenance_lines([InputFile("a.csv", "ab12", "bpic2014:changes")], AuditPeriod.parse("2014-03-31"), "0.1.0")
    ['itsms-graph 0.1.0', 'audit period 2013-04-01 to 2014-03-31', 'input a.csv (bpic2014:changes) sha256 ab12']
    """
    lines = [f"itsms-graph {tool_version}", f"audit period {period.start.isoformat()} to {period.as_of.isoformat()}"]
    return [*lines, *(item.line() for item in inputs)]


def comment_lines(lines: list[str]) -> str:
    """*lines* as the ``# `` lines that head a CSV file: written as they are (a CSV writer would quote a line with
    a comma, and ``comment='#'`` readers would no longer skip it), each on one line.

    >>> comment_lines(["itsms-graph 0.1.0", "population Change: 3 records, seed 1"])
    '# itsms-graph 0.1.0\\n# population Change: 3 records, seed 1\\n'
    """
    return "".join(f"# {' '.join(line.split())}\n" for line in lines)


def csv_table(columns: list[str], rows: Iterable[Iterable[Any]], about: list[str] | None = None) -> str:
    """A CSV file a spreadsheet can open safely: *about* on ``# `` lines, the header, the rows, every cell through
    :func:`~itsms_graph.escaping.spreadsheet_cell` (a cell of imported text never runs as a formula)."""
    out = io.StringIO(comment_lines(about or []))
    out.seek(0, io.SEEK_END)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([spreadsheet_cell(v) for v in row] for row in rows)
    return out.getvalue()


@dataclass
class CheckReport:
    period: AuditPeriod
    engine: str
    inputs: list[InputFile]
    results: list[QueryResult]
    tool_version: str = __version__
    title: str = "itsms-graph check"
    fail_on: str = "major"
    extra_inputs: list[InputFile] = field(default_factory=list)
    facts: Facts = field(default_factory=Facts)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    def counts_by_grade(self) -> dict[str, int]:
        counts = Counter(f.grade for f in self.findings)
        return {g: counts.get(g, 0) for g in sorted(GRADE_ORDER, key=GRADE_ORDER.__getitem__, reverse=True)}

    def status_counts(self) -> dict[str, int]:
        counts = Counter(r.status.value for r in self.results)
        return {s.value: counts.get(s.value, 0) for s in Status}

    def provenance(self) -> list[str]:
        lines = provenance_lines([*self.extra_inputs, *self.inputs], self.period, self.tool_version)
        return [*lines[:2], self.cut_off_line(), *lines[2:]]

    def cut_off_line(self) -> str:
        """The data's cut-off against the as-of date, in words."""
        cut = self.facts.cut_off
        if cut is None:
            return "data cut-off unknown (no dated record)"
        if cut < self.period.as_of:
            return (
                f"data cut-off {cut.isoformat()}, before the as-of date (as stated: what is due since reads as missing)"
            )
        return f"data cut-off {cut.isoformat()}"

    def gate_failed(self) -> bool:
        """True when a finding is at or above the --fail-on grade (never for 'none')."""
        if self.fail_on == "none":
            return False
        return any(at_or_above(f.grade, self.fail_on) for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": {"name": "itsms-graph", "version": self.tool_version},
            "title": self.title,
            "engine": self.engine,
            "audit_period": {
                "as_of": self.period.as_of.isoformat(),
                "start": self.period.start.isoformat(),
                "end": self.period.as_of.isoformat(),
                "data_cut_off": None if self.facts.cut_off is None else self.facts.cut_off.isoformat(),
            },
            "inputs": [vars(i) for i in [*self.extra_inputs, *self.inputs]],
            "summary": {
                "queries": len(self.results),
                "status": self.status_counts(),
                "findings_by_grade": self.counts_by_grade(),
                "fail_on": self.fail_on,
                "gate_failed": self.gate_failed(),
            },
            "results": [
                {
                    "query": r.query.id,
                    "title": r.query.title,
                    "clauses": list(r.query.cited_clauses),
                    "stage": r.query.stage,
                    "grade": r.query.grade,
                    "status": r.status.value,
                    "missing_data": r.missing_data,
                    "parameters": [p.to_dict() for p in r.parameters.values()],
                    "rationale": r.query.rationale,
                    "remediation": r.query.remediation,
                    "findings": [
                        {
                            "id": f.id,
                            "subjects": list(f.subjects),
                            "chain": [{"source": h.source, "rel": h.rel, "target": h.target} for h in f.chain],
                            "missing": f.missing,
                        }
                        for f in r.findings
                    ],
                }
                for r in self.results
            ],
        }


def build_report(
    results: list[QueryResult],
    *,
    period: AuditPeriod,
    engine: str,
    inputs: list[InputFile],
    fail_on: str = "major",
    title: str = "itsms-graph check",
    extra_inputs: list[InputFile] | None = None,
    facts: Facts | None = None,
) -> CheckReport:
    ordered = sorted(results, key=lambda r: (r.query.stage, [clause_key(c) for c in r.query.clauses], r.query.id))
    for r in ordered:
        r.findings.sort(key=lambda f: f.subjects)
    return CheckReport(
        period=period,
        engine=engine,
        inputs=list(inputs),
        results=ordered,
        fail_on=fail_on,
        title=title,
        extra_inputs=list(extra_inputs or []),
        facts=facts or Facts(),
    )

"""The corrective action plan a certification body asks for: one row per nonconformity.

Each row: finding id, clause, grade, the finding in words, its evidence chain, the proposed action (the query's
remediation), an owner (the subject's recorded owner when the graph has one) and a due date by grade.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

from itsms_graph.audit.verdict import Stage2Verdict
from itsms_graph.errors import ItsmsError
from itsms_graph.graph.store import SMSGraph
from itsms_graph.reports.model import comment_lines

#: Days after the audit date by which a correction is due, by grade (CB practice: majors fast, minors ~90 days).
DUE_DAYS = {"major": 30, "minor": 90, "ofi": 180}
COLUMNS = [
    "finding_id",
    "clause",
    "grade",
    "finding",
    "evidence",
    "root_cause",
    "proposed_action",
    "owner",
    "due_date",
    "status",
]


def _owner(graph: SMSGraph | None, subjects: tuple[str, ...]) -> str:
    if graph is None:
        return ""
    for nid in subjects:
        if nid in graph:
            owners = graph.neighbours(nid, "OWNED_BY", "out")
            if owners:
                attrs = graph.node(owners[0])
                return str(attrs.get("name") or owners[0])
    return ""


def plan_rows(verdict: Stage2Verdict, as_of: dt.date, graph: SMSGraph | None = None) -> list[dict[str, str]]:
    rows = []
    for g in sorted(verdict.graded, key=lambda g: ({"major": 0, "minor": 1, "ofi": 2}[g.grade], g.result.query.id)):
        for f in g.result.findings:
            evidence = "; ".join(str(h) for h in f.chain) or ", ".join(f.subjects)
            rows.append(
                {
                    "finding_id": f.id,
                    "clause": " ".join(f.clauses),
                    "grade": g.grade,
                    "finding": f"{f.title}: {', '.join(f.subjects)}: missing {f.missing}",
                    "evidence": evidence,
                    "root_cause": "",
                    "proposed_action": g.result.query.remediation,
                    "owner": _owner(graph, f.subjects),
                    "due_date": (as_of + dt.timedelta(days=DUE_DAYS[g.grade])).isoformat(),
                    "status": "open",
                }
            )
    return rows


def write_plan(rows: list[dict[str, str]], path: Path, about: Sequence[str] = ()) -> Path:
    """Write the plan as .csv, .md or .xlsx (by the file's suffix); *about* (tool version, audit period, inputs
    with their SHA-256) goes on "# " lines before a CSV's header, under a Markdown title, on an XLSX sheet."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        out = io.StringIO(comment_lines(list(about)))
        out.seek(0, io.SEEK_END)
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    elif suffix == ".md":

        def cell(text: str) -> str:
            # "<" would open HTML in a Markdown viewer; ">" cannot, and the chains' arrows keep it: "-[:A]->"
            return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")

        lines = ["# Corrective action plan", "", *(f"- {cell(line)}" for line in about)]
        lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(cell(r[c]) for c in COLUMNS) + " |" for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif suffix == ".xlsx":
        from itsms_graph.reports.xlsx import write_table

        write_table(path, "corrective action plan", COLUMNS, [[r[c] for c in COLUMNS] for r in rows], about)
    else:
        raise ItsmsError(f"{path}: the plan is written as .csv, .md or .xlsx")
    return path

"""The corrective action plan a certification body asks for: one row per nonconformity (and per OFI).

Each row states the nonconformity (requirement, statement, objective evidence) and leaves to the organisation
what is its own to write: the correction, the root cause, the corrective action, the evidence of implementation and
the verification of effectiveness. The query's remediation is guidance, not a prescribed action (an auditor does
not prescribe solutions). The owner is the holder of the clause's process where the graph knows one. Majors and
minors get a due date by grade; an OFI needs no response and gets none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

from itsms_graph.audit.facts import Facts
from itsms_graph.audit.report import comment_lines
from itsms_graph.audit.verdict import Stage2Verdict
from itsms_graph.errors import ItsmsError
from itsms_graph.outputs import write_text

#: Days after the audit date by which a correction is due, by grade (CB practice: majors fast, minors ~90 days).
DUE_DAYS = {"major": 30, "minor": 90}
#: What the organisation fills in for each nonconformity (left empty here).
TO_FILL = ["correction", "root_cause", "corrective_action", "evidence_of_implementation", "verification"]
COLUMNS = [
    "nonconformity",
    "clause",
    "grade",
    "requirement",
    "statement",
    "objective_evidence",
    *TO_FILL,
    "guidance",
    "owner",
    "due_date",
    "status",
]


def plan_rows(verdict: Stage2Verdict, as_of: dt.date, facts: Facts | None = None) -> list[dict[str, str]]:
    """One row per nonconformity of *verdict*, in its order (majors first); *facts* name the owners."""
    facts = facts or Facts()
    rows = []
    for nc in verdict.nonconformities:
        due = DUE_DAYS.get(nc.grade)
        rows.append(
            {
                "nonconformity": nc.id,
                "clause": " ".join(nc.clauses),
                "grade": nc.grade,
                "requirement": nc.requirement_text,
                "statement": nc.statement + (f" Escalated: {' '.join(nc.escalation)}" if nc.escalation else ""),
                "objective_evidence": "; ".join(e.describe() for e in nc.evidence),
                **dict.fromkeys(TO_FILL, ""),
                "guidance": nc.guidance,
                "owner": facts.owner_of(nc.clause),
                "due_date": "" if due is None else (as_of + dt.timedelta(days=due)).isoformat(),
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
        write_text(path, out.getvalue())
    elif suffix == ".md":

        def cell(text: str) -> str:
            # "<" would open HTML in a Markdown viewer; ">" cannot, and the chains' arrows keep it: "-[:A]->"
            return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")

        lines = ["# Corrective action plan", "", *(f"- {cell(line)}" for line in about)]
        lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(cell(r[c]) for c in COLUMNS) + " |" for r in rows]
        write_text(path, "\n".join(lines) + "\n")
    elif suffix == ".xlsx":
        from itsms_graph.reports.xlsx import write_table

        write_table(path, "corrective action plan", COLUMNS, [[r[c] for c in COLUMNS] for r in rows], about)
    else:
        raise ItsmsError(f"{path}: the plan is written as .csv, .md or .xlsx")
    return path

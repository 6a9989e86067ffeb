"""The corrective action plan a certification body asks for: one row per nonconformity (and per OFI).

Each row states the nonconformity (requirement, statement, objective evidence) and leaves to the organisation
what is its own to write: the correction, the root cause, the corrective action, the evidence of implementation and
the verification of effectiveness. The query's remediation is guidance, not a prescribed action (an auditor does
not prescribe solutions). The owner is the holder of the clause's process where the graph knows one. Majors and
minors get a due date by grade; an OFI needs no response and gets none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from itsms_graph.audit.columns import Column
from itsms_graph.audit.facts import Facts
from itsms_graph.audit.report import csv_table
from itsms_graph.audit.verdict import Stage2Verdict
from itsms_graph.errors import ItsmsError
from itsms_graph.outputs import write_text

#: Days after the audit date by which a correction is due, by grade (CB practice: majors fast, minors ~90 days).
DUE_DAYS = {"major": 30, "minor": 90}
#: What the organisation fills in for each nonconformity (left empty here).
TO_FILL = ["correction", "root_cause", "corrective_action", "evidence_of_implementation", "verification"]
#: Where a correction stands; the plan's status column offers these in a drop-down.
STATUSES = ("open", "in progress", "implemented", "verified", "closed")
#: The plan's columns as the workbook lays them out (the CSV and Markdown carry the same names, in this order).
LAYOUT = (
    Column("nonconformity", 14, about="The nonconformity's id (one per requirement)."),
    Column("clause", 10, about="The ISO/IEC 20000-1:2018 clause(s) of the requirement."),
    Column("grade", 9, choices=("major", "minor", "ofi"), about="The grade after escalation."),
    Column("requirement", 40, wrap=True, about="The requirement: the clause, its title, the obligation tested."),
    Column("statement", 60, wrap=True, about="The nonconformity in words, with the reasoning of an escalation."),
    Column("objective_evidence", 60, wrap=True, about="Every failing record once, with names, dates and source."),
    *(Column(name, 36, wrap=True, about=f"To fill: the {name.replace('_', ' ')}.") for name in TO_FILL),
    Column("guidance", 50, wrap=True, about="The checks' remediation, as guidance, not a prescribed action."),
    Column("owner", 20, about="The holder of the role responsible for the clause, where the graph knows it."),
    Column("due_date", 12, kind="date", about="The audit date plus the days allowed for the grade (none for an OFI)."),
    Column("status", 14, choices=STATUSES, about="Where the correction stands."),
)
COLUMNS = [c.name for c in LAYOUT]


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
        write_text(path, csv_table(COLUMNS, [[r[c] for c in COLUMNS] for r in rows], list(about)))
    elif suffix == ".md":

        def cell(text: str) -> str:
            # "<" would open HTML in a Markdown viewer; ">" cannot, and the chains' arrows keep it: "-[:A]->"
            return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")

        lines = ["# Corrective action plan", "", *(f"- {cell(line)}" for line in about)]
        lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(cell(r[c]) for c in COLUMNS) + " |" for r in rows]
        write_text(path, "\n".join(lines) + "\n")
    elif suffix == ".xlsx":
        from itsms_graph.audit.workbook import write_table

        write_table(path, "corrective action plan", LAYOUT, [[r[c] for c in COLUMNS] for r in rows], about)
    else:
        raise ItsmsError(f"{path}: the plan is written as .csv, .md or .xlsx")
    return path

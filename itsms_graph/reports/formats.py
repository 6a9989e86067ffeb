"""Machine renderings of a check report: JSON, CSV, Markdown and JUnit XML (for CI gates)."""

from __future__ import annotations

from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr as _quoteattr

import orjson

from itsms_graph.audit.report import CheckReport, csv_table
from itsms_graph.escaping import xml_text
from itsms_graph.queries.results import Status


def to_json(report: CheckReport) -> str:
    return orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


CSV_COLUMNS = ["query", "status", "stage", "grade", "clauses", "finding_id", "subjects", "chain", "missing"]


def to_csv(report: CheckReport) -> str:
    """One row per finding; a query without findings gets one row with its status (pass / not assessable)."""
    rows = []
    for r in report.results:
        base = [r.query.id, r.status.value, r.query.stage, r.query.grade, " ".join(r.query.cited_clauses)]
        if not r.findings:
            rows.append([*base, "", "", "", "; ".join(r.missing_data)])
        for f in r.findings:
            rows.append([*base, f.id, " ".join(f.subjects), "; ".join(str(h) for h in f.chain), f.missing])
    return csv_table(CSV_COLUMNS, rows, report.provenance())  # tool version, period and input hashes on # lines


def _md(text: str) -> str:
    """Markdown table cell: escape what would break the table or be read as markup."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("`", "\\`")
        .replace("\n", " ")
    )


def to_markdown(report: CheckReport) -> str:
    d = report.to_dict()
    lines = [
        f"# {_md(report.title)}",
        "",
        f"- Tool: itsms-graph {report.tool_version} (engine: {report.engine})",
        f"- Audit period: {d['audit_period']['start']} to {d['audit_period']['end']}",
        f"- Findings by grade: {', '.join(f'{g} {n}' for g, n in report.counts_by_grade().items())}",
        f"- Queries: {', '.join(f'{s} {n}' for s, n in report.status_counts().items())}",
        "",
        "## Inputs",
        "",
        "| file | SHA-256 |",
        "|---|---|",
        *[f"| {_md(i['path'])} | `{i['sha256']}` |" for i in d["inputs"]],
        "",
        "## Queries",
        "",
        "| query | clauses | stage | grade | status | findings |",
        "|---|---|---|---|---|---|",
    ]
    for r in report.results:
        status = r.status.value + (f" ({_md('; '.join(r.missing_data))})" if r.missing_data else "")
        lines.append(
            f"| {r.query.id} | {' '.join(r.query.cited_clauses)} | {r.query.stage} | {r.query.grade} | {status} "
            f"| {len(r.findings)} |"
        )
    lines += ["", "## Findings", ""]
    for r in report.results:
        cited = f" ({' '.join(r.query.cited_clauses)})" if r.query.cited_clauses else ""
        for f in r.findings:
            lines.append(f"- **{f.grade}** `{f.id}`{cited} {_md(f.title)}: {_md(f.message)}")
            for hop in f.chain:
                lines.append(f"  - {_md(str(hop))}")
    if not report.findings:
        lines.append("No findings.")
    return "\n".join(lines) + "\n"


def quoteattr(value: str) -> str:
    """An XML attribute value: quoted, and holding only characters XML 1.0 allows (imported ids may not)."""
    return _quoteattr(xml_text(value))


def to_junit(report: CheckReport) -> str:
    """JUnit XML: one test case per query; a failure per query with findings; skipped when not assessable."""
    failures = sum(1 for r in report.results if r.status is Status.FAIL)
    skipped = sum(1 for r in report.results if r.status is Status.NOT_ASSESSABLE)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuite name="itsms-graph" tests="{len(report.results)}" failures="{failures}" '
        f'errors="0" skipped="{skipped}">',
        "  <properties>",
        f'    <property name="itsms-graph.version" value={quoteattr(report.tool_version)}/>',
        f'    <property name="audit-period" value={quoteattr(report.period.label())}/>',
        *(
            f"    <property name={quoteattr('input ' + i.path)} value={quoteattr('sha256 ' + i.sha256)}/>"
            for i in [*report.extra_inputs, *report.inputs]
        ),
        "  </properties>",
    ]
    for r in report.results:
        name = quoteattr(r.query.id)
        where = f"clause{r.query.cited_clauses[0]}" if r.query.cited_clauses else "data-quality"
        classname = quoteattr(f"stage{r.query.stage}.{where}")
        out.append(f"  <testcase classname={classname} name={name}>")
        if r.status is Status.FAIL:
            body = xml_text("\n".join(f"{f.id} {f.message}" for f in r.findings))
            message = quoteattr(f"{len(r.findings)} {r.query.grade} finding(s): {r.query.title}")
            out.append(f"    <failure message={message} type={quoteattr(r.query.grade)}>{escape(body)}</failure>")
        elif r.status is Status.NOT_ASSESSABLE:
            out.append(f"    <skipped message={quoteattr('not assessable: ' + '; '.join(r.missing_data))}/>")
        out.append("  </testcase>")
    out.append("</testsuite>")
    return "\n".join(out) + "\n"

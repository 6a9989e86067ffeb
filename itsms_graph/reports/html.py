"""A plain but complete HTML rendering of a check report: one self-contained file, no script, no network.

Every string from imported data is escaped. The visual (plotly) report builds on the same CheckReport.
"""

from __future__ import annotations

from html import escape

from itsms_graph.audit.report import CheckReport

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.pass{color:#1a7f37}.fail{color:#c62828;font-weight:600}
.na{color:#9a6700}.major{color:#b71c1c;font-weight:700}.minor{color:#c62828}.ofi{color:#00796b}
.data-quality{color:#6a1b9a}code{font-size:.9em}li{margin:.2rem 0}
"""


def _status_class(status: str) -> str:
    return {"pass": "pass", "fail": "fail"}.get(status, "na")


def render_html(report: CheckReport) -> str:
    d = report.to_dict()
    e = escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f"<p>itsms-graph {e(report.tool_version)}, engine {e(report.engine)}. Audit period "
        f"{e(d['audit_period']['start'])} to {e(d['audit_period']['end'])}.</p>",
        "<h2>Summary</h2><ul>",
        *[f'<li class="{e(g)}">{e(g)}: {n}</li>' for g, n in report.counts_by_grade().items()],
        *[f"<li>{e(s)}: {n} queries</li>" for s, n in report.status_counts().items()],
        "</ul>",
        "<h2>Inputs</h2><table><tr><th>file</th><th>SHA-256</th></tr>",
        *[f"<tr><td>{e(i['path'])}</td><td><code>{e(i['sha256'])}</code></td></tr>" for i in d["inputs"]],
        "</table>",
        "<h2>Queries</h2><table><tr><th>query</th><th>clauses</th><th>stage</th><th>grade</th>"
        "<th>status</th><th>findings</th></tr>",
    ]
    for r in d["results"]:
        status = r["status"] + (": missing " + "; ".join(r["missing_data"]) if r["missing_data"] else "")
        link = f'<a href="#q-{e(r["query"])}">{e(r["query"])}</a>' if r["findings"] else e(r["query"])
        parts.append(
            f"<tr><td>{link}</td><td>{e(' '.join(r['clauses']))}</td><td>{r['stage']}</td>"
            f'<td class="{e(r["grade"])}">{e(r["grade"])}</td>'
            f'<td class="{_status_class(r["status"])}">{e(status)}</td><td>{len(r["findings"])}</td></tr>'
        )
    parts.append("</table><h2>Findings</h2>")
    for r in d["results"]:
        if not r["findings"]:
            continue
        parts += [
            f'<h3 id="q-{e(r["query"])}"><span class="{e(r["grade"])}">{e(r["grade"])}</span> '
            f"{e(r['title'])} ({e(' '.join(r['clauses']))})</h3>",
            f"<p><b>Rationale.</b> {e(r['rationale'])}</p><p><b>Remediation.</b> {e(r['remediation'])}</p><ol>",
        ]
        for f in r["findings"]:
            chain = "".join(
                f"<li><code>{e(h['source'])}</code> -[:{e(h['rel'])}]-&gt; <code>{e(h['target'])}</code></li>"
                for h in f["chain"]
            )
            parts.append(
                f'<li id="{e(f["id"])}"><code>{e(f["id"])}</code>: '
                f"{e(', '.join(f['subjects']))}: missing {e(f['missing'])}"
                + (f"<ul>{chain}</ul>" if chain else "")
                + "</li>"
            )
        parts.append("</ol>")
    if not report.findings:
        parts.append("<p>No findings.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

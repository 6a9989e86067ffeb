"""The consultant's report: one self-contained, offline HTML file (plotly.js inline) that shows the broken chains.

Sections: the summary (Stage 1 verdict, Stage 2 counts by grade and clause, not-assessable checks, data-quality
gaps, inputs with SHA-256, tool version, audit period), the traceability graph (clause -> document -> service ->
records, broken links as red dashed stubs to a "missing" marker, filter by grade), the clause coverage matrix
(cells lead to the clause's findings), operational volume per service and month (aggregated, never one marker
per record), and one section per finding with its chain drawn small. Every string from imported data is
escaped; ids are fixed and data sorted, so the same inputs give byte-identical files.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from html import escape
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from itsms_graph import __version__
from itsms_graph.audit.report import CheckReport
from itsms_graph.audit.verdict import Stage1Verdict, Stage2Verdict
from itsms_graph.colours import label_colours
from itsms_graph.graph.store import NO_SERVICE, SMSGraph
from itsms_graph.ontology import clause_key, clauses
from itsms_graph.queries.results import Finding, Status

#: Left-to-right layers of the traceability graph: the chain an auditor follows.
LAYERS = {
    "Clause": 0,
    "Document": 1,
    "Scope": 1,
    "Objective": 1,
    "Risk": 1,
    "Service": 2,
    "Supplier": 2,
    "Contract": 2,
    "SLA": 2,
    "CatalogueEntry": 2,
    "Customer": 2,
    "ConfigurationItem": 2,
    "Role": 2,
    "Person": 2,
    "OrganisationalUnit": 2,
    "Location": 2,
    "ServiceComponent": 2,
}
RECORD_LAYER, MISSING_LAYER = 3, 4
GRADE_COLOURS = {"major": "#B71C1C", "minor": "#E53935", "ofi": "#00897B", "data-quality": "#6A1B9A"}
#: Findings drawn in the graph and given a full section; the rest are listed (the file stays small).
MAX_DRAWN = 150
MAX_SECTIONS = 300
CONFIG = {"displaylogo": False, "responsive": True}


def _text(value: Any) -> str:
    """Data text for plotly hover labels: HTML-escaped, so markup and %{...} templates render inert."""
    return escape(str(value)).replace("%", "&#37;")


def _hover(graph: SMSGraph, nid: str) -> str:
    if nid not in graph:
        return _text(nid)
    attrs = graph.attrs(nid)
    facts = [f"{_text(k)}: {_text(v)}" for k, v in sorted(attrs.items()) if k not in ("label", "source_path")]
    return "<b>" + _text(nid) + "</b><br>" + "<br>".join(facts[:12])


def _drawn(report: CheckReport) -> list[Finding]:
    findings = [f for f in report.findings if f.grade != "data-quality"]
    order = {"major": 0, "minor": 1, "ofi": 2}
    return sorted(findings, key=lambda f: (order.get(f.grade, 3), f.query, f.subjects))[:MAX_DRAWN]


def traceability_figure(graph: SMSGraph, report: CheckReport) -> go.Figure:
    """The layered chain graph around the findings, one set of traces per grade (the dropdown filters them)."""
    drawn = _drawn(report)
    positions: dict[str, tuple[int, int]] = {}
    per_layer: dict[int, list[str]] = defaultdict(list)

    def place(nid: str, layer: int) -> None:
        if nid not in positions:
            per_layer[layer].append(nid)
            positions[nid] = (layer, -1)

    def layer_of(nid: str) -> int:
        label = nid.split(":", 1)[0]
        return LAYERS.get(label, RECORD_LAYER)

    for f in drawn:
        for number in f.clauses:
            place(f"Clause:{number}", 0)
        for nid in f.subjects:
            if nid in graph:
                place(nid, layer_of(nid))
        for hop in f.chain:
            place(hop.source, layer_of(hop.source))
            place(hop.target, layer_of(hop.target))
        place(f"missing:{f.id}", MISSING_LAYER)
    for layer, ids in per_layer.items():
        ids.sort(key=lambda n: (clause_key(n.split(":", 1)[1]) if n.startswith("Clause:") else (), n))
        for i, nid in enumerate(ids):
            positions[nid] = (layer, i)
    height = max((len(v) for v in per_layer.values()), default=1)

    def xy(nid: str) -> tuple[float, float]:
        layer, i = positions[nid]
        count = len(per_layer[layer])
        return float(layer), (i + 0.5) * height / max(count, 1)

    fig = go.Figure()
    grades = [g for g in ("major", "minor", "ofi") if any(f.grade == g for f in drawn)]
    trace_grade: list[str] = []
    for grade in grades:
        mine = [f for f in drawn if f.grade == grade]
        ex: list[float | None] = []
        ey: list[float | None] = []
        mx: list[float | None] = []
        my: list[float | None] = []
        nodes: dict[str, None] = {}
        for f in mine:
            for number in f.clauses:
                a, b = xy(f"Clause:{number}"), xy(f.subjects[0]) if f.subjects[0] in positions else None
                if b is not None:
                    ex += [a[0], b[0], None]
                    ey += [a[1], b[1], None]
                nodes[f"Clause:{number}"] = None
            for hop in f.chain:
                (ax, ay), (bx, by) = xy(hop.source), xy(hop.target)
                ex += [ax, bx, None]
                ey += [ay, by, None]
                nodes[hop.source] = nodes[hop.target] = None
            for nid in f.subjects:
                if nid in positions:
                    nodes[nid] = None
            anchor = f.subjects[-1] if f.subjects[-1] in positions else f"Clause:{f.clauses[0]}"
            (ax, ay), (bx, by) = xy(anchor), xy(f"missing:{f.id}")
            mx += [ax, bx, None]
            my += [ay, by, None]
        fig.add_trace(
            go.Scatter(
                x=ex,
                y=ey,
                mode="lines",
                line={"color": "#9E9E9E", "width": 1},
                hoverinfo="skip",
                name=f"{grade}: links",
                legendgroup=grade,
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=mx,
                y=my,
                mode="lines",
                line={"color": GRADE_COLOURS[grade], "width": 2, "dash": "dash"},
                hoverinfo="skip",
                name=f"{grade}: broken links",
                legendgroup=grade,
                showlegend=False,
            )
        )
        colours = label_colours(graph.schema)
        ids = sorted(nodes, key=lambda n: positions[n])
        fig.add_trace(
            go.Scattergl(
                x=[xy(n)[0] for n in ids],
                y=[xy(n)[1] for n in ids],
                mode="markers",
                name=f"{grade} findings",
                legendgroup=grade,
                marker={
                    "size": 11,
                    "color": [colours.get(n.split(":", 1)[0], ("#90A4AE", ""))[0] for n in ids],
                    "line": {"width": 1, "color": "#37474F"},
                },
                hovertext=[_hover(graph, n) for n in ids],
                hoverinfo="text",
            )
        )
        fig.add_trace(
            go.Scattergl(
                x=[xy(f"missing:{f.id}")[0] for f in mine],
                y=[xy(f"missing:{f.id}")[1] for f in mine],
                mode="markers",
                name=f"{grade}: missing",
                legendgroup=grade,
                marker={"symbol": "x", "size": 12, "color": GRADE_COLOURS[grade]},
                hovertext=[f"<b>missing</b>: {_text(f.missing)}<br>{_text(f.title)}<br>{_text(f.id)}" for f in mine],
                hoverinfo="text",
            )
        )
        trace_grade += [grade] * 4
    buttons = [{"label": "all grades", "method": "update", "args": [{"visible": [True] * len(trace_grade)}]}]
    for grade in grades:
        buttons.append({"label": grade, "method": "update", "args": [{"visible": [g == grade for g in trace_grade]}]})
    whole = {"xaxis.range": [-0.5, 4.5], "yaxis.range": [0, height]}
    clause_buttons = [{"label": "all clauses", "method": "relayout", "args": [whole]}]
    for number in sorted({f.clauses[0] for f in drawn}, key=clause_key):
        span = _span([y for f in drawn if f.clauses[0] == number for y in _finding_ys(f, positions, xy)])
        clause_buttons.append(
            {
                "label": f"clause {number}",
                "method": "relayout",
                "args": [{"xaxis.range": [-0.5, 4.5], "yaxis.range": span}],
            }
        )
    focus_buttons = [{"label": "every finding", "method": "relayout", "args": [whole]}]
    for f in drawn:
        focus_buttons.append(
            {
                "label": _text(f.id),
                "method": "relayout",
                "args": [{"xaxis.range": [-0.5, 4.5], "yaxis.range": _span(_finding_ys(f, positions, xy))}],
            }
        )
    fig.update_layout(
        height=max(420, min(60 + 18 * height, 2400)),
        showlegend=True,
        hovermode="closest",
        xaxis={
            "tickvals": [0, 1, 2, 3, 4],
            "ticktext": ["clause", "document / policy", "service / supplier", "records", "missing"],
            "range": [-0.5, 4.5],
        },
        yaxis={"visible": False},
        margin={"l": 20, "r": 20, "t": 70, "b": 40},
        updatemenus=[
            {"buttons": buttons, "x": 0, "y": 1.12, "xanchor": "left", "direction": "down"},
            {"buttons": clause_buttons, "x": 0.16, "y": 1.12, "xanchor": "left", "direction": "down"},
            {"buttons": focus_buttons, "x": 0.34, "y": 1.12, "xanchor": "left", "direction": "down"},
        ],
        template="plotly_white",
    )
    return fig


def _finding_ys(f: Finding, positions: dict[str, tuple[int, int]], xy: Any) -> list[float]:
    """The y positions of a finding's drawn nodes (its neighbourhood in the graph)."""
    ids = [f"Clause:{n}" for n in f.clauses] + list(f.subjects) + [f"missing:{f.id}"]
    ids += [n for hop in f.chain for n in (hop.source, hop.target)]
    return [xy(n)[1] for n in ids if n in positions]


def _span(ys: list[float]) -> list[float]:
    return [min(ys) - 1.5, max(ys) + 1.5] if ys else [0, 1]


def focus_ranges(graph: SMSGraph, report: CheckReport) -> dict[str, list[float]]:
    """Per drawn finding, the y range of its neighbourhood (the report's 'show in the graph' links use it)."""
    fig = traceability_figure(graph, report)
    menu = fig.layout.updatemenus[2]
    return {b.label: list(b.args[0]["yaxis.range"]) for b in menu.buttons[1:]}


def coverage(graph: SMSGraph, report: CheckReport) -> dict[str, dict[str, int]]:
    """Per clause (depth <= 2): documented, operating, missing (findings), not assessable (checks)."""

    def top(number: str) -> str:
        parts = number.split(".")
        return ".".join(parts[:2])

    out = {
        c.number: {"documented": 0, "operating": 0, "missing": 0, "not assessable": 0}
        for c in clauses()
        if c.depth <= 2
    }
    for source, target in graph.edges("ADDRESSES"):
        if graph.attrs(source).get("approved_on"):
            number = target.split(":", 1)[1]
            for key in {top(number), number.split(".")[0]}:
                if key in out:
                    out[key]["documented"] += 1
    for r in report.results:
        for number in r.query.clauses:
            for key in {top(number), number.split(".")[0]}:
                if key not in out:
                    continue
                if r.status is Status.PASS:
                    out[key]["operating"] += 1
                elif r.status is Status.FAIL and r.query.grade != "data-quality":
                    out[key]["missing"] += len(r.findings)
                elif r.status is Status.NOT_ASSESSABLE:
                    out[key]["not assessable"] += 1
    return out


def coverage_figure(graph: SMSGraph, report: CheckReport) -> go.Figure:
    table = coverage(graph, report)
    numbers = sorted(table, key=clause_key)
    titles = {c.number: c.title for c in clauses()}
    columns = ["documented", "operating", "missing", "not assessable"]
    z = [[min(table[n][c], 5) * (-1 if c in ("missing", "not assessable") else 1) for c in columns] for n in numbers]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=[f"{n} {titles[n][:38]}" for n in numbers],
            zmin=-5,
            zmax=5,
            colorscale=[[0, "#B71C1C"], [0.5, "#FAFAFA"], [1, "#2E7D32"]],
            showscale=False,
            text=[[str(table[n][c]) for c in columns] for n in numbers],
            texttemplate="%{text}",
            customdata=[[n] * len(columns) for n in numbers],
            hovertemplate="clause %{customdata}<br>%{x}: %{text}<extra>click: the clause's findings</extra>",
        )
    )
    fig.update_layout(
        title="Clause coverage: documents, passing checks, findings, checks not assessable",
        height=60 + 22 * len(numbers),
        yaxis={"autorange": "reversed"},
        margin={"l": 320, "r": 20, "t": 60, "b": 40},
        template="plotly_white",
    )
    return fig


def volume_figure(graph: SMSGraph) -> go.Figure:
    """Operational records per service per month: aggregated, so a million records cost one heatmap. A record
    linked to no service (directly or through its CIs) is counted on a row of its own, never left out."""
    counts: Counter[tuple[str, str]] = Counter()
    for label, key in (("Incident", "opened_at"), ("Change", "actual_start"), ("ServiceRequest", "opened_at")):
        for nid in graph.nodes(label):
            day = graph.attrs(nid).get(key)
            if not isinstance(day, str):
                continue
            for service in graph.services_of(nid) or [NO_SERVICE]:
                counts[(service, day[:7])] += 1
    services = sorted({s for s, _ in counts}, key=lambda s: (s == NO_SERVICE, s))
    months = sorted({m for _, m in counts})
    names = [s if s == NO_SERVICE else str(graph.attrs(s).get("name", s)) for s in services]
    fig = go.Figure(
        go.Heatmap(
            z=[[counts.get((s, m), 0) for m in months] for s in services],
            x=months,
            y=[_text(n) for n in names],
            colorscale="Blues",
            hovertemplate="%{y}<br>%{x}: %{z} records<extra></extra>",
        )
    )
    fig.update_layout(
        title="Incidents, changes and requests per service and month",
        template="plotly_white",
        height=max(220, 120 + 20 * len(services)),  # one row still leaves the colour bar room for its labels
        margin={"l": 200, "r": 20, "t": 60, "b": 40},
    )
    return fig


def _chain_svg(f: Finding) -> str:
    """The finding's evidence chain drawn small: boxes and arrows, ending in the missing link."""
    steps: list[tuple[str, str]] = []
    if f.chain:
        steps.append((f.chain[0].source, ""))
        for hop in f.chain:
            steps.append((hop.target, hop.rel))
    else:
        steps = [(s, "") for s in f.subjects]
    steps.append(("missing: " + f.missing, "?"))
    width = 230
    parts = []
    for i, (label, rel) in enumerate(steps):
        x = 10 + i * width
        missing = i == len(steps) - 1
        colour = GRADE_COLOURS.get(f.grade, "#B71C1C") if missing else "#455A64"
        dash = ' stroke-dasharray="5,3"' if missing else ""
        if i:
            parts.append(
                f'<line x1="{x - 40}" y1="30" x2="{x}" y2="30" stroke="{colour}" stroke-width="2"{dash}/>'
                f'<text x="{x - 36}" y="22" font-size="10">{escape(rel)}</text>'
            )
        parts.append(
            f'<rect x="{x}" y="12" width="{width - 50}" height="36" rx="6" fill="white" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{x + 6}" y="34" font-size="11">{escape(label[:30])}</text>'
        )
    return (
        f'<svg class="chain" width="{10 + len(steps) * width}" height="60" role="img" '
        f'aria-label="{escape(f.id)}">' + "".join(parts) + "</svg>"
    )


def _div(fig: go.Figure, div_id: str) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG))


_CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:78rem;padding:1rem 2rem;color:#222}
nav a{margin-right:1rem}table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;font-size:.9rem;vertical-align:top}
th{background:#f5f5f5}.verdict{font-size:1.3rem;font-weight:700;padding:.5rem 1rem;border-radius:6px;display:inline-block}
.Ready{background:#E8F5E9;color:#1B5E20}.Conditionally{background:#FFF8E1;color:#8D6E00}.Not{background:#FFEBEE;color:#B71C1C}
.major{color:#B71C1C;font-weight:700}.minor{color:#E53935}.ofi{color:#00897B}.data-quality{color:#6A1B9A}
.finding{border-top:1px solid #eee;padding:.5rem 0}.chain{display:block;overflow:visible;margin:.3rem 0}
code{font-size:.85em}
"""

# Our own script (no data in it): a click on a coverage cell opens the clause's findings.
_SCRIPT = """
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('a.show').forEach(function (a) {
    a.addEventListener('click', function () {
      Plotly.relayout('traceability', {'yaxis.range': [parseFloat(a.dataset.y0), parseFloat(a.dataset.y1)]});
    });
  });
  var cov = document.getElementById('coverage');
  if (cov && cov.on) { cov.on('plotly_click', function (ev) {
    var p = ev.points && ev.points[0]; if (p) { location.hash = 'clause-' + p.customdata; } }); }
});
"""


def render_visual(
    graph: SMSGraph,
    report: CheckReport,
    stage1: Stage1Verdict,
    stage2: Stage2Verdict,
    *,
    previous: CheckReport | None = None,
) -> str:
    """The whole report as one HTML string."""
    e = escape
    d = report.to_dict()
    counts = stage2.counts()
    by_clause = stage2.by_clause()
    verdict_class = stage1.outcome.split()[0]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(report.title)}</title><style>{_CSS}</style>",
        '<script type="text/javascript">' + get_plotlyjs() + "</script>",
        f"<script>{_SCRIPT}</script></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f"<p>itsms-graph {e(__version__)} &middot; engine {e(report.engine)} &middot; audit period "
        f"{e(d['audit_period']['start'])} to {e(d['audit_period']['end'])}</p>",
        '<nav><a href="#summary">Summary</a><a href="#graph">Traceability</a><a href="#coverage-section">'
        'Coverage</a><a href="#volume">Volume</a><a href="#findings">Findings</a>'
        + ('<a href="#diff">Changes since</a>' if previous else "")
        + "</nav>",
        '<h2 id="summary">Summary</h2>',
        f'<p>Stage 1: <span class="verdict {e(verdict_class)}">{e(stage1.outcome)}</span></p><p>{e(stage1.rule)}</p>',
        f'<p>Stage 2: <span class="major">{counts["major"]} major</span>, <span class="minor">'
        f'{counts["minor"]} minor</span>, <span class="ofi">{counts["ofi"]} OFI</span>. {e(stage2.summary)}</p>',
    ]
    concerns = stage1.concerns_by_clause
    found_in = sorted(set(by_clause) | set(concerns), key=clause_key)
    if found_in:
        parts.append(
            "<table><tr><th>clause</th><th>major</th><th>minor</th><th>OFI</th><th>Stage 1 areas of concern</th></tr>"
        )
    else:
        parts.append("<p>No nonconformity and no Stage 1 area of concern in the checks the records could answer.</p>")
    for number in found_in:
        grades = by_clause.get(number, {})
        parts.append(
            f'<tr><td><a href="#clause-{e(number)}">{e(number)}</a></td>'
            + "".join(f"<td>{len(grades.get(g, []))}</td>" for g in ("major", "minor", "ofi"))
            + f"<td>{len(concerns.get(number, []))}</td></tr>"
        )
    if found_in:
        parts.append("</table>")
    if stage2.not_assessable or stage1.not_assessable:
        na = {r.query.id: r for r in [*stage1.not_assessable, *stage2.not_assessable]}
        parts.append(
            "<h3>Not assessable (never counted as nonconformities)</h3><ul>"
            + "".join(f"<li><code>{e(q)}</code>: {e('; '.join(r.missing_data))}</li>" for q, r in sorted(na.items()))
            + "</ul>"
        )
    dq = Counter(f.query for f in stage2.data_quality)
    if dq:
        parts.append(
            "<h3>Data-quality gaps</h3><ul>"
            + "".join(f"<li><code>{e(q)}</code>: {n}</li>" for q, n in sorted(dq.items()))
            + "</ul>"
        )
    parts.append(
        "<h3>Inputs</h3><table><tr><th>file</th><th>profile</th><th>SHA-256</th></tr>"
        + "".join(
            f"<tr><td>{e(i['path'])}</td><td>{e(i['profile'])}</td><td><code>{e(i['sha256'])}</code></td></tr>"
            for i in d["inputs"]
        )
        + "</table>"
    )
    drawn = _drawn(report)
    graded = sum(f.grade != "data-quality" for f in report.findings)
    if drawn or graph.count("Document") or graph.count("Service"):
        traceability = [
            "<p>Clause -> document -> service -> records; each broken link is a red dashed stub to what is missing. "
            f"The {len(drawn)} most serious of the {graded} findings with their chains (data-quality findings are "
            "counted apart, above); hover for each record's facts; the menus filter by grade and zoom to a clause "
            "or to one finding.</p>",
            _div(traceability_figure(graph, report), "traceability"),
        ]
    else:
        traceability = [
            "<p>Nothing to draw: the records hold no document, no service and no finding to trace, so no clause "
            "-> document -> service chain exists. Import the SMS registers (itsms-graph template) to see one.</p>"
        ]
    parts += [
        '<h2 id="graph">Traceability graph</h2>',
        *traceability,
        '<h2 id="coverage-section">Clause coverage</h2><p>Click a cell to open the clause\'s findings.</p>',
        _div(coverage_figure(graph, report), "coverage"),
        '<h2 id="volume">Operational volume</h2>',
        _div(volume_figure(graph), "volume-map"),
        '<h2 id="findings">Findings</h2>',
    ]
    shown = 0
    ranges = focus_ranges(graph, report)
    # a Stage 1 failure is drawn once, as the area of concern it is (Stage 2 also counts it as a nonconformity)
    sections = {n: {g: [f for f in fs if f.stage == 2] for g, fs in grades.items()} for n, grades in by_clause.items()}
    for number, stage1_concerns in stage1.concerns_by_clause.items():
        sections.setdefault(number, {})["area of concern"] = stage1_concerns
    for number in sorted(sections, key=clause_key):
        grades = sections[number]
        parts.append(f'<h3 id="clause-{e(number)}">Clause {e(number)}</h3>')
        for grade in ("major", "minor", "ofi", "area of concern"):
            for f in grades.get(grade, []):
                shown += 1
                if shown > MAX_SECTIONS:
                    parts.append(
                        f'<p id="{e(f.id)}"><span class="{e(grade)}">{e(grade)}</span> '
                        f"<code>{e(f.id)}</code> {e(f.message)}</p>"
                    )
                    continue
                query = next(r.query for r in report.results if r.query.id == f.query)
                label = "Stage 1 area of concern" if grade == "area of concern" else grade
                span = ranges.get(_text(f.id))
                show = (
                    (
                        f' <a href="#graph" class="show" data-y0="{span[0]:.3f}" data-y1="{span[1]:.3f}">'
                        "show in the graph</a>"
                    )
                    if span
                    else ""
                )
                parts.append(
                    f'<div class="finding" id="{e(f.id)}"><b class="{e(f.grade)}">{e(label)}</b> '
                    f"<code>{e(f.id)}</code> {e(f.title)} ({e(' '.join(f.clauses))}){show}<br>{e(', '.join(f.subjects))}"
                    + _chain_svg(f)
                    + f"<p><b>Rationale.</b> {e(query.rationale)}</p>"
                    f"<p><b>Remediation.</b> {e(query.remediation)}</p></div>"
                )
    if not sections:
        parts.append(
            "<p>No finding in the checks the records could answer (those they could not are listed above).</p>"
        )
    table = coverage(graph, report)
    for number in sorted(set(table) - set(sections), key=clause_key):
        passed, unknown = table[number]["operating"], table[number]["not assessable"]
        if passed and unknown:
            said = (
                f"No nonconformity in the {passed} check(s) the records could answer; {unknown} could not be assessed."
            )
        elif passed:
            said = f"No nonconformity: {passed} check(s) passed."
        elif unknown:
            said = f"Not assessed: none of its {unknown} check(s) could be answered from the records."
        else:
            said = "No canned check covers this clause."
        parts.append(f'<h3 id="clause-{e(number)}">Clause {e(number)}</h3><p>{e(said)}</p>')
    if previous is not None:
        old = {f.id: f for f in previous.findings}
        new = {f.id: f for f in report.findings}
        parts.append('<h2 id="diff">Changes since the previous cycle</h2>')
        for name, ids, pool in (
            ("New", sorted(set(new) - set(old)), new),
            ("Resolved", sorted(set(old) - set(new)), old),
        ):
            parts.append(
                f"<h3>{name}: {len(ids)}</h3><ul>"
                + "".join(f'<li class="{e(pool[i].grade)}"><code>{e(i)}</code> {e(pool[i].message)}</li>' for i in ids)
                + "</ul>"
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def focus_figure(graph: SMSGraph, node: str, depth: int = 2) -> go.Figure:
    """A quick look: the node's neighbourhood to *depth*, laid out in rings by distance."""
    if node not in graph:
        from itsms_graph.errors import ItsmsError

        raise ItsmsError(f"no node {node!r} in the snapshot")
    rings: dict[str, int] = {node: 0}
    frontier = [node]
    for level in range(1, depth + 1):
        nxt = []
        for nid in frontier:
            for other in sorted({other for _, _, other in graph.adjacent(nid)}):
                if other not in rings:
                    rings[other] = level
                    nxt.append(other)
        frontier = nxt[:2000]
    import math

    by_ring: dict[int, list[str]] = defaultdict(list)
    for nid, ring in sorted(rings.items()):
        by_ring[ring].append(nid)
    pos = {}
    for ring, ids in by_ring.items():
        for i, nid in enumerate(ids):
            angle = 2 * math.pi * i / max(len(ids), 1)
            pos[nid] = (ring * math.cos(angle), ring * math.sin(angle))
    ex: list[float | None] = []
    ey: list[float | None] = []
    drawn = sorted((a, b) for a in pos for _, way, b in graph.adjacent(a) if way == "out" and b in pos)
    for a, b in drawn:
        ex += [pos[a][0], pos[b][0], None]
        ey += [pos[a][1], pos[b][1], None]
    colours = label_colours(graph.schema)
    ids = sorted(pos)
    fig = go.Figure(
        [
            go.Scatter(x=ex, y=ey, mode="lines", line={"color": "#B0BEC5", "width": 1}, hoverinfo="skip"),
            go.Scattergl(
                x=[pos[n][0] for n in ids],
                y=[pos[n][1] for n in ids],
                mode="markers",
                marker={"size": 10, "color": [colours[graph.label_of(n)][0] for n in ids]},
                hovertext=[_hover(graph, n) for n in ids],
                hoverinfo="text",
            ),
        ]
    )
    fig.update_layout(
        title=f"{_text(node)} and its neighbourhood (depth {depth})",
        showlegend=False,
        xaxis={"visible": False},
        yaxis={"visible": False},
        template="plotly_white",
        height=700,
    )
    return fig


def render_focus(graph: SMSGraph, node: str, depth: int = 2) -> str:
    fig = focus_figure(graph, node, depth)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>itsms-graph viz</title>'
        '<script type="text/javascript">'
        + get_plotlyjs()
        + "</script></head><body>"
        + _div(fig, "focus")
        + "</body></html>\n"
    )

"""The consultant's report: one self-contained, offline HTML file (plotly.js inline) that shows the broken chains.

Sections: the summary (Stage 1 verdict, Stage 2 counts by grade and clause, not-assessable checks, data-quality
gaps, inputs with SHA-256, tool version, audit period), the traceability graph (clause -> document -> service ->
records, broken links as red dashed stubs to a "missing" marker, filter by grade), the clause coverage matrix
(cells lead to the clause's findings), operational volume per service and month (aggregated, never one marker
per record), and one section per finding with its chain drawn small. Every string from imported data is
escaped; ids are fixed and data sorted, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from html import escape
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from itsms_graph import __version__
from itsms_graph.audit.report import CheckReport
from itsms_graph.audit.verdict import Stage1Verdict, Stage2Verdict
from itsms_graph.colours import label_colours
from itsms_graph.graph.store import NO_SERVICE, SMSGraph
from itsms_graph.ontology import clause_key
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.results import Finding
from itsms_graph.reports.chains import ChainView, chain_svg, chain_view, record, shorten
from itsms_graph.reports.rollup import KINDS, Rollup, rollup_of
from itsms_graph.reports.traceability import (
    AGGREGATE_ABOVE,
    FADED,
    drawn_findings,
    json_for_script,
    relationship_trace,
    segment,
    traceability_views,
)

#: Findings given a full section; the rest are listed (the file stays small).
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


COVERAGE_COLUMNS = ("documents", "checks passed", "major", "minor", "OFI", "areas of concern", "not assessable")


def coverage(rollup: Rollup) -> dict[str, dict[str, int]]:
    """Per clause down to depth 2, its subtree's counts as the heatmap shows them (from the shared roll-up)."""
    out = {}
    for row in rollup.rows():
        counts = row.counts()
        out[row.number] = dict(
            zip(
                COVERAGE_COLUMNS,
                (
                    row.documented,
                    len(row.passed),
                    counts["major"],
                    counts["minor"],
                    counts["ofi"],
                    counts["concern"],
                    len(row.not_assessable),
                ),
                strict=True,
            )
        )
    return out


def coverage_figure(rollup: Rollup) -> go.Figure:
    """The clause coverage heatmap: a row per clause (sub-clauses rolled up), a cell per count; a click leads to
    the clause's section, which states the same counts."""
    table = coverage(rollup)
    numbers = list(table)
    titles = {r.number: r.clause.title for r in rollup.rows()}
    bad = {"major": 3, "minor": 2, "OFI": 1, "areas of concern": 1, "not assessable": 1}
    z = [
        [(-min(table[n][c], 5) * bad[c] if c in bad else min(table[n][c], 5)) for c in COVERAGE_COLUMNS]
        for n in numbers
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(COVERAGE_COLUMNS),
            y=[f"{n} {_text(titles[n][:38])}" for n in numbers],
            zmin=-10,
            zmax=5,
            colorscale=[[0, "#B71C1C"], [0.667, "#FAFAFA"], [1, "#2E7D32"]],
            showscale=False,
            text=[[str(table[n][c]) for c in COVERAGE_COLUMNS] for n in numbers],
            texttemplate="%{text}",
            customdata=[[n] * len(COVERAGE_COLUMNS) for n in numbers],
            hovertemplate="clause %{customdata} (with its sub-clauses)<br>%{x}: %{text}"
            "<extra>click: the clause's section</extra>",
        )
    )
    fig.update_layout(
        title="Clause coverage (each clause with its sub-clauses): documents, checks, findings",
        height=80 + 22 * len(numbers),
        yaxis={"autorange": "reversed"},
        xaxis={"side": "top"},
        margin={"l": 320, "r": 20, "t": 90, "b": 20},
        template="plotly_white",
    )
    return fig


#: The operational records the volume chart counts, each by the date that places it in time.
VOLUME_DATES = (("Incident", "opened_at"), ("Change", "actual_start"), ("ServiceRequest", "opened_at"))
#: The most rows the volume chart draws (the busiest services, the records of no service, the rest together).
VOLUME_ROWS = 30


@dataclass(frozen=True)
class Volume:
    """Records per service and month inside the audit period, and how many fell outside it (not drawn)."""

    counts: dict[tuple[str, str], int]
    months: list[str]
    before: int
    after: int

    @property
    def outside(self) -> int:
        return self.before + self.after

    def note(self, period: AuditPeriod) -> str:
        if not self.outside:
            return f"Every dated record lies in the audit period {period.label()}."
        return (
            f"{self.outside} record(s) dated outside the audit period {period.label()} are not drawn: "
            f"{self.before} before it, {self.after} after it (the data-quality check "
            "change-dated-far-outside-period lists changes dated far outside it)."
        )


def _months(start: dt.date, end: dt.date) -> list[str]:
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def volume(graph: SMSGraph, period: AuditPeriod) -> Volume:
    """Operational records per service per month of *period*: aggregated, so a million records cost one heatmap.
    A record linked to no service (directly or through its CIs) is counted on a row of its own; one dated outside
    the period is counted apart, so that a few stray dates cannot stretch the axis over years."""
    counts: Counter[tuple[str, str]] = Counter()
    first, last = period.start.isoformat(), period.as_of.isoformat()
    before = after = 0
    for label, key in VOLUME_DATES:
        for nid in graph.nodes(label):
            day = graph.attrs(nid).get(key)
            if not isinstance(day, str):
                continue
            if day[:10] < first:
                before += 1
                continue
            if day[:10] > last:
                after += 1
                continue
            for service in graph.services_of(nid) or [NO_SERVICE]:
                counts[(service, day[:7])] += 1
    return Volume(dict(counts), _months(period.start, period.as_of), before, after)


def volume_figure(graph: SMSGraph, period: AuditPeriod) -> go.Figure:
    """The volume heatmap: its axis is the audit period's months (each drawn, empty or not), edged by the period's
    first and last day; records outside it are counted in the title's note."""
    vol = volume(graph, period)
    totals: Counter[str] = Counter()
    for (service, _), n in vol.counts.items():
        totals[service] += n
    services = sorted(totals, key=lambda s: (s == NO_SERVICE, s))
    rest: list[str] = []
    if len(services) > VOLUME_ROWS:  # the busiest services keep a row each; the others share one
        busiest = sorted((s for s in totals if s != NO_SERVICE), key=lambda s: (-totals[s], s))
        kept = set(busiest[: VOLUME_ROWS - 2])
        rest = [s for s in busiest if s not in kept]
        services = [s for s in services if s in kept or s == NO_SERVICE]
    names = [s if s == NO_SERVICE else str(graph.attrs(s).get("name", s)) for s in services]
    z = [[vol.counts.get((s, m), 0) for m in vol.months] for s in services]
    if rest:
        names.append(f"({len(rest)} other services)")
        z.append([sum(vol.counts.get((s, m), 0) for s in rest) for m in vol.months])
        services.append("other")
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=vol.months,
            y=[_text(n) for n in names],
            colorscale="Blues",
            hovertemplate="%{y}<br>%{x}: %{z} records<extra></extra>",
        )
    )
    edge = {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "line": {"color": "#B71C1C", "dash": "dot", "width": 2}}
    fig.update_layout(
        title={"text": f"Incidents, changes and requests per service and month, audit period {period.label()}"},
        template="plotly_white",
        height=max(240, 140 + 20 * len(services)),  # one row still leaves the colour bar room for its labels
        margin={"l": 200, "r": 20, "t": 60, "b": 70},
        xaxis={"range": [-0.5, len(vol.months) - 0.5], "type": "category"},
        shapes=[{**edge, "x0": -0.5, "x1": -0.5}, {**edge, "x0": len(vol.months) - 0.5, "x1": len(vol.months) - 0.5}],
        annotations=[
            {
                "text": _text(vol.note(period)),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.02,
                "yanchor": "top",
                "yshift": -30,
                "showarrow": False,
                "font": {"size": 11},
            }
        ],
    )
    return fig


def _div(fig: go.Figure, div_id: str) -> str:
    """A figure in a block the print stylesheet keeps on one page."""
    html = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG)
    return f'<div class="figure">{html}</div>'


_CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:78rem;padding:1rem 2rem;color:#222}
nav a{margin-right:1rem}table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;font-size:.9rem;vertical-align:top}
th{background:#f5f5f5}.verdict{font-size:1.3rem;font-weight:700;padding:.5rem 1rem;border-radius:6px;display:inline-block}
.Ready{background:#E8F5E9;color:#1B5E20}.Conditionally{background:#FFF8E1;color:#8D6E00}.Not{background:#FFEBEE;color:#B71C1C}
.major{color:#B71C1C;font-weight:700}.minor{color:#E53935}.ofi{color:#00897B}.data-quality{color:#6A1B9A}
.finding{border-top:1px solid #eee;padding:.5rem 0}.chain{display:block;max-width:100%;height:auto;margin:.3rem 0}
code{font-size:.85em}section.clause{margin-left:0}section.depth-2{margin-left:1rem}section.depth-3{margin-left:2rem}
.statement{font-weight:600}table.records td{font-size:.8rem}.graph-controls{margin:.5rem 0}
#graph-chosen{font-weight:600;margin-left:.5rem}#finding-select{max-width:100%}
@media (max-width:900px){body{padding:.5rem}.graph-controls select{width:100%}}
@media print{
@page{size:A4;margin:12mm}
body{max-width:none;padding:0;font-size:10pt}
nav,.graph-controls,.modebar-container,a.show{display:none}
.figure{break-inside:avoid;page-break-inside:avoid;zoom:.56}
.finding,table.rollup,table.records,tr,svg.chain{break-inside:avoid;page-break-inside:avoid}
h2,h3,h4,.statement{break-after:avoid;page-break-after:avoid}
#graph,#coverage-section,#volume,#findings{break-before:page;page-break-before:always}
}
"""

# Our own script (no data in it: the graph's views and chains are JSON in a data block): the traceability graph's
# views, the highlight of a chosen finding, and the coverage heatmap's clicks.
_SCRIPT = """
var TG = {data: null, view: null};
function tgTraces(gd) {
  var base = [], chosen = {};
  gd.data.forEach(function (t, i) { if (String(t.meta).indexOf('chosen') === 0) { chosen[t.meta] = i; } else { base.push(i); } });
  return {base: base, chosen: chosen};
}
function tgShow(key) {
  var v = TG.data.views[key], gd = document.getElementById('traceability');
  TG.view = key;
  document.getElementById('graph-up').disabled = !v.parent;
  gd.dataset.view = key;
  gd.dataset.chosen = '';
  var layout = Object.assign({}, v.layout, {template: TG.data.template});
  return Plotly.react(gd, JSON.parse(JSON.stringify(v.data)), layout, CONFIG);
}
function tgClear() {
  var gd = document.getElementById('traceability'), t = tgTraces(gd);
  var ids = [t.chosen['chosen-edges'], t.chosen['chosen-missing'], t.chosen['chosen-nodes']];
  gd.dataset.chosen = '';
  document.getElementById('finding-select').value = '';
  document.getElementById('graph-chosen').textContent = '';
  return Plotly.restyle(gd, {opacity: 1}, t.base).then(function () {
    return Plotly.restyle(gd, {x: [[], [], []], y: [[], [], []], text: [[], [], []]}, ids);
  });
}
function tgChoose(id) {
  var c = TG.data.chains[id];
  if (!c) { return Promise.resolve(); }
  var shown = TG.view === c.view ? Promise.resolve() : tgShow(c.view);
  return shown.then(function () {
    var gd = document.getElementById('traceability'), t = tgTraces(gd);
    return Plotly.restyle(gd, {opacity: FADED}, t.base).then(function () {
      return Plotly.restyle(gd, {x: [c.ex], y: [c.ey], text: [c.etext], 'marker.size': [c.esize]}, [t.chosen['chosen-edges']]);
    }).then(function () {
      return Plotly.restyle(gd, {x: [c.mx], y: [c.my], text: [c.mtext], 'line.color': c.colour, 'marker.color': c.colour,
        'marker.size': [[0, 14, 0]]}, [t.chosen['chosen-missing']]);
    }).then(function () {
      return Plotly.restyle(gd, {x: [c.x], y: [c.y], text: [c.text], customdata: [c.nodes]}, [t.chosen['chosen-nodes']]);
    }).then(function () {
      gd.dataset.chosen = id;
      document.getElementById('finding-select').value = id;
      var opt = document.querySelector('#finding-select option[value="' + CSS.escape(id) + '"]');
      document.getElementById('graph-chosen').textContent = opt ? opt.textContent : id;
    });
  });
}
document.addEventListener('DOMContentLoaded', function () {
  var block = document.getElementById('traceability-data');
  if (block) {
    TG.data = JSON.parse(block.textContent);
    tgShow('all').then(function () {
      var gd = document.getElementById('traceability');
      gd.dataset.ready = '1';
      gd.on('plotly_click', function (ev) {
        var p = ev.points && ev.points[0];
        if (!p) { return; }
        if (p.data.meta === 'groups') { tgShow(p.customdata); }
        else if (p.customdata && TG.data.chains[p.customdata]) { tgChoose(p.customdata); }
      });
    });
    document.getElementById('finding-select').addEventListener('change', function (ev) {
      if (ev.target.value) { tgChoose(ev.target.value); } else { tgClear(); }
    });
    document.getElementById('graph-up').addEventListener('click', function () {
      var v = TG.data.views[TG.view];
      if (v.parent) { tgShow(v.parent); }
    });
    document.getElementById('graph-clear').addEventListener('click', function () { tgClear(); });
    document.querySelectorAll('a.show').forEach(function (a) {
      a.addEventListener('click', function () { tgChoose(a.dataset.finding); });
    });
  }
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
    rollup = rollup_of(report, stage1, stage2, graph)
    totals = rollup.totals()
    verdict_class = stage1.outcome.split()[0]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(report.title)}</title><style>{_CSS}</style>",
        '<script type="text/javascript">' + get_plotlyjs() + "</script>",
        f"<script>var CONFIG = {json.dumps(CONFIG, sort_keys=True)}, FADED = {FADED};{_SCRIPT}</script></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f"<p>itsms-graph {e(__version__)} &middot; engine {e(report.engine)} &middot; audit period "
        f"{e(d['audit_period']['start'])} to {e(d['audit_period']['end'])}</p>",
        '<nav><a href="#summary">Summary</a><a href="#graph">Traceability</a><a href="#coverage-section">'
        'Coverage</a><a href="#volume">Volume</a><a href="#findings">Findings</a>'
        + ('<a href="#diff">Changes since</a>' if previous else "")
        + "</nav>",
        '<h2 id="summary">Summary</h2>',
        f'<p>Stage 1: <span class="verdict {e(verdict_class)}">{e(stage1.outcome)}</span></p><p>{e(stage1.rule)}</p>',
        f'<p>Stage 2: <span class="major">{totals["major"]} major</span>, <span class="minor">'
        f'{totals["minor"]} minor</span>, <span class="ofi">{totals["ofi"]} OFI</span>. {e(stage2.summary)}</p>',
    ]
    tops = [r for r in rollup.rows(1) if r.items]
    if tops:
        parts.append(
            '<table class="rollup"><tr><th>clause</th><th>major</th><th>minor</th><th>OFI</th>'
            "<th>Stage 1 areas of concern</th><th>in sub-clauses</th></tr>"
        )
        for row in tops:
            counts = row.counts()
            where = sorted({c for i in row.items for c in i.clauses if c.split(".")[0] == row.number}, key=clause_key)
            parts.append(
                f'<tr><td><a href="#clause-{e(row.number)}">{e(row.number)} {e(row.clause.title)}</a></td>'
                + "".join(f"<td>{counts[k]}</td>" for k in KINDS)
                + "<td>"
                + ", ".join(f'<a href="#clause-{e(c)}">{e(c)}</a>' for c in where)
                + "</td></tr>"
            )
        parts.append(
            "<tr><th>distinct</th>" + "".join(f"<th>{totals[k]}</th>" for k in KINDS) + "<th></th></tr></table>"
        )
        if sum(sum(r.counts().values()) for r in tops) != sum(totals.values()):
            parts.append(
                "<p>A finding whose check cites clauses under two headings is counted under each; the last row "
                "counts each finding once.</p>"
            )
    else:
        parts.append("<p>No nonconformity and no Stage 1 area of concern in the checks the records could answer.</p>")
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
    drawn = drawn_findings(report)
    graded = sum(f.grade != "data-quality" for f in report.findings)
    if drawn or graph.count("Document") or graph.count("Service"):
        traceability = _graph_section(graph, report, drawn, graded)
    else:
        traceability = [
            "<p>Nothing to draw: the records hold no document, no service and no finding to trace, so no clause "
            "-> document -> service chain exists. Import the SMS registers (itsms-graph template) to see one.</p>"
        ]
    parts += [
        '<h2 id="graph">Traceability graph</h2>',
        *traceability,
        '<h2 id="coverage-section">Clause coverage</h2><p>Each row counts the clause with its sub-clauses; click a '
        "cell to open the clause's section, which states the same counts.</p>",
        _div(coverage_figure(rollup), "coverage"),
        '<h2 id="volume">Operational volume</h2>',
        f'<p class="note" id="volume-note">{e(volume(graph, report.period).note(report.period))}</p>',
        _div(volume_figure(graph, report.period), "volume-map"),
        '<h2 id="findings">Findings by clause</h2>',
    ]
    queries = {r.query.id: r.query for r in report.results}
    shown = 0
    drawn_sections: set[str] = set()
    for row in rollup.sections():
        counts = row.counts()
        depth = min(row.clause.depth, 3)
        data = " ".join(f'data-{k}="{n}"' for k, n in counts.items())
        parts.append(
            f'<section class="clause depth-{depth}" id="clause-{e(row.number)}" {data}>'
            f"<h{depth + 2}>Clause {e(row.number)} {e(row.clause.title)}</h{depth + 2}>"
            f'<p class="statement">{e(row.statement())}</p>'
        )
        also = row.cited_here()
        if also:
            parts.append(
                "<p>Also cited here: "
                + "; ".join(f'<a href="#{e(i.id)}">{e(i.id)} {e(i.title)}</a> (under clause {e(i.home)})' for i in also)
                + "</p>"
            )
        for item in row.own():
            label = "Stage 1 area of concern" if item.kind == "concern" else f"{item.kind} nonconformity"
            parts.append(
                f'<div class="item" id="{e(item.id)}"><h{min(depth + 3, 6)}><span class="{e(item.kind)}">'
                f"{e(label)}</span> <code>{e(item.id)}</code> {e(item.title)} ({e(' '.join(item.clauses))})"
                f"</h{min(depth + 3, 6)}><p>{e(item.statement)}</p>"
            )
            for f in item.findings:
                shown += 1
                if f.id in drawn_sections or shown > MAX_SECTIONS:  # drawn once; then listed
                    parts.append(
                        f'<p class="also"><span class="{e(f.grade)}">{e(f.grade)}</span> '
                        f'<a href="#{e(f.id)}"><code>{e(f.id)}</code></a> {e(f.message)}</p>'
                        if f.id in drawn_sections
                        else f'<p id="{e(f.id)}"><code>{e(f.id)}</code> {e(f.message)}</p>'
                    )
                    continue
                drawn_sections.add(f.id)
                query = queries[f.query]
                view = chain_view(graph, query, f)
                show = (
                    f' <a href="#graph" class="show" data-finding="{e(f.id)}">show in the graph</a>'
                    if f in drawn
                    else ""
                )
                parts.append(
                    f'<div class="finding" id="{e(f.id)}">finding <code>{e(f.id)}</code> {e(f.title)} '
                    f"({e(' '.join(f.clauses))}, the check's grade: {e(f.grade)}){show}"
                    + chain_svg(view)
                    + _records_table(view)
                    + f"<p><b>Rationale.</b> {e(query.rationale)}</p>"
                    f"<p><b>Guidance.</b> {e(query.remediation)}</p></div>"
                )
            parts.append("</div>")
        parts.append("</section>")
    if not rollup.items:
        parts.append(
            "<p>No finding in the checks the records could answer (those they could not are listed above).</p>"
        )
    if previous is not None:
        old = {f.id: f for f in previous.findings}
        new = {f.id: f for f in report.findings}
        parts.append(
            '<h2 id="diff">Changes since the previous cycle</h2>'
            f"<p>Previous cycle: audit period {e(previous.period.label())}; this cycle: audit period "
            f"{e(report.period.label())}. Findings are matched by id (the check and its subjects).</p>"
        )
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


def _graph_section(graph: SMSGraph, report: CheckReport, drawn: list[Finding], graded: int) -> list[str]:
    """The traceability graph: its controls, an empty div the script draws the overview into, and the views."""
    e = escape
    data = traceability_views(graph, report)
    options = ['<option value="">every finding (none chosen)</option>']
    for grade in ("major", "minor", "ofi"):
        mine = [f for f in drawn if f.grade == grade]
        if mine:
            options.append(f'<optgroup label="{e(grade)}">')
            options += [
                f'<option value="{e(f.id)}">{e(f.clauses[0])} {e(shorten(f.title, 50))}: '
                f"{e(shorten(', '.join(record(graph, s).name for s in f.subjects), 40))}</option>"
                for f in mine
            ]
            options.append("</optgroup>")
    grouped = len(drawn) > AGGREGATE_ABOVE
    return [
        "<p>Clause -> document -> service -> records: each arrow is a relationship in the graph, in its "
        "direction; each red dashed stub leads from the record that lacks it to what is missing. "
        + (
            f"Over {AGGREGATE_ABOVE} findings, they are grouped by check (then by service): click a group to open it. "
            if grouped
            else ""
        )
        + f"{len(drawn)} of the {graded} graded findings are drawn (data-quality findings are counted apart, above). "
        'Choose a finding (here, with its section\'s "show in the graph" or by clicking its missing marker) to '
        "highlight its chain and fade the rest; hover a node for its record's facts.</p>",
        '<div class="graph-controls"><label>Finding: <select id="finding-select">'
        + "".join(options)
        + '</select></label> <button type="button" id="graph-clear">clear</button> '
        '<button type="button" id="graph-up" disabled>back to the overview</button> '
        '<span id="graph-chosen"></span></div>',
        '<div class="figure"><div id="traceability" style="min-height:420px"></div></div>',
        f'<script type="application/json" id="traceability-data">{json_for_script(data)}</script>',
    ]


def _records_table(view: ChainView) -> str:
    """The chain's records in full (what the drawing shortens): name, id, dates, source file and row."""
    e = escape
    rows = "".join(
        f"<tr><td>{e(r.name)}</td><td><code>{e(r.id)}</code></td>"
        f"<td>{e(', '.join(f'{k.replace(chr(95), chr(32))} {v}' for k, v in r.dates))}</td><td>{e(r.source)}</td>"
        f"<td>{'lacks the missing link' if r.id == view.lacking else ''}</td></tr>"
        for r in view.records
    )
    return (
        '<table class="records"><tr><th>record</th><th>id</th><th>dates</th><th>source</th><th></th></tr>'
        + rows
        + "</table>"
    )


#: The most nodes a ring of ``viz`` draws one by one, each labelled; a larger ring is drawn one node per label.
FOCUS_LIMIT = 40


def focus_figure(graph: SMSGraph, node: str, depth: int = 2) -> go.Figure:
    """A quick look: the node's neighbourhood to *depth*, in rings by distance, every node labelled with its
    name (shortened; the full text on hover), every relationship an arrow in its direction. A ring of more than
    FOCUS_LIMIT nodes is drawn as one node per label ("312 Incident"), so depth 2 stays legible."""
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
    by_ring: dict[int, list[str]] = defaultdict(list)
    for nid, ring in sorted(rings.items()):
        by_ring[ring].append(nid)
    drawn_as: dict[str, str] = {}
    members: dict[str, list[str]] = defaultdict(list)
    for ring, ids in by_ring.items():
        for nid in ids:
            drawn_as[nid] = nid if len(ids) <= FOCUS_LIMIT else f"{ring}:{graph.label_of(nid)}"
            members[drawn_as[nid]].append(nid)
    ring_of = {d: rings[m[0]] for d, m in members.items()}
    pos = {}
    for ring in sorted(by_ring):
        ids = sorted(d for d in members if ring_of[d] == ring)
        for i, did in enumerate(ids):
            angle = 2 * math.pi * (i + 0.25 * (ring % 2)) / max(len(ids), 1)
            pos[did] = (ring * math.cos(angle), ring * math.sin(angle))
    links: Counter[tuple[str, str, str]] = Counter()
    for a in rings:
        for rel, way, b in graph.adjacent(a):
            if way == "out" and b in rings and drawn_as[a] != drawn_as[b]:
                links[(drawn_as[a], rel, drawn_as[b])] += 1
    ex: list[float | None] = []
    ey: list[float | None] = []
    for a, _, b in sorted(links):
        sx, sy = segment(pos[a], pos[b])
        ex += sx
        ey += sy
    colours = label_colours(graph.schema)
    traces: list[Any] = [relationship_trace(ex, ey, "#90A4AE")]
    label_of = {d: graph.label_of(m[0]) for d, m in members.items()}
    for label in sorted(set(label_of.values())):
        ids = sorted(d for d in members if label_of[d] == label)

        def name(did: str, label: str = label) -> str:
            return record(graph, did).name if did in graph else f"{len(members[did])} {label}"

        traces.append(
            go.Scatter(
                x=[pos[d][0] for d in ids],
                y=[pos[d][1] for d in ids],
                mode="markers+text",
                name=label,
                text=[_text(shorten(name(d), 22)) for d in ids],
                textposition="top center",
                textfont={"size": 10},
                marker={
                    "size": [10 if d in graph else min(12 + 2 * len(members[d]) ** 0.5, 40) for d in ids],
                    "color": colours[label][0],
                    "symbol": ["circle" if d in graph else "square" for d in ids],
                    "line": {"width": 1, "color": "#37474F"},
                },
                hovertext=[
                    _hover(graph, d)
                    if d in graph
                    else f"<b>{len(members[d])} {_text(label)}</b> at distance {ring_of[d]}"
                    for d in ids
                ],
                hoverinfo="text",
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        title=f"{_text(record(graph, node).name)} ({_text(node)}) and its neighbourhood (depth {depth})",
        showlegend=True,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        template="plotly_white",
        height=800,
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

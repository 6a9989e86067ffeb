"""The consultant's report: one self-contained, offline HTML file (plotly.js inline) that shows the broken chains.

Sections: the summary (Stage 1 verdict, Stage 2 counts by grade and clause, not-assessable checks, data-quality
gaps, inputs with SHA-256, tool version, audit period), the traceability graph (clause -> document -> service ->
records, broken links as red dashed stubs to a "missing" marker, filter by grade), the clause coverage matrix
(cells lead to the clause's findings), operational volume per service and month (aggregated, never one marker
per record), and one section per finding with its chain drawn small. Every string from imported data is
escaped; ids are fixed and data sorted, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from itsms_graph import __version__
from itsms_graph.audit.report import CheckReport
from itsms_graph.audit.verdict import Stage1Verdict, Stage2Verdict
from itsms_graph.graph.store import SMSGraph, service_steps
from itsms_graph.ontology import clause_key
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.results import Finding
from itsms_graph.reports.chains import ChainView, chain_svg, chain_view, lacking, record, shorten
from itsms_graph.reports.figures import Volume, coverage_figure, focus_figure, volume, volume_figure
from itsms_graph.reports.rollup import ADDRESSES, KINDS, Rollup, rollup_of
from itsms_graph.reports.traceability import (
    AGGREGATE_ABOVE,
    FADED,
    drawn_findings,
    json_for_script,
    nonconformity_grades,
    traceability_views,
)

if TYPE_CHECKING:
    from itsms_graph.graph.tables import GraphTables

#: Findings given a full section; the rest are listed (the file stays small).
MAX_SECTIONS = 300
CONFIG = {"displaylogo": False, "responsive": True}


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
    whole: Whole | None = None,
) -> str:
    """The whole report as one HTML string. *graph* is the whole graph, or the part of it the report reads
    (:func:`read_part`) with *whole*, what the report states of the whole graph (:func:`whole_of`)."""
    e = escape
    d = report.to_dict()
    whole = whole or whole_of(graph, report.period)
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
    grades = nonconformity_grades(stage2)  # the graph draws each finding in its nonconformity's grade
    drawn = drawn_findings(report, grades)
    drawn_ids = {f.id for f in drawn}
    graded = sum(f.grade != "data-quality" for f in report.findings)
    if drawn or whole.counts.get("Document") or whole.counts.get("Service"):
        traceability = _graph_section(graph, report, drawn, graded, grades)
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
        *_catalogue_coverage(report),
        '<h2 id="volume">Operational volume</h2>',
        f'<p class="note" id="volume-note">{e(whole.volume.note(report.period))}</p>',
        _div(volume_figure(whole.volume, report.period), "volume-map"),
        '<h2 id="findings">Findings by clause</h2>',
    ]
    queries = {r.query.id: r.query for r in report.results}
    in_full = _in_sections(rollup)
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
                if not next(in_full)[1]:  # drawn once; then listed
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
                    if f.id in drawn_ids
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


@dataclass(frozen=True)
class Whole:
    """What the report states of the whole graph, not only of the records it draws: the nodes of each label (is
    there a document or a service to trace) and the operational volume (every dated record counted)."""

    counts: Mapping[str, int]
    volume: Volume


def whole_of(source: SMSGraph | GraphTables, period: AuditPeriod) -> Whole:
    """:class:`Whole` of a graph, or of graph tables by SQL (the same, without building the graph)."""
    return Whole(source.counts(), volume(source, period))


def _in_sections(rollup: Rollup) -> Iterator[tuple[Finding, bool]]:
    """Each finding of the clause sections in page order, and whether its section draws it in full (its chain and
    records): the first time it appears, among the first MAX_SECTIONS; the others are listed."""
    shown = 0
    drawn: set[str] = set()
    for row in rollup.sections():
        for item in row.own():
            for f in item.findings:
                shown += 1
                full = f.id not in drawn and shown <= MAX_SECTIONS
                if full:
                    drawn.add(f.id)
                yield f, full


def read_part(tables: GraphTables, report: CheckReport, stage1: Stage1Verdict, stage2: Stage2Verdict) -> SMSGraph:
    """The part of the graph :func:`render_visual` reads, fetched from *tables* by SQL (the whole graph is not
    built): for each finding it draws (in the traceability graph, or in full in a clause section) its subjects, its
    chain, the record that lacks the missing link and the clauses it cites; what :meth:`SMSGraph.services_of`
    follows from them; and every ADDRESSES relationship (the documents the coverage counts). Rendered with
    :func:`whole_of` the tables, it gives the page the whole graph gives."""
    queries = {r.query.id: r.query for r in report.results}
    findings = drawn_findings(report, nonconformity_grades(stage2))
    findings += [f for f, full in _in_sections(rollup_of(report, stage1, stage2)) if full]
    ids: set[str] = set()
    for f in findings:
        ids.update(f.subjects)
        ids.update(n for hop in f.chain for n in (hop.source, hop.target))
        ids.add(lacking(queries[f.query], f))
        ids.update(f"Clause:{number}" for number in f.clauses)
    return tables.part(sorted(ids), follow=service_steps(tables.schema), whole=(ADDRESSES,))


def _graph_section(
    graph: SMSGraph, report: CheckReport, drawn: list[Finding], graded: int, grades: dict[str, str]
) -> list[str]:
    """The traceability graph: its controls, an empty div the script draws the overview into, and the views."""
    e = escape
    data = traceability_views(graph, report, grades)
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


def _catalogue_coverage(report: CheckReport) -> list[str]:
    """What the checks that ran cover of the standard (as ``itsms-graph coverage`` says it of the catalogue): every
    clause with requirements of its own and the checks that name it, the clauses none covers first."""
    from itsms_graph.queries.coverage import coverage

    e = escape
    cov = coverage({r.query.id: r.query for r in report.results})
    need = cov.requirement_clauses
    uncovered = ", ".join(f"{c.clause.number} {c.clause.title}" for c in cov.uncovered) or "none"
    # a clause clauses.ttl marks as stating no requirement of its own (8.3.1) is named, never hidden
    own = ", ".join(f"{c.clause.number} {c.clause.title}" for c in cov.without_requirement)
    own = f"; no requirement of its own (ontology/clauses.ttl says why): {e(own)}" if own else ""
    rows = "".join(
        f"<tr><td>{e(c.clause.number)}</td><td>{e(c.clause.title)}</td>"
        f"<td>{e(', '.join(c.checks)) if c.checks else '<strong>none</strong>'}</td></tr>"
        for c in need
    )
    return [
        f'<p id="catalogue-coverage">The {cov.checks} checks that ran cover {len(need) - len(cov.uncovered)} of the '
        f"{len(need)} clauses with requirements of their own; not covered: {e(uncovered)}{own}.</p>",
        "<details><summary>Each clause and the checks that cover it</summary>"
        f"<table><tr><th>ISO/IEC 20000-1 clause</th><th>title</th><th>checks that cover it</th></tr>{rows}</table></details>",
    ]

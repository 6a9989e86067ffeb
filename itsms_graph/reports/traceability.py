"""The traceability graph of the consultant's report: clause -> document -> service -> records, each finding's
chain drawn with the graph's own relationships (arrows in their direction) and the missing link as a dashed stub
from the record that lacks it.

A view draws at most AGGREGATE_ABOVE findings. With more, the overview groups them by check (one node per check,
its clause and the services its findings touch, sized by count), and a click on a group opens that check's view,
grouped again by service when it is still too large; every finding belongs to exactly one drawn view. Choosing
a finding (the menu, a section's "show in the graph", a click on its missing marker) opens its view, draws its
chain on top, labelled, and fades everything else. The views and each finding's chain are data in the page;
the script that switches them is static.

Why one module of this length: the views, their aggregation and the chain drawing are one figure whose data the
page's static script switches between; split, the ids they share would be defined twice.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from itsms_graph.audit.verdict import Stage2Verdict
from itsms_graph.colours import label_colours
from itsms_graph.graph.store import NO_SERVICE, SMSGraph
from itsms_graph.ontology import clause_key, schema
from itsms_graph.queries.results import Finding
from itsms_graph.reports.chains import GRADE_COLOURS, ChainView, Record, chain_view, record, shorten
from itsms_graph.reports.model import CheckReport

#: Left-to-right layers: the chain an auditor follows (the ontology's itsms:traceLayer: 0 the clauses, 1 what
#: documents the SMS, 2 what it delivers and relies on; a label without one is a record).
LAYERS = schema().trace_layers
RECORD_LAYER, MISSING_LAYER = 3, 4
LAYER_NAMES = ["clause", "document / policy", "service / supplier", "records", "missing"]
#: The most findings one view draws with their chains; beyond it a view groups them (by check, then service).
AGGREGATE_ABOVE = 40
#: The most findings the graph draws at all (the most serious first); the rest are in the sections and JSON.
MAX_DRAWN = 600
#: How far a node or edge outside the chosen finding's chain fades (opacity).
FADED = 0.12
LABEL_WIDTH = 22
#: The tallest a view is drawn (px): printed at the report's print scale it still fits one A4 page.
MAX_HEIGHT = 1700
ROW_PX = 34
GRADE_ORDER = {"major": 0, "minor": 1, "ofi": 2}


def _text(value: Any) -> str:
    """Data text for plotly labels and hovers: HTML-escaped, so markup and %{...} templates render inert."""
    return escape(str(value)).replace("%", "&#37;")


def _hover(graph: SMSGraph, rec: Record) -> str:
    facts = [rec.id, *(f"{k}: {v}" for k, v in rec.dates), *([rec.source] if rec.source else [])]
    if rec.id in graph:
        skip = {"label", "source_path", "source_file", "source_row", "name", "title"}
        facts += [f"{k}: {v}" for k, v in sorted(graph.attrs(rec.id).items()) if k not in skip][:8]
    return "<b>" + _text(rec.name) + "</b><br>" + "<br>".join(_text(f) for f in facts)


def drawn_findings(report: CheckReport, grades: Mapping[str, str] | None = None) -> list[Finding]:
    """The findings the graph draws: every graded one (data-quality apart), the most serious first. With *grades*
    (query id -> the grade of the nonconformity its findings belong to, escalation included), each finding is
    drawn in that grade, so that the graph, the summary and the clause sections say the same."""
    findings = [
        dataclasses.replace(f, grade=grades[f.query]) if grades and f.query in grades else f
        for f in report.findings
        if f.grade != "data-quality"
    ]
    ordered = sorted(
        findings, key=lambda f: (GRADE_ORDER.get(f.grade, 3), clause_key(f.clauses[0]), f.query, f.subjects)
    )
    return ordered[:MAX_DRAWN]


def nonconformity_grades(stage2: Stage2Verdict) -> dict[str, str]:
    """Query id -> the grade of the Stage 2 nonconformity (or OFI) its findings roll up into, escalation included."""
    return {q: nc.grade for nc in stage2.nonconformities for q in nc.queries}


def _service_of(graph: SMSGraph, view: ChainView) -> str:
    for rec in view.records:
        if rec.label == "Service":
            return rec.id
    for rec in view.records:
        if rec.id in graph:
            found = graph.services_of(rec.id)
            if found:
                return found[0]
    return NO_SERVICE


@dataclass
class View:
    """One drawable picture: a set of findings drawn in full, or groups of findings (each opening a view)."""

    key: str
    title: str
    findings: list[ChainView]
    groups: list[tuple[str, str, list[ChainView]]]  # (view key, group label, findings) when aggregated
    parent: str | None = None


def plan_views(
    graph: SMSGraph, report: CheckReport, grades: Mapping[str, str] | None = None
) -> tuple[dict[str, View], dict[str, str]]:
    """The views and, per drawn finding, the view that draws its chain (in its nonconformity's grade, *grades*)."""
    queries = {r.query.id: r.query for r in report.results}
    chains = [chain_view(graph, queries[f.query], f) for f in drawn_findings(report, grades)]
    views: dict[str, View] = {}
    home: dict[str, str] = {}

    def build(key: str, title: str, members: list[ChainView], depth: int, parent: str | None) -> None:
        if len(members) <= AGGREGATE_ABOVE or depth == 2:
            shown = members[:AGGREGATE_ABOVE]
            views[key] = View(key, title, shown, [], parent)
            for c in shown:
                home[c.finding.id] = key
            return
        grouped: dict[str, list[ChainView]] = defaultdict(list)
        for c in members:
            grouped[c.finding.query if depth == 0 else _service_of(graph, c)].append(c)
        groups = []
        for name in sorted(grouped, key=lambda g: (-len(grouped[g]), g)):
            sub = f"{key}/{name}"
            first = grouped[name][0].finding
            if depth == 0:
                label = f"{first.clauses[0]} {first.title}"
            else:
                label = name if name == NO_SERVICE else str(graph.attrs(name).get("name", name))
            groups.append((sub, label, grouped[name]))
            build(sub, f"{title} / {label}", grouped[name], depth + 1, key)
        views[key] = View(key, title, [], groups, parent)

    build("all", "every finding", chains, 0, None)
    return views, home


class _Layout:
    """Layered positions: x is the layer, y a row within it (rows counted from the top)."""

    def __init__(self) -> None:
        self.rows: dict[int, list[str]] = defaultdict(list)
        self.at: dict[str, tuple[int, int]] = {}

    def place(self, nid: str, layer: int) -> None:
        if nid not in self.at:
            self.at[nid] = (layer, len(self.rows[layer]))
            self.rows[layer].append(nid)

    @property
    def height(self) -> int:
        return max((len(r) for r in self.rows.values()), default=1)

    def xy(self, nid: str) -> tuple[float, float]:
        layer, i = self.at[nid]
        count = len(self.rows[layer])
        return float(layer), -(i + 0.5) * self.height / max(count, 1)


def _layer(rec: Record) -> int:
    return LAYERS.get(rec.label, RECORD_LAYER)


def segment(a: tuple[float, float], b: tuple[float, float]) -> tuple[list[float | None], list[float | None]]:
    """A line from a through its middle (where a label goes) to just short of b (so the arrowhead shows beside
    the node); a link within one layer bows to the right."""
    (ax, ay), (bx, by) = a, b
    if ax == bx:
        mx, my = ax + 0.22, (ay + by) / 2
        return [ax, mx, mx + (bx - mx) * 0.85, None], [ay, my, my + (by - my) * 0.85, None]
    return [ax, (ax + bx) / 2, ax + (bx - ax) * 0.9, None], [ay, (ay + by) / 2, ay + (by - ay) * 0.9, None]


def relationship_trace(xs: list[float | None], ys: list[float | None], colour: str) -> go.Scatter:
    """The graph's relationships as one line trace of segments, an arrowhead at each segment's end."""
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        name="relationship (arrow: its direction)",
        line={"color": colour, "width": 1.2},
        marker={"symbol": "arrow", "angleref": "previous", "size": arrows(xs), "color": colour},
        hoverinfo="skip",
        meta="base",
    )


def arrows(xs: list[float | None]) -> list[int]:
    """Marker sizes along a line trace: an arrowhead at each segment's end, none elsewhere."""
    sizes = []
    for i, x in enumerate(xs):
        end = x is not None and (i + 1 == len(xs) or xs[i + 1] is None)
        sizes.append(9 if end else 0)
    return sizes


def _detail(graph: SMSGraph, view: View) -> tuple[go.Figure, dict[str, dict[str, Any]]]:
    """A view's findings drawn in full, and per finding the coordinates of its chain for the highlight."""
    lay = _Layout()
    records: dict[str, Record] = {}
    for c in sorted(view.findings, key=lambda c: (clause_key(c.finding.clauses[0]), c.finding.query)):
        for number in c.finding.clauses:
            rec = record(graph, f"Clause:{number}")
            records[rec.id] = rec
            lay.place(rec.id, 0)
        for rec in c.records:
            records[rec.id] = rec
            lay.place(rec.id, _layer(rec))
    colours = label_colours(graph.schema)
    fig = go.Figure()
    rel_x: list[float | None] = []
    rel_y: list[float | None] = []
    rel_seen: set[tuple[str, str, str]] = set()
    cite_x: list[float | None] = []
    cite_y: list[float | None] = []
    index: dict[str, dict[str, Any]] = {}
    stubs: dict[str, int] = defaultdict(int)
    for c in view.findings:
        f = c.finding
        first = c.records[0].id if c.records else f"Clause:{f.clauses[0]}"
        nodes = [f"Clause:{n}" for n in f.clauses] + [r.id for r in c.records]
        mine_x: list[float | None] = []
        mine_y: list[float | None] = []
        mine_text: list[str] = []
        mine_size: list[int] = []
        for number in f.clauses:
            if first != f"Clause:{number}":
                (ax, ay), (bx, by) = lay.xy(f"Clause:{number}"), lay.xy(first)
                cite_x += [ax, bx, None]
                cite_y += [ay, by, None]
                mine_x += [ax, (ax + bx) / 2, bx, None]
                mine_y += [ay, (ay + by) / 2, by, None]
                mine_text += ["", "cites", "", ""]
                mine_size += [0, 0, 0, 0]  # a citation, not a relationship: no arrowhead
        for hop in c.hops:
            if hop.source not in lay.at or hop.target not in lay.at:
                continue
            sx, sy = segment(lay.xy(hop.source), lay.xy(hop.target))
            if (hop.source, hop.rel, hop.target) not in rel_seen:
                rel_seen.add((hop.source, hop.rel, hop.target))
                rel_x += sx
                rel_y += sy
            mine_x += sx
            mine_y += sy
            mine_text += ["", _text(hop.rel), "", ""]  # the type at the link's middle
            mine_size += arrows(sx)
        lx, ly = lay.xy(c.lacking)
        mx, my = float(MISSING_LAYER), ly - 0.4 * stubs[c.lacking]  # level with the record that lacks it
        stubs[c.lacking] += 1
        index[f.id] = {
            "nodes": nodes,
            "x": [lay.xy(n)[0] for n in nodes],
            "y": [lay.xy(n)[1] for n in nodes],
            "text": [_text(shorten(records[n].name, LABEL_WIDTH)) for n in nodes],
            "ex": mine_x,
            "ey": mine_y,
            "etext": mine_text,
            "esize": mine_size,
            "mx": [lx, mx, None],
            "my": [ly, my, None],
            "mtext": ["", _text("missing: " + shorten(f.missing, 40)), ""],
            "colour": GRADE_COLOURS.get(f.grade, "#B71C1C"),
        }
    fig.add_trace(relationship_trace(rel_x, rel_y, "#78909C"))
    fig.add_trace(
        go.Scatter(
            x=cite_x,
            y=cite_y,
            mode="lines",
            name="clause the check cites",
            line={"color": "#B0BEC5", "width": 1, "dash": "dot"},
            hoverinfo="skip",
            meta="base",
        )
    )
    by_label: dict[str, list[str]] = defaultdict(list)
    for nid in sorted(lay.at, key=lambda n: lay.at[n]):
        if not nid.startswith("missing:"):
            by_label[records[nid].label or "(value)"].append(nid)
    for label in sorted(by_label, key=lambda lb: (LAYERS.get(lb, RECORD_LAYER), lb)):
        ids = by_label[label]
        fig.add_trace(
            go.Scatter(
                x=[lay.xy(n)[0] for n in ids],
                y=[lay.xy(n)[1] for n in ids],
                mode="markers+text",
                name=label,
                text=[_text(shorten(records[n].name, LABEL_WIDTH)) for n in ids],
                textposition="top center",
                textfont={"size": 10},
                marker={
                    "size": 11,
                    "color": colours.get(label, ("#90A4AE", ""))[0],
                    "line": {"width": 1, "color": "#37474F"},
                },
                hovertext=[_hover(graph, records[n]) for n in ids],
                hoverinfo="text",
                customdata=ids,
                meta="base",
            )
        )
    for grade in ("major", "minor", "ofi"):
        mine = [c for c in view.findings if c.finding.grade == grade]
        if not mine:
            continue
        xs: list[float | None] = []
        ys: list[float | None] = []
        for c in mine:
            xs += index[c.finding.id]["mx"]
            ys += index[c.finding.id]["my"]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=f"missing link ({grade})",
                line={"color": GRADE_COLOURS[grade], "width": 1.5, "dash": "dash"},
                marker={"symbol": "x", "size": [0, 11, 0] * len(mine), "color": GRADE_COLOURS[grade]},
                hovertext=[
                    t
                    for c in mine
                    for t in (
                        "",
                        f"<b>missing</b>: {_text(c.missing)}<br>{_text(c.finding.title)}<br>{_text(c.finding.id)}",
                        "",
                    )
                ],
                hoverinfo="text",
                customdata=[i for c in mine for i in ("", c.finding.id, "")],
                meta="base",
            )
        )
    _overlay(fig)
    _frame(fig, lay.height, view.title)
    return fig, index


#: The traces the script fills with the chosen finding's chain: (meta, mode, line, marker, text position, font).
_CHOSEN: tuple[tuple[str, str, dict[str, Any] | None, dict[str, Any], str, dict[str, Any]], ...] = (
    (
        "chosen-edges",
        "lines+markers+text",
        {"color": "#263238", "width": 2.5},
        {"symbol": "arrow", "angleref": "previous", "size": 12, "color": "#263238"},
        "top center",
        {"size": 10, "color": "#263238"},
    ),
    (
        "chosen-missing",
        "lines+markers+text",
        {"color": "#B71C1C", "width": 2.5, "dash": "dash"},
        {"symbol": "x", "size": 14, "color": "#B71C1C"},
        "bottom left",
        {"size": 11, "color": "#B71C1C"},
    ),
    (
        "chosen-nodes",
        "markers+text",
        None,
        {"size": 15, "color": "#FFD54F", "line": {"width": 2, "color": "#263238"}},
        "top center",
        {"size": 12, "color": "#000"},
    ),
)


def _overlay(fig: go.Figure) -> None:
    """Empty traces the script fills with the chosen finding's chain, drawn over the faded rest."""
    for meta, mode, line, marker, position, font in _CHOSEN:
        fig.add_trace(
            go.Scatter(
                x=[],
                y=[],
                mode=mode,
                name=meta.replace("-", ": "),
                line=line,
                marker=marker,
                textposition=position,
                textfont=font,
                hoverinfo="skip",
                showlegend=False,
                meta=meta,
            )
        )


def _frame(fig: go.Figure, rows: int, title: str) -> None:
    fig.update_layout(
        title={"text": _text(title), "font": {"size": 13}},
        height=max(420, min(110 + ROW_PX * rows, MAX_HEIGHT)),
        showlegend=True,
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0, "font": {"size": 11}},
        hovermode="closest",
        xaxis={"tickvals": list(range(5)), "ticktext": LAYER_NAMES, "range": [-0.5, 4.6], "side": "top"},
        yaxis={"visible": False},
        margin={"l": 20, "r": 20, "t": 70, "b": 20},
        template="plotly_white",
    )


def _grouped(graph: SMSGraph, view: View) -> go.Figure:
    """A view of groups: per group its clause, one node sized by its count (a click opens it), the services its
    findings touch, and a missing marker per grade."""
    lay = _Layout()
    for _, _, members in view.groups:
        lay.place(f"Clause:{members[0].finding.clauses[0]}", 0)
    for key, _, _ in view.groups:
        lay.place(key, 1)
    touched: dict[str, dict[str, int]] = {}
    for key, _, members in view.groups:
        counts: dict[str, int] = defaultdict(int)
        for c in members:
            counts[_service_of(graph, c)] += 1
        touched[key] = counts
        for service in sorted(counts):
            lay.place(service, 2)
    fig = go.Figure()
    ex: list[float | None] = []
    ey: list[float | None] = []
    for key, _, members in view.groups:
        sx, sy = segment(lay.xy(f"Clause:{members[0].finding.clauses[0]}"), lay.xy(key))
        ex += sx
        ey += sy
        for service in touched[key]:
            sx, sy = segment(lay.xy(key), lay.xy(service))
            ex += sx
            ey += sy
    fig.add_trace(
        go.Scatter(
            x=ex,
            y=ey,
            mode="lines",
            name="findings of the group",
            line={"color": "#B0BEC5", "width": 1},
            hoverinfo="skip",
            meta="base",
        )
    )
    clauses = sorted(lay.rows[0], key=lambda n: clause_key(n.split(":", 1)[1]))
    fig.add_trace(
        go.Scatter(
            x=[lay.xy(n)[0] for n in clauses],
            y=[lay.xy(n)[1] for n in clauses],
            mode="markers+text",
            name="Clause",
            text=[_text(shorten(record(graph, n).name, LABEL_WIDTH)) for n in clauses],
            textposition="top center",
            textfont={"size": 10},
            marker={"size": 11, "color": label_colours(graph.schema)["Clause"][0]},
            hovertext=[_text(record(graph, n).name) for n in clauses],
            hoverinfo="text",
            meta="base",
        )
    )
    grades = [
        max((c.finding.grade for c in members), key=lambda g: -GRADE_ORDER.get(g, 3)) for _, _, members in view.groups
    ]
    fig.add_trace(
        go.Scatter(
            x=[lay.xy(k)[0] for k, _, _ in view.groups],
            y=[lay.xy(k)[1] for k, _, _ in view.groups],
            mode="markers+text",
            name="group of findings (click to open)",
            text=[_text(f"{len(m)} \u00d7 {shorten(label, LABEL_WIDTH)}") for _, label, m in view.groups],
            textposition="top center",
            textfont={"size": 10},
            marker={
                "size": [min(12 + 2 * len(m) ** 0.5, 40) for _, _, m in view.groups],
                "color": [GRADE_COLOURS.get(g, "#B71C1C") for g in grades],
                "symbol": "square",
                "line": {"width": 1, "color": "#37474F"},
            },
            hovertext=[
                f"<b>{len(m)} findings</b><br>{_text(label)}<br>click to open the group" for _, label, m in view.groups
            ],
            hoverinfo="text",
            customdata=[k for k, _, _ in view.groups],
            meta="groups",
        )
    )
    services = lay.rows[2]
    fig.add_trace(
        go.Scatter(
            x=[lay.xy(s)[0] for s in services],
            y=[lay.xy(s)[1] for s in services],
            mode="markers+text",
            name="Service",
            text=[_text(shorten(record(graph, s).name if s != NO_SERVICE else s, LABEL_WIDTH)) for s in services],
            textposition="top center",
            textfont={"size": 10},
            marker={"size": 11, "color": label_colours(graph.schema)["Service"][0]},
            hovertext=[_text(record(graph, s).name if s != NO_SERVICE else s) for s in services],
            hoverinfo="text",
            meta="base",
        )
    )
    _overlay(fig)
    n = sum(len(m) for _, _, m in view.groups)
    _frame(fig, lay.height, f"{view.title}: {n} findings in {len(view.groups)} groups (click a group to open it)")
    return fig


def traceability_views(graph: SMSGraph, report: CheckReport, grades: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything the page's script needs: each view's figure, each finding's view and chain coordinates."""
    views, home = plan_views(graph, report, grades)
    figures: dict[str, Any] = {}
    chains: dict[str, Any] = {}
    for key, view in views.items():
        if view.groups:
            fig = _grouped(graph, view)
        else:
            fig, index = _detail(graph, view)
            for fid, coords in index.items():
                chains[fid] = {"view": key, **coords}
        spec = fig.to_plotly_json()
        template = spec["layout"].pop("template", None)  # the same for every view: stated once
        figures[key] = {"data": spec["data"], "layout": spec["layout"], "parent": view.parent, "title": view.title}
    return {"views": figures, "chains": chains, "home": home, "template": template}


def traceability_figure(
    graph: SMSGraph, report: CheckReport, view: str = "all", grades: Mapping[str, str] | None = None
) -> go.Figure:
    """One view of the graph as a plotly figure (for notebooks): the overview by default; *grades* as
    :func:`drawn_findings` takes them (:func:`nonconformity_grades`)."""
    views = traceability_views(graph, report, grades)
    spec = views["views"][view]
    return go.Figure(data=spec["data"], layout={**spec["layout"], "template": views["template"]})


def json_for_script(data: Any) -> str:
    """*data* as JSON that is safe inside a <script> element: no character of it can close the element."""
    text = (
        pio.to_json(data, validate=False, pretty=False)
        if isinstance(data, go.Figure)
        else json.dumps(data, sort_keys=True, separators=(",", ":"), cls=_PlotlyEncoder)
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _PlotlyEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if hasattr(o, "tolist"):
            return o.tolist()
        return super().default(o)

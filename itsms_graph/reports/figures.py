"""The report's figures, each a plotly figure a notebook can show as well as the page can embed: the clause
coverage matrix (from the roll-up), operational volume per service and month, and the quick look at one node's
neighbourhood (`viz --focus`). The traceability graph has a module of its own (``traceability``); the page that
puts them together is ``visual``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from itsms_graph.colours import label_colours
from itsms_graph.graph.store import NO_SERVICE, SMSGraph, service_steps
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.reports.chains import record, shorten
from itsms_graph.reports.rollup import Rollup
from itsms_graph.reports.traceability import relationship_trace, segment

if TYPE_CHECKING:
    from itsms_graph.graph.tables import GraphTables


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
    """Records per service and month inside the audit period, and how many fell outside it (not drawn); the name
    each service's row shows (its ``name``, else its id)."""

    counts: dict[tuple[str, str], int]
    months: list[str]
    before: int
    after: int
    names: dict[str, str] = field(default_factory=dict)

    @property
    def outside(self) -> int:
        return self.before + self.after

    def note(self, period: AuditPeriod) -> str:
        if not self.outside:
            return f"Every dated record lies in the audit period {period.label()}."
        return (
            f"{self.outside} record(s) dated outside the audit period {period.label()} are not drawn: "
            f"{self.before} before it, {self.after} after it (the data-quality checks "
            "change-, incident- and service-request-dated-far-outside-period list those dated far outside it)."
        )


def _months(start: dt.date, end: dt.date) -> list[str]:
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def volume(source: SMSGraph | GraphTables, period: AuditPeriod) -> Volume:
    """Operational records per service per month of *period*: aggregated, so a million records cost one heatmap.
    A record linked to no service (directly or through its CIs, as :meth:`SMSGraph.services_of` says) is counted
    on a row of its own; one dated outside the period is counted apart, so that a few stray dates cannot stretch
    the axis over years. Graph tables are counted by SQL, without building the graph: the same Volume."""
    if not isinstance(source, SMSGraph):
        return _volume_of_tables(source, period)
    graph = source
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
    names = {s: str(graph.attrs(s).get("name", s)) for s, _ in counts if s != NO_SERVICE}
    return Volume(dict(counts), _months(period.start, period.as_of), before, after, names)


def _volume_of_tables(tables: GraphTables, period: AuditPeriod) -> Volume:
    """:func:`volume` by SQL on the graph tables: the same rule, the services as services_of finds them (those a
    record names, else those the items it names are part of), each once per record."""
    from itsms_graph.graph.tables import EDGES, NODES, quote

    names, component = service_steps(tables.schema)
    dated = " UNION ALL ".join(
        f"SELECT id, {quote(key)} AS day FROM {NODES} WHERE label = ?" for _, key in VOLUME_DATES
    )
    labels = [label for label, _ in VOLUME_DATES]
    first, last = period.start.isoformat(), period.as_of.isoformat()
    con = tables.con
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE itsms_dated AS SELECT id, day FROM ({dated}) WHERE day IS NOT NULL", labels
    )
    try:
        before, after = con.execute(
            "SELECT count(*) FILTER (WHERE substr(day, 1, 10) < ?), count(*) FILTER (WHERE substr(day, 1, 10) > ?) "
            "FROM itsms_dated",
            [first, last],
        ).fetchone()
        rows = con.execute(
            f"""
            WITH inside AS (SELECT id, substr(day, 1, 7) AS month FROM itsms_dated
                            WHERE substr(day, 1, 10) >= ? AND substr(day, 1, 10) <= ?),
            named AS (SELECT src AS id, dst AS item FROM {EDGES} SEMI JOIN inside ON inside.id = src
                      WHERE list_contains(?::VARCHAR[], type)),
            direct AS (SELECT DISTINCT named.id, item AS service FROM named JOIN {NODES} n ON n.id = item
                       WHERE n.label = 'Service'),
            via AS (SELECT DISTINCT named.id, e.dst AS service FROM named JOIN {EDGES} e ON e.src = named.item
                    JOIN {NODES} n ON n.id = e.dst
                    WHERE list_contains(?::VARCHAR[], e.type) AND n.label = 'Service'
                    AND named.id NOT IN (SELECT id FROM direct)),
            services AS (SELECT id, service FROM direct UNION ALL SELECT id, service FROM via)
            SELECT coalesce(services.service, ?) AS service, month, count(*) AS n
            FROM inside LEFT JOIN services USING (id) GROUP BY ALL
            """,
            [first, last, list(names), list(component), NO_SERVICE],
        ).fetchall()
        shown = con.execute(
            f"SELECT id, coalesce({quote('name')}, id) FROM {NODES} WHERE list_contains(?::VARCHAR[], id)",
            [sorted({service for service, _, _ in rows if service != NO_SERVICE})],
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS itsms_dated")
    counts = {(service, month): int(n) for service, month, n in rows}
    return Volume(counts, _months(period.start, period.as_of), int(before), int(after), dict(shown))


def volume_figure(source: SMSGraph | Volume, period: AuditPeriod) -> go.Figure:
    """The volume heatmap of a graph (or of its :func:`volume`): its axis is the audit period's months (each drawn,
    empty or not), edged by the period's first and last day; records outside it are counted in the title's note."""
    vol = source if isinstance(source, Volume) else volume(source, period)
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
    names = [s if s == NO_SERVICE else vol.names[s] for s in services]
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

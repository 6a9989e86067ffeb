"""A finding's evidence as the reports draw it: the records of its chain (name, dates, source file and row), the
relationships between them as they exist in the graph (type and direction), and the record that lacks the
missing link. The report's finding sections and its traceability graph both read a ChainView, so a chain is
drawn the same way in both and never with an edge the graph does not hold.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from html import escape

from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.definition import QueryDefinition
from itsms_graph.queries.results import Finding, Hop

#: The attributes that name a record, best first (a record with none is named by its id).
NAME_KEYS = ("name", "title", "short_description", "summary", "number")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: Dates a reader places a record by, best first; any other ISO date follows in key order.
DATE_KEYS = ("opened_at", "actual_start", "held_on", "approved_on", "performed_on", "decided_on", "closed_at")
GRADE_COLOURS = {"major": "#B71C1C", "minor": "#E53935", "ofi": "#00897B", "data-quality": "#6A1B9A"}


@dataclass(frozen=True)
class Record:
    """One node of a chain as a reader needs it."""

    id: str
    label: str
    name: str
    dates: tuple[tuple[str, str], ...]  # (key, ISO date), at most two
    source: str  # "file row N", or "" for a node the tool made (a clause)

    @property
    def local_id(self) -> str:
        return self.id.split(":", 1)[1] if ":" in self.id else self.id


def record(graph: SMSGraph, nid: str) -> Record:
    if nid not in graph:  # an each-value subject ("month=2025-01") or a node of another snapshot
        return Record(nid, "", nid, (), "")
    attrs = graph.attrs(nid)
    label = graph.label_of(nid)
    local = nid.split(":", 1)[1] if ":" in nid else nid
    name = next((str(attrs[k]) for k in NAME_KEYS if attrs.get(k) not in (None, "")), local)
    if label == "Clause":
        name = f"{local} {attrs.get('title', '')}".strip()
    dated = [k for k in DATE_KEYS if isinstance(attrs.get(k), str) and _DATE.match(attrs[k])]
    dated += sorted(k for k, v in attrs.items() if k not in dated and isinstance(v, str) and _DATE.match(v))
    dates = tuple((k, str(attrs[k])[:10]) for k in dated[:2])
    source = ""
    if attrs.get("source_file") and label != "Clause":
        row = attrs.get("source_row")
        source = str(attrs["source_file"]) + (f" row {row}" if row is not None else "")
    return Record(nid, label, name, dates, source)


def lacking(query: QueryDefinition, finding: Finding) -> str:
    """The record that lacks what is missing: the node an ``absent`` (or property ``check``) condition starts
    from; for a query that expects some record and found none, the clause itself."""
    if query.expect == "some" or not finding.subjects:
        return f"Clause:{finding.clauses[0]}"
    if query.having is not None:  # a counted check's finding is about its group's record, its only subject
        return finding.subjects[0]
    by_var = dict(zip(query.variables, finding.subjects, strict=False))
    for condition in query.flat_conditions():
        var = condition.spec.from_ if condition.is_path and condition.negated else None
        var = var or (condition.check.node if condition.check is not None else None)
        if var in by_var:
            return by_var[var]
    return finding.subjects[len(query.variables) - 1] if query.variables else finding.subjects[-1]


@dataclass(frozen=True)
class ChainView:
    finding: Finding
    records: tuple[Record, ...]  # in the order the query walks them
    hops: tuple[Hop, ...]  # the graph's own relationships between them, in their direction
    lacking: str
    extra: tuple[str, ...]  # subjects that are not records (an each value: "month=2025-01")

    @property
    def missing(self) -> str:
        return self.finding.missing


def chain_view(graph: SMSGraph, query: QueryDefinition, finding: Finding) -> ChainView:
    order: list[str] = []
    for nid in [*finding.subjects, *(n for h in finding.chain for n in (h.source, h.target))]:
        if nid not in order and "=" not in nid:
            order.append(nid)
    where = lacking(query, finding)
    if where not in order:
        order.append(where)
    extra = tuple(s for s in finding.subjects if "=" in s)
    return ChainView(finding, tuple(record(graph, n) for n in order), finding.chain, where, extra)


def shorten(text: str, width: int = 24) -> str:
    """*text* on one line, cut to *width* characters with an ellipsis (the full text goes in the hover)."""
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "\u2026"


_BOX_W, _BOX_H, _GAP, _PAD = 190, 74, 110, 10


def chain_svg(view: ChainView) -> str:
    """The chain drawn as it is in the graph: a box per record (name, label and id, dates, source file and row),
    an arrow per relationship in its own direction, and the missing link hanging off the record that lacks it,
    its text wrapped, never cut. Each box's full text is its hover title."""
    colour = GRADE_COLOURS.get(view.finding.grade, "#B71C1C")
    index = {r.id: i for i, r in enumerate(view.records)}
    missing_lines = textwrap.wrap("missing: " + " ".join(view.missing.split()), 44) or ["missing"]
    if view.extra:
        missing_lines += textwrap.wrap("for " + ", ".join(view.extra), 44)
    miss_h = 16 * len(missing_lines) + 12
    width = _PAD * 2 + len(view.records) * _BOX_W + (len(view.records) - 1) * _GAP
    width = max(width, _PAD * 2 + 330)
    top, miss_top = 24, 24 + _BOX_H + 46
    height = miss_top + miss_h + _PAD
    parts = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#455A64"/></marker></defs>'
    ]

    def left(i: int) -> int:
        return _PAD + i * (_BOX_W + _GAP)

    for hop in view.hops:
        a, b = index.get(hop.source), index.get(hop.target)
        if a is None or b is None:
            continue
        ya = top + _BOX_H / 2
        if abs(a - b) == 1:
            x1 = left(a) + (_BOX_W if b > a else 0)
            x2 = left(b) + (0 if b > a else _BOX_W)
            label_x = (x1 + x2) / 2
            parts.append(
                f'<line class="rel" x1="{x1}" y1="{ya}" x2="{x2}" y2="{ya}" stroke="#455A64" stroke-width="1.5" '
                f'marker-end="url(#arrow)"/><text x="{label_x}" y="{ya - 8}" font-size="10" '
                f'text-anchor="middle">{escape(hop.rel)}</text>'
            )
        else:  # not neighbours in the walk: an arc over the boxes between
            x1, x2 = left(a) + _BOX_W // 2, left(b) + _BOX_W // 2
            parts.append(
                f'<path class="rel" d="M{x1},{top} C{x1},{top - 22} {x2},{top - 22} {x2},{top}" fill="none" '
                f'stroke="#455A64" stroke-width="1.5" marker-end="url(#arrow)"/><text x="{(x1 + x2) / 2}" '
                f'y="{top - 12}" font-size="10" text-anchor="middle">{escape(hop.rel)}</text>'
            )
    for i, rec in enumerate(view.records):
        x = left(i)
        lines = [shorten(rec.name, 28), shorten(f"{rec.label} {rec.local_id}".strip(), 30)]
        lines += [shorten(" ".join(f"{k.replace('_', ' ')} {v}" for k, v in rec.dates), 32)] if rec.dates else []
        lines += [shorten(rec.source, 32)] if rec.source else []
        full = "\n".join(
            [rec.name, rec.id, *(f"{k}: {v}" for k, v in rec.dates), *([rec.source] if rec.source else [])]
        )
        lacks = rec.id == view.lacking
        stroke = colour if lacks else "#455A64"
        text = "".join(
            f'<text x="{x + 8}" y="{top + 17 + 15 * n}" font-size="{12 if n == 0 else 10}"'
            f"{' font-weight="600"' if n == 0 else ''}>{escape(line)}</text>"
            for n, line in enumerate(lines)
        )
        parts.append(
            f'<g class="record" data-id="{escape(rec.id)}"><title>{escape(full)}</title>'
            f'<rect x="{x}" y="{top}" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="#fff" stroke="{stroke}" '
            f'stroke-width="{2 if lacks else 1}"/>{text}</g>'
        )
    at = index[view.lacking]
    cx = left(at) + _BOX_W / 2
    mx = max(_PAD, min(cx - 165, width - _PAD - 330))
    parts.append(
        f'<line class="missing-link" x1="{cx}" y1="{top + _BOX_H}" x2="{cx}" y2="{miss_top}" stroke="{colour}" '
        f'stroke-width="2" stroke-dasharray="5,3"/>'
        f'<g class="missing"><rect x="{mx}" y="{miss_top}" width="330" height="{miss_h}" rx="6" fill="#FFF5F5" '
        f'stroke="{colour}" stroke-width="2" stroke-dasharray="5,3"/>'
        + "".join(
            f'<text x="{mx + 8}" y="{miss_top + 18 + 16 * n}" font-size="11" fill="{colour}">{escape(line)}</text>'
            for n, line in enumerate(missing_lines)
        )
        + "</g>"
    )
    return (
        f'<svg class="chain" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(view.finding.id)}">' + "".join(parts) + "</svg>"
    )

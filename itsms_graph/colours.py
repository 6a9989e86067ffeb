"""The colours of the graph, in one place: the Neo4j Browser style (exports/browser.py) and the HTML report
(reports/visual.py) draw every label alike.

One hue per domain group of the ontology (``itsms:group``), lightness varied within a group; findings are red, so
nothing else is.
"""

from __future__ import annotations

import colorsys
from collections import defaultdict

from itsms_graph.ontology import Schema, schema

#: Hue per domain group (findings are red, so nothing else is).
GROUP_HUES = {
    "governance": 0.60,
    "portfolio": 0.33,
    "operations": 0.08,
    "suppliers": 0.78,
    "evidence": 0.14,
    "other": 0.50,
}
FINDING_COLOUR = "#D32F2F"


def _hex(h: float, lightness: float, saturation: float) -> str:
    r, g, b = colorsys.hls_to_rgb(h, lightness, saturation)
    return f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"


def label_colours(sch: Schema | None = None) -> dict[str, tuple[str, str]]:
    """(fill, border) per label: one hue per domain group, lightness varied within it."""
    sch = sch or schema()
    groups: dict[str, list[str]] = defaultdict(list)
    for label, d in sorted(sch.labels.items()):
        groups[d.group].append(label)
    out = {}
    for group, labels in groups.items():
        for i, label in enumerate(labels):
            if group == "findings":
                out[label] = (FINDING_COLOUR, "#B71C1C") if label == "Finding" else ("#9E9E9E", "#757575")
                continue
            hue = GROUP_HUES.get(group, GROUP_HUES["other"])
            lightness = 0.38 + 0.30 * (i / max(1, len(labels) - 1))
            out[label] = (_hex(hue, lightness, 0.55), _hex(hue, lightness - 0.1, 0.55))
    return out

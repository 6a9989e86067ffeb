"""The model's vocabulary at hand: each label of the ontology with its properties (type, list or not, enumerated
values) and the relationships that leave and reach it, as plain data or a text table.

What a profile or a query may name, without reading ``ontology/itsms.ttl``: ``itsms-graph ontology`` prints it,
``itsms-graph ontology Incident`` one label.
"""

from __future__ import annotations

from typing import Any

from itsms_graph.errors import InputError
from itsms_graph.ontology import PROVENANCE_KEYS, Schema, schema

#: Properties every node has that no profile or query sets: its id and where it came from
_IMPLICIT = ("id", *PROVENANCE_KEYS)


def describe(label: str, sch: Schema | None = None) -> dict[str, Any]:
    """One label: its title and comment, its properties (key, type, list, enumerated values, title) and its
    relationships out (type, target labels) and in (type, source labels). InputError, naming the nearest labels,
    for a label the ontology does not have."""
    sch = sch or schema()
    found = sch.labels.get(label)
    if found is None:
        raise InputError(f"no label {label!r} in the ontology{sch.nearest_label(label)}")
    properties = [
        {
            "key": key,
            "type": prop.type,
            "list": prop.multi_valued,
            "values": list(sch.enumerations.get((label, key), ())),
            "title": prop.title,
        }
        for key, prop in sorted(sch.properties_of(label).items())
        if key not in _IMPLICIT
    ]
    every = sorted(sch.labels)
    out, into = [], []
    for rel in sorted(sch.relationships.values(), key=lambda r: r.type):
        if not rel.sources or label in rel.sources:
            out.append({"type": rel.type, "labels": sorted(rel.targets) or every, "title": rel.title})
        if not rel.targets or label in rel.targets:
            into.append({"type": rel.type, "labels": sorted(rel.sources) or every, "title": rel.title})
    return {
        "label": label,
        "title": found.title,
        "comment": found.comment,
        "group": found.group,
        "properties": properties,
        "relationships_out": out,
        "relationships_in": into,
    }


def vocabulary(sch: Schema | None = None) -> list[dict[str, Any]]:
    """Every label, described, in label order."""
    sch = sch or schema()
    return [describe(label, sch) for label in sorted(sch.labels)]


def vocabulary_text(entries: list[dict[str, Any]]) -> str:
    """The labels as text: a block per label, a line per property and per relationship."""
    lines: list[str] = []
    for entry in entries:
        lines.append(f"{entry['label']} ({entry['group']}): {entry['comment']}")
        width = max((len(p["key"]) for p in entry["properties"]), default=0)
        for p in entry["properties"]:
            kind = f"list of {p['type']}" if p["list"] else p["type"]
            values = f" one of: {', '.join(p['values'])}" if p["values"] else ""
            lines.append(f"  {p['key']:<{width}}  {kind}{values}")
        for r in entry["relationships_out"]:
            lines.append(f"  -[:{r['type']}]-> {' | '.join(r['labels'])}")
        for r in entry["relationships_in"]:
            lines.append(f"  <-[:{r['type']}]- {' | '.join(r['labels'])}")
        lines.append("")
    return "\n".join(lines)

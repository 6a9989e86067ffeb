"""The graph schema, derived with rdflib from ontology/itsms.ttl and shapes.ttl, and the ISO clause catalogue.

There is no second, hand-kept list of labels, relationship types or properties: everything else (the graph
store's validation, Cypher load statements, constraints, the linter schema, style sheets) asks this module.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itsms_graph.errors import OntologyError
from itsms_graph.resources import data_dir

if TYPE_CHECKING:
    from rdflib import Graph, URIRef

#: The ontology's namespace (rdflib is imported only where the Turtle files are parsed: see DERIVED).
ITSMS_IRI = "https://w3id.org/itsms-graph/ontology#"
_XSD = "http://www.w3.org/2001/XMLSchema#"

#: Property value types the graph stores. Temporal values are ISO-8601 strings (see itsms.ttl's header).
XSD_TYPES = {
    f"{_XSD}string": "string",
    f"{_XSD}integer": "integer",
    f"{_XSD}boolean": "boolean",
    f"{_XSD}date": "date",
    f"{_XSD}dateTime": "datetime",
    f"{_XSD}decimal": "float",
    f"{_XSD}double": "float",
}

#: The Turtle files the schema and the clause catalogue are derived from.
SOURCES = ("itsms.ttl", "shapes.ttl", "clauses.ttl")
#: The schema and the clause catalogue as derived from SOURCES, stored beside them with each file's SHA-256, so
#: that a command need not import rdflib and parse Turtle (about 0.15 s of CPU before any work). It is read only
#: while every digest matches the file (an edited ontology is parsed, whatever this file says), and a test keeps
#: it equal to a fresh derivation. Written by ``python -m itsms_graph.ontology``.
DERIVED = "derived.json"

#: The domain group of the labels itsms-graph writes itself rather than imports.
TOOL_GROUP = "findings"
#: The values of itsms:serviceLink: how a relationship ties a record to a service (see RelationshipDef).
SERVICE_LINKS = ("names", "component")
#: Properties every node and relationship may carry, whatever its label: identity and provenance.
PROVENANCE_KEYS = ("source_file", "source_row", "source_path")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def relationship_type_name(local_name: str) -> str:
    """``causedBy`` -> ``CAUSED_BY``: the documented rule from OWL object property to relationship type."""
    return _snake(local_name).upper()


def property_key_name(local_name: str) -> str:
    """``actualStart`` -> ``actual_start``: the documented rule from OWL datatype property to property key."""
    return _snake(local_name)


@dataclass(frozen=True)
class PropertyDef:
    key: str
    type: str
    labels: frozenset[str]  # empty: every label
    multi_valued: bool
    title: str
    comment: str
    #: a flag whose absence means false/none: never a data gap when no node carries it
    marker: bool = False
    #: itsms:datingOrder: this property dates a record (when it happened); the lowest order a record has wins
    dating_order: int | None = None


@dataclass(frozen=True)
class RelationshipDef:
    type: str
    sources: frozenset[str]  # empty: any label
    targets: frozenset[str]  # empty: any label
    title: str
    comment: str
    #: itsms:serviceLink: "names" (a record names the service it reaches) or "component" (a configuration item
    #: or component is part of the service it reaches); None: the relationship says nothing about services
    service_link: str | None = None

    def allows(self, source_label: str, target_label: str) -> bool:
        return (not self.sources or source_label in self.sources) and (not self.targets or target_label in self.targets)


@dataclass(frozen=True)
class LabelDef:
    label: str
    title: str
    comment: str
    group: str
    caption: str
    #: itsms:traceLayer: the column of the report's traceability graph (0 clauses, 1 documents, 2 what the SMS
    #: delivers and relies on); None: a record (drawn after them)
    trace_layer: int | None = None


@dataclass(frozen=True)
class Clause:
    number: str
    title: str

    @property
    def parent(self) -> str | None:
        return self.number.rsplit(".", 1)[0] if "." in self.number else None

    @property
    def depth(self) -> int:
        return self.number.count(".") + 1

    @property
    def node_id(self) -> str:
        return f"Clause:{self.number}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'A' or 'B'?)`` naming the valid names nearest *name* (a prefix either way, or close by
    difflib's ratio), or "" when none is near: what every "unknown label / property / type" error adds."""
    names = sorted(set(candidates))

    def fold(text: str) -> str:  # CAUSEDBY, caused_by and CAUSED_BY are one name mistyped
        return text.lower().replace("_", "")

    same = [n for n in names if fold(n) == fold(name)]
    near = same + [n for n in names if n not in same and fold(name) and fold(n).startswith(fold(name))]
    near += [n for n in names if n not in near and fold(n) and fold(name).startswith(fold(n))]  # risk_level: risk
    near += [n for n in difflib.get_close_matches(name, names, n=3, cutoff=0.6) if n not in near]
    return f" (did you mean {' or '.join(repr(n) for n in near[:3])}?)" if near else ""


@dataclass(frozen=True)
class Schema:
    """Labels, relationship types and properties of the graph, as the ontology defines them."""

    labels: dict[str, LabelDef]
    relationships: dict[str, RelationshipDef]
    properties: dict[str, PropertyDef]
    enumerations: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    required: frozenset[tuple[str, str]] = frozenset()
    _by_label: dict[str, dict[str, PropertyDef]] = field(default_factory=dict, compare=False, repr=False)

    def properties_of(self, label: str) -> dict[str, PropertyDef]:
        """Every property a node of *label* may carry (those without a domain included); computed once."""
        found = self._by_label.get(label)
        if found is None:
            found = {k: p for k, p in self.properties.items() if not p.labels or label in p.labels}
            self._by_label[label] = found
        return found

    def property_type(self, label: str, key: str) -> str:
        prop = self.properties.get(key)
        if prop is None or (prop.labels and label not in prop.labels):
            raise OntologyError(
                f"the ontology gives label {label} no property {key!r}{self.nearest_property(label, key)}"
            )
        return prop.type

    def nearest_label(self, name: str) -> str:
        """did_you_mean among the labels."""
        return did_you_mean(name, self.labels)

    def nearest_type(self, name: str) -> str:
        """did_you_mean among the relationship types."""
        return did_you_mean(name, self.relationships)

    def nearest_property(self, label: str, key: str) -> str:
        """did_you_mean among the properties a node of *label* may carry (all of them for an unknown label); when
        none is near, the keys there are."""
        known = self.properties_of(label) if label in self.labels else self.properties
        keys = sorted(k for k in known if k != "id" and k not in PROVENANCE_KEYS)
        hint = did_you_mean(key, keys)
        return hint or f" (its properties: {', '.join(keys)})"

    @cached_property
    def marker_keys(self) -> tuple[str, ...]:
        """The marker properties (``unresolved``, ``unnamed_references``): flags few nodes carry, indexed."""
        return tuple(sorted(k for k, p in self.properties.items() if p.marker))

    @cached_property
    def dating_keys(self) -> tuple[str, ...]:
        """The properties that date a record (when it happened), in the order they are tried: a record's first
        one decides its month (``itsms:datingOrder``)."""
        dated = [(p.dating_order, k) for k, p in self.properties.items() if p.dating_order is not None]
        return tuple(k for _, k in sorted(dated))

    @cached_property
    def trace_layers(self) -> dict[str, int]:
        """Label -> its column in a traceability graph (``itsms:traceLayer``); a label without one is a record."""
        return {label: d.trace_layer for label, d in sorted(self.labels.items()) if d.trace_layer is not None}

    def service_relationships(self, link: str) -> tuple[str, ...]:
        """The relationship types with ``itsms:serviceLink`` *link*: "names" (a record names the service it
        concerns) or "component" (an item is part of a service)."""
        return tuple(sorted(r.type for r in self.relationships.values() if r.service_link == link))

    @property
    def property_keys(self) -> list[str]:
        return sorted(self.properties)

    @property
    def tool_labels(self) -> frozenset[str]:
        """Labels itsms-graph writes itself (findings, snapshots), never imported."""
        return frozenset(label for label, d in self.labels.items() if d.group == TOOL_GROUP)

    @property
    def tool_relationship_types(self) -> frozenset[str]:
        """Relationship types only itsms-graph writes (a finding FLAGS its subject)."""
        tool = self.tool_labels
        return frozenset(r.type for r in self.relationships.values() if r.sources and r.sources <= tool)


def _members(graph: Graph, node: URIRef) -> frozenset[str]:
    """A class, or an owl:unionOf list of classes, as a set of local names."""
    from rdflib import OWL
    from rdflib.collection import Collection

    union = graph.value(node, OWL.unionOf)
    nodes = list(Collection(graph, union)) if union is not None else [node]
    names = set()
    for member in nodes:
        if not str(member).startswith(ITSMS_IRI):
            raise OntologyError(f"{member} is outside the itsms namespace")
        names.add(str(member)[len(ITSMS_IRI) :])
    return frozenset(names)


def _text(graph: Graph, subject: URIRef, predicate: URIRef) -> str:
    value = graph.value(subject, predicate)
    return str(value) if value is not None else ""


def _integer(graph: Graph, subject: URIRef, predicate: URIRef) -> int | None:
    """An annotation that must be an integer when present (a layer, an order)."""
    from rdflib import Literal

    value = graph.value(subject, predicate)
    if value is None:
        return None
    if not isinstance(value, Literal) or not isinstance(value.toPython(), int) or isinstance(value.toPython(), bool):
        raise OntologyError(f"{_local(subject)}: {_local(predicate)} must be an integer, not {value!r}")
    return int(value.toPython())


def _local(node: URIRef) -> str:
    return str(node)[len(ITSMS_IRI) :]


def load_schema(ontology_dir: Path | None = None) -> Schema:
    """Read the ontology folder and derive the schema. Raises OntologyError on inconsistencies."""
    from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    ITSMS = Namespace(ITSMS_IRI)
    folder = ontology_dir or data_dir("ontology")
    graph = Graph()
    graph.parse(folder / "itsms.ttl", format="turtle")
    shapes = Graph()
    shapes.parse(folder / "shapes.ttl", format="turtle")

    labels: dict[str, LabelDef] = {}
    for cls in sorted(graph.subjects(RDF.type, OWL.Class), key=str):
        if not isinstance(cls, URIRef) or not str(cls).startswith(ITSMS_IRI):
            continue
        name = _local(cls)
        if not _text(graph, cls, RDFS.comment):
            raise OntologyError(f"class {name} has no rdfs:comment")
        labels[name] = LabelDef(
            label=name,
            title=_text(graph, cls, RDFS.label),
            comment=_text(graph, cls, RDFS.comment),
            group=_text(graph, cls, ITSMS.domainGroup) or "other",
            caption=_text(graph, cls, ITSMS.caption) or "id",
            trace_layer=_integer(graph, cls, ITSMS.traceLayer),
        )

    relationships: dict[str, RelationshipDef] = {}
    for prop in sorted(graph.subjects(RDF.type, OWL.ObjectProperty), key=str):
        if not isinstance(prop, URIRef) or not str(prop).startswith(ITSMS_IRI):
            continue
        domain, range_ = graph.value(prop, RDFS.domain), graph.value(prop, RDFS.range)
        if domain is None:
            raise OntologyError(f"object property {_local(prop)} has no rdfs:domain")
        rel = RelationshipDef(
            type=relationship_type_name(_local(prop)),
            sources=_members(graph, domain),  # type: ignore[arg-type]
            targets=_members(graph, range_) if range_ is not None else frozenset(),  # type: ignore[arg-type]
            title=_text(graph, prop, RDFS.label),
            comment=_text(graph, prop, RDFS.comment),
            service_link=_text(graph, prop, ITSMS.serviceLink) or None,
        )
        if rel.service_link not in (None, *SERVICE_LINKS):
            raise OntologyError(f"{_local(prop)}: itsms:serviceLink is one of {', '.join(SERVICE_LINKS)}")
        relationships[rel.type] = rel

    properties: dict[str, PropertyDef] = {}
    for prop in sorted(graph.subjects(RDF.type, OWL.DatatypeProperty), key=str):
        if not isinstance(prop, URIRef) or not str(prop).startswith(ITSMS_IRI):
            continue
        range_ = graph.value(prop, RDFS.range)
        if str(range_) not in XSD_TYPES:
            raise OntologyError(f"datatype property {_local(prop)} has unsupported range {range_}")
        domain = graph.value(prop, RDFS.domain)
        multi = graph.value(prop, ITSMS.multiValued)
        marker = graph.value(prop, ITSMS.marker)
        key = property_key_name(_local(prop))
        properties[key] = PropertyDef(
            key=key,
            type=XSD_TYPES[str(range_)],
            labels=_members(graph, domain) if domain is not None else frozenset(),  # type: ignore[arg-type]
            multi_valued=bool(isinstance(multi, Literal) and multi.toPython() is True),
            marker=bool(isinstance(marker, Literal) and marker.toPython() is True),
            dating_order=_integer(graph, prop, ITSMS.datingOrder),
            title=_text(graph, prop, RDFS.label),
            comment=_text(graph, prop, RDFS.comment),
        )
    for key, p in properties.items():
        if p.dating_order is not None and p.type not in ("date", "datetime"):
            raise OntologyError(f"{key}: itsms:datingOrder on a {p.type}; only a date or datetime dates a record")
    for key in (*PROVENANCE_KEYS, "id"):
        if key not in properties:
            raise OntologyError(f"the ontology must define the property {key}")

    enumerations: dict[tuple[str, str], tuple[str, ...]] = {}
    required: set[tuple[str, str]] = set()
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        target = shapes.value(shape, SH.targetClass)
        if target is None:
            continue
        label = _local(target)  # type: ignore[arg-type]
        for pshape in shapes.objects(shape, SH.property):
            path = shapes.value(pshape, SH.path)
            key = property_key_name(_local(path))  # type: ignore[arg-type]
            if label not in labels or key not in properties:
                raise OntologyError(f"shapes.ttl names {label}.{key}, which the ontology does not define")
            allowed = shapes.value(pshape, SH["in"])
            if allowed is not None:
                enumerations[(label, key)] = tuple(str(v) for v in Collection(shapes, allowed))
            min_count = shapes.value(pshape, SH.minCount)
            if isinstance(min_count, Literal) and int(min_count.toPython()) >= 1:
                required.add((label, key))

    return Schema(labels, relationships, properties, enumerations, frozenset(required))


def load_clauses(ontology_dir: Path | None = None) -> list[Clause]:
    """The ISO/IEC 20000-1:2018 clause catalogue (clauses 4-10), in document order."""
    from rdflib import RDF, Graph, Namespace
    from rdflib.namespace import SKOS

    ITSMS = Namespace(ITSMS_IRI)
    folder = ontology_dir or data_dir("ontology")
    graph = Graph()
    graph.parse(folder / "clauses.ttl", format="turtle")
    clauses = [
        Clause(number=str(graph.value(c, SKOS.notation)), title=str(graph.value(c, SKOS.prefLabel)))
        for c in graph.subjects(RDF.type, ITSMS.Clause)
    ]
    clauses.sort(key=lambda c: clause_key(c.number))
    numbers = {c.number for c in clauses}
    for c in clauses:
        if c.parent and c.parent not in numbers:
            raise OntologyError(f"clause {c.number} has no parent {c.parent} in clauses.ttl")
    return clauses


def _plain(record: Any) -> dict[str, Any]:
    """A definition's fields as JSON values (a set as a sorted list)."""
    return {f.name: sorted(v) if isinstance(v := getattr(record, f.name), frozenset) else v for f in fields(record)}


def _record(cls: Any, data: dict[str, Any]) -> Any:
    return cls(
        **{
            f.name: frozenset(data[f.name]) if str(f.type).startswith("frozenset") else data[f.name]
            for f in fields(cls)
            if not f.name.startswith("_")
        }
    )


def digests(ontology_dir: Path | None = None) -> dict[str, str]:
    """The SHA-256 of each of the ontology's SOURCES."""
    folder = ontology_dir or data_dir("ontology")
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in SOURCES}


def derive(ontology_dir: Path | None = None) -> dict[str, Any]:
    """The document DERIVED holds: the schema and the clause catalogue parsed from the Turtle files, with their
    digests. Deterministic: the same files give the same document."""
    found = load_schema(ontology_dir)
    return {
        "derived_from": digests(ontology_dir),
        "written_by": "python -m itsms_graph.ontology (do not edit: derived from the Turtle files beside it)",
        "labels": [_plain(d) for _, d in sorted(found.labels.items())],
        "relationships": [_plain(d) for _, d in sorted(found.relationships.items())],
        "properties": [_plain(d) for _, d in sorted(found.properties.items())],
        "enumerations": [[label, key, list(values)] for (label, key), values in sorted(found.enumerations.items())],
        "required": sorted([label, key] for label, key in found.required),
        "clauses": [_plain(c) for c in load_clauses(ontology_dir)],
    }


@cache
def _derived() -> tuple[Schema, tuple[Clause, ...]] | None:
    """The schema and clauses from DERIVED when it was derived from the files as they are; None otherwise (the
    files are then parsed)."""
    folder = data_dir("ontology")
    try:
        document = json.loads((folder / DERIVED).read_text(encoding="utf-8"))
        if document["derived_from"] != digests(folder):
            return None
        found = Schema(
            labels={d["label"]: _record(LabelDef, d) for d in document["labels"]},
            relationships={d["type"]: _record(RelationshipDef, d) for d in document["relationships"]},
            properties={d["key"]: _record(PropertyDef, d) for d in document["properties"]},
            enumerations={(label, key): tuple(values) for label, key, values in document["enumerations"]},
            required=frozenset((label, key) for label, key in document["required"]),
        )
        return found, tuple(_record(Clause, c) for c in document["clauses"])
    except (OSError, ValueError, KeyError, TypeError):  # absent, or written by another version of these classes
        return None


@cache
def schema() -> Schema:
    """The schema of the shipped ontology (derived once per process: from DERIVED while it is current)."""
    derived = _derived()
    return derived[0] if derived else load_schema()


@cache
def clauses() -> tuple[Clause, ...]:
    """The shipped clause catalogue (derived once per process: from DERIVED while it is current)."""
    derived = _derived()
    return derived[1] if derived else tuple(load_clauses())


def write_derived(ontology_dir: Path | None = None) -> Path:
    """Write DERIVED beside the Turtle files (atomically)."""
    from itsms_graph.outputs import atomic_output

    folder = ontology_dir or data_dir("ontology")
    target = folder / DERIVED
    with atomic_output(target, text=True, newline="\n") as fh:
        fh.write(json.dumps(derive(folder), indent=1, ensure_ascii=False) + "\n")
    return target


def clause_key(number: str) -> tuple[int, ...]:
    """Sort key that puts 8.5.1.3 before 10.1 (document order, not string order)."""
    return tuple(int(part) for part in number.split(".") if part.isdigit())


def clause_numbers() -> frozenset[str]:
    return frozenset(c.number for c in clauses())


if __name__ == "__main__":
    print(f"wrote {write_derived()}")

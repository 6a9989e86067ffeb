"""Where a record becomes a node: the SMS graph, checked against the ontology as it is built.

The graph keeps exactly what the queries walk: one attribute dict per node (properties, ``label``,
provenance), nodes by label, and adjacency by relationship type in both directions, with one shared provenance
tuple per source row for the relationships it gave. Node ids are stable and namespaced (``Change:C00000003``); a
relationship of one type between two nodes exists at most once (the same rule as Cypher's MERGE).

``SMSGraph.nx`` gives the same graph as a networkx MultiDiGraph (edge key = relationship type) for Python users
and for graph algorithms: a copy, built on first use after a change. The store does not keep
its data in networkx itself: networkx's general adjacency (a dict per node and direction, a key dict per
relationship) was 594 MB of the 1.0 GB the full BPIC 2014 graph took (measured with sys.getsizeof over the
structures; benchmarks/RESULTS-bpic2014.md), and the typed indexes the queries use were needed on top of it.

Why one module of this length: the store's indexes and every method that reads or writes them (validation, bulk
load, provenance) must change together; nothing outside reaches into them (tests/test_layers.py).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itsms_graph.errors import SchemaViolation
from itsms_graph.ontology import PROVENANCE_KEYS, Schema, clauses, schema

if TYPE_CHECKING:  # networkx is imported where the view is built: commands on the graph tables never load it
    import networkx as nx

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
CLAUSE_SOURCE = "itsms-graph:ontology/clauses.ttl"
#: What stands for the service of a record that concerns none (a sample's stratum, a volume row).
NO_SERVICE = "(no service)"


@dataclass(frozen=True)
class InputFile:
    """An input the graph was built from, with its SHA-256 so a report can say exactly what it read."""

    path: str
    sha256: str
    profile: str = ""
    rows: int = 0

    def line(self) -> str:
        """How a report names the input: ``input changes.csv (bpic2014:changes) sha256 ...``."""
        table = f" ({self.profile})" if self.profile else ""
        return f"input {self.path}{table} sha256 {self.sha256}"

    @classmethod
    def of(cls, path: Path, *, profile: str = "", rows: int = 0) -> InputFile:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return cls(path=path.name, sha256=digest.hexdigest(), profile=profile, rows=rows)


@contextmanager
def bulk_build() -> Iterator[None]:
    """Build a large graph without the cyclic garbage collector, which millions of new dicts trigger over and over
    while nothing can be garbage yet (a snapshot re-opens in 6 s instead of 10 on BPIC 2014).

    What is garbage already is collected first: the freeze at the end would otherwise make each garbage cycle
    immortal, with all it holds (a cycle holding a graph that had been dropped kept 1.0 GB alive at 1M records).
    Only what the last freeze left out is walked: the objects made since, not the graphs."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        # The graph lives as long as the process needs it: move what exists now out of the collector's reach, so
        # the first collection afterwards does not walk millions of dicts (3.5-6.6 s at 1M records, measured).
        gc.freeze()
        if enabled:
            gc.enable()


def node_id(label: str, local_id: str) -> str:
    """The stable namespaced id of a node: ``Label:local-id``."""
    return f"{label}:{local_id}"


def _coerce(value: Any, kind: str, where: str) -> Any:
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):  # no target, amount or count is; engines order NaN differently
                raise SchemaViolation(f"{where}: {value!r} is not a finite number")
            return float(value)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str) and _DATE.match(value):
            return value
    elif kind == "datetime":
        if isinstance(value, dt.datetime):  # an aware one as its UTC instant (importers/values.py's rule)
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC)
            return value.replace(tzinfo=None, microsecond=0).isoformat()
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time()).isoformat()
        if isinstance(value, str) and _DATETIME.match(value):
            return value
    raise SchemaViolation(f"{where}: {value!r} is not a {kind}")


def checked_value(sch: Schema, label: str, key: str, value: Any, where: str) -> Any:
    """*value* as the ontology stores property *key* of *label* (ISO text for dates, a list for list properties);
    SchemaViolation says why it cannot be. ``None`` stays ``None`` (absent)."""
    if value is None:
        return None
    prop = sch.properties_of(label).get(key)
    if prop is None or key in PROVENANCE_KEYS or key in ("id", "label"):
        raise SchemaViolation(
            f"{where}: the ontology gives {label} no property {key!r}{sch.nearest_property(label, key)}"
        )
    if prop.multi_valued:
        if not isinstance(value, (list, tuple)):
            raise SchemaViolation(f"{where}: {key} is a list property, got {value!r}")
        value = [_coerce(v, prop.type, f"{where}.{key}") for v in value]
    else:
        value = _coerce(value, prop.type, f"{where}.{key}")
    allowed_values = sch.enumerations.get((label, key))
    if allowed_values is not None and value not in allowed_values:
        raise SchemaViolation(f"{where}: {key}={value!r} is not one of {', '.join(allowed_values)}")
    return value


def service_steps(sch: Schema) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The relationship types :meth:`SMSGraph.services_of` follows out of a record, step by step: those by which
    it names what it concerns (``itsms:serviceLink "names"``), then those by which an item is part of a service
    (``"component"``). A part of the graph that holds them from a record answers services_of as the whole does."""
    return sch.service_relationships("names"), sch.service_relationships("component")


#: A relationship's provenance as the store keeps it: (source_file, source_row, source_path), None where absent
#: (PROVENANCE_KEYS order). One tuple is shared by the relationships of a source row; on the full BPIC 2014 graph
#: the dicts they were took 148 MB of its 667 MB, the tuples take 52 MB (sys.getsizeof over the structures).
Provenance = tuple[str, int | None, str | None]


def provenance_attrs(prov: Provenance) -> dict[str, Any]:
    """The provenance attributes of a relationship, absent ones left out: which file, and which row or path."""
    return {k: v for k, v in zip(PROVENANCE_KEYS, prov, strict=True) if v is not None}


@dataclass
class SMSGraph:
    """The service management system as one graph, every node and edge checked against the ontology.

    >>> g = SMSGraph()
    >>> c = g.add_node("Change", "C1", {"actual_start": "2025-03-01T10:00:00"}, source_file="demo.csv", source_row=1)
    >>> a = g.add_node("Approval", "A1", {"decision": "approved"}, source_file="demo.csv", source_row=2)
    >>> g.add_edge("APPROVES", a, c, source_file="demo.csv", source_row=2)
    >>> g.neighbours(c, "APPROVES", "in")
    ['Approval:A1']
    """

    schema: Schema = field(default_factory=schema)
    seed_clauses: bool = True
    inputs: list[InputFile] = field(default_factory=list)
    #: Labels an imported source covers even when it had no rows for them: an empty register of audits is
    #: evidence that there were none, while a source with no audit register at all leaves audits unknown.
    declared_labels: set[str] = field(default_factory=set)
    #: node id -> its attributes: properties, ``label`` and provenance
    _nodes: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _by_label: dict[str, dict[str, None]] = field(default_factory=dict, repr=False)
    #: relationship type -> node -> the nodes it reaches following (out) or against (in) the relationship
    _out: dict[str, dict[str, list[str]]] = field(default_factory=dict, repr=False)
    _in: dict[str, dict[str, list[str]]] = field(default_factory=dict, repr=False)
    #: relationship type -> (source, target) -> provenance (one tuple shared by the relationships of a row)
    _edges: dict[str, dict[tuple[str, str], Provenance]] = field(default_factory=dict, repr=False)
    #: marker property -> the nodes carrying it (a query for placeholders does not scan the graph)
    _marked: dict[str, dict[str, None]] = field(default_factory=dict, repr=False)
    _nx: nx.MultiDiGraph | None = field(default=None, repr=False)
    _last_provenance: Provenance = field(default=("", None, None), repr=False)
    _allowed: set[tuple[str, str, str]] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.seed_clauses and not self._by_label.get("Clause"):
            self.add_clause_catalogue()

    # -- building -------------------------------------------------------------------------------------------

    def add_clause_catalogue(self) -> None:
        """Load the ISO/IEC 20000-1:2018 clause catalogue into Clause nodes with PART_OF edges."""
        for clause in clauses():
            self.add_node(
                "Clause",
                clause.number,
                {"number": clause.number, "title": clause.title, "depth": clause.depth},
                source_file=CLAUSE_SOURCE,
                source_path=f"clause/{clause.number}",
            )
        for clause in clauses():
            if clause.parent:
                self.add_edge(
                    "PART_OF",
                    clause.node_id,
                    f"Clause:{clause.parent}",
                    source_file=CLAUSE_SOURCE,
                    source_path=f"clause/{clause.number}",
                )
        self.declared_labels.add("Clause")

    def add_node(
        self,
        label: str,
        local_id: str,
        props: Mapping[str, Any] | None = None,
        *,
        source_file: str,
        source_row: int | None = None,
        source_path: str | None = None,
        checked: bool = False,
    ) -> str:
        """Add (or merge into) the node ``label:local_id``; return its id.

        Properties are checked against the ontology (``checked=True``: the caller already made each value with
        :func:`checked_value`); ``None`` means absent. Merging a node that exists keeps its first provenance and
        updates its properties.
        """
        if label not in self.schema.labels:
            raise SchemaViolation(f"unknown label {label!r} (not in the ontology){self.schema.nearest_label(label)}")
        if not local_id:
            raise SchemaViolation(f"a {label} node needs a non-empty id")
        nid = f"{label}:{local_id}"
        if checked:
            attrs = {k: v for k, v in (props or {}).items() if v is not None}
        else:
            attrs = self._checked_props(label, props or {}, nid)
        for key in self.schema.marker_keys:
            if key in attrs:
                self._marked.setdefault(key, {})[nid] = None
        existing = self._nodes.get(nid)
        if existing is not None:
            existing.update(attrs)
            self._nx = None
            return nid
        attrs["label"] = label
        attrs["source_file"] = source_file
        if source_row is not None:
            attrs["source_row"] = source_row
        if source_path is not None:
            attrs["source_path"] = source_path
        self._nodes[nid] = attrs
        of_label = self._by_label.get(label)
        if of_label is None:
            of_label = self._by_label[label] = {}
        of_label[nid] = None
        self._nx = None
        return nid

    def _checked_props(self, label: str, props: Mapping[str, Any], where: str) -> dict[str, Any]:
        return {k: checked_value(self.schema, label, k, v, where) for k, v in props.items() if v is not None}

    def add_edge(
        self,
        rel_type: str,
        source: str,
        target: str,
        *,
        source_file: str,
        source_row: int | None = None,
        source_path: str | None = None,
    ) -> None:
        """Add the relationship ``source -[rel_type]-> target`` (both nodes must exist)."""
        nodes = self._nodes
        s_attrs, t_attrs = nodes.get(source), nodes.get(target)
        if s_attrs is None or t_attrs is None:
            if rel_type not in self.schema.relationships:
                raise SchemaViolation(
                    f"unknown relationship type {rel_type!r} (not in the ontology){self.schema.nearest_type(rel_type)}"
                )
            raise SchemaViolation(f"{rel_type}: node {source if s_attrs is None else target} does not exist")
        if (rel_type, s_attrs["label"], t_attrs["label"]) not in self._allowed:
            self._check_endpoints(rel_type, s_attrs["label"], t_attrs["label"])
        edges = self._edges.get(rel_type)
        if edges is not None and (source, target) in edges:
            return
        prov = (source_file, source_row, source_path)
        if prov != self._last_provenance:  # the relationships of one row share one provenance tuple
            self._last_provenance = prov
        self._index_edge(rel_type, source, target, self._last_provenance)
        self._nx = None

    def _index_edge(self, rel_type: str, source: str, target: str, prov: Provenance) -> None:
        """Put a new, checked relationship into the indexes (see :meth:`bulk_add_edges`)."""
        self.bulk_add_edges(rel_type, ((source, target, prov),))

    # -- bulk loading: a trusted columnar form (a snapshot, the graph tables) made into nodes and relationships --

    def bulk_add_nodes(self, label: str, ids: Sequence[str], attrs: Sequence[dict[str, Any]]) -> None:
        """Add new nodes of one label from attribute dicts already checked against the ontology (properties and
        provenance, nulls left out): the bulk path of a columnar form, without :meth:`add_node`'s checks of each
        value. Each dict becomes the node's own (its ``label`` is set here); a value many nodes hold should be one
        object (the caller's to share)."""
        for row in attrs:
            row["label"] = label
        self._nodes.update(zip(ids, attrs, strict=True))
        of_label = self._by_label.get(label)
        if of_label is None:
            of_label = self._by_label[label] = {}
        of_label.update(dict.fromkeys(ids))
        for key in self.schema.marker_keys:
            carrying = [nid for nid, row in zip(ids, attrs, strict=True) if key in row]
            if carrying:
                self._marked.setdefault(key, {}).update(dict.fromkeys(carrying))
        self._nx = None

    def bulk_add_edges(self, rel_type: str, edges: Iterable[tuple[str, str, Provenance]]) -> int:
        """Put new, checked relationships of one type into the indexes: their provenance, and adjacency both ways
        (the one place that knows their shape; add_edge and the bulk loaders all come here). Stops at the first
        that exists already and returns how many it put (a loader that must not repeat one compares)."""
        self._nx = None
        by_pair = self._edges.get(rel_type)
        if by_pair is None:
            by_pair = self._edges[rel_type] = {}
            self._out[rel_type], self._in[rel_type] = {}, {}
        # get-then-create, not setdefault: setdefault would build a throwaway list for every relationship
        out, inn = self._out[rel_type], self._in[rel_type]
        done = 0
        for source, target, prov in edges:
            if (source, target) in by_pair:
                break
            by_pair[source, target] = prov
            targets = out.get(source)
            if targets is None:
                out[source] = [target]
            else:
                targets.append(target)
            sources = inn.get(target)
            if sources is None:
                inn[target] = [source]
            else:
                sources.append(source)
            done += 1
        return done

    def _check_endpoints(self, rel_type: str, s_label: str, t_label: str) -> None:
        """Raise unless the ontology allows (s_label)-[rel_type]->(t_label); remember the triples it allows."""
        rel = self.schema.relationships.get(rel_type)
        if rel is None:
            raise SchemaViolation(
                f"unknown relationship type {rel_type!r} (not in the ontology){self.schema.nearest_type(rel_type)}"
            )
        if not rel.allows(s_label, t_label):
            raise SchemaViolation(f"the ontology does not allow ({s_label})-[:{rel_type}]->({t_label})")
        self._allowed.add((rel_type, s_label, t_label))

    def add_input(self, item: InputFile) -> None:
        self.inputs.append(item)

    def copy(self) -> SMSGraph:
        """An independent copy: new attribute dicts and indexes (provenance tuples are immutable and shared)."""
        out = SMSGraph(schema=self.schema, seed_clauses=False)
        out._nodes = {n: dict(a) for n, a in self._nodes.items()}
        out._by_label = {k: dict(v) for k, v in self._by_label.items()}
        out._out = {t: {s: list(v) for s, v in adj.items()} for t, adj in self._out.items()}
        out._in = {t: {s: list(v) for s, v in adj.items()} for t, adj in self._in.items()}
        out._edges = {t: dict(e) for t, e in self._edges.items()}
        out._marked = {k: dict(v) for k, v in self._marked.items()}
        out.declared_labels = set(self.declared_labels)
        out.inputs = list(self.inputs)
        return out

    # -- reading --------------------------------------------------------------------------------------------

    def __contains__(self, nid: object) -> bool:
        return nid in self._nodes

    def label_of(self, nid: str) -> str:
        return str(self._nodes[nid]["label"])

    def attrs(self, nid: str) -> dict[str, Any]:
        """The node's live attribute dict (properties, ``label``, provenance): read it, do not change it."""
        return self._nodes[nid]

    def attrs_of(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """The live attribute dicts of *ids*, in order (as :meth:`attrs`, for many nodes at once)."""
        nodes = self._nodes
        return [nodes[nid] for nid in ids]

    def node(self, nid: str) -> dict[str, Any]:
        """A copy of the node's attributes: its properties, ``label`` and provenance."""
        return dict(self._nodes[nid])

    def all_nodes(self) -> Iterator[str]:
        """Every node id, in insertion order."""
        return iter(self._nodes)

    def marked(self, key: str) -> Iterator[str]:
        """The nodes carrying the marker property *key* (see ``Schema.marker_keys``)."""
        return iter(self._marked.get(key, ()))

    def number_of_nodes(self) -> int:
        return len(self._nodes)

    def nodes(self, label: str) -> Iterator[str]:
        """Ids of the nodes of one label, in insertion order, from the label index."""
        return iter(self._by_label.get(label, ()))

    def count(self, label: str) -> int:
        return len(self._by_label.get(label, ()))

    def labels_present(self) -> set[str]:
        return {label for label, ids in self._by_label.items() if ids}

    def has_property(self, label: str, key: str) -> bool:
        """True if at least one node of *label* has a value for *key*."""
        nodes = self._nodes
        return any(key in nodes[n] for n in self.nodes(label))

    def neighbours(self, nid: str, rel_type: str, direction: str) -> list[str]:
        """Nodes reached from *nid* over *rel_type*, following it ``out`` (as drawn) or ``in`` (against)."""
        index = self._out if direction == "out" else self._in
        return index.get(rel_type, {}).get(nid, [])

    def services_of(self, nid: str) -> list[str]:
        """The services a record concerns, sorted: those it names (the relationships the ontology marks
        ``itsms:serviceLink "names"``: AFFECTS, COVERS, ...), else those the items it names are part of
        (``"component"``: PART_OF)."""
        names, component = service_steps(self.schema)
        named = [n for rel in names for n in self.neighbours(nid, rel, "out")]
        found = {n for n in named if self._nodes[n]["label"] == "Service"}
        if not found:
            found = {
                n
                for item in named
                for rel in component
                for n in self.neighbours(item, rel, "out")
                if self._nodes[n]["label"] == "Service"
            }
        return sorted(found)

    def neighbours_any(self, nid: str, direction: str) -> Iterator[tuple[str, str]]:
        """(relationship type, node) for every relationship of any type at *nid*, ``out`` or ``in``."""
        index = self._out if direction == "out" else self._in
        for rel_type, adjacency in index.items():
            for other in adjacency.get(nid, ()):
                yield rel_type, other

    def adjacent(self, nid: str) -> Iterator[tuple[str, str, str]]:
        """(relationship type, direction, other node) for every relationship of *nid*, types sorted."""
        for rel_type in sorted(self._out):
            for other in self._out[rel_type].get(nid, ()):
                yield rel_type, "out", other
            for other in self._in[rel_type].get(nid, ()):
                yield rel_type, "in", other

    def has_edge(self, source: str, target: str, rel_type: str) -> bool:
        return (source, target) in self._edges.get(rel_type, {})

    def edges(self, rel_type: str) -> Iterator[tuple[str, str]]:
        """(source, target) pairs of one relationship type, from the type index."""
        for source, targets in self._out.get(rel_type, {}).items():
            for target in targets:
                yield source, target

    def edge_count(self, rel_type: str | None = None) -> int:
        if rel_type is None:
            return sum(len(e) for e in self._edges.values())
        return len(self._edges.get(rel_type, ()))

    def rel_types_present(self) -> set[str]:
        return {t for t, e in self._edges.items() if e}

    def edge_attrs(self, source: str, target: str, rel_type: str) -> dict[str, Any]:
        """The relationship's provenance attributes (a new dict)."""
        return provenance_attrs(self._edges[rel_type][source, target])

    def edge_provenance(self, rel_type: str) -> dict[tuple[str, str], Provenance]:
        """(source, target) -> provenance tuple for one relationship type, in the order they were added: read it,
        do not change it."""
        return self._edges.get(rel_type, {})

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type, sorted: what a report or a push states."""
        out = {label: self.count(label) for label in sorted(self.labels_present())}
        out.update({rel: self.edge_count(rel) for rel in sorted(self.rel_types_present())})
        return out

    def iter_nodes(self, labels: Iterable[str] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, label, properties without label and provenance) for every node, label by label."""
        for label in sorted(labels if labels is not None else self._by_label):
            for nid in self.nodes(label):
                attrs = self._nodes[nid]
                yield nid, label, {k: v for k, v in attrs.items() if k != "label"}

    @property
    def nx(self) -> nx.MultiDiGraph:
        """The graph as a networkx MultiDiGraph (edge key = relationship type), built on first use after a change.

        It is a copy: change the graph through ``add_node``/``add_edge``, not through it.
        """
        if self._nx is None:
            import networkx

            g = networkx.MultiDiGraph()
            g.add_nodes_from(self._nodes.items())
            for rel_type in sorted(self._edges):
                g.add_edges_from((s, t, rel_type, provenance_attrs(p)) for (s, t), p in self._edges[rel_type].items())
            self._nx = g
        return self._nx

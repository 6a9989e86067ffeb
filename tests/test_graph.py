"""The graph store checks every node and edge against the ontology, and snapshots round-trip exactly."""

from __future__ import annotations

import gc
import json
import shutil
import weakref
import zipfile
from pathlib import Path

import orjson
import pytest

from itsms_graph import ontology
from itsms_graph.errors import SchemaViolation, SnapshotError
from itsms_graph.graph import InputFile, SMSGraph, open_snapshot, save_snapshot
from itsms_graph.graph.store import bulk_build
from itsms_graph.ontology import clauses, load_clauses, load_schema, schema
from itsms_graph.resources import data_dir
from tests import fixtures
from tests.snapshot_v1 import save_v1


def test_schema_comes_from_the_ontology_file():
    sch = schema()
    assert {"Change", "Approval", "Clause", "Service", "Scope", "Finding"} <= set(sch.labels)
    assert sch.relationships["APPROVES"].sources == {"Approval"}
    assert sch.relationships["APPROVES"].targets == {"Change", "Release"}
    assert sch.properties["actual_start"].type == "datetime"
    assert sch.properties["inputs"].multi_valued
    assert "scope_statement" in sch.enumerations[("Document", "kind")]


def test_a_class_added_to_the_ontology_appears_in_the_schema(tmp_path: Path):
    src = Path(__file__).resolve().parent.parent / "ontology"
    for name in ("itsms.ttl", "shapes.ttl", "clauses.ttl"):
        (tmp_path / name).write_text((src / name).read_text())
    with (tmp_path / "itsms.ttl").open("a") as fh:
        fh.write('\nitsms:Vendor a owl:Class ; rdfs:label "Vendor" ; rdfs:comment "A test class." .\n')
    assert "Vendor" in load_schema(tmp_path).labels


def test_clause_catalogue_covers_4_to_10_with_parents():
    numbers = [c.number for c in clauses()]
    assert numbers[0] == "4" and numbers[-1] == "10.2"
    assert {"8.5.1.3", "8.7.3.1", "8.3.4.2", "9.4"} <= set(numbers)
    graph = SMSGraph()
    assert graph.count("Clause") == len(numbers)
    assert graph.neighbours("Clause:8.5.1.3", "PART_OF", "out") == ["Clause:8.5.1"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g: g.add_node("Gadget", "x", source_file="f"), "unknown label"),
        (lambda g: g.add_node("Change", "x", {"colour": "red"}, source_file="f"), "no property 'colour'"),
        (lambda g: g.add_node("Change", "x", {"actual_start": "2025-13"}, source_file="f"), "is not a datetime"),
        (lambda g: g.add_node("Change", "x", {"emergency": "yes"}, source_file="f"), "is not a boolean"),
        (lambda g: g.add_node("Document", "x", {"kind": "poem"}, source_file="f"), "not one of"),
        (lambda g: g.add_node("Change", "", source_file="f"), "non-empty id"),
        (lambda g: g.add_edge("APPROVES", "Clause:4", "Clause:4.1", source_file="f"), "does not allow"),
        (lambda g: g.add_edge("FLIES_TO", "Clause:4", "Clause:4.1", source_file="f"), "unknown relationship"),
        (lambda g: g.add_edge("PART_OF", "Clause:4", "Clause:99", source_file="f"), "does not exist"),
    ],
)
def test_the_store_rejects_what_the_ontology_does_not_allow(call, message):
    with pytest.raises(SchemaViolation, match=message):
        call(SMSGraph())


def test_every_node_and_edge_carries_provenance():
    graph = fixtures.boundaries()
    for nid in graph.nx.nodes:
        assert graph.nx.nodes[nid]["source_file"]
    for _, _, attrs in graph.nx.edges(data=True):
        assert attrs["source_file"]


def test_typed_indexes_agree_with_the_graph():
    graph = fixtures.boundaries()
    for label in graph.labels_present():
        assert set(graph.nodes(label)) == {n for n, a in graph.nx.nodes(data=True) if a["label"] == label}
    for rel in graph.rel_types_present():
        assert sorted(graph.edges(rel)) == sorted((s, t) for s, t, k in graph.nx.edges(keys=True) if k == rel)


def test_a_relationship_exists_once_like_merge():
    graph = fixtures.boundaries()
    before = graph.edge_count("AFFECTS")
    graph.add_edge("AFFECTS", "Incident:I-in", "Service:S-in", source_file="again.csv")
    assert graph.edge_count("AFFECTS") == before


def graph_state(graph: SMSGraph):
    nodes = sorted((n, sorted(a.items())) for n, a in graph.nx.nodes(data=True))
    edges = sorted((s, t, k, sorted(a.items())) for s, t, k, a in graph.nx.edges(keys=True, data=True))
    return nodes, edges, sorted(graph.declared_labels), graph.inputs


def test_snapshot_round_trips_and_is_deterministic(tmp_path: Path):
    graph = fixtures.boundaries()
    graph.declared_labels.add("Release")
    graph.add_input(InputFile(path="changes.csv", sha256="0" * 64, profile="test", rows=6))
    a = save_snapshot(graph, tmp_path / "a.itsms")
    b = save_snapshot(fixtures.boundaries(), tmp_path / "b.itsms")
    reopened = open_snapshot(a)
    assert graph_state(reopened) == graph_state(graph)
    assert reopened.neighbours("Change:C-first", "CAUSED_BY", "in") == ["Incident:I-u"]
    graph2 = fixtures.boundaries()
    graph2.declared_labels.add("Release")
    graph2.add_input(InputFile(path="changes.csv", sha256="0" * 64, profile="test", rows=6))
    assert save_snapshot(graph2, tmp_path / "c.itsms").read_bytes() == a.read_bytes()
    assert b.read_bytes() != a.read_bytes()


@pytest.mark.parametrize("save", [save_snapshot, save_v1], ids=["v2", "v1"])
def test_a_snapshot_re_zipped_with_folder_entries_still_opens(tmp_path: Path, save):
    a = save(fixtures.boundaries(), tmp_path / "a.itsms")
    with zipfile.ZipFile(a) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(tmp_path / "b.itsms", "w") as zf:  # as zip -r writes it: a folder entry first
        zf.writestr("edges/", b"")
        zf.writestr("nodes/", b"")
        zf.writestr("other/", b"")
        for name, data in members.items():
            zf.writestr(name, data)
    assert graph_state(open_snapshot(tmp_path / "b.itsms")) == graph_state(open_snapshot(a))


def _rewrite(path: Path, member: str, payload) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[member] = orjson.dumps(payload)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_snapshots_are_versioned_and_checked(tmp_path: Path):
    path = save_v1(fixtures.cycles(), tmp_path / "s.itsms")
    current = orjson.loads(
        zipfile.ZipFile(save_snapshot(fixtures.cycles(), tmp_path / "v2.itsms")).read("manifest.json")
    )
    assert current["format"] == "itsms-graph-snapshot" and current["format_version"] == 2
    manifest = orjson.loads(zipfile.ZipFile(path).read("manifest.json"))

    newer = tmp_path / "newer.itsms"
    newer.write_bytes(path.read_bytes())
    _rewrite(newer, "manifest.json", {**manifest, "format_version": 99})
    with pytest.raises(SnapshotError, match="version 99 is not supported"):
        open_snapshot(newer)

    smuggled = tmp_path / "smuggled.itsms"
    smuggled.write_bytes(path.read_bytes())
    _rewrite(smuggled, "nodes/Evil) DETACH DELETE (n.json", {"ids": [], "columns": {}})
    with pytest.raises(SnapshotError, match="not in the ontology"):
        open_snapshot(smuggled)

    not_zip = tmp_path / "plain.itsms"
    not_zip.write_text("hello")
    with pytest.raises(SnapshotError, match="not an itsms-graph snapshot"):
        open_snapshot(not_zip)


CI, SERVICE = "ConfigurationItem:CI1", "Service:S1"


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ({"columns": {"source_file": ["a.csv"], "weight": [3]}}, "attributes other than provenance: \\['weight'\\]"),
        ({"columns": {"source_row": [4]}}, "has no source_file"),
        ({"columns": {"source_file": [None]}}, "has no source_file"),
        ({"columns": {"source_file": ["a.csv", "a.csv"]}}, "columns of unequal length"),
        (
            {"target": ["Service:S9"]},
            "PART_OF relationship to a missing node \\(ConfigurationItem:CI1 -> Service:S9\\)",
        ),
        (
            {"source": [CI, CI], "target": [SERVICE, SERVICE], "columns": {"source_file": ["a.csv", "b.csv"]}},
            "the PART_OF relationship ConfigurationItem:CI1 -> Service:S1 appears twice",
        ),
    ],
)
def test_a_snapshots_relationships_are_checked_as_read(tmp_path: Path, edges, message):
    """A relationship holds its provenance only (the store keeps it as one tuple), between two nodes the snapshot
    holds, once: a snapshot giving it another attribute, no source file, columns that do not line up with its
    ends, an end that is no node, or the same relationship twice is refused, not half read."""
    graph = SMSGraph(seed_clauses=False)
    graph.add_node("ConfigurationItem", "CI1", source_file="ci.csv", source_row=1)
    graph.add_node("Service", "S1", source_file="s.csv", source_row=1)
    graph.add_edge("PART_OF", CI, SERVICE, source_file="ci.csv", source_row=1)
    path = save_v1(graph, tmp_path / "s.itsms")
    written = orjson.loads(zipfile.ZipFile(path).read("edges/PART_OF.json"))
    assert written == {"source": [CI], "target": [SERVICE], "columns": {"source_file": ["ci.csv"], "source_row": [1]}}
    _rewrite(path, "edges/PART_OF.json", {**written, **edges})
    with pytest.raises(SnapshotError, match=message):
        open_snapshot(path)


def test_a_bulk_build_does_not_make_garbage_immortal():
    """bulk_build freezes what exists when it ends, out of the collector's reach: garbage that exists when it
    starts (a cycle holding a dropped graph) is collected first, not frozen with the rest."""
    graph = fixtures.features()
    alive = weakref.ref(graph)
    cycle: list[object] = [graph]
    cycle.append(cycle)
    del graph, cycle
    assert alive() is not None  # only the collector can free a cycle
    with bulk_build():
        SMSGraph()
    gc.collect()
    assert alive() is None


def test_the_derived_schema_is_the_ontology_as_parsed():
    """ontology/derived.json spares each command rdflib (#16.4); it must say what the Turtle files say."""
    stored = json.loads((data_dir("ontology") / ontology.DERIVED).read_text(encoding="utf-8"))
    assert stored == ontology.derive(), (
        "ontology/derived.json is stale: run `make docs` (python -m itsms_graph.ontology)"
    )
    assert schema() == load_schema()
    assert clauses() == tuple(load_clauses())


def test_a_derived_schema_of_other_files_is_not_used(tmp_path: Path, monkeypatch):
    """An ontology edited after derived.json was written is parsed: the digest of every file must match."""
    for name in (*ontology.SOURCES, ontology.DERIVED):
        shutil.copy(data_dir("ontology") / name, tmp_path / name)
    monkeypatch.setattr(ontology, "data_dir", lambda name: tmp_path)
    ontology._derived.cache_clear()
    try:
        assert ontology._derived() is not None
        with (tmp_path / "itsms.ttl").open("a", encoding="utf-8") as fh:
            fh.write('\nitsms:Vendor a owl:Class ; rdfs:label "Vendor" ; rdfs:comment "A seller." .\n')
        ontology._derived.cache_clear()
        assert ontology._derived() is None
    finally:
        ontology._derived.cache_clear()

"""Audit-domain rules are data in the ontology (#20.2), read by the code that applies them: the relationships that
tie a record to a service (itsms:serviceLink), the properties that date a record (itsms:datingOrder) and the
trace layer of a class (itsms:traceLayer). Changing the ontology changes the behaviour; a malformed annotation is
an OntologyError naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from itsms_graph.errors import OntologyError
from itsms_graph.graph.store import SMSGraph
from itsms_graph.ontology import load_schema, schema
from itsms_graph.resources import data_dir


@pytest.fixture
def ontology_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "ontology"
    shutil.copytree(data_dir("ontology"), folder)
    return folder


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "itsms.ttl"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _sla_and_change(graph: SMSGraph) -> tuple[str, str]:
    service = graph.add_node("Service", "S1", {"name": "Mail"}, source_file="t")
    sla = graph.add_node("SLA", "L1", {}, source_file="t")
    graph.add_edge("COVERS", sla, service, source_file="t")
    ci = graph.add_node("ConfigurationItem", "CI1", {}, source_file="t")
    graph.add_edge("PART_OF", ci, service, source_file="t")
    change = graph.add_node("Change", "C1", {}, source_file="t")
    graph.add_edge("AFFECTS", change, ci, source_file="t")
    return sla, change


def test_a_record_concerns_the_services_it_names_or_its_items_are_part_of():
    graph = SMSGraph(seed_clauses=False)
    sla, change = _sla_and_change(graph)
    assert graph.services_of(sla) == ["Service:S1"]  # named (COVERS)
    assert graph.services_of(change) == ["Service:S1"]  # through the CI it affects (PART_OF)


def test_the_service_links_come_from_the_ontology(ontology_copy: Path):
    _edit(ontology_copy, 'itsms:covers itsms:serviceLink "names" .', "")
    _edit(ontology_copy, 'itsms:partOf itsms:serviceLink "component" .', "")
    graph = SMSGraph(schema=load_schema(ontology_copy), seed_clauses=False)
    sla, change = _sla_and_change(graph)
    assert graph.services_of(sla) == []
    assert graph.services_of(change) == []


def test_the_dating_properties_and_their_order_come_from_the_ontology(ontology_copy: Path):
    assert schema().dating_keys[:2] == ("actual_start", "opened_at")
    _edit(ontology_copy, "itsms:actualStart itsms:datingOrder 1 .", "itsms:actualStart itsms:datingOrder 12 .")
    assert load_schema(ontology_copy).dating_keys[0] == "opened_at"
    assert load_schema(ontology_copy).dating_keys[-1] == "actual_start"


def test_the_trace_layers_come_from_the_ontology(ontology_copy: Path):
    layers = schema().trace_layers
    assert (layers["Clause"], layers["Document"], layers["Service"]) == (0, 1, 2)
    assert "Change" not in layers  # a record
    _edit(ontology_copy, "itsms:Risk itsms:traceLayer 1 .", "")
    assert "Risk" not in load_schema(ontology_copy).trace_layers


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("itsms:Risk itsms:traceLayer 1 .", 'itsms:Risk itsms:traceLayer "one" .', "traceLayer must be an integer"),
        ("itsms:raisedOn itsms:datingOrder 10 .", "itsms:title itsms:datingOrder 10 .", "only a date or datetime"),
        ('itsms:covers itsms:serviceLink "names" .', 'itsms:covers itsms:serviceLink "name" .', "serviceLink is one"),
    ],
)
def test_a_malformed_annotation_is_an_ontology_error(ontology_copy: Path, old: str, new: str, message: str):
    _edit(ontology_copy, old, new)
    with pytest.raises(OntologyError, match=message):
        load_schema(ontology_copy)


def test_a_snapshot_with_a_list_of_dates_from_the_ontology_opens_and_a_bad_date_in_it_is_refused(
    ontology_copy: Path, tmp_path: Path
):
    """An ontology may make a date property a list (itsms:multiValued): a snapshot's check of its dates reads
    each item (duckdb 2 refuses the arrow lambda the check was written with: the snapshot did not open)."""
    from itsms_graph.graph import save_snapshot
    from itsms_graph.graph.snapshot import SnapshotError, open_snapshot_tables

    _edit(
        ontology_copy,
        'rdfs:comment "Date the record was made (the event it evidences)." ; rdfs:range xsd:date .',
        'rdfs:comment "Date the record was made (the event it evidences)." ; rdfs:range xsd:date ; '
        "itsms:multiValued true .",
    )
    sch = load_schema(ontology_copy)
    assert sch.properties["recorded_on"].multi_valued
    for dates, ok in ((["2025-01-31", "2025-02-01"], True), (["2025-01-31", "2025-02-30"], False)):
        graph = SMSGraph(schema=sch, seed_clauses=False)
        # a bad date cannot be added: as a damaged snapshot would hold it, the value is taken as checked
        graph.add_node("Record", "R1", {"recorded_on": dates}, source_file="t", checked=not ok)
        snap = save_snapshot(graph, tmp_path / f"{ok}.itsms")
        if ok:
            open_snapshot_tables(snap, graph_schema=sch).close()
        else:
            with pytest.raises(SnapshotError, match=r"recorded_on=.* is not a date"):
                open_snapshot_tables(snap, graph_schema=sch)

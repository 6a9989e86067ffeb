"""The model's vocabulary at hand: each label with its properties (types, enumerations) and relationships, from
the ontology; and every "unknown label / property / relationship type" error naming the nearest valid names."""

from __future__ import annotations

import textwrap

import pytest

from itsms_graph.errors import InputError, SchemaViolation
from itsms_graph.graph.store import SMSGraph
from itsms_graph.importers.profile import load_profile
from itsms_graph.ontology import schema
from itsms_graph.vocabulary import describe, vocabulary, vocabulary_text


def test_every_label_is_described_with_its_properties_and_relationships_from_the_ontology():
    sch = schema()
    entries = vocabulary()
    assert [e["label"] for e in entries] == sorted(sch.labels)
    incident = next(e for e in entries if e["label"] == "Incident")
    keys = {p["key"]: p for p in incident["properties"]}
    assert set(keys) == {
        k for k in sch.properties_of("Incident") if k not in ("id", "source_file", "source_row", "source_path")
    }
    assert keys["opened_at"]["type"] == "datetime"
    out = {(r["type"], tuple(r["labels"])) for r in incident["relationships_out"]}
    assert ("CAUSED_BY", ("Change", "ConfigurationItem")) in out
    into = {r["type"] for r in incident["relationships_in"]}
    assert "EVENT_OF" in into  # a TicketEvent is an event of it


def test_enumerations_are_listed_with_their_values():
    sch = schema()
    (label, key), values = next(iter(sorted(sch.enumerations.items())))
    entry = describe(label)
    prop = next(p for p in entry["properties"] if p["key"] == key)
    assert prop["values"] == list(values)


def test_an_unknown_label_names_the_nearest():
    with pytest.raises(InputError) as err:
        describe("Incidnet")
    assert "'Incident'" in str(err.value)


def test_the_text_table_names_each_property_and_relationship():
    text = vocabulary_text([describe("Approval")])
    assert "Approval" in text and "decided_at" in text and "datetime" in text and "APPROVES" in text


def _profile(tmp_path, body: str):
    path = tmp_path / "p.yaml"
    path.write_text("id: t\ntitle: t\ntables:\n" + textwrap.indent(textwrap.dedent(body), "  "), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "- {name: a, files: [a.csv], record: {label: Incidnet, id: n}}\n",
            "label 'Incidnet' is not in the ontology (did you mean 'Incident'",
        ),
        (
            "- {name: a, files: [a.csv], record: {label: Incident, id: n},"
            " references: [{column: c, rel: CAUSEDBY, label: Change}]}\n",
            "relationship type 'CAUSEDBY' is not in the ontology (did you mean 'CAUSED_BY'",
        ),
        (
            "- {name: a, files: [a.csv], record: {label: Incident, id: n},"
            " references: [{column: c, rel: CAUSED_BY, label: Chnage}]}\n",
            "label 'Chnage' is not in the ontology (did you mean 'Change'",
        ),
        (
            "- {name: a, files: [a.csv], record: {label: Incident, id: n}, declares: [Probelm]}\n",
            "declares 'Probelm', which is not in the ontology (did you mean 'Problem'",
        ),
        (
            "- {name: a, files: [a.csv], record: {label: Incident, id: n},"
            " properties: {assignment_group: {column: g}}}\n",
            "the ontology gives Incident no property 'assignment_group'",
        ),
    ],
)
def test_a_profile_error_names_the_nearest_valid_names(tmp_path, body, expected):
    with pytest.raises(InputError) as err:
        load_profile(_profile(tmp_path, body))
    assert expected in str(err.value)


def test_a_property_with_no_near_name_lists_the_labels_keys(tmp_path):
    """'assignment_group' is near no key of Incident: the error lists the keys there are."""
    body = (
        "- {name: a, files: [a.csv], record: {label: Incident, id: n}, properties: {assignment_group: {column: g}}}\n"
    )
    with pytest.raises(InputError) as err:
        load_profile(_profile(tmp_path, body))
    assert "its properties:" in str(err.value) and "opened_at" in str(err.value)


def test_the_store_names_the_nearest_label_type_and_property():
    graph = SMSGraph()
    with pytest.raises(SchemaViolation) as err:
        graph.add_node("Incidnet", "I1", source_file="api")
    assert "did you mean 'Incident'" in str(err.value)
    a = graph.add_node("Incident", "I1", source_file="api")
    b = graph.add_node("Change", "C1", source_file="api")
    with pytest.raises(SchemaViolation) as err:
        graph.add_edge("CAUSEDBY", a, b, source_file="api")
    assert "did you mean 'CAUSED_BY'" in str(err.value)
    with pytest.raises(SchemaViolation) as err:
        graph.add_node("Incident", "I2", {"opened": "2024-01-01"}, source_file="api")
    assert "'opened_at'" in str(err.value)


def test_the_ontology_command_prints_one_label_all_or_json_and_names_the_nearest():
    import json

    from click.testing import CliRunner

    from itsms_graph.cli import cli

    runner = CliRunner()
    one = runner.invoke(cli, ["ontology", "Approval"])
    assert one.exit_code == 0 and one.output == vocabulary_text([describe("Approval")])
    every = runner.invoke(cli, ["ontology", "--format", "json"])
    assert every.exit_code == 0 and json.loads(every.output) == vocabulary()
    wrong = runner.invoke(cli, ["ontology", "Incidnet"])
    assert wrong.exit_code == 2 and "did you mean 'Incident'" in wrong.output

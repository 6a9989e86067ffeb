"""Event logs as import formats: an XES log and an OCEL 2.0 log (XML and JSON, plain and gzip), written by the
project's generator, import through the ``event-log`` profile into the same graph as their CSV tables do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from itsms_graph.errors import InputError
from itsms_graph.example.eventlog import (
    make_log,
    write_ocel_csv,
    write_ocel_json,
    write_ocel_xml,
    write_xes,
    write_xes_csv,
)
from itsms_graph.importers import import_sources, resolve_profile
from itsms_graph.importers.eventlogs import open_ocel, open_xes
from tests import row_importer

LOG = make_log(40, seed=3)


def content(graph: Any) -> dict[str, Any]:
    """The graph without provenance (the file names differ): every node's label and properties, every edge."""
    nodes = {
        nid: {k: v for k, v in attrs.items() if k not in ("source_file", "source_row", "source_path")}
        for _, nid, attrs in graph.iter_nodes()
    }
    edges = {rel: sorted(graph.edges(rel)) for rel in sorted(graph.rel_types_present())}
    return {"nodes": nodes, "edges": edges, "declared": set(graph.declared_labels)}


def _import(folder: Path):
    graph, report = import_sources([(resolve_profile("event-log"), folder)])
    assert all(f.balanced for f in report.files)
    return graph, report


@pytest.fixture(scope="module")
def csv_graphs(tmp_path_factory):
    xes_csv = tmp_path_factory.mktemp("xes-csv")
    write_xes_csv(LOG, xes_csv / "events.csv")
    ocel_csv = tmp_path_factory.mktemp("ocel-csv")
    write_ocel_csv(LOG, ocel_csv)
    return content(_import(xes_csv)[0]), content(_import(ocel_csv)[0])


@pytest.mark.parametrize("name", ["events.xes", "events.xes.gz"])
def test_an_xes_log_gives_the_graph_of_its_csv(tmp_path, csv_graphs, name):
    write_xes(LOG, tmp_path / name)
    graph, report = _import(tmp_path)
    assert content(graph) == csv_graphs[0]
    incidents = [t for t in LOG if t.kind == "Incident"]
    assert graph.count("Incident") == len(incidents)
    assert graph.count("TicketEvent") == sum(len(t.events) for t in incidents)
    # the last Resolve of a reopened incident is its resolved_at, as an instant (UTC)
    reopened = next(t for t in incidents if any(e.activity == "Reopen" for e in t.events))
    last = max(e.time for e in reopened.events if e.activity == "Resolve")
    assert graph.node(f"Incident:{reopened.oid}")["resolved_at"] == last.astimezone(dt.UTC).replace(
        tzinfo=None
    ).isoformat(timespec="seconds")
    # the columns no table reads are listed: the resource and the lifecycle, the priority and problem
    cases = next(f for f in report.files if f.table == "cases")
    assert cases.unread_columns == ["case:priority", "case:problem", "lifecycle:transition", "org:resource"]


@pytest.mark.parametrize("name", ["log.jsonocel", "log.xmlocel", "log.xmlocel.gz"])
def test_an_ocel_log_gives_the_graph_of_its_csv_tables(tmp_path, csv_graphs, name):
    (write_ocel_xml if "xml" in name else write_ocel_json)(LOG, tmp_path / name)
    graph, _ = _import(tmp_path)
    assert content(graph) == csv_graphs[1]
    problems = [t for t in LOG if t.kind == "Problem"]
    assert graph.count("Problem") == len(problems)
    linked = [t for t in LOG if t.problem]
    assert len(list(graph.edges("RELATED_TO"))) == len(linked)
    assert graph.count("TicketEvent") == sum(len(t.events) for t in LOG)


def test_the_row_importer_reads_an_xes_log_the_same(tmp_path):
    """The reference row-by-row importer and the columnar one agree on an event log too."""
    write_xes(LOG, tmp_path / "events.xes")
    sources = [(resolve_profile("event-log"), tmp_path)]
    expected, _ = row_importer.import_sources(sources, keep_going=True)
    actual, _ = import_sources(sources, keep_going=True)
    assert content(actual) == content(expected)


def test_xes_columns_trace_attributes_as_case_and_nested_attributes_left_out(tmp_path):
    path = write_xes(LOG[-3:], tmp_path / "events.xes")
    columns, rows = open_xes(path)
    assert "case:concept:name" in columns and "case:priority" in columns and "meta" not in " ".join(columns)
    first = next(rows)
    assert first[0] == 2  # numbered as the CSV's rows: the header is row 1
    assert first[1]["concept:name"] == "Open" and first[1]["time:timestamp"].endswith(("+01:00", "+02:00"))


def test_ocel_object_attributes_take_their_latest_value(tmp_path):
    path = write_ocel_json(LOG, tmp_path / "log.jsonocel")
    _, rows = open_ocel(path, "objects")
    by_id = {row["ocel:oid"]: row for _, row in rows}
    for ticket in LOG:
        assert by_id[ticket.oid]["priority"] == ticket.priority  # not the 1970 initial value "4"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("bad.xes", b"<log><trace><event><string key='a' value='1'/></event>", "malformed XML"),
        ("bad.xmlocel", b"<log><objects><object id='o1'", "malformed XML"),
        ("bad.jsonocel", b'{"objects": [', "malformed JSON"),
        ("bad.xes.gz", b"\x1f\x8b\x08\x00garbage", "truncated or corrupt"),
    ],
)
def test_a_broken_log_is_a_located_error_not_a_traceback(tmp_path, name, data, expected):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InputError) as err:
        import_sources([(resolve_profile("event-log"), tmp_path)])
    assert expected in str(err.value) and name in str(err.value)


def test_an_ocel_table_must_say_which_of_the_logs_tables_it_reads(tmp_path):
    path = write_ocel_json(LOG[:2], tmp_path / "log.jsonocel")
    with pytest.raises(InputError) as err:
        open_ocel(path, None)
    assert "events, objects, event_objects, object_objects" in str(err.value)


def test_an_entity_in_a_log_is_never_expanded(tmp_path):
    """No XML entity is expanded (a billion laughs, or an external file read into a cell)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<log><trace><string key="concept:name" value="I1"/>'
        '<event><string key="concept:name" value="&x;"/><date key="time:timestamp" value="2024-01-01T00:00:00Z"/>'
        "</event></trace></log>"
    )
    (tmp_path / "events.xes").write_text(data, encoding="utf-8")
    try:
        graph, _ = import_sources([(resolve_profile("event-log"), tmp_path)], keep_going=True)
    except InputError:
        return  # refused: fine
    assert all("TOP SECRET" not in str(attrs) for _, _, attrs in graph.iter_nodes())


def test_the_documented_event_log_patterns_validate_and_give_what_the_reference_says(tmp_path):
    """The three patterns of importers/README.md ("Event logs"), as written there, on the generated log: one
    Incident per case, its last Resolve event's time as resolved_at, every event a TicketEvent of it."""
    import re

    import yaml

    from itsms_graph.importers.profile import Profile

    text = (Path(__file__).resolve().parent.parent / "importers" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Event logs", 1)[1]
    tables = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    profile = Profile.model_validate({"id": "documented", "title": "the reference's patterns", "tables": tables})
    write_xes(LOG, tmp_path / "events.xes")
    graph, report = import_sources([(profile, tmp_path)])
    incidents = [t for t in LOG if t.kind == "Incident"]
    assert graph.count("Incident") == len(incidents)
    assert graph.count("TicketEvent") == sum(len(t.events) for t in incidents)
    for t in incidents:
        node = graph.node(f"Incident:{t.oid}")
        utc = [e.time.astimezone(dt.UTC).replace(tzinfo=None).isoformat() for e in t.events]
        assert node["opened_at"] == min(utc) and node["updated_at"] == max(utc)
        assert node["status"] == t.events[-1].activity
        resolves = [u for u, e in zip(utc, t.events, strict=True) if e.activity == "Resolve"]
        assert node.get("resolved_at") == (max(resolves) if resolves else None)
    resolved = next(f for f in report.files if f.table == "resolved")
    assert resolved.skipped == resolved.rows_read - sum(
        1 for t in incidents for e in t.events if e.activity == "Resolve"
    )


def test_a_billion_laughs_is_refused(tmp_path):
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY l0 "lol">{lol}]><log><trace>'
        '<string key="concept:name" value="&l9;"/><event><string key="concept:name" value="x"/>'
        '<date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event></trace></log>'
    )
    (tmp_path / "events.xes").write_text(data, encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_sources([(resolve_profile("event-log"), tmp_path)])
    assert "events.xes" in str(err.value)

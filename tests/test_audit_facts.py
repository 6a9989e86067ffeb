"""The facts a check gathers for the audit: record evidence, own nonconformities by the as-of date, clause owners
and the data's cut-off (issue 14, items 1, 4, 5 and 8)."""

from __future__ import annotations

import datetime as dt

import pytest

from itsms_graph.audit.facts import data_cut_off, gather
from itsms_graph.errors import ItsmsError
from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.plan import AuditPeriod, audit_period
from itsms_graph.queries.results import QueryResult, Status, findings_for
from tests.builders import SRC

PERIOD = AuditPeriod.parse("2025-06-30")


def graph() -> SMSGraph:
    g = SMSGraph()
    n = lambda label, local, **p: g.add_node(label, local, p, source_file=SRC, source_row=7)  # noqa: E731
    e = lambda rel, a, b: g.add_edge(rel, a, b, source_file=SRC)  # noqa: E731
    change = n("Change", "C1", number="CHG1", actual_start="2025-02-01T10:00:00", planned_end="2026-01-01T00:00:00")
    for sid in ("A", "B"):
        e("AFFECTS", change, n("Service", sid, name=f"Svc {sid}"))
    owner = n("Person", "P1", name="Pat")
    e("OWNED_BY", n("Risk", "R1", title="Outage"), owner)
    e("MEMBER_OF", owner, n("OrganisationalUnit", "OPS", name="Operations"))
    e("CAUSED_BY", n("Incident", "I1", priority=1, opened_at="2025-02-02T09:00:00"), change)
    e("CAUSED_BY", n("Incident", "I2", priority=2, opened_at="2025-02-03T09:00:00"), change)
    for local, day, status in (
        ("N1", "2025-06-30", "open"),
        ("N2", "2025-07-01", "open"),  # after the as-of date
        ("N3", None, "open"),  # undated
        ("N4", "2024-07-01", "open"),  # the first day of the period
        ("N5", "2024-06-30", "open"),  # the day before it
        ("N6", "2025-01-10", "closed"),  # closed: the failure persisting means the correction did not work
    ):
        e("AGAINST", n("Nonconformity", local, raised_on=day, status=status), "Clause:8.5.1.3")
    manager = n("Role", "CM", name="Change manager")
    e("HOLDS_ROLE", owner, manager)
    policy = n("Document", "CP", kind="process", status="current", review_due="2027-01-01")
    e("OWNED_BY", policy, manager)
    e("ADDRESSES", policy, "Clause:8.5.1")
    old = n("Document", "OLD", kind="process", status="superseded")
    e("OWNED_BY", old, n("Person", "P9", name="Former owner"))
    e("ADDRESSES", old, "Clause:9.2")
    g.add_node("Change", "GHOST", {"unresolved": True, "actual_start": "2030-01-01T00:00:00"}, source_file=SRC)
    return g


def facts(parameters=None):
    results = []
    for qid, subject in (("change-implemented-without-approval", "Change:C1"), ("risk-without-treatment", "Risk:R1")):
        query = load_catalogue()[qid]
        results.append(QueryResult(query, Status.FAIL, findings_for(query, [(subject,)]), population=(subject,)))
    return gather(graph(), results, PERIOD, parameters, cut_off=None)


def test_a_failing_record_is_named_dated_and_sourced():
    record = facts().record("Change:C1")
    assert record.name == "CHG1" and record.source == f"{SRC}:7"
    assert record.dates == (("actual_start", "2025-02-01T10:00:00"), ("planned_end", "2026-01-01T00:00:00"))
    assert record.services == ("Svc A", "Svc B") and facts().record("Risk:R1").teams == ("Operations",)
    assert record.major_incidents == ("Incident:I1",)
    assert record.describe().startswith('Change:C1 "CHG1" (actual_start 2025-02-01T10:00:00; ')
    assert facts({"major_incident_priority": 2}).record("Change:C1").major_incidents == ("Incident:I2",)


def test_a_record_without_a_source_file_names_no_source():
    """A row number alone says nothing: the source is the file and its row, or nothing."""
    g = SMSGraph()
    change = g.add_node("Change", "C1", {"actual_start": "2025-02-01T10:00:00"}, source_file="", source_row=7)
    query = load_catalogue()["change-implemented-without-approval"]
    result = QueryResult(query, Status.FAIL, findings_for(query, [(change,)]), population=(change,))
    record = gather(g, [result], PERIOD, cut_off=None).record(change)
    assert record.source == "" and record.describe() == "Change:C1 (actual_start 2025-02-01T10:00:00)"


def test_own_nonconformities_count_when_open_and_raised_in_the_audit_period():
    raised = facts().raised
    assert [nc.id for nc in raised["8.5.1.3"]] == ["Nonconformity:N1", "Nonconformity:N4"]


def test_the_owner_is_the_holder_of_the_responsible_role_of_a_current_document():
    f = facts()
    assert f.owner_of("8.5.1.3") == "Pat (Change manager)"  # from 8.5.1's process, the nearest clause above
    assert f.owner_of("9.2") == ""  # only a superseded document addresses it


def test_the_cut_off_is_the_latest_record_date_forward_dates_and_placeholders_aside():
    assert data_cut_off(graph()) == dt.date(2025, 7, 1)  # N2's raised_on; not planned_end, review_due, GHOST
    assert data_cut_off(SMSGraph()) is None


def test_as_of_defaults_to_the_cut_off_and_is_refused_past_it_unless_allowed():
    cut = dt.date(2025, 6, 30)
    assert audit_period(None, "12M", cut).as_of == cut
    assert audit_period("2025-06-30", "12M", cut).as_of == cut  # the boundary day is allowed
    with pytest.raises(ItsmsError, match="--as-of 2025-07-01 is after the data's cut-off 2025-06-30"):
        audit_period("2025-07-01", "12M", cut)
    assert audit_period("2026-11-01", "12M", cut, allow_after_cutoff=True).as_of == dt.date(2026, 11, 1)
    assert audit_period(None, "12M", None).as_of == dt.date.today()


def test_the_cut_off_of_graph_tables_is_the_graphs():
    import duckdb

    from itsms_graph.graph.tables import create_tables, load_graph

    class Tables:
        con = duckdb.connect()

    create_tables(Tables.con)
    assert data_cut_off(Tables()) is None  # no record, so no dated one
    load_graph(Tables.con, graph())
    assert data_cut_off(Tables()) == dt.date(2025, 7, 1)


def test_an_import_states_its_cut_off(tmp_path):
    from pathlib import Path

    from click.testing import CliRunner

    from itsms_graph.cli import cli

    folder = Path(__file__).parent / "data" / "bpic2014"
    args = ["import", "-p", "bpic2014", str(folder), "-o", str(tmp_path / "b.itsms"), "--keep-going"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    from itsms_graph.graph.snapshot import open_snapshot

    cut = data_cut_off(open_snapshot(tmp_path / "b.itsms"))
    assert cut is not None and f"(data cut-off {cut.isoformat()}, the default --as-of)" in result.output


@pytest.mark.parametrize("parameters", [None, {"major_incident_priority": 2}, {"major_incident_priority": 3}])
def test_the_facts_of_graph_tables_are_the_whole_graphs(parameters):
    """#16: the facts of graph tables come from the part of them gather reads (a record's services, owner and team,
    its major incidents by the priority the check uses), not from every neighbour of a finding's records."""
    import duckdb

    from itsms_graph.audit.facts import facts_graph
    from itsms_graph.graph.tables import GraphTables, create_tables, load_graph

    whole = graph()
    con = duckdb.connect()
    create_tables(con)
    load_graph(con, whole)
    tables = GraphTables(con, whole.schema, set(whole.declared_labels), list(whole.inputs))
    results = []
    for qid, subject in (
        ("change-implemented-without-approval", "Change:C1"),
        ("risk-without-treatment", "Risk:R1"),
        ("service-delivered-not-in-catalogue", "Service:A"),
    ):
        query = load_catalogue()[qid]
        results.append(QueryResult(query, Status.FAIL, findings_for(query, [(subject,)]), population=(subject,)))
    part = facts_graph(tables, results, parameters)
    assert part.number_of_nodes() < whole.number_of_nodes()
    assert gather(part, results, PERIOD, parameters, cut_off=None) == gather(
        whole, results, PERIOD, parameters, cut_off=None
    )

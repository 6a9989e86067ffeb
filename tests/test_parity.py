"""Engine parity: every canned query returns the same result on FalkorDB and DuckDB as on networkx.

FalkorDB is loaded through the same UNWIND ... MERGE statements the Neo4j path uses, and runs each query's
compiled Cypher; DuckDB holds the graph tables and runs each query's compiled SQL. Status, result rows, missing
data and findings must be identical on every fixture and on the example SMS.
"""

from __future__ import annotations

import pytest

from itsms_graph.engines import EmbeddedEngine
from itsms_graph.engines.cypher import falkordb as falkordb_engine
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.run import run_queries
from tests import fixtures
from tests.conftest import OTHER_ENGINES, TEST_QUERIES


def outcome(results):
    return {r.query.id: (r.status.value, r.rows, r.missing_data, [f.id for f in r.findings]) for r in results}


def assert_parity(graph, engine, period=fixtures.PERIOD, catalogue=None):
    catalogue = catalogue or load_catalogue([TEST_QUERIES])
    expected = outcome(
        run_queries(EmbeddedEngine(graph), catalogue.values(), period, declared_labels=graph.declared_labels)
    )
    actual = outcome(run_queries(engine, catalogue.values(), period, declared_labels=graph.declared_labels))
    assert actual == expected
    return expected


@pytest.mark.parametrize("load_engine", OTHER_ENGINES, indirect=True)
@pytest.mark.parametrize("name", sorted(fixtures.FIXTURES))
def test_engine_equals_networkx_on_fixture(load_engine, name):
    graph = fixtures.FIXTURES[name]()
    expected = assert_parity(graph, load_engine(graph, f"fixture-{name}"))
    assert expected  # every query ran


@pytest.mark.parametrize("load_engine", OTHER_ENGINES, indirect=True)
def test_engine_equals_networkx_on_the_example(load_engine):
    """The demo's graph: every shipped query, planted defects and all."""
    from itsms_graph.example import generate

    example = generate()
    period = AuditPeriod.parse(example.as_of, example.period)
    expected = assert_parity(example.graph, load_engine(example.graph, "example"), period, load_catalogue())
    assert any(status == "fail" for status, *_ in expected.values())  # the planted defects are found


@pytest.mark.parametrize("source", ["graph", "tables"])
def test_falkordb_holds_what_networkx_holds(falkor_db, tmp_path, source):
    """The load statements lose nothing: counts per label and per relationship type match, from the Python graph
    and from a snapshot's graph tables (whose rows duckdb renders as FalkorDB's parameter text)."""
    from itsms_graph.graph import save_snapshot
    from itsms_graph.graph.snapshot import open_snapshot_tables

    graph = fixtures.boundaries()
    engine = falkordb_engine.FalkorDBEngine(graph_name=f"counts-{source}", db=falkor_db)
    loaded = graph if source == "graph" else open_snapshot_tables(save_snapshot(graph, tmp_path / "b.itsms"))
    engine.load(loaded)
    engine.load(loaded)  # idempotent: MERGE twice gives the same graph
    for label in graph.labels_present():
        assert engine.label_count(label) == graph.count(label)
    rows = engine.run("MATCH ()-[r]->() RETURN type(r) AS t, count(r) AS n")
    assert {t: n for t, n in rows} == {t: graph.edge_count(t) for t in graph.rel_types_present()}
    [[props]] = engine.run("MATCH (c:Change {id: $id}) RETURN properties(c)", {"id": "Change:C-first"})
    assert props == {"id": "Change:C-first", **{k: v for k, v in graph.node("Change:C-first").items() if k != "label"}}
    if source == "tables":
        loaded.close()


@pytest.mark.falkordb
def test_cypher_day_numbers_equal_python_across_calendar_edges(falkor_db):
    """The integer days_from_civil expression FalkorDB evaluates equals Python's date arithmetic."""
    import datetime as dt

    from itsms_graph.engines.cypher.compiler import days_expression
    from itsms_graph.queries.plan import days_since_epoch

    days = [
        dt.date(1970, 1, 1),
        dt.date(1999, 12, 31),
        dt.date(2000, 2, 29),
        dt.date(2000, 3, 1),
        dt.date(2023, 2, 28),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 1),
        dt.date(2100, 3, 1),
    ]
    days += [dt.date(2011, 1, 1) + dt.timedelta(days=n) for n in range(0, 5000, 37)]
    values = [d.isoformat() for d in days] + [d.isoformat() + "T23:59:59" for d in days[:5]]
    graph = falkor_db.select_graph("days")
    rows = graph.query("UNWIND $v AS s RETURN s, " + days_expression("s"), {"v": values}).result_set
    assert {s: n for s, n in rows} == {s: days_since_epoch(s) for s in values}


@pytest.mark.falkordb
def test_cypher_month_numbers_equal_python_across_calendar_edges(falkor_db):
    """The integer month number quarter_eq compares, in FalkorDB and in DuckDB, equals Python's."""
    import datetime as dt

    import duckdb

    from itsms_graph.engines.cypher.compiler import month_expression
    from itsms_graph.engines.duckdb.compiler import _month_number
    from itsms_graph.queries.plan import month_number

    days = [dt.date(1999, 12, 31), dt.date(2000, 1, 1), dt.date(2024, 2, 29), dt.date(2025, 12, 31)]
    days += [dt.date(2011, 1, 1) + dt.timedelta(days=n) for n in range(0, 5000, 29)]
    values = [d.isoformat() for d in days] + [d.isoformat() + "T23:59:59" for d in days[:4]] + ["2025-01", "2025-10"]
    expected = {s: month_number(s) for s in values}
    graph = falkor_db.select_graph("months")
    rows = graph.query("UNWIND $v AS s RETURN s, " + month_expression("s"), {"v": values}).result_set
    assert {s: n for s, n in rows} == expected
    sql = "SELECT s, " + _month_number("s") + " FROM unnest($v) AS t(s)"
    assert dict(duckdb.connect().execute(sql, {"v": values}).fetchall()) == expected


@pytest.mark.falkordb
def test_push_is_idempotent_replace_removes_only_its_own_and_findings_do_not_change_results(falkor_db):
    from itsms_graph.check import check_graph
    from itsms_graph.exports.push import declared_labels_in, push

    graph = fixtures.boundaries()
    report = check_graph(graph, period=fixtures.PERIOD, query_dirs=[TEST_QUERIES])
    engine = falkordb_engine.FalkorDBEngine(graph_name="push", db=falkor_db)
    first = push(engine, graph, report.findings, batch_size=7)
    assert first.ok, first.problems
    assert first.actual["Finding"] == len(report.findings) and first.actual["FLAGS"] > 0
    again = push(engine, graph, report.findings)
    assert again.ok and again.actual == first.actual
    engine.run("CREATE (:Change {id: 'Change:not-ours', actual_start: '2025-01-01T00:00:00'})")
    replaced = push(engine, graph, report.findings, replace=True)
    labels = graph.schema.labels
    assert replaced.deleted == sum(n for k, n in first.expected.items() if k in labels)  # nodes, not edges
    assert engine.run("MATCH (c:Change {id: 'Change:not-ours'}) RETURN count(c)") == [[1]]
    engine.run("MATCH (c:Change {id: 'Change:not-ours'}) DELETE c")
    # the pushed findings and snapshot node do not change any query's result
    catalogue = load_catalogue([TEST_QUERIES])
    declared = declared_labels_in(engine)
    assert declared == graph.declared_labels
    assert outcome(run_queries(engine, catalogue.values(), fixtures.PERIOD, declared_labels=declared)) == outcome(
        run_queries(EmbeddedEngine(graph), catalogue.values(), fixtures.PERIOD, declared_labels=declared)
    )


@pytest.mark.falkordb
@pytest.mark.realdata
def test_bpic2014_pushed_into_falkordb_gives_the_embedded_results(falkor_db, bpic2014_full):
    """The Neo4j push path (same statements) on a real export: BPIC 2014 in full, when ../shared/data has it."""
    from itsms_graph.check import check_graph
    from itsms_graph.exports.push import declared_labels_in, push
    from itsms_graph.queries.plan import AuditPeriod

    _, graph, _ = bpic2014_full
    period = AuditPeriod.parse("2014-03-31")
    embedded = check_graph(graph, period=period)
    engine = falkordb_engine.FalkorDBEngine(graph_name="bpic", db=falkor_db)
    result = push(engine, graph, embedded.findings)
    assert result.ok, result.problems
    on_falkordb = run_queries(engine, load_catalogue().values(), period, declared_labels=declared_labels_in(engine))
    assert [(r.query.id, r.status, r.rows) for r in on_falkordb] == [
        (r.query.id, r.status, r.rows)
        for r in run_queries(
            EmbeddedEngine(graph), load_catalogue().values(), period, declared_labels=graph.declared_labels
        )
    ]


@pytest.mark.realdata
def test_bpic2014_on_duckdb_gives_the_embedded_results(bpic2014_full):
    """The SQL compiled from every shipped query, on a real export: BPIC 2014 in full, when ../shared/data has it."""
    from itsms_graph.engines.duckdb.engine import DuckDBEngine

    _, graph, _ = bpic2014_full
    period = AuditPeriod.parse("2014-03-31")
    expected = assert_parity(graph, DuckDBEngine.from_graph(graph), period, load_catalogue())
    assert sum(len(rows) for _, rows, *_ in expected.values()) > 1000  # a real workload, not an empty answer

"""The DuckDB engine's own guarantees: the graph tables round-trip a graph, the engine answers the assessment
questions as networkx does, ``exists`` agrees with ``rows``, and nothing but the ontology's names and parameters
reaches SQL. (Its query results are compared with networkx's in test_parity.py and test_query_cases.py.)"""

from __future__ import annotations

import dataclasses
import json

import duckdb
import pytest
from click.testing import CliRunner

from itsms_graph.cli import cli
from itsms_graph.engines import EmbeddedEngine
from itsms_graph.engines.duckdb.compiler import (
    NotCompilable,
    compile_query,
    exists_statement,
    property_present_statement,
)
from itsms_graph.engines.duckdb.engine import DuckDBEngine
from itsms_graph.errors import ItsmsError, SchemaViolation
from itsms_graph.example import generate
from itsms_graph.graph import save_snapshot, tables
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import load_graph, node_columns, to_graph
from itsms_graph.ontology import schema
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.plan import PLACEHOLDER_FLAG, AuditPeriod, BoundFilter, bind
from tests import fixtures
from tests.conftest import TEST_QUERIES


@pytest.fixture(scope="module")
def example():
    return generate()


def with_placeholders() -> SMSGraph:
    """Records, a placeholder for an id no input holds, and a record with unnamed references (#MULTIVALUE)."""
    g = SMSGraph()
    i1 = g.add_node("Incident", "I1", {"opened_at": "2025-01-02T03:04:05", "priority": 2}, source_file="i.csv")
    ci = g.add_node("ConfigurationItem", "CI9", {"unresolved": True}, source_file="i.csv", source_row=7)
    g.add_edge("AFFECTS", i1, ci, source_file="i.csv", source_row=7)
    g.add_node(
        "Change",
        "C1",
        {"unnamed_references": ["AFFECTS:ConfigurationItem"], "emergency": False},
        source_file="c.csv",
        source_row=1,
        source_path="sheet/1",
    )
    g.add_edge("CAUSED_BY", i1, "Change:C1", source_file="links.csv", source_path="row/3")
    return g


def state(g: SMSGraph):
    """Everything a graph holds: nodes with their attributes, relationships with their provenance, the label and
    marker indexes, and each node's adjacency."""
    return (
        {n: g.node(n) for n in g.all_nodes()},
        {t: {pair: g.edge_attrs(*pair, t) for pair in g.edges(t)} for t in g.rel_types_present()},
        {label: set(g.nodes(label)) for label in g.labels_present()},
        {key: set(g.marked(key)) for key in g.schema.marker_keys},
        {n: sorted(g.adjacent(n)) for n in g.all_nodes()},
    )


@pytest.mark.parametrize("make", [with_placeholders, fixtures.features, fixtures.cycles], ids=lambda f: f.__name__)
def test_tables_round_trip_a_graph(make):
    graph = make()
    con = duckdb.connect()
    load_graph(con, graph)
    assert state(to_graph(con, graph.schema)) == state(graph)


def test_tables_round_trip_the_example(example):
    con = duckdb.connect()
    load_graph(con, example.graph)
    assert state(to_graph(con)) == state(example.graph)


def test_the_graphs_order_is_seq_not_where_the_rows_are(example):
    """An import writes node and relationship rows in any order (sorting them cost a third of its resolve): the
    graph and its snapshot list a label's nodes and a type's relationships by seq."""
    con = duckdb.connect()
    load_graph(con, example.graph)
    for table in ("node_rows", "edges"):
        con.register(
            "moved", con.sql(f"SELECT * FROM {table} ORDER BY md5(concat_ws('|', *COLUMNS(*)))").to_arrow_table()
        )
        before = con.execute(f"SELECT * FROM {table}").fetchall()
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} SELECT * FROM moved")
        con.unregister("moved")
        assert con.execute(f"SELECT * FROM {table}").fetchall() != before  # the rows did move
    graph = to_graph(con)
    assert state(graph) == state(example.graph)
    labels, types = example.graph.labels_present(), example.graph.rel_types_present()
    assert {label: list(graph.nodes(label)) for label in labels} == {
        label: list(example.graph.nodes(label)) for label in labels
    }
    assert {t: list(graph.edges(t)) for t in types} == {t: list(example.graph.edges(t)) for t in types}


def test_a_graph_built_a_batch_at_a_time_with_the_tables_closed_is_the_same_graph(example, monkeypatch):
    """to_graph reads the tables out and may close them before building, then builds a batch at a time (here 7
    rows, so that every label and type spans batches): the same graph, in the same order, with each value many
    nodes hold one object and each relationship's ends the strings that key its nodes."""
    monkeypatch.setattr(tables, "_BATCH", 7)
    con = duckdb.connect()
    load_graph(con, example.graph)
    graph = to_graph(con, close=True)
    with pytest.raises(duckdb.ConnectionException):
        con.execute("SELECT 1")
    want = example.graph
    assert state(graph) == state(want)
    for label in want.labels_present():
        assert list(graph.nodes(label)) == list(want.nodes(label))
    for t in want.rel_types_present():
        assert list(graph.edge_provenance(t).items()) == list(want.edge_provenance(t).items())
    keys = {n: n for n in graph.all_nodes()}
    assert all(keys[s] is s and keys[t] is t for t_ in graph.rel_types_present() for s, t in graph.edges(t_))
    for label in graph.labels_present():
        seen: dict[object, int] = {}
        for n in graph.nodes(label):
            for k, v in graph.attrs(n).items():
                if isinstance(v, str):
                    assert seen.setdefault(v, id(v)) == id(v), (label, k, v)


def test_tables_are_typed_from_the_ontology():
    con = duckdb.connect()
    load_graph(con, with_placeholders())
    described = {name: kind for name, kind, *_ in con.execute("DESCRIBE nodes").fetchall()}
    assert list(described) == [name for name, _ in node_columns()]
    assert len(described) == len(schema().properties) + 2  # id and provenance once, plus label and seq
    expected = {
        "id": "VARCHAR",
        "label": "VARCHAR",
        "seq": "BIGINT",
        "source_row": "BIGINT",
        "priority": "BIGINT",
        "emergency": "BOOLEAN",
        "opened_at": "VARCHAR",
        "approved_on": "VARCHAR",
        "unnamed_references": "VARCHAR[]",
        "unresolved": "BOOLEAN",
    }
    assert {k: described[k] for k in expected} == expected
    edges = con.execute(
        "SELECT type, src, dst, source_file, source_row, source_path FROM edges WHERE type <> 'PART_OF' ORDER BY type"
    )
    assert edges.fetchall() == [
        ("AFFECTS", "Incident:I1", "ConfigurationItem:CI9", "i.csv", 7, None),
        ("CAUSED_BY", "Incident:I1", "Change:C1", "links.csv", None, "row/3"),
    ]
    placeholder = con.execute("SELECT label, unresolved, source_row FROM nodes WHERE id = 'ConfigurationItem:CI9'")
    assert placeholder.fetchall() == [("ConfigurationItem", True, 7)]


def test_to_graph_checks_labels_and_types_against_the_ontology():
    con = duckdb.connect()
    load_graph(con, with_placeholders())
    con.execute("UPDATE edges SET type = 'HACKED' WHERE type = 'AFFECTS'")
    with pytest.raises(SchemaViolation, match="HACKED"):
        to_graph(con)
    con.execute("UPDATE node_rows SET label = 'Nope' WHERE id = 'Incident:I1'")
    with pytest.raises(SchemaViolation, match="Nope"):
        to_graph(con)


@pytest.mark.parametrize("make", [with_placeholders, fixtures.boundaries], ids=lambda f: f.__name__)
def test_label_count_and_property_presence_equal_networkx(make):
    """Placeholders are not counted as records, but their properties are present, as on networkx."""
    graph = make()
    reference, engine = EmbeddedEngine(graph), DuckDBEngine.from_graph(graph)
    sch = graph.schema
    for label in sorted(sch.labels):
        assert engine.label_count(label) == reference.label_count(label), label
        for key in sorted(sch.properties_of(label)):
            if key != "id":  # the node id is a column; networkx keeps it as the key, not a property
                assert engine.property_present(label, key) == reference.property_present(label, key), (label, key)
    if make is with_placeholders:
        assert engine.label_count("ConfigurationItem") == 0 and engine.property_present(
            "ConfigurationItem", "unresolved"
        )


def test_every_labels_records_are_counted_in_one_statement():
    """#16: a check asks for some thirty labels' counts (BPIC 2014: 33 statements, 0.08 s); the engine counts
    every label in one scan on the first call, and still refuses a label the ontology does not have."""
    engine = DuckDBEngine.from_graph(with_placeholders())
    ran: list[str] = []
    run = engine._run
    engine._run = lambda statement: ran.append(statement.sql) or run(statement)  # type: ignore[method-assign]
    counts = {label: engine.label_count(label) for label in sorted(engine.schema.labels)}
    assert len(ran) == 1 and counts["ConfigurationItem"] == 0 and sum(counts.values()) > 0
    with pytest.raises(NotCompilable, match="Nope"):
        engine.label_count("Nope")


@pytest.mark.parametrize("make", ["example", "features", "cycles", "boundaries"])
def test_exists_is_whether_there_are_rows_over_the_whole_catalogue(example, make):
    if make == "example":
        graph, period = example.graph, AuditPeriod.parse(example.as_of, example.period)
    else:
        graph, period = fixtures.FIXTURES[make](), fixtures.PERIOD
    engine = DuckDBEngine.from_graph(graph)
    answers = set()
    for query in load_catalogue([TEST_QUERIES]).values():
        bound = bind(query, period)
        rows = engine.rows(bound)
        assert engine.exists(bound) == bool(rows), query.id
        answers.add(bool(rows))
    assert answers == {True, False}


def test_the_engine_runs_on_tables_another_step_wrote(tmp_path, example):
    """A DuckDB file holding the graph tables (as a columnar import leaves it) is all the engine needs."""
    path = tmp_path / "graph.duckdb"
    with duckdb.connect(str(path)) as con:
        load_graph(con, example.graph)
    catalogue = load_catalogue()
    period = AuditPeriod.parse(example.as_of, example.period)
    with duckdb.connect(str(path), read_only=True) as con:
        engine = DuckDBEngine(con)
        for query in catalogue.values():
            bound = bind(query, period)
            assert engine.rows(bound) == EmbeddedEngine(example.graph).rows(bound), query.id


def test_the_engine_refuses_a_connection_without_graph_tables_or_with_a_folding_collation():
    with pytest.raises(ItsmsError, match="no graph table edges, nodes"):
        DuckDBEngine(duckdb.connect())
    con = duckdb.connect()
    load_graph(con, with_placeholders())
    con.execute("SET default_collation = 'nocase'")
    with pytest.raises(ItsmsError, match="default_collation"):
        DuckDBEngine(con)


def test_only_ontology_names_reach_sql_and_every_value_is_a_parameter():
    catalogue = load_catalogue([TEST_QUERIES])
    period = fixtures.PERIOD
    for query in catalogue.values():
        bound = bind(query, period)
        for statement in (compile_query(bound), exists_statement(bound)):
            assert "'" not in statement.sql, query.id  # no literal: labels, types and values are $parameters
            passed = list(statement.params.values())
            assert all(value in passed for value in bound.cypher_params.values()), query.id
    bound = bind(catalogue["change-implemented-without-approval"], period)
    first = bound.query.nodes[0]
    for prop in ['actual_start" IS NOT NULL OR TRUE --', "no_such_property"]:
        hostile = BoundFilter(prop, "eq", "v0", "x")
        forged = dataclasses.replace(bound, filters={**bound.filters, id(first): (hostile,)})
        with pytest.raises(NotCompilable, match="not an ontology property"):
            compile_query(forged)
    with pytest.raises(NotCompilable):
        property_present_statement("Change", 'x" FROM nodes; DROP TABLE nodes; --')
    with pytest.raises(NotCompilable):
        property_present_statement("Change", "decision")  # an ontology property, but not a Change's
    assert PLACEHOLDER_FLAG in schema().properties


def test_comparisons_follow_python_on_mismatched_operands():
    """A boolean never equals a number, a string never equals a number (but differs from it), a list never
    compares, and ``in`` is Python's ``==`` (True == 1): settled at compile time as networkx settles them."""
    from itsms_graph.queries.definition import QueryDefinition

    graph = SMSGraph()
    graph.add_node("Incident", "I1", {"priority": 1, "made_sla": True, "category": "1"}, source_file="t.csv")
    graph.add_node("Incident", "I2", {"priority": 2, "made_sla": False}, source_file="t.csv")
    graph.add_node("ManagementReview", "M1", {"inputs": ["a", "b"]}, source_file="t.csv")
    reference, engine = EmbeddedEngine(graph), DuckDBEngine.from_graph(graph)
    filters = [
        ("Incident", {"prop": "priority", "op": "eq", "value": True}),
        ("Incident", {"prop": "made_sla", "op": "eq", "value": 1}),
        ("Incident", {"prop": "made_sla", "op": "ne", "value": 1}),
        ("Incident", {"prop": "category", "op": "eq", "value": 1}),
        ("Incident", {"prop": "category", "op": "ne", "value": 1}),
        ("Incident", {"prop": "category", "op": "ne", "value": 1, "or_null": True}),
        ("Incident", {"prop": "priority", "op": "in", "value": [True, "2", 7]}),
        ("Incident", {"prop": "priority", "op": "not_in", "value": [True]}),
        ("Incident", {"prop": "made_sla", "op": "in", "value": [0]}),
        ("Incident", {"prop": "priority", "op": "lt", "value": 1.5}),
        ("ManagementReview", {"prop": "inputs", "op": "eq", "value": ["a", "b"]}),
        ("ManagementReview", {"prop": "inputs", "op": "contains", "value": 1}),
        ("ManagementReview", {"prop": "inputs", "op": "not_contains", "value": 1}),
        ("ManagementReview", {"prop": "inputs", "op": "in", "value": [["a", "b"], "a"]}),
    ]
    seen = set()
    for label, where in filters:
        query = QueryDefinition.model_validate(
            {
                "id": "t",
                "title": "t",
                "clauses": ["9.1"],
                "stage": 2,
                "grade": "ofi",
                "rationale": "r",
                "remediation": "r",
                "missing": "m",
                "expect": "none",
                "match": [{"node": "n", "label": label, "where": [where]}],
            }
        )
        bound = bind(query, fixtures.PERIOD)
        expected = reference.rows(bound)
        assert engine.rows(bound) == expected, where
        seen.add(bool(expected))
    assert seen == {True, False}


def test_check_runs_on_duckdb_from_the_command_line(tmp_path):
    snap = save_snapshot(fixtures.boundaries(), tmp_path / "boundaries.itsms")
    results = {}
    for backend in ("networkx", "duckdb"):
        out = CliRunner().invoke(
            cli, ["check", str(snap), "--as-of", "2025-06-30", "--format", "json", "--backend", backend]
        )
        report = json.loads(out.output)
        assert report["engine"] == backend
        results[backend] = report["results"]
    assert results["duckdb"] == results["networkx"]


def test_any_relationship_never_means_one_the_tool_wrote():
    """A finding pushed back into the graph FLAGS its subject; ``rel: any`` must not take that for a reference."""
    graph = with_placeholders()
    finding = graph.add_node("Finding", "F1", {"query": "unresolved-reference"}, source_file="itsms-graph")
    graph.add_edge("FLAGS", finding, "ConfigurationItem:CI9", source_file="itsms-graph")
    bound = bind(load_catalogue()["unresolved-reference"], fixtures.PERIOD)
    expected = [("ConfigurationItem:CI9", "AFFECTS", "Incident:I1")]
    assert DuckDBEngine.from_graph(graph).rows(bound) == EmbeddedEngine(graph).rows(bound) == expected

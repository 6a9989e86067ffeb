"""The parity suite against a live Neo4j, wherever NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD) are set.

No Neo4j server can run on the project's own machines, so this tier is skipped when NEO4J_URI is unset (in CI
too). It loads each fixture with the shared UNWIND ... MERGE statements, runs every canned query's Cypher and
requires the networkx results. It only runs on an empty database, and empties it again afterwards.
"""

from __future__ import annotations

import os

import pytest

from itsms_graph.engines import EmbeddedEngine
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.run import run_queries
from tests import fixtures
from tests.conftest import TEST_QUERIES

pytestmark = pytest.mark.neo4j_live

URI = os.environ.get("NEO4J_URI")


@pytest.fixture(scope="module")
def neo4j_engine():
    if not URI:
        pytest.skip("live Neo4j tier: NEO4J_URI is not set (see docs/neo4j.md)")
    from itsms_graph.engines.cypher.neo4j import Neo4jEngine

    engine = Neo4jEngine(
        URI,
        os.environ.get("NEO4J_USER", "neo4j"),
        os.environ.get("NEO4J_PASSWORD", ""),
        os.environ.get("NEO4J_DATABASE") or None,
    )
    [[count]] = engine.run("MATCH (n) RETURN count(n)")
    if count:
        pytest.fail(f"the live Neo4j database at {URI} holds {count} nodes: the suite needs an empty database")
    yield engine
    engine.run("MATCH (n) DETACH DELETE n")
    engine.close()


def outcome(results):
    return {r.query.id: (r.status.value, r.rows, r.missing_data) for r in results}


@pytest.mark.parametrize("name", sorted(fixtures.FIXTURES))
def test_neo4j_equals_networkx(neo4j_engine, name):
    graph = fixtures.FIXTURES[name]()
    catalogue = load_catalogue([TEST_QUERIES])
    expected = outcome(
        run_queries(EmbeddedEngine(graph), catalogue.values(), fixtures.PERIOD, declared_labels=graph.declared_labels)
    )
    neo4j_engine.run("MATCH (n) DETACH DELETE n")
    neo4j_engine.load(graph)
    neo4j_engine.load(graph)  # idempotent
    for label in graph.labels_present():
        assert neo4j_engine.label_count(label) == graph.count(label)
    actual = outcome(
        run_queries(neo4j_engine, catalogue.values(), fixtures.PERIOD, declared_labels=graph.declared_labels)
    )
    assert actual == expected


def test_push_idempotence_replace_and_checks_on_neo4j(neo4j_engine):
    from itsms_graph.check import check_graph
    from itsms_graph.exports.push import declared_labels_in, push

    graph = fixtures.boundaries()
    neo4j_engine.run("MATCH (n) DETACH DELETE n")
    report = check_graph(graph, period=fixtures.PERIOD)
    first = push(neo4j_engine, graph, report.findings)
    assert first.ok, first.problems
    assert push(neo4j_engine, graph, report.findings).actual == first.actual
    neo4j_engine.run("CREATE (:Change {id: 'Change:not-ours'})")
    assert push(neo4j_engine, graph, report.findings, replace=True).ok
    assert neo4j_engine.run("MATCH (c:Change {id: 'Change:not-ours'}) RETURN count(c)") == [[1]]
    neo4j_engine.run("MATCH (c:Change {id: 'Change:not-ours'}) DELETE c")
    on_server = check_graph(graph, period=fixtures.PERIOD, backend="neo4j", server=neo4j_engine)
    assert declared_labels_in(neo4j_engine) == graph.declared_labels
    assert [(r.query.id, r.status, r.rows) for r in on_server.results] == [
        (r.query.id, r.status, r.rows) for r in report.results
    ]

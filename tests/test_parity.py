"""Three-engine parity: every canned query returns the same result on FalkorDB as on networkx.

FalkorDB is loaded through the same UNWIND ... MERGE statements the Neo4j path uses, and runs each query's
compiled Cypher. Status, result rows and missing data must be identical on every fixture.
"""

from __future__ import annotations

import pytest

from itsms_graph.engines import EmbeddedEngine
from itsms_graph.engines import falkordb as falkordb_engine
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.run import run_queries
from tests import fixtures
from tests.conftest import TEST_QUERIES, require_tier

pytestmark = pytest.mark.falkordb


@pytest.fixture(scope="module")
def falkor_db():
    require_tier(falkordb_engine.available(), "FalkorDB (falkordblite)", "pip install falkordblite, Python >= 3.12")
    db = falkordb_engine.open_database()
    yield db
    db.close()


def outcome(results):
    return {r.query.id: (r.status.value, r.rows, r.missing_data, [f.id for f in r.findings]) for r in results}


def assert_parity(graph, db, name):
    catalogue = load_catalogue([TEST_QUERIES])
    expected = outcome(
        run_queries(EmbeddedEngine(graph), catalogue.values(), fixtures.PERIOD, declared_labels=graph.declared_labels)
    )
    engine = falkordb_engine.FalkorDBEngine(graph_name=name, db=db)
    engine.load(graph)
    actual = outcome(run_queries(engine, catalogue.values(), fixtures.PERIOD, declared_labels=graph.declared_labels))
    assert actual == expected
    return expected


@pytest.mark.parametrize("name", sorted(fixtures.FIXTURES))
def test_falkordb_equals_networkx_on_fixture(falkor_db, name):
    expected = assert_parity(fixtures.FIXTURES[name](), falkor_db, f"fixture-{name}")
    assert expected  # every query ran


def test_falkordb_holds_what_networkx_holds(falkor_db):
    """The load statements lose nothing: counts per label and per relationship type match."""
    graph = fixtures.boundaries()
    engine = falkordb_engine.FalkorDBEngine(graph_name="counts", db=falkor_db)
    engine.load(graph)
    engine.load(graph)  # idempotent: MERGE twice gives the same graph
    for label in graph.labels_present():
        assert engine.label_count(label) == graph.count(label)
    rows = engine.run("MATCH ()-[r]->() RETURN type(r) AS t, count(r) AS n")
    assert {t: n for t, n in rows} == {t: graph.edge_count(t) for t in graph.rel_types_present()}
    [[props]] = engine.run("MATCH (c:Change {id: $id}) RETURN properties(c)", {"id": "Change:C-first"})
    assert props == {"id": "Change:C-first", **{k: v for k, v in graph.node("Change:C-first").items() if k != "label"}}

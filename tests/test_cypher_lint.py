"""Neo4j's Cypher linter (tier 3): every statement the project ships lints with no error and no warning."""

from __future__ import annotations

import pytest

from itsms_graph.ontology import PROVENANCE_KEYS, schema
from tests.conftest import require_tier
from tests.neo4j_lint import (
    Statement,
    failures,
    graph_schema,
    lint,
    linter_available,
    linter_schema,
    linter_version,
    shipped_statements,
)

pytestmark = pytest.mark.neo4j_lint


@pytest.fixture(scope="module")
def linted():
    require_tier(
        linter_available(),
        "the Neo4j Cypher linter (@neo4j-cypher/language-support)",
        "node and `npm ci --prefix tools/cypher-lint`, as make test does",
    )
    statements = shipped_statements()
    return statements, lint(statements)


def test_the_pinned_linter_is_a_release_of_neo4j_s_front_end(linted):
    assert linter_version() == "2.0.0-next.38"


def test_every_shipped_statement_lints_clean(linted):
    statements, diagnostics = linted
    assert len(statements) > 300
    assert failures(statements, diagnostics) == []


def test_the_linter_can_fail(linted):
    bad = [
        Statement("unknown label", "MATCH (n:Gremlin) RETURN n.id", {}),
        Statement("unknown property", "MATCH (n:Change) RETURN n.colour", {}),
        Statement("unknown type", "MATCH (:Change)-[:TELEPORTS]->(n) RETURN n", {}),
        Statement("syntax", "MATCH (n:Change RETURN n", {}),
        Statement("missing parameter", "MATCH (n:Change) WHERE n.id = $nope RETURN n", {}),
        Statement("forbidden by the ontology", "MATCH (a:Change)-[:ADDRESSES]->(c:Clause) RETURN a.id", {}),
    ]
    diagnostics = lint(bad)
    words = ["Gremlin", "colour", "TELEPORTS", "", "$nope", "ADDRESSES"]
    for statement, found, word in zip(bad, diagnostics, words, strict=True):
        assert failures([statement], [found]), statement.name
        assert any(word in d["message"] for d in found), (statement.name, found)
    assert any(d["severity"] == "error" for d in diagnostics[3])


def test_the_linter_schema_is_the_ontology():
    sch = schema()
    derived = linter_schema()
    assert derived == {
        "labels": sorted(sch.labels),
        "relationshipTypes": sorted(sch.relationships),
        "propertyKeys": sorted(sch.properties),
        "graphSchema": graph_schema(sch),
    }
    assert {"from": "Approval", "to": "Change", "relType": "APPROVES"} in derived["graphSchema"]
    assert {"from": "Change", "to": "Approval", "relType": "APPROVES"} not in derived["graphSchema"]
    assert {"id", *PROVENANCE_KEYS} <= set(derived["propertyKeys"])
    assert set(derived["relationshipTypes"]) >= sch.tool_relationship_types

"""Golden cases for every canned query: each query makes pass, fail and not assessable on hand-built graphs.

One YAML file per query in tests/query_cases/ (adding a case is adding a list item). Each case lists nodes
``[Label, local-id, {props}]`` and edges ``[TYPE, source-id, target-id]``, the expected status, and for a
failure the expected rows, for not assessable the expected missing data. The runner checks networkx against
the expectation, and FalkorDB and DuckDB against networkx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from itsms_graph.engines import EmbeddedEngine
from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.run import run_queries
from tests.conftest import OTHER_ENGINES

CASES = Path(__file__).resolve().parent / "query_cases"
CATALOGUE = load_catalogue()


def load_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        assert doc["query"] == path.stem, f"{path.name} must be named after its query"
        for case in doc["cases"]:
            out.append((doc["query"], doc, case))
    return out


ALL_CASES = load_cases()


def build(case: dict[str, Any]) -> SMSGraph:
    graph = SMSGraph()
    for row, (label, local, *rest) in enumerate(case.get("nodes", []), start=1):
        graph.add_node(label, str(local), rest[0] if rest else {}, source_file="case.yaml", source_row=row)
    for rel, source, target in case.get("edges", []):
        graph.add_edge(rel, source, target, source_file="case.yaml")
    graph.declared_labels.update(case.get("declared", []))
    return graph


def run_case(engine, graph: SMSGraph, query_id: str, doc: dict[str, Any], case: dict[str, Any]):
    period = AuditPeriod.parse(str(case.get("as_of", doc.get("as_of", "2025-06-30"))), doc.get("period", "12M"))
    [result] = run_queries(
        engine,
        [CATALOGUE[query_id]],
        period,
        # a case's null takes back a value of its file's params: nobody states that parameter
        {k: v for k, v in {**doc.get("params", {}), **case.get("params", {})}.items() if v is not None},
        graph.declared_labels,
    )
    return result


@pytest.mark.parametrize(("query_id", "doc", "case"), ALL_CASES, ids=[f"{q}: {c['name']}" for q, _, c in ALL_CASES])
def test_query_case(query_id, doc, case):
    result = run_case(EmbeddedEngine(build(case)), build(case), query_id, doc, case)
    assert result.status.value == case["expect"], (result.rows, result.missing_data)
    if "rows" in case:
        assert result.rows == sorted(tuple(r) for r in case["rows"])
    if "missing" in case:
        assert result.missing_data == case["missing"]


@pytest.mark.parametrize("load_engine", OTHER_ENGINES, indirect=True)
@pytest.mark.parametrize("query_id", sorted({q for q, _, _ in ALL_CASES}))
def test_query_cases_on_other_engines_equal_networkx(load_engine, query_id):
    for n, (qid, doc, case) in enumerate(c for c in ALL_CASES if c[0] == query_id):
        graph = build(case)
        expected = run_case(EmbeddedEngine(graph), graph, qid, doc, case)
        actual = run_case(load_engine(graph, f"{qid}-{n}"), graph, qid, doc, case)
        assert (actual.status, actual.rows, actual.missing_data) == (
            expected.status,
            expected.rows,
            expected.missing_data,
        ), case["name"]


@pytest.mark.parametrize("query_id", sorted(CATALOGUE))
def test_every_query_has_pass_fail_and_not_assessable_cases(query_id):
    expects = {c["expect"] for q, _, c in ALL_CASES if q == query_id}
    assert expects >= {"pass", "fail", "not assessable"}, f"tests/query_cases/{query_id}.yaml needs them"

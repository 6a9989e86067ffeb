"""The catalogue's words (issue 14, item 9): a title states the failure or the requirement, never the passing
condition; no text carries an unfilled placeholder; data-quality findings cite no clause in the verdicts."""

from __future__ import annotations

import re

import pytest

from itsms_graph.queries.catalogue import load_catalogue

CATALOGUE = load_catalogue()
#: "within N days", "in X months", "<days>": a number the reader was meant to be told
PLACEHOLDER = re.compile(r"\b[NXY]\s+(days?|months?|years?)\b|<[a-z_ ]+>|\{[a-z_]+\}|\bTODO\b|\bTBD\b")


@pytest.mark.parametrize("query", sorted(CATALOGUE), ids=str)
def test_no_text_has_an_unfilled_placeholder(query):
    q = CATALOGUE[query]
    for field in ("title", "rationale", "remediation", "missing"):
        assert not PLACEHOLDER.search(getattr(q, field)), (field, getattr(q, field))


@pytest.mark.parametrize("query", sorted(q.id for q in CATALOGUE.values() if q.expect == "some"), ids=str)
def test_an_existence_check_is_titled_by_its_failure(query):
    """An existence check fails when nothing exists: "No approved risk register", not "Risk register approved"."""
    title = CATALOGUE[query].title
    assert title.startswith("No ") or " not " in title, title


@pytest.mark.parametrize("query", sorted(CATALOGUE), ids=str)
def test_no_title_is_a_fixed_interval_the_organisation_sets(query):
    """ "in the last 12 months" states the tool's default as if it were the requirement."""
    assert not re.search(r"\b\d+ months\b", CATALOGUE[query].title)


def test_data_quality_findings_cite_no_clause_in_the_check_report():
    from itsms_graph.check import check_graph
    from itsms_graph.reports.formats import to_csv, to_junit, to_markdown
    from tests import fixtures
    from tests.builders import SRC

    graph = fixtures.complete_sms()
    graph.add_node("Change", "C-DQ", {"closed_at": "2025-03-01T10:00:00", "status": "closed"}, source_file=SRC)
    graph.add_node(
        "Change", "C-OK", {"closed_at": "2025-03-01T10:00:00", "actual_end": "2025-03-01T09:00:00"}, source_file=SRC
    )
    report = check_graph(graph, period=fixtures.PERIOD, query_ids=["change-closed-without-actual-end"])
    [result] = report.to_dict()["results"]
    assert result["grade"] == "data-quality" and result["findings"] and result["clauses"] == []
    assert ",data-quality,," in to_csv(report)
    assert "stage2.data-quality" in to_junit(report) and "(7.5" not in to_markdown(report)

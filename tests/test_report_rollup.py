"""One source of truth for the roll-ups: a clause's statement, its heatmap row, its children and the summary all
count the same items, on the example SMS and on findings placed at every depth of the clause tree."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from rich.console import Console

from itsms_graph.audit.verdict import GradedQuery, Stage2Verdict, stage1, stage2
from itsms_graph.check import check_graph
from itsms_graph.engines import EmbeddedEngine
from itsms_graph.example import generate
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.results import Finding, QueryResult, Status
from itsms_graph.reports.audit import render_stage2
from itsms_graph.reports.rollup import KINDS, Item, build_rollup, rollup_of
from itsms_graph.reports.visual import COVERAGE_COLUMNS, coverage, coverage_figure, render_visual
from tests import fixtures

HEAT = {"major": "major", "minor": "minor", "ofi": "OFI", "concern": "areas of concern"}
SECTION = re.compile(
    r'<section class="clause depth-\d" id="clause-([\d.]+)" ([^>]*)><h\d>[^<]*</h\d><p class="statement">([^<]*)</p>'
)


def sections(html: str) -> dict[str, tuple[dict[str, int], str]]:
    out = {}
    for number, attrs, statement in SECTION.findall(html):
        counts = {k: int(v) for k, v in re.findall(r'data-([a-z]+)="(\d+)"', attrs)}
        out[number] = (counts, statement)
    return out


def assert_agree(html: str, rollup) -> None:
    """Every heatmap row has a section stating its counts; a clause's counts cover its sub-clauses'; a clause that
    holds or inherits an item never says it has none; the summary's totals are the distinct items."""
    said = sections(html)
    figure = coverage_figure(rollup).data[0]
    for row_label, cells in zip(figure.y, figure.text, strict=True):
        number = row_label.split(" ", 1)[0]
        counts, statement = said[number]  # the heatmap's click target exists
        for kind, column in HEAT.items():
            assert cells[COVERAGE_COLUMNS.index(column)] == str(counts[kind]), (number, kind)
        if sum(counts.values()):
            assert not statement.startswith(("No finding", "No canned check", "Not assessed")), (number, statement)
        else:
            assert not re.search(r"\d+ (major|minor|OFI)", statement)
    for number, (counts, _) in said.items():
        if "." in number:
            parent = number.rsplit(".", 1)[0]
            if parent in said:
                for kind in KINDS:
                    assert said[parent][0][kind] >= counts[kind], (parent, number, kind)
    for item in rollup.items:  # each item is in the section of every clause it cites, and of their ancestors
        for number in item.finding.clauses:
            parts = number.split(".")
            for depth in range(1, len(parts) + 1):
                assert item in rollup[".".join(parts[:depth])].items
    totals = rollup.totals()
    assert f'<span class="major">{totals["major"]} major</span>' in html
    assert f"{totals['minor']} minor</span>" in html


@pytest.fixture(scope="module")
def example():
    graph = generate().graph
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    s1, s2 = stage1(report), stage2(report, EmbeddedEngine(graph))
    return graph, report, s1, s2


def test_the_example_sms_states_one_set_of_counts(example):
    graph, report, s1, s2 = example
    html = render_visual(graph, report, s1, s2)
    rollup = rollup_of(report, s1, s2, graph)
    assert_agree(html, rollup)
    assert rollup.totals()["major"] == s2.counts()["major"] and rollup.totals()["minor"] == s2.counts()["minor"]
    said = sections(html)
    # clause 8 holds the majors of its sub-clauses: it does not say "no nonconformity"
    assert said["8"][0]["major"] >= 1 and said["8"][1].startswith(f"{said['8'][0]['major']} major")
    # a clause cited as the second clause of a failing check names that check, under its own heading
    sla = next(r for r in report.results if r.query.id == "sla-report-missing")
    if sla.findings:
        assert said["9.4"][0]["minor"] + said["9.4"][0]["major"] >= 1
        assert "No canned check" not in said["9"][1]
        block = html.split('id="clause-9.4"', 1)[1].split("</section>", 1)[0]
        assert f'href="#{sla.findings[0].id}"' in block


def _finding(query, clauses: tuple[str, ...], n: int) -> Finding:
    return Finding(
        id=f"{query.id}:{n}",
        query=query.id,
        title=query.title,
        grade=query.grade,
        stage=query.stage,
        clauses=clauses,
        subjects=(f"Clause:{clauses[0]}",),
        chain=(),
        missing=query.missing,
    )


def scenario():
    """Findings at depth 1 to 4 of clause 8, one citing clauses under two headings (8.3.3 and 9.4), a passing check
    at 8.1 and a check not assessable at 10.2."""
    catalogue = load_catalogue()
    base = next(q for q in catalogue.values() if q.stage == 2 and q.grade == "minor")
    results, graded = [], []
    placed = [
        (("8",), "major"),
        (("8.5",), "minor"),
        (("8.5.1",), "minor"),
        (("8.5.1.3",), "major"),
        (("8.3.3", "9.4"), "minor"),
    ]
    for n, (clauses, grade) in enumerate(placed):
        query = base.model_copy(update={"id": f"q{n}", "clauses": clauses, "grade": grade})
        result = QueryResult(query, Status.FAIL, [_finding(query, clauses, n)])
        results.append(result)
        graded.append(GradedQuery(result, grade, None, None, False))
    results.append(QueryResult(base.model_copy(update={"id": "ok", "clauses": ("8.1",)}), Status.PASS))
    results.append(QueryResult(base.model_copy(update={"id": "na", "clauses": ("10.2",)}), Status.NOT_ASSESSABLE))
    verdict = Stage2Verdict(graded, "summary", [], [])
    return results, verdict


def test_findings_at_every_depth_roll_up_once_per_clause():
    results, verdict = scenario()
    items = [Item(f, g.grade) for g in verdict.graded for f in g.result.findings]
    rollup = build_rollup(results, items)
    assert rollup["8"].counts() == {"major": 2, "minor": 3, "ofi": 0, "concern": 0}
    assert rollup["8.5"].counts() == {"major": 1, "minor": 2, "ofi": 0, "concern": 0}
    assert rollup["8.5.1"].counts() == {"major": 1, "minor": 1, "ofi": 0, "concern": 0}
    assert rollup["9"].counts()["minor"] == 1 and rollup["9.4"].counts()["minor"] == 1
    assert rollup.totals() == {"major": 2, "minor": 3, "ofi": 0, "concern": 0}  # the two-clause finding once
    assert [i.id for i in rollup["9.4"].cited_here()] == ["q4:4"] and not rollup["9.4"].own()
    assert rollup["8.1"].statement() == "No finding: 1 check(s) passed."
    assert rollup["10"].statement().startswith("Not assessed")
    assert rollup["8"].statement().startswith("2 major, 3 minor (in 8, 8.3.3, 8.5, 8.5.1, 8.5.1.3)")
    assert rollup["7"].statement() == "No canned check cites this clause or its sub-clauses."
    table = coverage(rollup)
    assert table["8"]["major"] == 2 and table["8.5"]["minor"] == 2 and "8.5.1" not in table


def test_the_terminal_counts_from_the_same_roll_up():
    results, verdict = scenario()
    console = Console(width=100, record=True)
    render_stage2(verdict, console, results=results)
    text = console.export_text()
    assert "Stage 2: 2 major, 3 minor, 0 OFI" in text  # distinct, although one finding cites two clauses
    assert "clause 8 Operation of the service management system: 2 major, 3 minor (in 8, 8.3.3" in text
    assert "clause 9 Performance evaluation: 1 minor (in 9.4)." in text


def test_a_scenario_report_agrees_with_itself(example):
    graph, report, s1, _ = example
    results, verdict = scenario()
    report = replace(report, results=[*report.results, *results])
    html = render_visual(graph, report, s1, verdict)
    assert_agree(html, rollup_of(report, s1, verdict, graph))

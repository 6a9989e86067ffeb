"""One source of truth for the roll-ups: a clause's statement, its heatmap row, its children and the summary all
count the same nonconformities and areas of concern, on the example SMS, on a graph whose findings sit at
several depths, and on items placed at every depth of the clause tree."""

from __future__ import annotations

import re

import pytest

from itsms_graph.audit.verdict import stage1, stage2
from itsms_graph.check import check_graph
from itsms_graph.example import generate
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.results import Finding, QueryResult, Status
from itsms_graph.reports.figures import COVERAGE_COLUMNS, coverage, coverage_figure
from itsms_graph.reports.rollup import KINDS, Item, build_rollup, rollup_of
from itsms_graph.reports.visual import render_visual
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
        for number in item.clauses:
            parts = number.split(".")
            for depth in range(1, len(parts) + 1):
                assert item in rollup[".".join(parts[:depth])].items
    totals = rollup.totals()
    assert f'<span class="major">{totals["major"]} major</span>' in html
    assert f"{totals['minor']} minor</span>" in html


def verdicts(graph):
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    return graph, report, stage1(report), stage2(report)


@pytest.fixture(scope="module")
def example():
    return verdicts(generate().graph)


def test_the_example_sms_states_one_set_of_counts(example):
    graph, report, s1, s2 = example
    html = render_visual(graph, report, s1, s2)
    rollup = rollup_of(report, s1, s2, graph)
    assert_agree(html, rollup)
    totals, counts = rollup.totals(), s2.counts()
    assert (totals["major"], totals["minor"], totals["ofi"]) == (counts["major"], counts["minor"], counts["ofi"])
    assert totals["concern"] == len(s1.concerns)
    said = sections(html)
    # clause 8 holds the nonconformities of its sub-clauses: it does not say "no nonconformity"
    assert said["8"][0]["major"] + said["8"][0]["minor"] >= 1
    assert not said["8"][1].startswith(("No finding", "No canned check"))
    # a clause a nonconformity cites second names it, under its own heading
    for item in rollup.items:
        for number in item.clauses[1:]:
            block = html.split(f'id="clause-{number}"', 1)[1].split("</section>", 1)[0]
            assert f'href="#{item.id}"' in block or f'id="{item.id}"' in block


def test_findings_at_several_depths_state_one_set_of_counts():
    """The boundaries fixture: 72 findings from clause 4.3 to 8.5.1.3, Stage 1 and Stage 2."""
    graph, report, s1, s2 = verdicts(fixtures.boundaries())
    html = render_visual(graph, report, s1, s2)
    rollup = rollup_of(report, s1, s2, graph)
    assert len({len(c.split(".")) for i in rollup.items for c in i.clauses}) >= 3  # depths 2, 3 and 4 at least
    assert_agree(html, rollup)


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
    """Nonconformities at depth 1 to 4 of clause 8, one citing clauses under two headings (8.3.3 and 9.4), a
    passing check at 8.1 and a check not assessable at 10.2."""
    catalogue = load_catalogue()
    base = next(q for q in catalogue.values() if q.stage == 2 and q.grade == "minor")
    placed = [
        (("8",), "major"),
        (("8.5",), "minor"),
        (("8.5.1",), "minor"),
        (("8.5.1.3",), "major"),
        (("8.3.3", "9.4"), "minor"),
    ]
    items = [
        Item(f"NC-{n}", grade, clauses, f"requirement {n}", "statement", (_finding(base, clauses, n),))
        for n, (clauses, grade) in enumerate(placed)
    ]
    results = [
        QueryResult(base.model_copy(update={"id": "ok", "clauses": ("8.1",)}), Status.PASS),
        QueryResult(base.model_copy(update={"id": "na", "clauses": ("10.2",)}), Status.NOT_ASSESSABLE),
    ]
    return results, items


def test_items_at_every_depth_roll_up_once_per_clause():
    results, items = scenario()
    rollup = build_rollup(results, items)
    assert rollup["8"].counts() == {"major": 2, "minor": 3, "ofi": 0, "concern": 0}
    assert rollup["8.5"].counts() == {"major": 1, "minor": 2, "ofi": 0, "concern": 0}
    assert rollup["8.5.1"].counts() == {"major": 1, "minor": 1, "ofi": 0, "concern": 0}
    assert rollup["9"].counts()["minor"] == 1 and rollup["9.4"].counts()["minor"] == 1
    assert rollup.totals() == {"major": 2, "minor": 3, "ofi": 0, "concern": 0}  # the two-clause item once
    assert [i.id for i in rollup["9.4"].cited_here()] == ["NC-4"] and not rollup["9.4"].own()
    assert rollup["8.1"].statement() == "No finding: 1 check(s) passed."
    assert rollup["10"].statement().startswith("Not assessed")
    assert rollup["8"].statement().startswith("2 major, 3 minor (in 8, 8.3.3, 8.5, 8.5.1, 8.5.1.3)")
    assert rollup["7"].statement() == "No canned check cites this clause or its sub-clauses."
    table = coverage(rollup)
    assert table["8"]["major"] == 2 and table["8.5"]["minor"] == 2 and "8.5.1" not in table

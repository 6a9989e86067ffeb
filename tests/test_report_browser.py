"""The consultant's report in headless Chromium, used as a reader uses it: choose a finding and see only its chain
highlighted, click a heatmap cell and land on the clause that states the same counts, read it at 1400 and 800 px,
print it to PDF without a figure cut across pages."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from itsms_graph.audit.verdict import stage1, stage2
from itsms_graph.check import check_graph, visual_report
from itsms_graph.example import generate
from itsms_graph.graph import save_snapshot
from itsms_graph.reports.rollup import rollup_of
from itsms_graph.reports.traceability import FADED
from itsms_graph.reports.visual import render_visual
from tests import fixtures
from tests.browser import Browser
from tests.conftest import require_tier

READY = "document.getElementById('traceability').dataset.ready === '1'"


@pytest.fixture(scope="module")
def chromium():
    require_tier(shutil.which("chromium") is not None, "headless Chromium", "apt-get install chromium")


@pytest.fixture(scope="module")
def example(tmp_path_factory, chromium):
    folder = tmp_path_factory.mktemp("browser")
    graph = generate().graph
    snap = save_snapshot(graph, folder / "example.itsms")
    page = folder / "report.html"
    page.write_text(visual_report(snap, period=fixtures.PERIOD), encoding="utf-8")
    return graph, page


@pytest.fixture
def browser(tmp_path: Path, chromium):
    with Browser(tmp_path / "profile") as b:
        yield b


def _state(b: Browser) -> dict:
    """What the graph draws now: the view, the chosen finding, each trace's role, opacity and points."""
    return b.eval(
        "(function(){var gd=document.getElementById('traceability');return {view: gd.dataset.view,"
        "chosen: gd.dataset.chosen, traces: gd.data.map(function(t){return {meta: String(t.meta), "
        "opacity: t.opacity === undefined ? 1 : t.opacity, n: (t.x || []).length, ids: t.customdata || [],"
        "text: t.text || []};})};})()"
    )


def _chosen(state: dict, meta: str) -> dict:
    return next(t for t in state["traces"] if t["meta"] == meta)


def test_choosing_a_finding_highlights_its_chain_and_fades_the_rest(example, browser):
    _graph, page = example
    browser.open(page.as_uri(), ready=READY)
    fid = browser.eval("document.querySelector('div.finding[id^=\"uncontrolled-change-caused-incident:\"]').id")
    browser.click(f'a.show[data-finding="{fid}"]')  # the finding section's "show in the graph", clicked
    browser.wait_for(f"document.getElementById('traceability').dataset.chosen === {json.dumps(fid)}")
    state = _state(browser)
    nodes = _chosen(state, "chosen-nodes")
    # its chain exactly: the clause, the change that lacks the approval, the incident it caused (the in-scope
    # service, reached through the incident's CI or directly, is a condition of the query, not a matched record)
    assert sorted(nodes["ids"]) == sorted(["Clause:8.5.1", "Change:CHG-U2", "Incident:INC-U2"])
    edges = _chosen(state, "chosen-edges")
    assert {t for t in edges["text"] if t} == {"CAUSED_BY", "cites"}  # its real relationships
    assert _chosen(state, "chosen-missing")["n"] == 3  # one stub: record, marker, gap
    base = [t for t in state["traces"] if not t["meta"].startswith("chosen")]
    assert base and all(t["opacity"] == FADED for t in base)  # everything else faded, nothing zoomed
    assert browser.eval("document.getElementById('finding-select').value") == fid
    browser.click("#graph-clear")
    browser.wait_for("document.getElementById('traceability').dataset.chosen === ''")
    state = _state(browser)
    assert all(t["opacity"] == 1 for t in state["traces"]) and _chosen(state, "chosen-nodes")["n"] == 0


def test_a_large_graph_is_grouped_and_a_group_opens_on_click(tmp_path: Path, browser):
    """Over AGGREGATE_ABOVE findings the overview shows groups; a click on one opens its view, and a finding
    chosen from the menu opens the view that draws it."""
    graph = fixtures.boundaries()  # 72 findings
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    page = tmp_path / "large.html"
    page.write_text(render_visual(graph, report, stage1(report), stage2(report)))
    browser.open(page.as_uri(), ready=READY)
    state = _state(browser)
    groups = _chosen(state, "groups")
    assert state["view"] == "all" and groups["n"] >= 2
    browser.eval("document.getElementById('graph').scrollIntoView()")
    x, y = browser.eval(
        "(function(){var gd=document.getElementById('traceability'),fl=gd._fullLayout,r=gd.getBoundingClientRect();"
        "var i=gd.data.findIndex(function(t){return t.meta==='groups';}),t=gd.data[i];"
        "return [r.left+fl._size.l+fl.xaxis.l2p(t.x[0]), r.top+fl._size.t+fl.yaxis.l2p(t.y[0])];})()"
    )
    browser.click_at(x, y)
    browser.wait_for(f"document.getElementById('traceability').dataset.view === {json.dumps(groups['ids'][0])}")
    assert not browser.eval("document.getElementById('graph-up').disabled")
    wanted = next(f for f in report.findings if f.query == "uncontrolled-change-caused-incident")
    browser.eval(
        "(function(){var s=document.getElementById('finding-select');s.value="
        + json.dumps(wanted.id)
        + ";s.dispatchEvent(new Event('change'));})()"
    )
    browser.wait_for(f"document.getElementById('traceability').dataset.chosen === {json.dumps(wanted.id)}")
    state = _state(browser)
    assert state["view"] == "all/uncontrolled-change-caused-incident"
    assert set(_chosen(state, "chosen-nodes")["ids"]) == {"Clause:8.5.1", *wanted.subjects}


def test_a_heatmap_click_lands_on_the_clause_that_states_the_cell(example, browser):
    _graph, page = example
    browser.open(page.as_uri(), ready=READY)
    browser.eval("document.getElementById('coverage').scrollIntoView()")
    for clause, column in (("8", "major"), ("9", "minor"), ("4.3", "areas of concern")):
        browser.eval("document.getElementById('coverage').scrollIntoView()")
        x, y, text = browser.eval(
            "(function(){var gd=document.getElementById('coverage'),fl=gd._fullLayout,r=gd.getBoundingClientRect();"
            "var h=gd.data[0],row=h.customdata.findIndex(function(c){return c[0]===" + json.dumps(clause) + "}),"
            "col=h.x.indexOf(" + json.dumps(column) + ");"
            "return [r.left+fl._size.l+fl.xaxis.l2p(col), r.top+fl._size.t+fl.yaxis.l2p(row), h.text[row][col]];})()"
        )
        browser.click_at(x, y)
        browser.wait_for(f"location.hash === '#clause-{clause}'")
        key = {"major": "major", "minor": "minor", "areas of concern": "concern"}[column]
        landed = browser.eval(
            f"(function(){{var s=document.getElementById('clause-{clause}');"
            "return [s.dataset." + key + ", s.querySelector('.statement').textContent, "
            "Math.round(s.getBoundingClientRect().top)];})()"
        )
        assert landed[0] == text, (clause, column)  # the section states the cell's count
        assert abs(landed[2]) < 5  # and the reader is looking at it
        if int(text):
            assert not landed[1].startswith(("No finding", "No canned check"))


def test_screenshots_at_1400_and_800_pixels(example, browser, tmp_path: Path):
    """The report at a desk and on a narrow window: nothing wider than the window, every figure drawn. The
    screenshots are kept in the test's folder for a reader to look at."""
    _, page = example
    for width in (1400, 800):
        browser.resize(width, 1000)
        browser.open(page.as_uri(), ready=READY)
        overflow = browser.eval("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow} px wider than a {width} px window"
        drawn = browser.eval("document.querySelectorAll('.main-svg').length")
        assert drawn >= 6
        browser.eval("document.getElementById('graph').scrollIntoView()")
        shot = tmp_path / f"report-{width}.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 30_000  # a drawn page, not a blank one


def test_the_report_prints_without_a_figure_cut(example, browser, tmp_path: Path):
    """Printed to A4 PDF as the browser's "save as PDF" does: each figure's title, its bottom lines and its right
    edge are on one page (a figure cut across pages would leave them apart, one cut at the page's edge would lose
    its right edge), and the page count is what the content needs."""
    pypdf = pytest.importorskip("pypdf")
    graph, page = example
    browser.open(page.as_uri(), ready=READY)
    pdf = tmp_path / "report.pdf"
    browser.pdf(pdf)
    pages = [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(pdf).pages]
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    rollup = rollup_of(report, stage1(report), stage2(report), graph)
    last_row = rollup.rows()[-1]
    grouped = "groups (click a group to open it)" in " ".join(pages)  # over AGGREGATE_ABOVE findings
    traceability_bottom = "group of findings (click to open)" if grouped else "relationship (arrow: its direction)"
    figures = {  # title, bottom, right edge
        # the legend's last entry: a relationship line, or (findings grouped) a group of findings
        "traceability": ("every finding", traceability_bottom, "records missing"),
        "coverage": (
            "Clause coverage (each clause",
            f"{last_row.number} {last_row.clause.title[:20]}",
            "not assessable",
        ),
        "volume": ("Incidents, changes and requests", "are not drawn:", f"{fixtures.PERIOD.as_of.isoformat()[:7]} "),
    }
    for name, (top, bottom, right) in figures.items():
        holding = [i for i, text in enumerate(pages) if top in text]
        assert holding, f"{name}: its title is not in the PDF"
        for edge in (bottom, right):
            assert edge in pages[holding[0]] + " ", f"{name} is cut: {edge!r} is not on page {holding[0] + 1}"
    # each section starts a page; the findings take what their sections need, no blank pages between
    assert all(text.strip() for text in pages)
    starts = [
        i for i, text in enumerate(pages) if re.match(r"(Traceability graph|Clause coverage|Operational volume)", text)
    ]
    assert len(starts) == 3 and starts == sorted(starts)
    assert 6 <= len(pages) <= 6 + len(rollup.sections())  # the summary, 3 figures, the findings by clause

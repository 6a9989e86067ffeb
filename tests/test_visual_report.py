"""The consultant's report: self-contained, deterministic, inert against hostile data, and it renders in Chromium."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from itsms_graph.audit.verdict import stage1, stage2
from itsms_graph.check import check_graph, visual_report
from itsms_graph.cli import cli
from itsms_graph.example import generate
from itsms_graph.graph import save_snapshot
from itsms_graph.reports.visual import coverage, focus_figure, render_visual, traceability_figure
from tests import fixtures
from tests.builders import SRC
from tests.conftest import require_tier

HOSTILE = ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>", "%{x} %{customdata[0]}"]
SIZE_BUDGET_MB = 6.0  # plotly.js alone is 4.8 MB


def hostile_graph():
    graph = fixtures.boundaries()
    for i, text in enumerate(HOSTILE):
        c = graph.add_node(
            "Change",
            f"H{i}{text}",
            {"actual_start": "2025-02-01T10:00:00", "title": None, "description": text},
            source_file=SRC,
        )
        inc = graph.add_node(
            "Incident", f"HI{i}", {"opened_at": "2025-02-02T10:00:00", "description": text}, source_file=SRC
        )
        graph.add_edge("CAUSED_BY", inc, c, source_file=SRC)
        graph.add_edge("AFFECTS", inc, "Service:S-in", source_file=SRC)
    return graph


def render(graph):
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    return render_visual(graph, report, stage1(report), stage2(report))


@pytest.fixture(scope="module")
def example_html(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    ex = generate()
    snap = save_snapshot(ex.graph, folder / "example.itsms")
    path = folder / "report.html"
    path.write_text(visual_report(snap, period=fixtures.PERIOD), encoding="utf-8")
    return path


def test_the_report_is_self_contained_and_within_budget(example_html: Path):
    html = example_html.read_text()
    ours = re.sub(r'<script type="text/javascript">.*?</script>', "", html, count=1, flags=re.S)  # minus plotly.js
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", ours)  # nothing loads from a network
    assert "<link" not in html and "@import" not in html
    assert example_html.stat().st_size / 1e6 < SIZE_BUDGET_MB
    for section in ('id="summary"', 'id="traceability"', 'id="coverage"', 'id="volume-map"', 'id="findings"'):
        assert section in html
    assert re.search(r"<code>[0-9a-f]{64}</code>", html)


def test_the_same_snapshot_gives_byte_identical_html(example_html: Path, tmp_path: Path):
    snap = example_html.parent / "example.itsms"
    again = visual_report(snap, period=fixtures.PERIOD)
    assert again.encode() == example_html.read_bytes()


def test_every_finding_has_a_section_and_a_chain(example_html: Path):
    html = example_html.read_text()
    ex = generate()
    for planted in ex.planted:
        assert f"{planted.query}:" in html
    assert html.count('<svg class="chain"') == len(ex.planted)  # Stage 1 concerns and Stage 2 findings
    assert html.count('class="show"') == len(ex.planted)  # each finding: "show in the graph" zooms onto it
    for label in ("all clauses", "every finding", "all grades"):
        assert f'"label":"{label}"' in html  # the graph's filters: grade, clause, one finding
    # two clicks: the summary's clause link leads to the clause's findings with their chains
    assert '<a href="#clause-8.5.1.3">' in html and 'id="clause-8.5.1.3"' in html


def test_hostile_text_is_escaped():
    graph = hostile_graph()
    html = render(graph)
    for text in HOSTILE[:2]:
        assert text not in html  # neither in the HTML nor in the figures' JSON
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    hover = [h for t in traceability_figure(graph, report).data for h in (t.hovertext or [])]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in h for h in hover)
    assert not any("%{" in h for h in hover)  # plotly's template syntax from data stays literal


def test_records_without_registers_say_there_is_nothing_to_trace():
    """Operational exports only (BPIC 2014's shape): no empty table, no empty figure, and the reason said."""
    graph = fixtures.missing_approvals()
    assert not graph.count("Document") and not graph.count("Service")
    html = render(graph)
    assert "<th>clause</th>" not in html and 'id="traceability"' not in html
    assert "No nonconformity and no Stage 1 area of concern in the checks the records could answer." in html
    assert "Nothing to draw: the records hold no document, no service and no finding to trace" in html
    assert "No finding in the checks the records could answer" in html
    # a clause none of whose checks could be answered is "not assessed", never "no nonconformity"
    assert '<h3 id="clause-4.3">Clause 4.3</h3><p>Not assessed: none of its ' in html
    assert "<p>No nonconformity.</p>" not in html


def test_volume_counts_every_operational_record_once_per_service():
    from itsms_graph.graph.store import SMSGraph
    from itsms_graph.reports.visual import volume_figure

    graph = SMSGraph()
    svc = graph.add_node("Service", "S1", {"name": "Payroll"}, source_file=SRC)
    ci = graph.add_node("ConfigurationItem", "CI1", {"name": "db01"}, source_file=SRC)
    graph.add_edge("PART_OF", ci, svc, source_file=SRC)
    for local, day, target in (("I1", "2025-01-03", svc), ("I2", "2025-01-09", ci), ("I3", "2025-02-01", None)):
        inc = graph.add_node("Incident", local, {"opened_at": f"{day}T10:00:00"}, source_file=SRC)
        if target:
            graph.add_edge("AFFECTS", inc, target, source_file=SRC)
    [heat] = volume_figure(graph).data
    assert list(heat.y) == ["Payroll", "(no service)"] and list(heat.x) == ["2025-01", "2025-02"]
    assert [list(row) for row in heat.z] == [[2, 0], [0, 1]]


def test_coverage_counts_documents_checks_and_findings():
    graph = fixtures.complete_sms()
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    table = coverage(graph, report)
    assert table["4.3"]["documented"] >= 1 and table["4.3"]["missing"] == 0
    assert set(table) == {c for c in table if c.count(".") <= 1}


def test_figures_for_notebooks():
    graph = fixtures.boundaries()
    report = check_graph(graph, period=fixtures.PERIOD, fail_on="none")
    fig = traceability_figure(graph, report)
    assert {t.name for t in fig.data} >= {"major findings", "major: missing"}
    assert len(focus_figure(graph, "Change:C-first", 2).data[1].x) >= 3


def test_report_and_viz_commands(tmp_path: Path):
    runner = CliRunner()
    old = save_snapshot(fixtures.complete_sms(), tmp_path / "old.itsms")
    new = save_snapshot(fixtures.complete_sms(drop=("recent_audit",)), tmp_path / "new.itsms")
    as_of = ["--as-of", "2025-06-30", "--allow-after-cutoff"]  # the fixture's records end on 2025-03-01
    result = runner.invoke(cli, ["report", str(new), "--previous", str(old), *as_of, "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r.html").read_text()
    assert 'id="diff"' in html and "internal-audit-completed:" in html
    digest = hashlib.sha256(old.read_bytes()).hexdigest()
    assert f"<td>old.itsms</td><td>previous snapshot</td><td><code>{digest}</code></td>" in html
    viz = runner.invoke(cli, ["viz", str(new), "--focus", "Service:MAIL", "-o", str(tmp_path / "v.html")])
    assert viz.exit_code == 0 and (tmp_path / "v.html").stat().st_size > 1_000_000
    bad = runner.invoke(cli, ["viz", str(new), "--focus", "Service:NOPE", "-o", str(tmp_path / "x.html")])
    assert bad.exit_code == 2 and "no node 'Service:NOPE'" in bad.output


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium")
    assert exe
    return subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=20000", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def browser():
    require_tier(
        shutil.which("chromium") is not None,
        "headless Chromium",
        "apt-get install chromium (Debian's package), as .ci/run does",
    )


def test_the_report_renders_in_chromium(browser, example_html: Path, tmp_path: Path):
    dom = chromium(["--dump-dom", example_html.as_uri()], tmp_path / "p1").stdout
    assert dom.count('class="main-svg"') >= 6  # plotly drew every figure (two svg layers each)
    assert "scatterlayer" in dom and "heatmaplayer" in dom
    shot = tmp_path / "shot.png"
    chromium([f"--screenshot={shot}", "--window-size=1200,1800", example_html.as_uri()], tmp_path / "p2")
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    blank_shot = tmp_path / "blank.png"
    chromium([f"--screenshot={blank_shot}", "--window-size=1200,1800", blank.as_uri()], tmp_path / "p3")
    assert shot.stat().st_size > 10 * blank_shot.stat().st_size  # something was drawn


def test_hostile_data_stays_inert_in_chromium(browser, tmp_path: Path):
    page = tmp_path / "hostile.html"
    page.write_text(render(hostile_graph()), encoding="utf-8")
    dom = chromium(["--dump-dom", page.as_uri()], tmp_path / "p4").stdout
    assert dom.count('class="main-svg"') >= 6
    assert not re.search(r"<img[^>]*onerror", dom)  # no element was injected
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", dom, flags=re.S)
    assert not any("alert(" in s for s in scripts[1:] if "Plotly.newPlot" not in s)  # no data became a script
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom  # the text is there, as text

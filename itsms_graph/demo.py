"""The main job on the embedded default: generate the example SMS, snapshot it, check it, write the reports."""

from __future__ import annotations

from pathlib import Path

from itsms_graph.audit.report import CheckReport
from itsms_graph.check import check, visual_report
from itsms_graph.graph.snapshot import save_snapshot
from itsms_graph.outputs import make_folder, write_text
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.reports.formats import to_json, to_markdown
from itsms_graph.reports.html import render_html


def run_demo(
    out_dir: Path, *, size: int = 1, seed: int = 20250630, backend: str = "networkx"
) -> tuple[CheckReport, list[Path]]:
    """Build the example organisation's SMS and check it; return the report and the files written."""
    from itsms_graph.example import generate

    example = generate(size=size, seed=seed)
    make_folder(out_dir)
    snapshot = save_snapshot(example.graph, out_dir / "example.itsms")
    report = check(
        snapshot,
        period=AuditPeriod.parse(example.as_of, example.period),
        backend=backend,
        fail_on="none",
        title="itsms-graph demo: the example SMS",
    )
    written = [snapshot]
    visual = visual_report(
        snapshot, period=AuditPeriod.parse(example.as_of, example.period), title="itsms-graph demo: the example SMS"
    )
    for name, text in (
        ("report.html", visual),
        ("report-plain.html", render_html(report)),
        ("report.json", to_json(report)),
        ("report.md", to_markdown(report)),
    ):
        path = out_dir / name
        write_text(path, text)
        written.append(path)
    return report, written

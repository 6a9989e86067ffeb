"""Benchmark: the consultant's HTML report, its size and build time, and how much its traceability graph draws (what
stays legible), at the example SMS, BPIC 2014 and ~1M records.

Writes benchmarks/RESULTS-report.md. Size budget: 6 MB (plotly.js alone is about 4.8 MB); the report never draws
one marker per record (findings' neighbourhoods in detail, volume aggregated per service and month). Legibility:
per view of the graph, the nodes and labels drawn and the least vertical room a label has in its column (a label
of font size 10 needs about 12 px not to overlap its neighbour).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "RESULTS-report.md"
BUDGET_MB = 6.0


def measure(kind: str, folder: Path) -> dict:
    from itsms_graph.check import visual_report
    from itsms_graph.graph.snapshot import save_snapshot
    from itsms_graph.queries.plan import AuditPeriod

    if kind == "bpic2014":
        from itsms_graph.importers import import_sources, resolve_profile

        graph, _ = import_sources(
            [(resolve_profile("bpic2014"), ROOT.parent / "shared" / "data" / "bpic2014")], keep_going=True
        )
        period = AuditPeriod.parse("2014-03-31")
    elif kind == "scenario":
        graph, period = with_findings(UNAPPROVED)
    else:
        from itsms_graph.example import generate

        example = generate(size=int(kind))
        graph, period = example.graph, AuditPeriod.parse(example.as_of, example.period)
    snap = save_snapshot(graph, folder / "s.itsms")
    nodes = graph.number_of_nodes()
    del graph
    t0 = time.perf_counter()
    html = visual_report(snap, period=period)
    seconds = time.perf_counter() - t0
    return {"nodes": nodes, "mb": len(html.encode()) / 1e6, "seconds": seconds, **legibility(snap, period)}


#: The scenario's unapproved changes, each causing an incident on an in-scope service: two findings each.
UNAPPROVED = 60


def with_findings(n: int) -> tuple[object, object]:
    """The example SMS with *n* more unapproved changes that caused incidents, spread over its live in-scope
    services: over a hundred findings, the case the graph's grouping is for."""
    import datetime as dt

    from itsms_graph.example import generate
    from itsms_graph.queries.plan import AuditPeriod

    example = generate()
    graph = example.graph
    services = sorted(s for s in graph.neighbours("Scope:SMS", "INCLUDES", "out") if graph.label_of(s) == "Service")
    for i in range(n):
        day = dt.date(2024, 8, 1) + dt.timedelta(days=5 * i)
        service = services[i % len(services)]
        change = graph.add_node(
            "Change",
            f"BENCH-C{i:03}",
            {"actual_start": f"{day}T22:00:00"},
            source_file="bench/changes.csv",
            source_row=i + 1,
        )
        graph.add_edge("AFFECTS", change, service, source_file="bench/changes.csv", source_row=i + 1)
        incident = graph.add_node(
            "Incident",
            f"BENCH-I{i:03}",
            {"opened_at": f"{day}T23:30:00"},
            source_file="bench/incidents.csv",
            source_row=i + 1,
        )
        graph.add_edge("CAUSED_BY", incident, change, source_file="bench/incidents.csv", source_row=i + 1)
        graph.add_edge("AFFECTS", incident, service, source_file="bench/incidents.csv", source_row=i + 1)
    return graph, AuditPeriod.parse(example.as_of, example.period)


def legibility(snap: Path, period: object) -> dict:
    """What the traceability graph draws: findings, views, and per view the nodes, labels and label room."""
    from itsms_graph.check import check_graph
    from itsms_graph.graph.snapshot import open_snapshot
    from itsms_graph.reports.traceability import drawn_findings, traceability_views

    graph = open_snapshot(snap)
    report = check_graph(graph, period=period, fail_on="none")  # type: ignore[arg-type]
    data = traceability_views(graph, report)
    per_view = []
    for spec in data["views"].values():
        layout = spec["layout"]
        plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        nodes = labels = 0
        columns: dict[float, int] = {}
        for trace in spec["data"]:
            if "text" not in str(trace.get("mode", "")) or str(trace.get("meta", "")).startswith("chosen"):
                continue
            nodes += len(trace["x"])
            labels += sum(1 for t in trace.get("text") or [] if t)
            for x in trace["x"]:
                columns[x] = columns.get(x, 0) + 1
        room = min((plot_px / n for n in columns.values()), default=0.0)
        per_view.append((nodes, labels, room))
    overview = per_view[list(data["views"]).index("all")]
    graded = sum(f.grade != "data-quality" for f in report.findings)
    return {
        "graded": graded,
        "drawn": len(drawn_findings(report)),
        "views": len(per_view),
        "overview": overview,
        "max_nodes": max(v[0] for v in per_view),
        "max_labels": max(v[1] for v in per_view),
        "min_room": min(v[2] for v in per_view),
    }


def main() -> None:
    if len(sys.argv) > 2:
        print(json.dumps(measure(sys.argv[1], Path(sys.argv[2]))))
        return
    rows: list[str] = []
    graph_rows: list[str] = []
    runs = (
        ("1", "example SMS"),
        ("scenario", f"example SMS + {UNAPPROVED} unapproved changes causing incidents"),
        ("bpic2014", "BPIC 2014"),
        ("81", "example SMS at size 81"),
    )
    for kind, name in runs:
        if kind == "bpic2014" and not (ROOT.parent / "shared" / "data" / "bpic2014").is_dir():
            continue
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run([sys.executable, __file__, kind, folder], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(
            f"| {name} | {r['nodes']:,} | {r['mb']:.2f} MB | {r['seconds']:.1f} s | "
            f"{'within' if r['mb'] <= BUDGET_MB else 'OVER'} |"
        )
        o = r["overview"]
        graph_rows.append(
            f"| {name} | {r['graded']:,} | {r['drawn']:,} | {r['views']} | {o[0]} / {o[1]} | "
            f"{r['max_nodes']} / {r['max_labels']} | {r['min_room']:.0f} px |"
        )
    text = "\n".join(
        [
            "# The consultant's HTML report: size and build time",
            "",
            f"Budget: {BUDGET_MB} MB per report (plotly.js, inline, is about 4.8 MB of it). Build time includes opening "
            "the snapshot, every canned query, the Stage 1 and 2 reasoning and the figures.",
            "",
            "| input | nodes | report size | build time | budget |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "## What the traceability graph draws",
            "",
            "Graded findings (data-quality apart), those drawn with their chains (at most MAX_DRAWN, the most serious "
            "first), the views the graph holds (over AGGREGATE_ABOVE = 40 findings the overview groups them by check, "
            "then by service; each view draws at most 40 chains), the nodes and labels drawn in the overview and in "
            "the fullest view, and the least vertical room a label has in its column in any view (font size 10 "
            "needs about 12 px).",
            "",
            "| input | graded findings | drawn | views | overview: nodes / labels | fullest view: nodes / labels | "
            "least label room |",
            "|---|---|---|---|---|---|---|",
            *graph_rows,
            "",
            f"Measured by `python benchmarks/report_size.py` on {platform.node() and 'this machine'} "
            f"({os.cpu_count()} cores, shared).",
            "",
        ]
    )
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

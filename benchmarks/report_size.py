"""Benchmark: the consultant's HTML report, its size and build time, at the example SMS, BPIC 2014 and ~1M records.

Writes benchmarks/RESULTS-report.md. Size budget: 6 MB (plotly.js alone is about 4.8 MB); the report never draws
one marker per record (findings' neighbourhoods in detail, volume aggregated per service and month).
"""

from __future__ import annotations

import json
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
    return {"nodes": nodes, "mb": len(html.encode()) / 1e6, "seconds": seconds}


def main() -> None:
    if len(sys.argv) > 2:
        print(json.dumps(measure(sys.argv[1], Path(sys.argv[2]))))
        return
    rows = []
    for kind, name in (("1", "example SMS"), ("bpic2014", "BPIC 2014"), ("81", "example SMS at size 81")):
        if kind == "bpic2014" and not (ROOT.parent / "shared" / "data" / "bpic2014").is_dir():
            continue
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run([sys.executable, __file__, kind, folder], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(
            f"| {name} | {r['nodes']:,} | {r['mb']:.2f} MB | {r['seconds']:.1f} s | "
            f"{'within' if r['mb'] <= BUDGET_MB else 'OVER'} |"
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
        ]
    )
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

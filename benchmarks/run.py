"""Benchmark: generate -> snapshot -> re-open -> check at the demo size and at about 1M records, with peak memory,
against duckdb computing the nine core checks in SQL in the same run. Writes benchmarks/RESULTS.md.

Run: python benchmarks/run.py [--sizes 1,75]. Each (size, side) runs in its own process, so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "RESULTS.md"
CORE = [
    "scope-statement-approved",
    "sm-policy-current",
    "service-delivered-not-in-catalogue",
    "service-delivered-outside-scope",
    "policy-without-records",
    "change-implemented-without-approval",
    "uncontrolled-change-caused-incident",
    "internal-audit-completed",
    "management-review-held",
]
TABLES = [
    "Change",
    "Approval",
    "Incident",
    "Service",
    "Scope",
    "CatalogueEntry",
    "Document",
    "Record",
    "InternalAudit",
    "ManagementReview",
    "ServiceRequest",
    "SLA",
]
COLUMNS = {
    "Change": ["actual_start"],
    "Approval": ["decision"],
    "Incident": ["opened_at"],
    "Service": ["status"],
    "Scope": ["name"],
    "CatalogueEntry": ["title"],
    "Document": ["kind", "approved_on"],
    "Record": ["kind", "recorded_on"],
    "InternalAudit": ["status", "completed_on"],
    "ManagementReview": ["held_on"],
    "ServiceRequest": ["opened_at"],
    "SLA": ["valid_from", "valid_to"],
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def itsms_side(size: int, folder: Path) -> dict:
    from itsms_graph.check import check_graph
    from itsms_graph.example import generate
    from itsms_graph.graph.snapshot import open_snapshot, save_snapshot
    from itsms_graph.queries.plan import AuditPeriod

    t0 = time.perf_counter()
    example = generate(size=size)
    t1 = time.perf_counter()
    graph = example.graph
    snap = save_snapshot(graph, folder / "bench.itsms")
    t2 = time.perf_counter()
    period = AuditPeriod.parse(example.as_of, example.period)
    report = check_graph(graph, period=period, query_ids=CORE)
    t3 = time.perf_counter()
    full = check_graph(graph, period=period)
    t4 = time.perf_counter()
    rows = {r.query.id: [list(x) for x in r.rows] for r in report.results}
    # the peer's input: the same records as plain CSV tables, written outside the timed sections
    for label in TABLES:
        with (folder / f"{label}.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", *COLUMNS[label]])
            for nid in graph.nodes(label):
                attrs = graph.nx.nodes[nid]
                w.writerow([nid, *("" if attrs.get(c) is None else attrs.get(c) for c in COLUMNS[label])])
    with (folder / "edges.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["src", "dst", "type"])
        for rel in ("APPROVES", "AFFECTS", "CAUSED_BY", "INCLUDES", "DESCRIBES", "EVIDENCES", "COVERS"):
            w.writerows((s, t, rel) for s, t in graph.edges(rel))
    nodes, edges = graph.nx.number_of_nodes(), graph.nx.number_of_edges()
    del graph, example, report, full
    t5 = time.perf_counter()
    reopened = open_snapshot(snap)
    t6 = time.perf_counter()
    assert reopened.nx.number_of_nodes() == nodes
    return {
        "nodes": nodes,
        "edges": edges,
        "generate_s": t1 - t0,
        "save_s": t2 - t1,
        "snapshot_mb": snap.stat().st_size / 1e6,
        "check9_s": t3 - t2,
        "check_all_s": t4 - t3,
        "reopen_s": t6 - t5,
        "peak_mb": peak_mb(),
        "rows": rows,
    }


def duckdb_side(folder: Path) -> dict:
    import duckdb

    from itsms_graph.queries.plan import AuditPeriod

    period = AuditPeriod.parse("2025-06-30", "12M")
    start, end = period.start.isoformat(), period.end_exclusive.isoformat()
    start_dt, end_dt = start + "T00:00:00", end + "T00:00:00"
    con = duckdb.connect()
    t0 = time.perf_counter()
    for label in TABLES:
        con.execute(
            f"CREATE TABLE {label} AS SELECT * FROM read_csv(?, header=true, all_varchar=true)",
            [str(folder / f"{label}.csv")],
        )
    con.execute(
        "CREATE TABLE edges AS SELECT * FROM read_csv(?, header=true, all_varchar=true)", [str(folder / "edges.csv")]
    )
    t1 = time.perf_counter()
    delivered = f"""(
        SELECT e.dst AS s FROM edges e JOIN Incident i ON i.id = e.src AND e.type = 'AFFECTS'
          WHERE i.opened_at >= '{start_dt}' AND i.opened_at < '{end_dt}'
        UNION SELECT e.dst FROM edges e JOIN Change c ON c.id = e.src AND e.type = 'AFFECTS'
          WHERE c.actual_start >= '{start_dt}' AND c.actual_start < '{end_dt}'
        UNION SELECT e.dst FROM edges e JOIN ServiceRequest r ON r.id = e.src AND e.type = 'AFFECTS'
          WHERE r.opened_at >= '{start_dt}' AND r.opened_at < '{end_dt}'
        UNION SELECT e.dst FROM edges e JOIN SLA a ON a.id = e.src AND e.type = 'COVERS'
          WHERE a.valid_from <= '{period.as_of}' AND a.valid_to >= '{start}')"""
    catalogued = "(SELECT dst FROM edges WHERE type = 'DESCRIBES')"
    in_scope = "(SELECT dst FROM edges WHERE type = 'INCLUDES' AND src LIKE 'Scope:%')"
    approved = (
        "(SELECT e.dst FROM edges e JOIN Approval a ON a.id = e.src "
        "WHERE e.type = 'APPROVES' AND a.decision = 'approved')"
    )
    sql = {
        "scope-statement-approved": f"SELECT id FROM Document WHERE kind = 'scope_statement' AND approved_on <= "
        f"'{period.as_of}'",
        "sm-policy-current": f"SELECT id FROM Document WHERE kind = 'sm_policy' AND approved_on <= '{period.as_of}' "
        "AND approved_on > '2024-06-30'",
        "service-delivered-not-in-catalogue": f"SELECT id FROM Service WHERE id IN {delivered} "
        f"AND id NOT IN {catalogued}",
        "service-delivered-outside-scope": f"SELECT id FROM Service WHERE id IN {delivered} AND id IN {catalogued} "
        f"AND id NOT IN {in_scope}",
        "policy-without-records": f"""SELECT d.id FROM Document d WHERE d.kind IN ('sm_policy', 'change_policy',
            'infosec_policy', 'release_policy', 'policy') AND d.approved_on <= '{period.as_of}' AND d.id NOT IN (
            SELECT e.dst FROM edges e JOIN Record r ON r.id = e.src WHERE e.type = 'EVIDENCES'
            AND r.recorded_on >= '{start}' AND r.recorded_on < '{end}')""",
        "change-implemented-without-approval": f"SELECT id FROM Change WHERE actual_start >= '{start_dt}' "
        f"AND actual_start < '{end_dt}' AND id NOT IN {approved}",
        "uncontrolled-change-caused-incident": f"""SELECT DISTINCT c.id, i.id, s.id FROM Change c
            JOIN edges cb ON cb.dst = c.id AND cb.type = 'CAUSED_BY' JOIN Incident i ON i.id = cb.src
            JOIN edges af ON af.src = i.id AND af.type = 'AFFECTS' JOIN Service s ON s.id = af.dst
            WHERE c.actual_start IS NOT NULL AND i.opened_at >= '{start_dt}' AND i.opened_at < '{end_dt}'
            AND s.id IN {in_scope} AND c.id NOT IN {approved}""",
        "internal-audit-completed": f"SELECT id FROM InternalAudit WHERE status = 'completed' AND completed_on <= "
        f"'{period.as_of}' AND completed_on > '2024-06-30'",
        "management-review-held": f"SELECT id FROM ManagementReview WHERE held_on <= '{period.as_of}' "
        "AND held_on > '2024-06-30'",
    }
    rows = {q: sorted([list(r) for r in con.execute(s).fetchall()]) for q, s in sql.items()}
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "check9_s": t2 - t1, "peak_mb": peak_mb(), "rows": rows}


def run_side(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,75")
    parser.add_argument("--side", choices=["itsms", "duckdb"])
    parser.add_argument("--size", type=int)
    parser.add_argument("--folder")
    ns = parser.parse_args()
    if ns.side == "itsms":
        print(json.dumps(itsms_side(ns.size, Path(ns.folder))))
        return
    if ns.side == "duckdb":
        print(json.dumps(duckdb_side(Path(ns.folder))))
        return
    import duckdb

    import itsms_graph

    lines = [
        "# Benchmarks: generate, snapshot, check, against duckdb",
        "",
        f"Machine: {platform.machine()}, {Path('/proc/cpuinfo').read_text().count('processor')} cores, Python "
        f"{platform.python_version()}, itsms-graph {itsms_graph.__version__}, duckdb {duckdb.__version__}. "
        "Noisy shared machine: read the ratios, measured in the same run, not the absolute seconds.",
        "",
        "'generate' builds the example SMS through the validating graph store (every record becomes a node or edge "
        "checked against the ontology: the import path without file parsing; file imports are measured in "
        "RESULTS-bpic2014.md). The duckdb peer reads the same records as CSV tables and computes the nine core "
        "checks in SQL; its result rows are compared with the networkx engine's.",
        "",
    ]
    for size in (int(s) for s in ns.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            its = run_side(["--side", "itsms", "--size", str(size), "--folder", folder])
            duck = run_side(["--side", "duckdb", "--folder", folder])
        same = all(sorted(its["rows"][q]) == duck["rows"][q] for q in CORE)
        lines += [
            f"## size {size}: {its['nodes']:,} nodes, {its['edges']:,} edges",
            "",
            "| step | itsms-graph (networkx) | duckdb |",
            "|---|---|---|",
            f"| build / load | generate {its['generate_s']:.2f} s | read CSVs {duck['load_s']:.2f} s |",
            f"| nine core checks | {its['check9_s']:.2f} s | {duck['check9_s']:.3f} s |",
            f"| all {52} canned queries | {its['check_all_s']:.2f} s | |",
            f"| snapshot save / re-open | {its['save_s']:.2f} s / {its['reopen_s']:.2f} s "
            f"({its['snapshot_mb']:.1f} MB) | |",
            f"| peak RSS | {its['peak_mb']:.0f} MB | {duck['peak_mb']:.0f} MB |",
            "",
            f"- nine checks: networkx / duckdb = **{its['check9_s'] / duck['check9_s']:.1f}x**; "
            f"build + checks: **{(its['generate_s'] + its['check9_s']) / (duck['load_s'] + duck['check9_s']):.1f}x**; "
            f"memory **{its['peak_mb'] / duck['peak_mb']:.1f}x**",
            f"- snapshot re-open is **{its['generate_s'] / its['reopen_s']:.1f}x** faster than building the graph "
            "again",
            f"- the nine checks return the same rows on both: **{'yes' if same else 'NO'}**",
            "",
        ]
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

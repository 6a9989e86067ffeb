"""`neo4j push`'s path measured into an embedded FalkorDB (#16.3): rows a second, client and server memory, per size.

For each size the generated example SMS (``generate(size)``) is saved as a snapshot once, in a process of its own
(untimed); then each of ``--runs`` runs is a fresh process: timed, the snapshot is opened as the graph tables
(``open_snapshot_tables``, what ``neo4j push`` does: the Python graph is never built) and pushed with
``itsms_graph.exports.push.push`` (batched ``UNWIND`` statements, the counts read back) into a fresh embedded
FalkorDB. The client's peak RSS is sampled every 10 ms; the server (a process of its own) is measured after the
push. A client memory flat in the number of records is the "streamed" claim.

``--snapshots`` pushes snapshots made beforehand as well (BPIC 2014 x15, 10.4M records, made by
``benchmarks/snapshots.py``), once each, the same way.

Run: python benchmarks/push.py [--sizes 8,81] [--runs 3] [--snapshots PATH,...] [--out benchmarks/RESULTS-push.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from itsms_graph.exports import PUSH_BATCH  # noqa: E402  (light: the package's constants only)

MB = 1024 * 1024
GOAL_ROWS_PER_S = 50_000
GOAL_RECORDS = 1_000_000


def make(size: int, snap: Path) -> None:
    """The generated example SMS of *size* saved as the snapshot *snap* (a process of its own, untimed)."""
    from run import SEED

    from itsms_graph.example import generate
    from itsms_graph.graph import save_snapshot

    save_snapshot(generate(size, seed=SEED).graph, snap)


def worker(snap: Path, name: str, result: Path, batch_size: int) -> None:
    import psutil
    from run import Memory

    from itsms_graph.engines.cypher.falkordb import FalkorDBEngine
    from itsms_graph.exports.push import push
    from itsms_graph.graph.snapshot import open_snapshot_tables

    with tempfile.TemporaryDirectory(prefix="itsms-push-") as tmp:
        memory = Memory()
        engine = FalkorDBEngine(db_file=Path(tmp) / "falkordb.db")
        server = psutil.Process(engine._db.client.pid) if getattr(engine._db, "client", None) else None
        server_cpu0 = sum(server.cpu_times()[:2]) if server else 0.0
        before = memory.mark()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        tables = open_snapshot_tables(snap)
        opened = time.perf_counter() - wall0
        pushed = push(engine, tables, [], batch_size=batch_size)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        rows = sum(pushed.expected.values())
        out = {
            "size": name,
            "nodes": tables.number_of_nodes(),
            "rows": rows,
            "ok": pushed.ok,
            "open_s": opened,
            "wall_s": wall,
            "client_cpu_s": cpu,
            "server_cpu_s": (sum(server.cpu_times()[:2]) - server_cpu0) if server else None,
            "client_before_mb": before / MB,
            "client_peak_mb": memory.peak() / MB,
            "server_rss_mb": Memory.rss_of(server.pid if server else None) / MB,
        }
        tables.close()
        engine.close()
    result.write_text(json.dumps(out), encoding="utf-8")


def render(results: list[dict], argv: str, batch_size: int) -> str:
    load = os.getloadavg()[0]
    default = " (the command's default)" if batch_size == PUSH_BATCH else ""
    lines = [
        "# `neo4j push`'s path into FalkorDB: rows a second and memory",
        "",
        f"Written by `{argv}` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {load:.1f} at the end (the machine is shared: the wall time carries "
        f"the other jobs' load, the CPU times much less). Batches of {batch_size:,} rows{default}. "
        "The snapshot made once per size, untimed; then each run a fresh process, timed from opening the snapshot "
        "as the graph tables to the counts read back (what `itsms-graph neo4j push` does after its checks), into a "
        "fresh embedded FalkorDB (falkordblite) on this machine: client and server share its cores.",
        "",
        "| input | run | nodes | rows (nodes + relationships) | open s | push wall s | rows/s (wall) | client CPU s | "
        "server CPU s | client RSS before / peak MiB | server RSS MiB | counts read back equal |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    failed = [r for r in results if "failed" in r]
    results = [r for r in results if "failed" not in r]
    for r in results:
        server_cpu = f"{r['server_cpu_s']:.1f}" if r["server_cpu_s"] is not None else "n/a"
        lines.append(
            f"| {r['size']} | {r['run']} | {r['nodes']:,} | {r['rows']:,} | {r['open_s']:.1f} | {r['wall_s']:.1f} | "
            f"{r['rows'] / r['wall_s']:,.0f} | {r['client_cpu_s']:.1f} | {server_cpu} | "
            f"{r['client_before_mb']:.0f} / {r['client_peak_mb']:.0f} | {r['server_rss_mb']:.0f} | "
            f"{'yes' if r['ok'] else '**no**'} |"
        )
    lines += [f"| {r['size']} | {r['run']} | **did not complete**: {r['failed']} |" + " |" * 9 for r in failed]
    by_input: dict[str, list[dict]] = {}
    for r in results:
        by_input.setdefault(str(r["size"]), []).append(r)
    goal_runs = min(by_input.values(), key=lambda runs: abs(runs[0]["nodes"] - GOAL_RECORDS))
    rates = sorted(r["rows"] / r["wall_s"] for r in goal_runs)
    median = statistics.median(rates)
    first = goal_runs[0]
    lines += [
        "",
        f"At {first['nodes']:,} records ({first['rows']:,} rows), {len(rates)} runs: **{median:,.0f} rows/s** of wall "
        f"time (median; min {rates[0]:,.0f}, max {rates[-1]:,.0f}) against the goal of {GOAL_ROWS_PER_S:,} "
        f"({'met' if median >= GOAL_ROWS_PER_S else 'missed'}).",
    ]
    big = max(results, key=lambda r: r["rows"])
    if big["rows"] > first["rows"]:
        lines.append(
            f"At {big['nodes']:,} records ({big['rows']:,} rows): {big['rows'] / big['wall_s']:,.0f} rows/s; the "
            f"server held {big['server_rss_mb']:,.0f} MiB; the client's peak while pushing was "
            f"{big['client_peak_mb'] - big['client_before_mb']:.0f} MiB above what it held before, against "
            f"{first['client_peak_mb'] - first['client_before_mb']:.0f} MiB at {first['rows']:,} rows "
            f"({big['rows'] / first['rows']:.1f}x the rows): the duckdb of the opened tables (within its memory "
            "limit) and two batches made ahead of the one being written."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,81", help="example sizes (81: about a million nodes)")
    parser.add_argument("--snapshots", default="", help="snapshots made beforehand, pushed too (comma-separated)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each generated size (a snapshot: one)")
    parser.add_argument("--batch-size", type=int, default=PUSH_BATCH)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-push.md")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--make", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.make is not None:
        make(ns.make, ns.result)
        return
    if ns.worker is not None:
        worker(ns.worker, ns.name, ns.result, ns.batch_size)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        for size in (int(s) for s in ns.sizes.split(",") if s):
            snap = Path(tmp) / f"generated-{size}.itsms"
            print(f"making size {size}", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, __file__, "--make", str(size), "--result", str(snap)], check=True)
            inputs.append((snap, str(size), ns.runs))
        inputs += [(Path(s), Path(s).name, 1) for s in ns.snapshots.split(",") if s]
        for snap, name, runs in inputs:
            for run in range(1, runs + 1):
                print(f"pushing {name}, run {run}", file=sys.stderr, flush=True)
                result = Path(tmp) / "result.json"
                cmd = [sys.executable, __file__, "--worker", str(snap), "--name", name, "--result", str(result)]
                done = subprocess.run([*cmd, "--batch-size", str(ns.batch_size)], capture_output=True, text=True)
                if done.returncode:  # written down, not lost with the other runs
                    why = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
                    print(done.stderr, file=sys.stderr)
                    results.append({"size": name, "run": run, "failed": f"exit {done.returncode}: {why[:200]}"})
                else:
                    results.append({**json.loads(result.read_text(encoding="utf-8")), "run": run})
            if snap.parent == Path(tmp):
                snap.unlink()
    text = render(results, "python benchmarks/push.py " + " ".join(sys.argv[1:]), ns.batch_size)
    tmp_out = ns.out.with_suffix(".tmp")
    tmp_out.write_text(text, encoding="utf-8")
    tmp_out.replace(ns.out)
    print(text)


if __name__ == "__main__":
    main()

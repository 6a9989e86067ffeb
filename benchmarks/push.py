"""`neo4j push`'s path measured into an embedded FalkorDB (#16.3): rows a second, client and server memory, per size.

Each size runs in a fresh process: the generated example SMS (``generate(size)``) is saved as a snapshot and let go;
then, timed, the snapshot is opened as the graph tables (``open_snapshot_tables``, what ``neo4j push`` does: the
Python graph is never built) and pushed with ``itsms_graph.exports.push.push`` (batched ``UNWIND ... MERGE``, the
counts read back) into a fresh embedded FalkorDB. The client's peak RSS is sampled every 10 ms; the server (a
process of its own) is measured after the push. A flat client memory across sizes is the "streamed" claim.

Run: python benchmarks/push.py [--sizes 8,81] [--out benchmarks/RESULTS-push.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MB = 1024 * 1024
GOAL_ROWS_PER_S = 50_000


def worker(size: int, result: Path, batch_size: int) -> None:
    import gc

    import psutil
    from run import SEED, Memory

    from itsms_graph.engines.cypher.falkordb import FalkorDBEngine
    from itsms_graph.example import generate
    from itsms_graph.exports.push import push
    from itsms_graph.graph import save_snapshot
    from itsms_graph.graph.snapshot import open_snapshot_tables

    with tempfile.TemporaryDirectory(prefix="itsms-push-") as tmp:
        snap = Path(tmp) / "sms.itsms"
        example = generate(size, seed=SEED)
        save_snapshot(example.graph, snap)
        del example
        gc.collect()
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
            "size": size,
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
    lines = [
        "# `neo4j push`'s path into FalkorDB: rows a second and memory",
        "",
        f"Written by `{argv}` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {load:.1f} at the end (the machine is shared: the wall time carries "
        f"the other jobs' load, the CPU times much less). Batches of {batch_size:,} rows. Each size in a fresh "
        "process; timed from opening the snapshot as the graph tables to the counts read back (what `itsms-graph "
        "neo4j push` does after its checks), into a fresh embedded FalkorDB (falkordblite).",
        "",
        "| size | nodes | rows (nodes + relationships) | open s | push wall s | rows/s (wall) | client CPU s | "
        "server CPU s | client RSS before / peak MiB | server RSS MiB | counts read back equal |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        server_cpu = f"{r['server_cpu_s']:.1f}" if r["server_cpu_s"] is not None else "n/a"
        lines.append(
            f"| {r['size']} | {r['nodes']:,} | {r['rows']:,} | {r['open_s']:.1f} | {r['wall_s']:.1f} | "
            f"{r['rows'] / r['wall_s']:,.0f} | {r['client_cpu_s']:.1f} | {server_cpu} | "
            f"{r['client_before_mb']:.0f} / {r['client_peak_mb']:.0f} | {r['server_rss_mb']:.0f} | "
            f"{'yes' if r['ok'] else '**no**'} |"
        )
    big = max(results, key=lambda r: r["rows"])
    rate = big["rows"] / big["wall_s"]
    cpu_rate = big["rows"] / max(big["client_cpu_s"], big["server_cpu_s"] or 0.0)
    lines += [
        "",
        f"At {big['rows']:,} rows: **{rate:,.0f} rows/s** of wall time against the goal of {GOAL_ROWS_PER_S:,} "
        f"({'met' if rate >= GOAL_ROWS_PER_S else 'missed'}); the busier of client and server spent "
        f"{max(big['client_cpu_s'], big['server_cpu_s'] or 0.0):.1f} s of CPU, {cpu_rate:,.0f} rows per CPU second "
        "(what an idle machine would approach, the two processes working in turn).",
    ]
    if len(results) > 1:
        small = min(results, key=lambda r: r["rows"])
        grow = (big["client_peak_mb"] - big["client_before_mb"]) / max(
            1.0, small["client_peak_mb"] - small["client_before_mb"]
        )
        lines.append(
            f"The client's memory while pushing grew {grow:.1f}x for {big['rows'] / small['rows']:.0f}x the rows "
            f"({small['client_peak_mb'] - small['client_before_mb']:.0f} MiB to "
            f"{big['client_peak_mb'] - big['client_before_mb']:.0f} MiB above what it held before): the duckdb of "
            "the opened tables (within its memory limit) and one batch at a time."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,81", help="example sizes (81: about a million nodes)")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-push.md")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.worker is not None:
        worker(ns.worker, ns.result, ns.batch_size)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in ns.sizes.split(",")):
            print(f"size {size}", file=sys.stderr, flush=True)
            result = Path(tmp) / f"{size}.json"
            cmd = [sys.executable, __file__, "--worker", str(size), "--result", str(result)]
            subprocess.run([*cmd, "--batch-size", str(ns.batch_size)], check=True)
            results.append(json.loads(result.read_text(encoding="utf-8")))
    text = render(results, "python benchmarks/push.py " + " ".join(sys.argv[1:]), ns.batch_size)
    tmp_out = ns.out.with_suffix(".tmp")
    tmp_out.write_text(text, encoding="utf-8")
    tmp_out.replace(ns.out)
    print(text)


if __name__ == "__main__":
    main()

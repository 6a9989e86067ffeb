"""Whole commands, as a user waits for them: `itsms-graph check -p bpic2014` on BPIC 2014 x1, x4 and x8 (the copies
of benchmarks/bpic_copies.py), from process start to exit, against duckdb reading the same files and computing the
same checks (tests/independent.py's bpic_expected: each of the eight queries a check of BPIC 2014 can assess,
the other 87 being not assessable for want of their labels) in a process of its own, the two alternated run by
run so that a busy machine slows both alike.

Per command and size: wall seconds, CPU seconds (user + system of the child: what the machine's other jobs do not
inflate) and peak RSS (the child's ru_maxrss, from wait4), each min / median / max; the ratio of the medians to
duckdb's; and the exponent of time and memory in the size (log(x8 / x1) / log 8: 1.0 is linear).

Goals (#16.5): the default path (`check -p`, graph tables on duckdb) <= 2.5x duckdb, peak <= 800 MiB at x1; x8
completes within a 1 GiB duckdb memory limit.

Run: python benchmarks/commands.py [--sizes 1,4,8] [--runs 3] [--out benchmarks/RESULTS-commands.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bpic_copies import DATA, make  # noqa: E402


def _exe() -> str:
    return str(Path(sys.executable).parent / "itsms-graph")


def run(argv: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """One process: wall and CPU seconds, peak RSS in MiB, exit code."""
    start = time.perf_counter()
    child = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, cwd=ROOT
    )
    assert child.stderr is not None
    err = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}: {err.decode(errors='replace')[-400:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024, "code": code}


def commands(folder: Path, memory: str | None) -> dict[str, list[str]]:
    """The commands alternated at one size: itsms-graph's `check -p` (with *memory* as its duckdb memory limit,
    None: its default, an import's) and the peer."""
    limit = [] if memory is None else ["--duckdb-memory", memory]
    check = [_exe(), *limit, "check", "-p", "bpic2014", str(folder), "--keep-going"]
    check += ["--as-of", "2014-03-31", "--fail-on", "none", "--format", "json"]
    baseline = [
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.independent import bpic_expected; "
        f"bpic_expected(__import__('pathlib').Path({str(folder)!r}))",
    ]
    return {"duckdb (baseline)": baseline, "check -p (default: tables, duckdb)": check}


def _stats(values: list[float], digits: int = 1) -> str:
    return f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f} / {max(values):.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1,4,8")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-runs", type=int, default=1, help="runs at the sizes above 1 (each takes minutes)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-commands.md")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "itsms-bench-bpic")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is not here")
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, list[dict[str, float]]]] = {}
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    for size in sizes:
        folder = DATA if size == 1 else make(size, args.work / f"x{size}")
        memory = "1GB" if size >= 8 else None
        cmds = commands(folder, memory)
        results[size] = {name: [] for name in cmds}
        for _ in range(args.runs if size == 1 else args.big_runs):  # alternated: each round runs each command once
            for name, argv in cmds.items():
                results[size][name].append(run(argv))
                print(size, name, results[size][name][-1], flush=True)
    load = os.getloadavg()
    lines = [
        "# Whole commands on BPIC 2014 x1 / x4 / x8, against duckdb in the same run",
        "",
        f"Written by `benchmarks/commands.py` ({started}): Python {platform.python_version()}, {os.cpu_count()} "
        f"cores, load average {load[0]:.1f} at the end (the machine is shared: wall times carry the other jobs' "
        "load, CPU times much less). Each command is a process of its own, from start to exit; the commands "
        f"alternate run by run, {args.runs} runs each at x1 and {args.big_runs} above; min / median / max. x8 runs "
        "with `--duckdb-memory 1GB`, "
        "the others with the default (an import's: 600MB).",
        "",
        "| size | command | wall s | CPU s | peak RSS MiB | wall / duckdb | CPU / duckdb |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, by in results.items():
        base = by["duckdb (baseline)"]
        for name, runs in by.items():
            wall, cpu, rss = ([r[k] for r in runs] for k in ("wall", "cpu", "rss"))
            ratio_w = statistics.median(wall) / statistics.median([r["wall"] for r in base])
            ratio_c = statistics.median(cpu) / statistics.median([r["cpu"] for r in base])
            lines.append(
                f"| x{size} | `{name}` | {_stats(wall)} | {_stats(cpu)} | {_stats(rss, 0)} | {ratio_w:.2f}x | "
                f"{ratio_c:.2f}x |"
            )
    if 1 in results and max(results) > 1:
        big = max(results)
        lines += ["", f"Exponents in the size (x1 to x{big}; 1.0 is linear):", ""]
        for name in results[1]:

            def med(size: int, key: str, name: str = name) -> float:
                return statistics.median(r[key] for r in results[size][name])

            exps = {key: math.log(med(big, key) / med(1, key)) / math.log(big) for key in ("cpu", "rss")}
            lines.append(f"- `{name}`: CPU time {exps['cpu']:.2f}, peak memory {exps['rss']:.2f}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

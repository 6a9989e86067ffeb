"""Whole-process start-up of the command line: `itsms-graph --help` and `itsms-graph query list`, from process start
to exit, against the interpreter's own start (`python -c pass`), the three alternated run by run so that a busy
machine slows all of them alike. Wall time and CPU time (user + system, of the child) per run; min/median/max.

Goals (#16.4): --help < 0.3 s, query list < 0.5 s on 2 cores (wall, median).

Run: python benchmarks/startup.py [--runs 15] [--out benchmarks/RESULTS-startup.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: the goal of each command's median wall time, in seconds (None: the baseline, no goal)
GOALS = {"python -c pass": None, "itsms-graph --help": 0.3, "itsms-graph query list": 0.5}


def _command_line() -> list[str]:
    """The installed entry point beside this interpreter (as a user runs it), else the one on PATH."""
    beside = Path(sys.executable).parent / "itsms-graph"
    found = str(beside) if beside.exists() else shutil.which("itsms-graph")
    if found is None:
        sys.exit("itsms-graph is not installed (make install)")
    return [found]


#: The commands run as an installed package runs: with its bytecode cached (pip compiles it on install; the
#: warm-up writes it for an editable install). A PYTHONDONTWRITEBYTECODE in the environment would have every run
#: compile the package's modules from source, 0.05 s that no user pays.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(argv: list[str]) -> tuple[float, float]:
    """One run: (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(runs: int) -> dict[str, dict[str, list[float]]]:
    exe = _command_line()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "itsms-graph --help": [*exe, "--help"],
        "itsms-graph query list": [*exe, "query", "list"],
    }
    results: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in commands}
    for argv in commands.values():  # one warm-up each: the file cache and the bytecode, not the first run's
        _run(argv)
    for _ in range(runs):
        for name, argv in commands.items():
            wall, cpu = _run(argv)
            results[name]["wall"].append(wall)
            results[name]["cpu"].append(cpu)
    return results


def _stats(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def report(results: dict[str, dict[str, list[float]]], runs: int) -> str:
    load = os.getloadavg()
    lines = [
        "# Start-up of the command line (whole process)",
        "",
        f"Written by `benchmarks/startup.py` on {dt.date.today().isoformat()}: Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} at the end (other jobs share the machine: the "
        f"commands are alternated run by run, so each gets the same share). {runs} runs each after one warm-up; "
        "seconds, min / median / max.",
        "",
        "| command | wall | CPU (user + system) | goal | met by the wall median | met by the CPU median |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        goal = GOALS[name]
        cells = ["", "", ""]
        if goal is not None:
            cells = [f"< {goal} s", *("yes" if statistics.median(r[k]) < goal else "**no**" for k in ("wall", "cpu"))]
        lines.append(f"| `{name}` | {_stats(r['wall'])} | {_stats(r['cpu'])} | {' | '.join(cells)} |")
    lines += [
        "",
        "On a machine other jobs load, the wall time is the CPU time plus the wait for a core; the CPU time is what "
        "the command itself costs, and what it takes on an idle machine.",
        "",
        "`--help` imports click and the command modules only (no engine, no data library, no ontology: "
        "`tests/test_startup.py`); `query list` also reads the ontology (as derived from the Turtle files into ontology/derived.json: no "
        "rdflib) and validates the "
        f"{len(list((HERE.parent / 'queries').glob('*.yaml')))} query files (pydantic), parsed with libyaml's safe loader.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-startup.md")
    args = parser.parse_args()
    text = report(measure(args.runs), args.runs)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)  # atomic: a reader never sees half a file
    print(text)


if __name__ == "__main__":
    main()

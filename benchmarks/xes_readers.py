"""Which reader reads an XES log: lxml's iterparse, Python's own (expat) iterparse, rustxes, pm4py, measured on a
~100k-event log the project generates (itsms_graph/example/eventlog.py), and the whole import of it through the
event-log profile. Writes benchmarks/RESULTS-xes.md.

Each measurement runs in a fresh process (its peak RSS is its own), three rounds, the median reported. rustxes and
pm4py are not dependencies of itsms-graph: give a Python that has them with --other-python (they are reported as
not installed otherwise).

    .venv/bin/python benchmarks/xes_readers.py [--incidents 21000] [--other-python /path/to/python]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS-xes.md"

_ROWS = "from itsms_graph.importers.eventlogs import xes_rows"
#: The same reading of traces into rows (eventlogs._trace_rows) driven by lxml's iterparse, handed only the traces
_LXML = """
from lxml import etree
from itsms_graph.importers.eventlogs import _trace_rows
def lxml_rows(path):
    with open(path, "rb") as fh:
        for _, trace in etree.iterparse(fh, events=("end",), tag=("trace", "{http://www.xes-standard.org/}trace"),
                                        resolve_entities=False, no_network=True):
            yield from _trace_rows(trace)
            trace.clear()
            while trace.getprevious() is not None:
                del trace.getparent()[0]
"""
#: name -> (which Python runs it: "project" or "other", what is loaded before the clock starts, the statement
#: that reads the log at P into N rows)
READERS = {
    "xml.etree.ElementTree.iterparse, expat (itsms-graph's reader)": (
        "project",
        _ROWS,
        "N = sum(1 for _ in xes_rows(P))",
    ),
    "lxml.iterparse, the traces only (tag filter)": ("project", _LXML, "N = sum(1 for _ in lxml_rows(P))"),
    "rustxes.import_xes (Rust, to a polars DataFrame)": (
        "other",
        "import rustxes",
        "frame, _ = rustxes.import_xes(str(P))\nN = frame.height",
    ),
    "pm4py.read_xes (to a pandas DataFrame)": (
        "other",
        "import pm4py",
        "frame = pm4py.read_xes(str(P))\nN = len(frame)",
    ),
}
#: the whole import through the event-log profile, and of the same log's CSV for comparison
IMPORTS = {
    "import -p event-log, the XES log": "xes",
    "import -p event-log, the same log as events.csv": "csv",
}

_PROBE = """
import json, resource, sys, time
from pathlib import Path
P = Path(sys.argv[1])
{setup}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
{statement}
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"rows": N, "seconds": seconds, "peak_mb": peak / 1024, "base_mb": base / 1024}}))
"""


def _run(python: str, setup: str, statement: str, target: Path) -> dict[str, float] | str:
    code = _PROBE.format(setup=setup, statement=textwrap.indent(statement, ""))
    done = subprocess.run([python, "-c", code, str(target)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return "not installed" if "ModuleNotFoundError" in last else last[:120]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=21000, help="incidents in the generated log")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--other-python", default=sys.executable, help="a Python with rustxes and pm4py")
    args = parser.parse_args()

    from itsms_graph.example.eventlog import make_log, write_xes, write_xes_csv

    with tempfile.TemporaryDirectory(prefix="xes-bench-") as tmp:
        folder = Path(tmp)
        log = make_log(args.incidents)
        xes_dir, csv_dir = folder / "xes", folder / "csv"
        xes_dir.mkdir()
        csv_dir.mkdir()
        xes = write_xes(log, xes_dir / "events.xes")
        write_xes_csv(log, csv_dir / "events.csv")
        events = sum(len(t.events) for t in log if t.kind == "Incident")
        size_mb = xes.stat().st_size / 1e6
        rows: list[tuple[str, str]] = []
        # the rounds go round the readers, so that the machine's load in a round falls on each of them
        runs: dict[str, list[dict[str, float] | str]] = {name: [] for name in READERS}
        for _ in range(args.rounds):
            for name, (which, setup, statement) in READERS.items():
                python = sys.executable if which == "project" else args.other_python
                runs[name].append(_run(python, setup, statement, xes))
        for name, results in runs.items():
            measured = [r for r in results if isinstance(r, dict)]
            if len(measured) < len(results):
                rows.append((name, next(str(r) for r in results if not isinstance(r, dict))))
                continue
            m = _median(measured)  # type: ignore[arg-type]
            rows.append(
                (
                    name,
                    f"{int(m['rows']):,} rows | {m['seconds']:.2f} s | {m['peak_mb']:.0f} MB "
                    f"({m['peak_mb'] - m['base_mb']:+.0f} MB over the loaded interpreter)",
                )
            )
            print(name, rows[-1][1], flush=True)
        imports: list[tuple[str, str]] = []
        for name, kind in IMPORTS.items():
            setup = (
                "from itsms_graph.importers import import_tables, resolve_profile\n"
                "from itsms_graph.ontology import schema\n"
                "schema()\n"
                "profile = resolve_profile('event-log')"
            )
            statement = "tables, report = import_tables([(profile, P)])\nN = sum(f.rows_read for f in report.files)"
            target = xes_dir if kind == "xes" else csv_dir
            results = [_run(sys.executable, setup, statement, target) for _ in range(args.rounds)]
            measured = [r for r in results if isinstance(r, dict)]
            if len(measured) < len(results):
                imports.append((name, str(results[0])))
                continue
            m = _median(measured)
            imports.append((name, f"{int(m['rows']):,} rows read | {m['seconds']:.2f} s | {m['peak_mb']:.0f} MB"))
            print(name, imports[-1][1], flush=True)

    lines = [
        "# Reading XES: which reader",
        "",
        f"A log of {events:,} events ({args.incidents:,} incidents; {size_mb:.1f} MB of XES) generated by "
        "`itsms_graph/example/eventlog.py`, read by each candidate in a fresh process: the median of "
        f"{args.rounds} rounds, wall time of the read alone, and the process's peak RSS (and how much the read "
        "added to the interpreter with its libraries loaded). `python benchmarks/xes_readers.py` writes this file.",
        "",
        "| reader | rows | time | peak RSS |",
        "|---|---|---|---|",
    ]
    for name, text in rows:
        cells = text.split(" | ")
        lines.append(f"| {name} | " + (" | ".join(cells) if len(cells) == 3 else f"{text} | | ") + " |")
    lines += [
        "",
        "The whole import through the `event-log` profile (four tables read the log: cases, events, resolved, "
        "closed; each reads it in a streamed pass of its own, after one pass that finds the columns):",
        "",
        "| import | rows read | time | peak RSS |",
        "|---|---|---|---|",
    ]
    for name, text in imports:
        cells = text.split(" | ")
        lines.append(f"| {name} | " + (" | ".join(cells) if len(cells) == 3 else f"{text} | | ") + " |")
    lines.append("")
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

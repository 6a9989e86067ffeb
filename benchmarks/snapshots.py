"""Whole commands on a snapshot, as a user waits for them: `itsms-graph check SNAPSHOT` and `itsms-graph report
SNAPSHOT`, from process start to exit, against duckdb computing the same checks from the same tables in a process
of its own, the three alternated run by run so that a busy machine slows them alike.

Inputs (each made once, before anything is timed against anything):

- the generated example SMS at ``--generated-size`` (81: about 1M nodes), generated and saved with
  ``save_snapshot`` in a process of its own (its time and peak are reported, compared with nothing);
- BPIC 2014 copied ``--bpic-copies`` times (benchmarks/bpic_copies.py: ids suffixed per copy; 15 copies are
  10.4M rows), imported by the whole command ``itsms-graph --duckdb-memory 1GB import -p bpic2014 DIR -o SNAP
  --keep-going`` (timed: the "10M records: import completes" goal).

The peer ("duckdb's own computation of the same checks from the same tables") is a plain Python process that
never imports itsms_graph: it opens duckdb with the memory limit the commands have, creates the graph tables with
itsms-graph's DDL, reads the snapshot's two Parquet tables into them (extracted from the snapshot's ZIP once
beforehand, untimed) and runs every SQL statement, with its parameters, that itsms-graph's DuckDB engine runs for
`check` on that snapshot: the assessment (label counts, properties present, the existence probes), each query's
rows and its population, the data's cut-off and the rules register. The statements are recorded beforehand,
untimed, by running itsms_graph.check.check on the snapshot in a worker process with its duckdb connection
wrapped to log each statement; what the peer leaves out is what itsms-graph does besides SQL (validating the
snapshot, building and writing the report, and for `report` the Python graph and the drawing). The script checks
that the peer's rows per query give `check`'s JSON findings counts (a warning line in the results where not).

Per command and input: wall seconds, CPU seconds (user + system of the child, from wait4) and peak RSS (the
child's ru_maxrss), each min / median / max; the ratios of the medians to the peer's; the goals of issue #16
beside each figure: generated 1M records, `check` and `report` <= 3x the peer and peak <= 600 MB; 10M records,
import, check and report complete, peak <= 4 GB. With several sizes of an input, the exponents of time and memory
in the size.

Run: python benchmarks/snapshots.py [--generated-size 81] [--bpic-copies 15] [--runs N] [--skip-bpic]
     [--skip-generated] [--work DIR] [--out benchmarks/RESULTS-snapshots.md] [--duckdb-memory SIZE]
     [--import-memory 1GB] [--fresh] [--kill-above MIB]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bpic_copies import DATA, make  # noqa: E402

SEED = 20250630
GENERATED_AS_OF = "2025-06-30"
BPIC_AS_OF = "2014-03-31"
MIB = 1024 * 1024
#: the goals of issue #16, in bytes as stated (MB and GB: powers of ten)
PEAK_1M, PEAK_10M, RATIO_1M = 600e6, 4e9, 3.0
#: the sizes the goals are stated for; smaller inputs show them for reference
GOAL_NODES_1M, GOAL_ROWS_10M = 900_000, 9_000_000
PEER = "peer: duckdb on the same tables"
CHECK = "check"
REPORT = "report"
#: The children run as an installed package runs, with its bytecode cached (see benchmarks/startup.py).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

#: The peer: duckdb and the standard library only (argv: the statements file, the file to write the row counts to).
PEER_CODE = """
import json, sys
import duckdb
spec = json.load(open(sys.argv[1], encoding="utf-8"))
con = duckdb.connect(config={"memory_limit": spec["memory_limit"], "temp_directory": spec["temp_directory"]})
for statement in spec["ddl"]:
    con.execute(statement)
for member, file in spec["tables"].items():
    con.execute(f"INSERT INTO {spec['into'][member]} BY NAME SELECT * FROM read_parquet(?)", [file])
counts = [len(con.execute(s["sql"], s["params"]).fetchall()) for s in spec["statements"]]
json.dump(counts, open(sys.argv[2], "w", encoding="utf-8"))
"""


def _exe() -> str:
    return str(Path(sys.executable).parent / "itsms-graph")


#: A child whose RSS passes this many MiB is killed (the machine is shared; 0: never): --kill-above
KILL_ABOVE = {"mib": 8192.0}


def _rss_mib(pid: int) -> float:
    """The resident memory of a live process in MiB (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0.0
    return next((int(ln.split()[1]) / 1024 for ln in status.splitlines() if ln.startswith("VmRSS:")), 0.0)


def run(argv: list[str]) -> dict[str, Any]:
    """One process: wall and CPU seconds, peak RSS in MiB, exit code and the end of its stderr; killed (and said
    so) if its RSS passes ``KILL_ABOVE``."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    assert child.stderr is not None
    done, killed = threading.Event(), threading.Event()

    def watch() -> None:
        limit = KILL_ABOVE["mib"]
        while limit and not done.wait(0.2):
            if _rss_mib(child.pid) > limit:
                killed.set()
                child.kill()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    err = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    code = os.waitstatus_to_exitcode(status)
    tail = err.decode(errors="replace").strip().splitlines()
    error = tail[-1] if tail and code != 0 else ""
    if killed.is_set():
        error = f"killed by this script past {KILL_ABOVE['mib']:.0f} MiB of RSS (--kill-above)"
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
        "code": code,
        "error": error,
    }


# -- making the snapshots (each once; a later run reuses it with the figures measured when it was made) ------------


def _made(snapshot: Path, argv: list[str], how: str, fresh: bool) -> dict[str, Any]:
    """Run *argv* to make *snapshot*, measured; or the figures of an earlier run that made it."""
    sidecar = snapshot.with_suffix(".made.json")
    if not fresh and snapshot.exists() and sidecar.exists():
        made = json.loads(sidecar.read_text(encoding="utf-8"))
        made["reused"] = True
        return made
    snapshot.unlink(missing_ok=True)
    print(f"making {snapshot.name}: {how}", flush=True)
    made = run(argv) | {"how": how, "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}
    made["ok"] = made["code"] in (0, 1) and snapshot.exists()
    if made["ok"]:
        sidecar.write_text(json.dumps(made), encoding="utf-8")
    made["reused"] = False
    return made


def generated(size: int, work: Path, fresh: bool) -> tuple[Path, dict[str, Any]]:
    snapshot = work / f"generated-s{size}.itsms"
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from pathlib import Path; "
        "from itsms_graph.example import generate; from itsms_graph.graph.snapshot import save_snapshot; "
        f"save_snapshot(generate(size={size}, seed={SEED}).graph, Path({str(snapshot)!r}))"
    )
    how = f"`generate(size={size}, seed={SEED})` and `save_snapshot`, one process"
    return snapshot, _made(snapshot, [sys.executable, "-c", code], how, fresh)


def imported(copies: int, work: Path, memory: str, fresh: bool) -> tuple[Path, dict[str, Any]]:
    folder = DATA if copies == 1 else make(copies, work / f"bpic-x{copies}")
    snapshot = work / f"bpic-x{copies}.itsms"
    argv = [_exe(), "--duckdb-memory", memory, "import", "-p", "bpic2014", str(folder), "-o", str(snapshot)]
    argv.append("--keep-going")
    how = f"`itsms-graph --duckdb-memory {memory} import -p bpic2014 DIR -o SNAP --keep-going`"
    return snapshot, _made(snapshot, argv, how, fresh)


# -- the statements itsms-graph's DuckDB engine runs (a worker process, untimed) -----------------------------------


def record_statements(snapshot: Path, as_of: str, out: Path, memory: str | None) -> None:
    """Run ``check`` on *snapshot* in process (as the command does: duckdb, fail-on none) with the tables'
    connection wrapped, and write every statement it runs, its parameters, and which query it was for, to *out*."""
    sys.path.insert(0, str(ROOT))
    from itsms_graph.check import check_graph
    from itsms_graph.duckdb_settings import configure, current_settings
    from itsms_graph.engines.duckdb.engine import DuckDBEngine
    from itsms_graph.graph.snapshot import open_snapshot_tables
    from itsms_graph.graph.store import InputFile
    from itsms_graph.graph.tables import EDGES, NODE_ROWS, NODES, ddl
    from itsms_graph.queries.catalogue import load_catalogue
    from itsms_graph.queries.plan import audit_period

    configure(memory)
    tag: dict[str, Any] = {"kind": "other", "query": None}
    log: list[dict[str, Any]] = []
    unlogged: set[str] = set()

    class Logged:
        """The connection, every ``execute`` logged with the tag of what runs it."""

        def __init__(self, con: Any) -> None:
            self._con = con

        def execute(self, sql: str, params: Any = None) -> Any:
            log.append({"sql": sql, "params": params, **tag})
            return self._con.execute(sql) if params is None else self._con.execute(sql, params)

        def __getattr__(self, name: str) -> Any:
            if name in ("sql", "query", "cursor", "register", "from_arrow", "read_parquet"):
                unlogged.add(name)
            return getattr(self._con, name)

    def tagged(method: Any, kind: str) -> Any:
        def wrapper(self: Any, *args: Any) -> Any:
            bound = args[0] if args and hasattr(args[0], "query") else None
            qid = bound.query.id if bound is not None else None
            this = kind
            if kind == "rows" and any(s["query"] == qid and s["kind"] == "rows" for s in log):
                this = "population"  # run_queries asks for a query's rows, then for its population
            before = dict(tag)
            tag.update(kind=this, query=qid)
            try:
                return method(self, *args)
            finally:
                tag.update(before)

        return wrapper

    kinds = {"rows": "rows", "exists": "assess", "label_count": "assess", "property_present": "assess"}
    originals = {name: getattr(DuckDBEngine, name) for name in kinds}
    for name, kind in kinds.items():
        setattr(DuckDBEngine, name, tagged(originals[name], kind))
    tables = open_snapshot_tables(snapshot)  # opened and validated first: the peer does not validate
    # the peer's tables as check's: the nodes' table with the columns the snapshot's nodes hold, the nodes view
    sql = "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index"
    held = [c for (c,) in tables.con.execute(sql, [NODE_ROWS]).fetchall()]
    try:
        tables.con = Logged(tables.con)
        report = check_graph(
            tables,
            period=lambda cut_off: audit_period(as_of, "12M", cut_off, allow_after_cutoff=False),  # as the CLI
            fail_on="none",
            backend="duckdb",
            extra_inputs=[InputFile.of(snapshot, profile="snapshot")],
        )
    finally:
        tables.close()
        for name, method in originals.items():
            setattr(DuckDBEngine, name, method)
    if unlogged:
        raise SystemExit(f"check ran SQL past the logged execute: con.{', con.'.join(sorted(unlogged))}")
    catalogue = load_catalogue()
    queries: dict[str, dict[str, Any]] = {}
    for result in report.results:
        query = result.query
        entry = {
            "expect": query.expect,
            "population_required": query.population_required,
            "status": result.status.value,
            "findings": len(result.findings),
        }
        for i, statement in enumerate(log):
            if statement["query"] == query.id and statement["kind"] in ("rows", "population"):
                entry[statement["kind"]] = i
        queries[query.id] = entry
    settings = current_settings()
    spec = {
        "snapshot": str(snapshot),
        "as_of": as_of,
        "memory_limit": settings.limit(),
        "ddl": ddl(keys=held),
        "into": {NODES: NODE_ROWS, EDGES: EDGES},  # the table each Parquet member goes into
        "statements": log,
        "queries": queries,
        "catalogue": len(catalogue),
    }
    out.write_text(json.dumps(spec, indent=1), encoding="utf-8")


# -- one input: its snapshot, the commands alternated, the answers compared -------------------------------------


def extract(snapshot: Path, folder: Path) -> dict[str, str]:
    """The snapshot's two Parquet tables, unpacked to *folder* (untimed) for the peer."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(snapshot) as zf:
        for member in ("nodes.parquet", "edges.parquet"):
            zf.extract(member, folder)
    return {"nodes": str(folder / "nodes.parquet"), "edges": str(folder / "edges.parquet")}


def table_rows(tables: dict[str, str]) -> dict[str, int]:
    import pyarrow.parquet as pq

    return {name: pq.ParquetFile(file).metadata.num_rows for name, file in tables.items()}


def measure(key: str, snapshot: Path, as_of: str, runs: int, work: Path, memory: str | None) -> dict[str, Any]:
    """The three commands on *snapshot*, alternated run by run, and the peer's answers against check's."""
    tables = extract(snapshot, work / f"{key}-tables")
    spec_file, counts_file = work / f"{key}-statements.json", work / f"{key}-peer-rows.json"
    worker = [sys.executable, str(Path(__file__).resolve()), "--record", str(snapshot), as_of, str(spec_file)]
    worker += ["--record-memory", memory] if memory else []
    check_json, html = work / f"{key}-check.json", work / f"{key}-report.html"
    for stale in (spec_file, counts_file, check_json, html):
        stale.unlink(missing_ok=True)
    recorded = run(worker)  # untimed: it also writes the bytecode the commands then run with
    spec: dict[str, Any] = {"statements": [], "memory_limit": memory or "itsms-graph's default"}
    if recorded["code"] == 0:
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
        peer_tmp = work / f"{key}-peer-tmp"
        peer_tmp.mkdir(exist_ok=True)
        spec |= {"tables": tables, "temp_directory": str(peer_tmp)}
        spec_file.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    common = [_exe(), *(["--duckdb-memory", memory] if memory else [])]
    cmds = {
        PEER: [sys.executable, "-c", PEER_CODE, str(spec_file), str(counts_file)],
        CHECK: [*common, "check", str(snapshot), "--as-of", as_of, "--fail-on", "none", "--format", "json"],
        REPORT: [*common, "report", str(snapshot), "--as-of", as_of, "-o", str(html)],
    }
    cmds[CHECK] += ["-o", str(check_json)]
    if recorded["code"] != 0:  # no statements for the peer: the commands still run (do they complete?)
        del cmds[PEER]
        print(f"recording the statements of check on {snapshot} failed: {recorded['error']}", flush=True)
    by: dict[str, list[dict[str, Any]]] = {name: [] for name in cmds}
    for _ in range(runs):  # alternated: each round runs each command once
        for name, argv in cmds.items():
            by[name].append(run(argv))
            print(key, name, {k: round(v, 2) if isinstance(v, float) else v for k, v in by[name][-1].items()})
    out = {
        "runs": by,
        "argv": {name: _shown(argv, snapshot) for name, argv in cmds.items()},
        "statements": len(spec["statements"]),
        "kinds": _kinds(spec["statements"]),
        "memory_limit": spec["memory_limit"],
        "table_rows": table_rows(tables),
        "parquet_mb": {n: Path(f).stat().st_size / 1e6 for n, f in tables.items()},
        "report_mb": html.stat().st_size / 1e6 if html.exists() else None,
        "comparison": compare(spec, counts_file, check_json),
        "record_error": "" if recorded["code"] == 0 else f"exit {recorded['code']}: {recorded['error']}",
    }
    return out


def _kinds(statements: list[dict[str, Any]]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for s in statements:
        kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    return kinds


def compare(spec: dict[str, Any], counts_file: Path, check_json: Path) -> dict[str, Any]:
    """Whether the peer's rows give, query by query, the findings in check's JSON: one per row for ``expect:
    none`` (one against the clause for an empty required population), one when there is no row for ``expect:
    some``; a query check found not assessable must have had no rows statement."""
    if not counts_file.exists() or not check_json.exists():
        return {"warnings": ["no peer rows or no check JSON to compare (a run failed)"], "agree": 0, "compared": 0}
    counts = json.loads(counts_file.read_text(encoding="utf-8"))
    results = json.loads(check_json.read_text(encoding="utf-8"))["results"]
    warnings, agree, unassessable = [], 0, 0
    for result in results:
        qid, status, findings = result["query"], result["status"], len(result["findings"])
        entry = spec["queries"].get(qid)
        if entry is None:
            warnings.append(f"{qid}: in check's JSON, not among the recorded queries")
            continue
        if status == "not assessable":
            unassessable += 1
            if "rows" in entry:
                warnings.append(f"{qid}: not assessable in check, yet the engine ran its rows when recorded")
            else:
                agree += 1
            continue
        if "rows" not in entry:
            warnings.append(f"{qid}: {status} in check, yet the engine ran no rows statement when recorded")
            continue
        rows = counts[entry["rows"]]
        if entry["expect"] == "some":
            expected = 0 if rows else 1
        elif entry["population_required"] and "population" in entry and counts[entry["population"]] == 0:
            expected = 1
        else:
            expected = rows
        if expected == findings:
            agree += 1
        else:
            warnings.append(f"{qid}: the peer's {rows:,} rows give {expected:,} findings, check reported {findings:,}")
    missing = sorted(set(spec["queries"]) - {r["query"] for r in results})
    warnings += [f"{qid}: recorded, not in check's JSON" for qid in missing]
    return {"warnings": warnings, "agree": agree, "compared": len(results), "not_assessable": unassessable}


# -- the results file -------------------------------------------------------------------------------------------


def _stats(values: list[float], digits: int = 1) -> str:
    return f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f} / {max(values):.{digits}f}"


def _med(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _done(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in runs if r["code"] in (0, 1)]


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def goals_1m(name: str, runs: list[dict[str, Any]], peer: list[dict[str, Any]]) -> str:
    if name == PEER:
        return "the peer"
    wall = _med(runs, "wall") / _med(peer, "wall")
    cpu = _med(runs, "cpu") / _med(peer, "cpu")
    peak = max(r["rss"] for r in runs) * MIB
    return (
        f"<= 3x the peer: CPU {_verdict(cpu <= RATIO_1M)}, wall {_verdict(wall <= RATIO_1M)}; "
        f"peak <= 600 MB ({PEAK_1M / MIB:.0f} MiB): {_verdict(peak <= PEAK_1M)}"
    )


def goals_10m(name: str, runs: list[dict[str, Any]], peer: list[dict[str, Any]]) -> str:
    if name == PEER:
        return "the peer"
    peak = max(r["rss"] for r in runs) * MIB
    return f"completes, peak <= 4 GB ({PEAK_10M / MIB:.0f} MiB): {_verdict(peak <= PEAK_10M)}"


def write(results: list[dict[str, Any]], started: str) -> str:
    load = os.getloadavg()
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    memory = next((int(ln.split()[1]) // 1024 for ln in meminfo if ln.startswith("MemTotal")), 0)
    lines = [
        f"# Whole commands on snapshots ({'; '.join(r['title'] for r in results)}), against duckdb on the same tables",
        "",
        f"Written by `benchmarks/snapshots.py` ({started}): Python {platform.python_version()}, {os.cpu_count()} "
        f"cores, {memory:,} MiB of memory, load average {load[0]:.1f} at the end (the machine is shared: wall times "
        "carry the other jobs' load, CPU times much less). Each command is a process of its own, from start to "
        "exit; the peer, `check` and `report` alternate run by run; min / median / max over the runs; peak RSS is "
        "the child's ru_maxrss (wait4)"
        + (
            f"; a child past {KILL_ABOVE['mib']:.0f} MiB of RSS is killed (`--kill-above`)."
            if KILL_ABOVE["mib"]
            else "."
        ),
        "",
        "The peer is a Python process that never imports itsms_graph: duckdb, with the memory limit the commands "
        "have, creates the graph tables with itsms-graph's DDL (the nodes' table with the columns the snapshot's nodes "
        "hold, the `nodes` view of every column, `edges`), reads the snapshot's `nodes.parquet` and "
        "`edges.parquet` into them (unpacked from the snapshot's ZIP beforehand, untimed) and runs every SQL "
        "statement, with its parameters, that itsms-graph's DuckDB engine runs for `check` on this snapshot "
        "(recorded beforehand, untimed, by running `itsms_graph.check.check` with the connection wrapped): the "
        "assessment (label counts, properties present, existence probes), each query's rows and population, the "
        "data's cut-off and the rules register. What it leaves out is what itsms-graph does besides that SQL: "
        "validating the snapshot (checksums, types, ids, relationship ends), the report's assembly and writing, "
        "and for `report` the facts the verdicts read, the Python graph and the drawing.",
        "",
        "Goals (#16): generated 1M records, `check SNAPSHOT` and `report` <= 3x the peer, peak <= 600 MB; 10M "
        "records (BPIC 2014 x15), import, check and report complete, peak <= 4 GB. MB and GB as stated, powers "
        "of ten; the tables show MiB. At smaller sizes the goals are shown for reference.",
    ]
    for res in results:
        lines += ["", f"## {res['title']}", ""]
        made = res["made"]
        when = f"made earlier ({made['at']}), reused" if made["reused"] else f"this run ({made['at']})"
        if not made["ok"]:
            lines.append(f"Making the snapshot failed (exit {made['code']}): {made['error']}")
            continue
        lines += [
            f"Snapshot: {res['snapshot_mb']:.1f} MB (`nodes.parquet` {res['parquet_mb']['nodes']:.1f} MB, "
            f"`edges.parquet` {res['parquet_mb']['edges']:.1f} MB), {res['table_rows']['nodes']:,} nodes and "
            f"{res['table_rows']['edges']:,} relationships{res['rows_note']}; as of {res['as_of']}; duckdb "
            f"memory limit {res['memory_limit']} for `check`, `report` and the peer; "
            + (
                f"the peer ran {res['statements']:,} statements ("
                + ", ".join(f"{n:,} {k}" for k, n in sorted(res["kinds"].items()))
                + ")"
                if not res["record_error"]
                else f"recording the statements of `check` failed ({res['record_error']}): no peer ran"
            )
            + (f". The HTML report: {res['report_mb']:.1f} MB." if res["report_mb"] is not None else "."),
            "",
            "| step | how | wall s | CPU s | peak RSS MiB | goal |",
            "|---|---|---|---|---|---|",
            f"| {res['made_name']} | {made['how']}; {when} | {made['wall']:.1f} | {made['cpu']:.1f} | "
            f"{made['rss']:.0f} | {res['made_goal']} |",
            "",
            f"Whole commands, {res['runs_n']} run{'s' if res['runs_n'] > 1 else ''} each:",
            "",
            "| command | wall s | CPU s | peak RSS MiB | wall / peer | CPU / peer | goal |",
            "|---|---|---|---|---|---|---|",
        ]
        peer = _done(res["runs"].get(PEER, []))
        for name, runs in res["runs"].items():
            done = _done(runs)
            shown = "`" + res["argv"][name] + "`"
            if len(done) < len(runs):
                failed = next(r for r in runs if r["code"] not in (0, 1))
                lines.append(f"| {shown} | failed (exit {failed['code']}): {failed['error']} | | | | | **missed** |")
                continue
            ratio_w = _med(done, "wall") / _med(peer, "wall") if peer else math.nan
            ratio_c = _med(done, "cpu") / _med(peer, "cpu") if peer else math.nan
            goal = res["goal"](name, done, peer) if peer or res["kind"] == "bpic" else "no peer to compare with"
            wall, cpu, rss = ([r[k] for r in done] for k in ("wall", "cpu", "rss"))
            lines.append(
                f"| {shown} | {_stats(wall)} | {_stats(cpu)} | {_stats(rss, 0)} | {ratio_w:.2f}x | {ratio_c:.2f}x | "
                f"{goal} |"
            )
        comp = res["comparison"]
        lines += [
            "",
            f"The peer's rows against `check`'s JSON: {comp['agree']} of {comp['compared']} queries give its "
            f"findings count ({comp.get('not_assessable', 0)} not assessable in both).",
        ]
        lines += [f"- WARNING: {w}" for w in comp["warnings"]]
    lines += exponents(results)
    return "\n".join(lines) + "\n"


def exponents(results: list[dict[str, Any]]) -> list[str]:
    """log(time or peak at the largest size / at the smallest) / log(size ratio), per input kind and command."""
    out: list[str] = []
    for kind in ("generated", "bpic"):
        sized = [r for r in results if r["kind"] == kind and r["made"]["ok"] and "runs" in r]
        if len(sized) < 2:
            continue
        small, big = min(sized, key=lambda r: r["size"]), max(sized, key=lambda r: r["size"])
        scale = math.log(big["size"] / small["size"])
        out += ["", f"Exponents in the size, {small['title']} to {big['title']} (1.0 is linear):", ""]
        for name in small["runs"]:
            a, b = _done(small["runs"][name]), _done(big["runs"][name])
            if a and b:
                cpu = math.log(_med(b, "cpu") / _med(a, "cpu")) / scale
                rss = math.log(_med(b, "rss") / _med(a, "rss")) / scale
                out.append(f"- `{name}`: CPU time {cpu:.2f}, peak memory {rss:.2f}")
    return out


def _shown(argv: list[str], snapshot: Path) -> str:
    """A command line as the results show it: the work folder's paths as names."""
    if argv[1] == "-c":
        return "python -c PEER statements.json rows.json"
    words = ["SNAP" if w == str(snapshot) else Path(w).name if "/" in w else w for w in argv[1:]]
    return " ".join(["itsms-graph", *words])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--record":  # the worker: python snapshots.py --record SNAP D OUT
        memory = sys.argv[sys.argv.index("--record-memory") + 1] if "--record-memory" in sys.argv else None
        record_statements(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), memory)
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--generated-size", default="81", help="generator sizes, comma-separated (81: ~1M nodes)")
    parser.add_argument("--bpic-copies", default="15", help="copies of BPIC 2014, comma-separated (15: 10.4M rows)")
    parser.add_argument("--runs", type=int, help="runs of each command (default 3 generated, 1 on the BPIC copies)")
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--skip-bpic", action="store_true")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "itsms-bench-snapshots")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-snapshots.md")
    parser.add_argument("--import-memory", default="1GB", help="--duckdb-memory of the BPIC import (default 1GB)")
    parser.add_argument(
        "--duckdb-memory", help="--duckdb-memory of check and report, and the peer's limit (default: itsms-graph's)"
    )
    parser.add_argument("--fresh", action="store_true", help="make the snapshots again even when the work has them")
    parser.add_argument(
        "--kill-above", type=float, default=8192, help="kill a child past this RSS in MiB (default 8192; 0: never)"
    )
    args = parser.parse_args()
    KILL_ABOVE["mib"] = args.kill_above
    args.work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    inputs: list[dict[str, Any]] = []
    if not args.skip_generated:
        for size in (int(s) for s in args.generated_size.split(",")):
            inputs.append({"kind": "generated", "size": size, "as_of": GENERATED_AS_OF})
    if not args.skip_bpic:
        if not DATA.is_dir():
            sys.exit(f"{DATA} is not here (--skip-bpic leaves BPIC 2014 out)")
        for copies in (int(s) for s in args.bpic_copies.split(",")):
            inputs.append({"kind": "bpic", "size": copies, "as_of": BPIC_AS_OF})
    results = []
    for res in inputs:
        size = res["size"]
        if res["kind"] == "generated":
            key, title = f"generated-s{size}", f"Generated example SMS, size {size}"
            snapshot, made = generated(size, args.work, args.fresh)
            res |= {"made_name": "generate and save the snapshot", "made_goal": "none (made once, not compared)"}
            res["goal"] = goals_1m
            runs = args.runs or 3
        else:
            key, title = f"bpic-x{size}", f"BPIC 2014 x{size}"
            snapshot, made = imported(size, args.work, args.import_memory, args.fresh)
            peak = _verdict(made["rss"] * MIB <= PEAK_10M) if made["ok"] else "**missed**"
            res |= {"made_name": "import", "made_goal": f"completes: {_verdict(made['ok'])}; peak <= 4 GB: {peak}"}
            res["goal"] = goals_10m
            runs = args.runs or 1
        res |= {"key": key, "title": title, "made": made, "runs_n": runs, "rows_note": ""}
        results.append(res)
        if not made["ok"]:
            continue
        res |= measure(key, snapshot, res["as_of"], runs, args.work, args.duckdb_memory)
        res["snapshot_mb"] = snapshot.stat().st_size / 1e6
        if res["kind"] == "generated" and res["table_rows"]["nodes"] < GOAL_NODES_1M:
            res["rows_note"] = " (the 1M-record goals are stated for size 81; shown here for reference)"
        if res["kind"] == "bpic":
            rows = sum(item["rows"] for item in _manifest(snapshot)["inputs"])
            note = "" if rows >= GOAL_ROWS_10M else "; the 10M-record goals are shown for reference"
            res["rows_note"] = f", from {rows:,} rows read{note}"
    text = write(results, started)
    args.out.write_text(text, encoding="utf-8")
    print(text)


def _manifest(snapshot: Path) -> dict[str, Any]:
    with zipfile.ZipFile(snapshot) as zf:
        return dict(json.loads(zf.read("manifest.json")))


if __name__ == "__main__":
    main()

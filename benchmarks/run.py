"""Benchmark generate, snapshot save/re-open and check (networkx) against duckdb's nine core checks in SQL, per size.
Run: python benchmarks/run.py [--sizes 1,81] [--out benchmarks/RESULTS.md]; each size runs in a fresh subprocess."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20250630
TARGET_NODES = 1_000_000
#: the nine core checks computed on both engines (Stage 1 existence and Stage 2 traceability)
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
SQL_TYPES = {"string": "VARCHAR", "date": "VARCHAR", "datetime": "VARCHAR", "integer": "BIGINT"}
SQL_TYPES |= {"float": "DOUBLE", "boolean": "BOOLEAN"}
PROVENANCE_TYPES = {"source_file": "VARCHAR", "source_row": "BIGINT", "source_path": "VARCHAR"}
MB = 1024 * 1024
FALKORDB_LOAD = "FalkorDB: load (FalkorDBEngine.load: UNWIND ... MERGE, 10k rows a batch)"
DUCKDB_LOAD = "DuckDBEngine: load the graph tables (DuckDBEngine.from_graph)"
DUCKDB_RUN = "DuckDBEngine: all canned queries (run_queries: assessment and SQL compiled from each query)"
DUCKDB_EVAL = "evaluate each canned query alone (DuckDBEngine)"


# -- memory -----------------------------------------------------------------------------------------------------


class Memory:
    """RSS now, and the highest RSS seen since the last mark (a thread samples it every 10 ms)."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self._peak = self.rss()
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def rss(self) -> int:
        return int(self._proc.memory_info().rss)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self._peak = max(self._peak, self.rss())

    def mark(self) -> int:
        now = self.rss()
        self._peak = now
        return now

    def peak(self) -> int:
        return max(self._peak, self.rss())

    @staticmethod
    def rss_of(pid: int | None) -> int:
        """RSS of another process (the embedded FalkorDB server, which runs detached)."""
        import psutil

        try:
            return int(psutil.Process(pid).memory_info().rss) if pid else 0
        except psutil.Error:
            return 0


class Phases:
    """Each timed phase: seconds, RSS before and after, and the phase's own peak RSS."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.data: dict[str, dict[str, float]] = {}

    def run(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        before = self.memory.mark()
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        seconds = time.perf_counter() - t0
        after = self.memory.rss()
        self.data[name] = {
            "s": seconds,
            "rss_before_mb": before / MB,
            "rss_after_mb": after / MB,
            "peak_mb": self.memory.peak() / MB,
        }
        print(f"  {name}: {seconds:.2f} s, RSS {before / MB:.0f} -> {after / MB:.0f} MB", file=sys.stderr, flush=True)
        return out


# -- the duckdb peer ----------------------------------------------------------------------------------------------


def export_tables(graph: Any, folder: Path) -> dict[str, Any]:
    """Every node label and relationship type of *graph* as one newline-delimited JSON file (all properties and
    provenance), with its duckdb column types from the ontology: the columnar peer's input."""
    import orjson

    folder.mkdir(parents=True, exist_ok=True)
    sch = graph.schema
    tables: dict[str, Any] = {}
    nodes = graph._nodes
    for label in sorted(graph.labels_present()):
        ids = list(graph.nodes(label))
        keys = sorted({k for n in ids for k in nodes[n]})
        path = folder / f"n_{label}.json"
        with path.open("wb") as fh:  # one row at a time: a list of orjson's bytes keeps ~4 kB per row alive
            for n in ids:
                fh.write(orjson.dumps({"id": n, **nodes[n]}, option=orjson.OPT_APPEND_NEWLINE))
        columns = {"id": "VARCHAR"}
        for key in keys:
            if key == "label":
                columns[key] = "VARCHAR"
            elif key in PROVENANCE_TYPES:
                columns[key] = PROVENANCE_TYPES[key]
            else:
                prop = sch.properties[key]
                columns[key] = SQL_TYPES[prop.type] + ("[]" if prop.multi_valued else "")
        tables[f"n_{label}"] = {"path": str(path), "columns": columns, "rows": len(ids)}
    for rel in sorted(graph.rel_types_present()):
        pairs = list(graph.edges(rel))
        attrs = [graph.edge_attrs(*pair, rel) for pair in pairs]
        keys = sorted({k for a in attrs for k in a})
        path = folder / f"e_{rel}.json"
        with path.open("wb") as fh:
            for (s, t), a in zip(pairs, attrs, strict=True):
                fh.write(orjson.dumps({"src": s, "dst": t, **a}, option=orjson.OPT_APPEND_NEWLINE))
        columns = {"src": "VARCHAR", "dst": "VARCHAR"} | {k: PROVENANCE_TYPES[k] for k in keys}
        tables[f"e_{rel}"] = {"path": str(path), "columns": columns, "rows": len(pairs)}
    return tables


def duckdb_load(con: Any, tables: dict[str, Any], sch: Any) -> None:
    """Load every exported file into a duckdb table; labels and types with no rows become empty tables."""
    for name, table in tables.items():
        spec = ", ".join(f"'{k}': '{v}'" for k, v in table["columns"].items())
        con.execute(
            f"CREATE TABLE \"{name}\" AS SELECT * FROM read_json(?, format = 'newline_delimited', "
            f"columns = {{{spec}}})",
            [table["path"]],
        )
    for label in sorted(sch.labels):
        if f"n_{label}" not in tables:
            props = sch.properties_of(label)
            cols = ", ".join(
                f"{k} {SQL_TYPES[p.type]}{'[]' if p.multi_valued else ''}"
                for k, p in sorted(props.items())
                if k not in ("id", "label")
            )
            con.execute(f'CREATE TABLE "n_{label}" (id VARCHAR, label VARCHAR, {cols})')
    for rel in sorted(sch.relationships):
        if f"e_{rel}" not in tables:
            con.execute(f'CREATE TABLE "e_{rel}" (src VARCHAR, dst VARCHAR)')


def _delivered(alias: str) -> str:
    """A service *alias* delivered in the audit period: an incident, change or request on it in the period, or an
    SLA covering it that overlaps the period."""
    return f"""(
        EXISTS (SELECT 1 FROM e_AFFECTS e JOIN n_Incident x ON x.id = e.src
                WHERE e.dst = {alias}.id AND x.opened_at >= $dt_lo AND x.opened_at < $dt_hi)
        OR EXISTS (SELECT 1 FROM e_AFFECTS e JOIN n_Change x ON x.id = e.src
                WHERE e.dst = {alias}.id AND x.actual_start >= $dt_lo AND x.actual_start < $dt_hi)
        OR EXISTS (SELECT 1 FROM e_AFFECTS e JOIN n_ServiceRequest x ON x.id = e.src
                WHERE e.dst = {alias}.id AND x.opened_at >= $dt_lo AND x.opened_at < $dt_hi)
        OR EXISTS (SELECT 1 FROM e_COVERS e JOIN n_SLA x ON x.id = e.src
                WHERE e.dst = {alias}.id AND x.valid_from <= $as_of AND x.valid_to >= $start))"""


def _in(rel: str, label: str, alias: str, where: str = "") -> str:
    """EXISTS a *rel* relationship into *alias* from a node of *label* (with *where* on it, as x)."""
    extra = f" AND {where}" if where else ""
    return f"EXISTS (SELECT 1 FROM e_{rel} e JOIN n_{label} x ON x.id = e.src WHERE e.dst = {alias}.id{extra})"


def core_sql(period: Any, catalogue: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The nine core checks in SQL, each with its parameters. Bounds are computed as itsms_graph/queries/plan.py
    computes them: the period starts on as_of minus the months plus one day and ends before as_of plus one day;
    a datetime compares with a day as that day's midnight; ``> as_of - N months`` is calendar month arithmetic.
    Every value is a parameter, so that the values can be compared with the bound query's Cypher parameters."""
    from itsms_graph.queries.plan import add_months

    as_of = period.as_of.isoformat()
    start, end = period.start.isoformat(), period.end_exclusive.isoformat()
    dt_lo, dt_hi = f"{start}T00:00:00", f"{end}T00:00:00"

    def since(qid: str, param: str) -> str:
        return add_months(period.as_of, -int(catalogue[qid].parameters[param].default)).isoformat()

    delivered = {"dt_lo": dt_lo, "dt_hi": dt_hi, "as_of": as_of, "start": start}
    approved = _in("APPROVES", "Approval", "c", "x.decision = $approved")
    return {
        "scope-statement-approved": (
            "SELECT d.id FROM n_Document d WHERE d.kind = $kind AND d.approved_on <= $as_of",
            {"kind": "scope_statement", "as_of": as_of},
        ),
        "sm-policy-current": (
            "SELECT d.id FROM n_Document d WHERE d.kind = $kind AND d.approved_on <= $as_of AND d.approved_on > $since",
            {"kind": "sm_policy", "as_of": as_of, "since": since("sm-policy-current", "policy_review_interval")},
        ),
        "service-delivered-not-in-catalogue": (
            f"SELECT s.id FROM n_Service s WHERE {_delivered('s')} AND NOT {_in('DESCRIBES', 'CatalogueEntry', 's')}",
            delivered,
        ),
        "service-delivered-outside-scope": (
            f"SELECT s.id FROM n_Service s WHERE {_in('DESCRIBES', 'CatalogueEntry', 's')} "
            f"AND NOT {_in('INCLUDES', 'Scope', 's')} AND {_delivered('s')}",
            delivered,
        ),
        "policy-without-records": (
            "SELECT d.id FROM n_Document d WHERE list_contains($kinds, d.kind) AND d.approved_on <= $as_of "
            f"AND NOT {_in('EVIDENCES', 'Record', 'd', 'x.recorded_on >= $start AND x.recorded_on < $end')}",
            {
                "kinds": list(catalogue["policy-without-records"].parameters["policy_kinds"].default),
                "as_of": as_of,
                "start": start,
                "end": end,
            },
        ),
        "change-implemented-without-approval": (
            f"SELECT c.id FROM n_Change c WHERE c.actual_start >= $dt_lo AND c.actual_start < $dt_hi AND NOT {approved}",
            {"dt_lo": dt_lo, "dt_hi": dt_hi, "approved": "approved"},
        ),
        "uncontrolled-change-caused-incident": (
            "SELECT DISTINCT c.id, i.id, s.id FROM n_Change c "
            "JOIN e_CAUSED_BY cb ON cb.dst = c.id JOIN n_Incident i ON i.id = cb.src "
            "JOIN e_AFFECTS af ON af.src = i.id JOIN n_Service s ON s.id = af.dst "
            "WHERE c.actual_start IS NOT NULL AND i.opened_at >= $dt_lo AND i.opened_at < $dt_hi "
            f"AND {_in('INCLUDES', 'Scope', 's')} AND NOT {approved}",
            {"dt_lo": dt_lo, "dt_hi": dt_hi, "approved": "approved"},
        ),
        "internal-audit-completed": (
            "SELECT a.id FROM n_InternalAudit a WHERE a.status = $completed AND a.completed_on <= $as_of "
            "AND a.completed_on > $since",
            {
                "completed": "completed",
                "as_of": as_of,
                "since": since("internal-audit-completed", "internal_audit_interval"),
            },
        ),
        "management-review-held": (
            "SELECT m.id FROM n_ManagementReview m WHERE m.held_on <= $as_of AND m.held_on > $since",
            {"as_of": as_of, "since": since("management-review-held", "management_review_interval")},
        ),
    }


def _values(params: dict[str, Any]) -> list[str]:
    """The distinct parameter values, lists as tuples, for comparing two parameter sets."""
    return sorted({repr(tuple(v) if isinstance(v, list) else v) for v in params.values()})


def _diff(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> dict[str, Any]:
    return {"only_networkx": sorted(a - b)[:5], "only_other": sorted(b - a)[:5]}


# -- one size, in its own process ----------------------------------------------------------------------------------


def worker(size: int, result_path: Path, falkordb: bool, falkordb_budget: float) -> None:
    memory = Memory()
    phases = Phases(memory)
    out: dict[str, Any] = {"size": size, "seed": SEED}

    def warm_up() -> None:
        import duckdb  # noqa: F401

        from itsms_graph.ontology import schema
        from itsms_graph.queries.catalogue import load_catalogue

        schema()
        load_catalogue()

    phases.run("warm-up (imports, ontology, catalogue)", warm_up)

    from itsms_graph.check import check_graph
    from itsms_graph.engines.networkx.engine import EmbeddedEngine
    from itsms_graph.example import generate
    from itsms_graph.graph.snapshot import open_snapshot, save_snapshot
    from itsms_graph.queries.catalogue import load_catalogue
    from itsms_graph.queries.plan import AuditPeriod, bind

    catalogue = phases.run("load_catalogue() (check_graph repeats it on every call)", load_catalogue)
    with tempfile.TemporaryDirectory(prefix="itsms-bench-") as tmp:
        folder = Path(tmp)
        example = phases.run("generate", generate, size=size, seed=SEED)
        graph = example.graph
        phases.run("gc.collect() after generate", gc.collect)
        period = AuditPeriod.parse(example.as_of, example.period)
        counts = graph.counts()
        out |= {
            "nodes": graph.number_of_nodes(),
            "edges": graph.edge_count(),
            "as_of": example.as_of.isoformat(),
            "period": example.period,
            "period_label": period.label(),
        }
        snap = folder / "bench.itsms"
        phases.run("snapshot save", save_snapshot, graph, snap)
        out["snapshot_mb"] = snap.stat().st_size / 1e6

        report = phases.run("check, all canned queries (networkx)", check_graph, graph, period=period)
        out["all_queries"] = [
            {
                "id": r.query.id,
                "expect": r.query.expect,
                "grade": r.query.grade,
                "status": r.status.value,
                "findings": len(r.findings),
                "rows": len(r.rows),
            }
            for r in report.results
        ]
        report9 = phases.run("check, nine core queries (networkx)", check_graph, graph, period=period, query_ids=CORE)
        nx_rows = {r.query.id: set(r.rows) for r in report9.results}
        nx_status = {r.query.id: r.status.value for r in report9.results}
        all_rows = {r.query.id: set(r.rows) for r in report.results}
        all_status = {r.query.id: r.status.value for r in report.results}
        assert all(nx_rows[q] == all_rows[q] for q in CORE), "check_graph gave different rows for one query"
        engine = EmbeddedEngine(graph)

        def evaluate_each(engine: Any) -> dict[str, float]:
            """Each query's evaluation alone (bind + the engine's rows), without assessment or report."""
            seconds = {}
            for qid, query in catalogue.items():
                t0 = time.perf_counter()
                rows = set(engine.rows(bind(query, period)))
                seconds[qid] = time.perf_counter() - t0
                assert rows == all_rows[qid] or all_status[qid] == "not assessable", qid
            return seconds

        eval_all = phases.run("evaluate each canned query alone (networkx)", evaluate_each, engine)
        nx_eval = {qid: eval_all[qid] for qid in CORE}
        for item in out["all_queries"]:
            item["eval_s"] = eval_all[item["id"]]

        # the DuckDB engine, in this process, on the same graph: every canned query compiled to SQL from its definition
        from itsms_graph.engines.duckdb.engine import DuckDBEngine
        from itsms_graph.queries.run import run_queries

        duck_engine = phases.run(DUCKDB_LOAD, DuckDBEngine.from_graph, graph)
        duck_results = phases.run(
            DUCKDB_RUN, run_queries, duck_engine, catalogue.values(), period, None, graph.declared_labels
        )
        nx_by_id = {r.query.id: r for r in report.results}
        duck_eval_all = phases.run(DUCKDB_EVAL, evaluate_each, duck_engine)
        for item in out["all_queries"]:
            item["duckdb_eval_s"] = duck_eval_all[item["id"]]
        out["duckdb_engine"] = {
            "queries": len(duck_results),
            "differ": [
                r.query.id
                for r in duck_results
                if (r.status, r.rows, r.missing_data)
                != (nx_by_id[r.query.id].status, nx_by_id[r.query.id].rows, nx_by_id[r.query.id].missing_data)
            ],
        }
        duck_engine.close()
        del duck_engine, duck_results

        # the duckdb peer, in this process, on the same graph
        import duckdb

        tables = phases.run("duckdb peer: export to NDJSON tables", export_tables, graph, folder / "tables")
        out["export_mb"] = sum(Path(t["path"]).stat().st_size for t in tables.values()) / 1e6
        con = duckdb.connect()
        out["duckdb_threads"] = con.execute("SELECT current_setting('threads')").fetchone()[0]
        phases.run("duckdb peer: load", duckdb_load, con, tables, graph.schema)
        out["duckdb_memory_mb"] = (
            con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()[0] / MB
        )
        statements = core_sql(period, catalogue)
        duck_rows: dict[str, set[tuple[str, ...]]] = {}
        duck_eval: dict[str, float] = {}

        def duck_checks(con: Any) -> None:
            for qid in CORE:
                sql, params = statements[qid]
                t0 = time.perf_counter()
                result = con.execute(sql, params).fetchall()
                duck_eval[qid] = time.perf_counter() - t0
                duck_rows[qid] = {tuple(str(v) for v in row) for row in result}

        phases.run("duckdb peer: nine core checks", duck_checks, con)
        out["core"] = []
        for qid in CORE:
            bound_values = _values(bind(catalogue[qid], period).cypher_params)
            item = {
                "id": qid,
                "expect": catalogue[qid].expect,
                "status": nx_status[qid],
                "networkx_rows": len(nx_rows[qid]),
                "duckdb_rows": len(duck_rows[qid]),
                "same_rows": nx_rows[qid] == duck_rows[qid],
                "same_bounds": bound_values == _values(statements[qid][1]),
                "networkx_s": nx_eval[qid],
                "duckdb_s": duck_eval[qid],
            }
            if not item["same_rows"]:
                item["diff"] = _diff(nx_rows[qid], duck_rows[qid])
            if not item["same_bounds"]:
                item["bounds"] = {"plan": bound_values, "sql": _values(statements[qid][1])}
            out["core"].append(item)
        con.close()
        del con, tables

        if falkordb:
            out["falkordb"] = run_falkordb(graph, period, catalogue, report, phases, memory, folder, falkordb_budget)

        del engine, report, report9, graph, example
        phases.run("gc.collect() after freeing the generated graph", gc.collect)
        reopened = phases.run("snapshot re-open", open_snapshot, snap)
        out["reopen_counts_equal"] = reopened.counts() == counts
        phases.run("gc.collect() after re-open", gc.collect)
        report_re = phases.run(
            "check, nine core queries, on the re-opened graph",
            check_graph,
            reopened,
            period=period,
            query_ids=CORE,
        )
        out["reopen_same_rows"] = all(set(r.rows) == nx_rows[r.query.id] for r in report_re.results)
    out["phases"] = phases.data
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result_path.write_text(json.dumps(out, indent=1, default=str))


def run_falkordb(
    graph: Any,
    period: Any,
    catalogue: dict[str, Any],
    report: Any,
    phases: Phases,
    memory: Memory,
    folder: Path,
    budget_s: float,
) -> dict[str, Any]:
    """Load the graph into an embedded FalkorDB with the shared Cypher load statements (FalkorDBEngine.load), then
    run the canned queries there one at a time, the nine core ones first, until *budget_s* (load included) is
    spent; compare each query's status and rows with networkx's."""
    from itsms_graph.engines.cypher.falkordb import FalkorDBEngine, available
    from itsms_graph.queries.run import run_queries

    if not available():
        return {"skipped": "falkordblite is not installed"}
    started = time.perf_counter()
    engine = FalkorDBEngine(db_file=folder / "falkordb.db")
    nx_results = {r.query.id: r for r in report.results}
    order = CORE + [q for q in catalogue if q not in CORE]
    seconds: dict[str, float] = {}
    differ: list[str] = []

    def one_at_a_time() -> None:
        for qid in order:
            if time.perf_counter() - started > budget_s:
                return
            t0 = time.perf_counter()
            (result,) = run_queries(engine, [catalogue[qid]], period, None, graph.declared_labels)
            seconds[qid] = time.perf_counter() - t0
            ref = nx_results[qid]
            if result.status != ref.status or set(result.rows) != set(ref.rows):
                differ.append(qid)

    try:
        phases.run(FALKORDB_LOAD, engine.load, graph)
        server_mb = memory.rss_of(getattr(getattr(engine._db, "client", None), "pid", None)) / MB
        phases.run("FalkorDB: canned queries one at a time, nine core first (run_queries)", one_at_a_time)
    finally:
        engine.close()
    return {
        "server_rss_mb": server_mb,
        "budget_s": budget_s,
        "queries": len(order),
        "seconds": seconds,
        "differ": differ,
    }


# -- the driver ---------------------------------------------------------------------------------------------------


def default_sizes() -> list[int]:
    """The demo size and the size whose node count is closest to 1M (from the generator's records_for, or else
    by measuring size 1 and scaling)."""
    try:
        from itsms_graph.example import records_for
    except ImportError:
        from itsms_graph.example import generate

        per_size = generate(size=1, seed=SEED).graph.number_of_nodes()
        return [1, max(2, round(TARGET_NODES / per_size))]
    return [1, min(range(2, 10_000), key=lambda s: abs(records_for(s) - TARGET_NODES))]


def machine() -> dict[str, Any]:
    import psutil

    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "?")
    versions = {}
    for pkg in ("itsms-graph", "networkx", "duckdb", "orjson", "psutil", "falkordblite", "FalkorDB", "rdflib"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": psutil.virtual_memory().total / 1024**3,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


def render(results: list[dict[str, Any]], info: dict[str, Any], started: str, wall: float, argv: str) -> str:
    v = info["versions"]
    lines = [
        "# Benchmarks: generate, snapshot, check; duckdb as the peer",
        "",
        f"Run {started} UTC with `{argv}` ({wall / 60:.1f} min in all). Machine: {info['nproc']} cores "
        f"({info['cpu']}), {info['ram_gib']:.0f} GiB RAM, {info['platform']}, Python {info['python']}; "
        + ", ".join(f"{k} {val}" for k, val in v.items())
        + ". The machine is shared and noisy: read the ratios, which compare steps measured in the same process "
        "a few seconds apart, not the absolute seconds.",
        "",
        '**"Import" here means generation through the validating store**: `itsms_graph.example.generate(size, '
        f"seed={SEED})` builds the example SMS record by record with `SMSGraph.add_node` / `add_edge`, each "
        "checked against the ontology (labels, properties, types, enumerations, relationship domain and range). "
        "That is the path every importer ends in; reading and mapping export files comes on top of it and is not "
        "measured here (see RESULTS-bpic2014.md).",
        "",
        "Each size runs in its own fresh process (`--worker`), one step after the other: generate, snapshot save, "
        "check (all canned queries, then the nine core ones, networkx), the DuckDB engine, the duckdb peer, "
        "FalkorDB where asked, "
        "then the generated graph is freed and the snapshot re-opened and checked again. Peak RSS is the "
        "process's `ru_maxrss`; per step, RSS before and after and the step's own peak (sampled every 10 ms). "
        "Freed Python memory is not all returned to the OS, so later steps' RSS includes earlier steps' leftovers.",
        "",
        "The duckdb peer: every label and relationship type of the generated graph is exported to one "
        "newline-delimited JSON file (all properties and provenance; export timed apart), loaded into in-memory "
        "duckdb tables (`n_<Label>`, `e_<TYPE>`, columns typed from the ontology, dates as ISO strings like the "
        "graph), and the nine core checks are computed in SQL (EXISTS / NOT EXISTS). Their bounds are computed "
        "as `itsms_graph/queries/plan.py` does, and the script checks that each SQL statement's parameter values "
        "equal the bound query's Cypher parameters. The result rows (subject-id tuples; for `expect: some` the "
        "satisfying rows) must equal the networkx engine's `QueryResult.rows`.",
        "",
        "The DuckDB engine (`--backend duckdb`) is not hand-written: `DuckDBEngine.from_graph` loads the graph "
        "into the two graph tables (`nodes`, `edges`; `itsms_graph/graph/tables.py`, through Arrow), and every "
        "canned query runs through `run_queries` (the same assessment as networkx) as SQL compiled from its "
        "definition (`itsms_graph/engines/duckdb/compiler.py`); status, rows and missing data must equal "
        "networkx's.",
        "",
    ]
    rate = 0.0  # FalkorDB's load rate where it ran, to estimate the sizes where it did not
    for r in results:
        if r.get("falkordb") and "skipped" not in r["falkordb"]:
            rate = (r["nodes"] + r["edges"]) / r["phases"][FALKORDB_LOAD]["s"]
    for r in results:
        p = r["phases"]

        def s(name: str, p: dict[str, Any] = p) -> float:
            return float(p[name]["s"])

        gen, gen_gc = s("generate"), s("gc.collect() after generate")
        nx9, nxall = s("check, nine core queries (networkx)"), s("check, all canned queries (networkx)")
        exp, load, d9 = (
            s("duckdb peer: export to NDJSON tables"),
            s("duckdb peer: load"),
            s("duckdb peer: nine core checks"),
        )
        reopen = s("snapshot re-open")
        nx_eval = sum(c["networkx_s"] for c in r["core"])
        duck_eval = sum(c["duckdb_s"] for c in r["core"])
        same = all(c["same_rows"] for c in r["core"])
        bounds = all(c["same_bounds"] for c in r["core"])
        lines += [
            f"## size {r['size']}: {r['nodes']:,} nodes, {r['edges']:,} relationships",
            "",
            f"Audit period {r['period_label']} (`--as-of {r['as_of']} --period {r['period']}`). Snapshot "
            f"{r['snapshot_mb']:.1f} MB; the duckdb export {r['export_mb']:.1f} MB of NDJSON; duckdb threads "
            f"{r['duckdb_threads']}, duckdb buffer memory after load {r['duckdb_memory_mb']:.0f} MB. "
            f"Peak RSS of the process: **{r['peak_rss_mb']:.0f} MB**.",
            "",
            "| step | seconds | RSS before (MB) | RSS after (MB) | step peak RSS (MB) |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, d in p.items():
            lines.append(
                f"| {name} | {d['s']:.3f} | {d['rss_before_mb']:.0f} | {d['rss_after_mb']:.0f} | {d['peak_mb']:.0f} |"
            )
        ratios = [
            f"- networkx check / duckdb check, nine core queries: **{_ratio(nx9, d9)}** (`check_graph` with the "
            f"report: {nx9:.3f} s against {d9:.3f} s); evaluation alone (`EmbeddedEngine.rows`, no assessment or "
            f"report): {_ratio(nx_eval, duck_eval)} ({nx_eval:.3f} s against {duck_eval:.3f} s)",
            f"- (generate + check) / (duckdb load + checks), nine core queries: **{_ratio(gen + nx9, load + d9)}** "
            f"({gen + nx9:.2f} s against {load + d9:.2f} s); with the export counted on duckdb's side: "
            f"{_ratio(gen + nx9, exp + load + d9)}",
            f"- snapshot re-open / generate: **{reopen / gen:.2f}** (re-open {reopen:.2f} s, generate {gen:.2f} s: "
            f"re-opening is {_ratio(gen, reopen)} faster than re-importing; {_ratio(gen + gen_gc, reopen)} counting "
            "the collection the generated graph costs afterwards)",
            f"- all {len(r['all_queries'])} canned queries on networkx: {nxall:.2f} s "
            f"({_ratio(nxall, d9)} duckdb's nine)",
            f"- the nine core checks give the same rows on networkx and duckdb: **{'yes' if same else 'NO'}**; "
            f"same bounds as plan.py: **{'yes' if bounds else 'NO'}**; re-opened snapshot has the same counts: "
            f"**{'yes' if r['reopen_counts_equal'] else 'NO'}** and the same rows: "
            f"**{'yes' if r['reopen_same_rows'] else 'NO'}**",
        ]
        fk = r.get("falkordb")
        if fk and "skipped" not in fk:
            fl = s(FALKORDB_LOAD)
            secs = fk["seconds"]
            f9 = sum(secs[q] for q in CORE if q in secs)
            core_done = all(q in secs for q in CORE)
            fall = sum(secs.values())
            slow = [f"{q} {v:.1f} s" for q, v in sorted(secs.items(), key=lambda kv: -kv[1])[:3]]
            ran = (
                f"all {fk['queries']} queries {fall:.2f} s ({_ratio(fall, nxall)} networkx's `check_graph`)"
                if len(secs) == fk["queries"]
                else f"only {len(secs)} of {fk['queries']} queries ran within the {fk['budget_s']:.0f} s budget "
                f"(`--falkordb-budget`, load included; {fall:.1f} s), the rest were skipped"
            )
            ratios.append(
                f"- FalkorDB (embedded, falkordblite): load {fl:.2f} s ({_ratio(fl, gen)} generate, "
                f"{(r['nodes'] + r['edges']) / fl:,.0f} nodes and relationships a second); nine core checks "
                + (f"{f9:.2f} s ({_ratio(f9, nx9)} networkx's `check_graph`)" if core_done else "not all run")
                + f"; {ran}; slowest: {', '.join(slow)}; server RSS after load {fk['server_rss_mb']:.0f} MB (a "
                "separate process, not in the peak above); status and rows equal to networkx for every query run: "
                f"**{'yes' if not fk['differ'] else 'NO: ' + ', '.join(fk['differ'])}**"
            )
        elif fk:
            ratios.append(f"- FalkorDB: skipped ({fk['skipped']})")
        elif rate:
            records = r["nodes"] + r["edges"]
            ratios.append(
                f"- FalkorDB: not run at this size (`--falkordb-sizes`); at the load rate measured above "
                f"({rate:,.0f} nodes and relationships a second) loading alone would take about "
                f"{records / rate / 60:.0f} min"
            )
        else:
            ratios.append("- FalkorDB: not run at this size (`--falkordb-sizes`)")
        de = r.get("duckdb_engine")
        if de:
            dl, dr = s(DUCKDB_LOAD), s(DUCKDB_RUN)
            d_eval = sum(q["duckdb_eval_s"] for q in r["all_queries"])
            n_eval = sum(q["eval_s"] for q in r["all_queries"])
            ratios.append(
                f"- DuckDBEngine (`--backend duckdb`: the graph tables, every query compiled to SQL from its "
                f"definition), all {de['queries']} canned queries: networkx's `check_graph` / DuckDB's `run_queries` "
                f"(assessment included): **{_ratio(nxall, dr)}** ({nxall:.2f} s against {dr:.2f} s); counting "
                f"DuckDB's load from the graph ({dl:.2f} s, {_ratio(dl, gen)} generate): **{_ratio(nxall, dl + dr)}**; "
                f"evaluation alone: {_ratio(n_eval, d_eval)} ({n_eval:.2f} s against {d_eval:.2f} s); status, rows "
                "and missing data equal to networkx for every query: "
                f"**{'yes' if not de['differ'] else 'NO: ' + ', '.join(de['differ'])}**"
            )
        evals = sorted(r["all_queries"], key=lambda q: -q["eval_s"])
        eval_sum = sum(q["eval_s"] for q in evals)
        ratios.append(
            f"- evaluation alone of all {len(evals)} queries: {eval_sum:.2f} s, so `check_graph` spends "
            f"{nxall - eval_sum:.2f} s on the catalogue load, the assessment (label counts, property presence) and "
            "the report; slowest: " + ", ".join(f"{q['id']} {q['eval_s']:.2f} s" for q in evals[:5])
        )
        lines += [
            "",
            *ratios,
            "",
            "| core check | expect | status | rows networkx | rows duckdb | same | networkx eval (s) | duckdb (s) |",
            "|---|---|---|---:|---:|---|---:|---:|",
        ]
        for c in r["core"]:
            lines.append(
                f"| {c['id']} | {c['expect']} | {c['status']} | {c['networkx_rows']} | {c['duckdb_rows']} | "
                f"{'yes' if c['same_rows'] and c['same_bounds'] else 'NO'} | {c['networkx_s']:.4f} | "
                f"{c['duckdb_s']:.4f} |"
            )
        for c in r["core"]:
            if "diff" in c:
                lines.append(f"\nMismatch in {c['id']}: {c['diff']}")
            if "bounds" in c:
                lines.append(f"\nBounds differ in {c['id']}: {c['bounds']}")
        lines.append("")
    lines += [
        "## Findings per canned query (networkx)",
        "",
        "Per query and size: status, findings (result rows), and the evaluation time alone (bind + "
        "`EmbeddedEngine.rows`; in brackets bind + `DuckDBEngine.rows`). `expect: some` queries return the satisfying rows and fail with one finding when "
        "there are none. The example plants its defects at fixed places, so the findings do not grow with size.",
        "",
        "| query | grade | expect | " + " | ".join(f"size {r['size']}" for r in results) + " |",
        "|---|---|---|" + "---|" * len(results),
    ]
    by_size = [{q["id"]: q for q in r["all_queries"]} for r in results]
    for q in results[0]["all_queries"]:
        cells = []
        for table in by_size:
            item = table[q["id"]]
            duck = f" (duckdb {item['duckdb_eval_s']:.3f} s)" if "duckdb_eval_s" in item else ""
            cells.append(f"{item['status']} {item['findings']} ({item['rows']}), {item['eval_s']:.3f} s{duck}")
        lines.append(f"| {q['id']} | {q['grade']} | {q['expect']} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated generator sizes (default: 1 and the size of about 1M nodes)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--falkordb-sizes", default="all", help="sizes at which to run FalkorDB too ('all', or a list; '' for none)"
    )
    parser.add_argument(
        "--falkordb-budget",
        type=float,
        default=300.0,
        help="seconds FalkorDB may take per size, load included; queries past it are skipped (default 300)",
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--falkordb", action="store_true", help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.worker is not None:
        worker(ns.worker, ns.result, ns.falkordb, ns.falkordb_budget)
        return
    sizes = [int(x) for x in ns.sizes.split(",")] if ns.sizes else default_sizes()
    if ns.falkordb_sizes == "all":
        falkordb_sizes = set(sizes)
    else:
        falkordb_sizes = {int(x) for x in ns.falkordb_sizes.split(",") if x.strip()}
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    t0 = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="itsms-bench-results-") as tmp:
        for size in sizes:
            print(f"size {size}", file=sys.stderr, flush=True)
            result = Path(tmp) / f"size-{size}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(size), "--result", str(result)]
            if size in falkordb_sizes:
                cmd += ["--falkordb", "--falkordb-budget", str(ns.falkordb_budget)]
            subprocess.run(cmd, check=True)
            results.append(json.loads(result.read_text()))
    argv = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    text = render(results, machine(), started, time.perf_counter() - t0, argv.strip())
    ns.out.write_text(text)
    print(text)
    failed = [c["id"] for r in results for c in r["core"] if not (c["same_rows"] and c["same_bounds"])]
    failed += [f"{q} (DuckDBEngine)" for r in results for q in r.get("duckdb_engine", {}).get("differ", [])]
    if failed:
        print(f"MISMATCH between networkx and duckdb: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Running the canned-query catalogue on a snapshot: the library function behind ``itsms-graph check``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from itsms_graph.audit.facts import Facts, data_cut_off, facts_graph, gather
from itsms_graph.audit.report import CheckReport, build_report
from itsms_graph.engines.networkx.engine import EmbeddedEngine
from itsms_graph.errors import ItsmsError
from itsms_graph.graph.snapshot import open_snapshot_tables
from itsms_graph.graph.store import InputFile, SMSGraph
from itsms_graph.graph.tables import GraphTables, within_memory
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.definition import QueryDefinition
from itsms_graph.queries.engine import Engine
from itsms_graph.queries.parameters import RULE_LABEL, ParameterSources, RuleRecord
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.run import run_queries
from itsms_graph.registry import BACKENDS, DEFAULT_BACKEND

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "check",
    "check_graph",
    "engine_for",
    "select_queries",
    "visual_report",
]


def engine_for(graph: SMSGraph | GraphTables, backend: str, server: Engine | None = None) -> Engine:
    """The engine that runs queries on *graph*: networkx, an embedded FalkorDB or an in-memory DuckDB loaded
    with it, or *server* (a Neo4j the snapshot was pushed to: the queries run there, on what the server holds).
    Graph tables (an import, a snapshot opened) are checked there by DuckDB, streamed into FalkorDB, and built
    into a graph for networkx (the tables closed as it is: the graph is not held twice)."""
    if isinstance(graph, GraphTables):
        if backend == "duckdb":
            if not graph.is_open:
                raise ItsmsError("the graph tables were closed when the graph was built from them")
            from itsms_graph.engines.duckdb.engine import DuckDBEngine

            return DuckDBEngine(graph.con, graph.schema)
        if backend == "networkx":  # the one engine that walks the Python graph (FalkorDB loads from the tables)
            graph = graph.graph(close=True)
    if backend == "networkx":
        assert isinstance(graph, SMSGraph)
        return EmbeddedEngine(graph)
    if backend == "neo4j":
        if server is None:
            raise ItsmsError("--backend neo4j needs --uri (and NEO4J_PASSWORD)")
        return server
    if backend == "falkordb":
        from itsms_graph.engines.cypher.falkordb import FalkorDBEngine

        engine = FalkorDBEngine()
        engine.load(graph)
        return engine
    if backend == "duckdb":
        from itsms_graph.engines.duckdb.engine import DuckDBEngine

        assert isinstance(graph, SMSGraph)
        return DuckDBEngine.from_graph(graph)
    raise ItsmsError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")


def rules_register(graph: SMSGraph | GraphTables) -> list[RuleRecord]:
    """The organisation's rules register: every Rule record of *graph* (placeholders are not rules), in the
    graph's order."""
    if isinstance(graph, GraphTables):
        rows = graph.con.execute(
            'SELECT id, "parameter", "value", source_file, source_row FROM nodes '
            "WHERE label = $label AND unresolved IS NULL ORDER BY seq",
            {"label": RULE_LABEL},
        ).fetchall()
    else:
        rows = []
        for nid in graph.nodes(RULE_LABEL):
            attrs = graph.attrs(nid)
            if not attrs.get("unresolved"):
                row = (attrs.get("source_file"), attrs.get("source_row"))
                rows.append((nid, attrs.get("parameter"), attrs.get("value"), *row))
    out = []
    for nid, parameter, value, source_file, source_row in rows:
        where = f"{source_file}, row {source_row}" if source_file and source_row else (source_file or "")
        if not parameter or value is None:
            raise ItsmsError(f"{where or nid}: the rules register's rule {nid} names no parameter or no value")
        out.append(RuleRecord(str(parameter).strip(), str(value).strip(), nid, where))
    return out


def parameter_sources(
    graph: SMSGraph | GraphTables,
    parameters: ParameterSources | dict[str, Any] | None,
    catalogue: Iterable[QueryDefinition],
) -> ParameterSources:
    """*parameters* with *graph*'s rules register, every name checked to be some query's parameter."""
    sources = ParameterSources.of(parameters).with_register(rules_register(graph))
    sources.check_known(catalogue)
    return sources


def links_of(inputs: list[InputFile]) -> frozenset[tuple[str, str, str]] | None:
    """The links the *inputs* can carry, from their shipped profiles (None when one came from no shipped profile)."""
    from itsms_graph.importers import builtin_profiles
    from itsms_graph.importers.carried import carried_links
    from itsms_graph.importers.profile import load_profile

    wanted = {item.profile.partition(":")[0] for item in inputs}
    profiles = {pid: load_profile(path) for pid, path in builtin_profiles().items() if pid in wanted}
    return carried_links(inputs, profiles)


#: The audit period as a function of the data's cut-off (None when no record is dated).
PeriodRule = Callable[[dt.date | None], AuditPeriod]


def select_queries(catalogue: dict[str, QueryDefinition], ids: Iterable[str] | None) -> list[QueryDefinition]:
    if not ids:
        return list(catalogue.values())
    missing = [i for i in ids if i not in catalogue]
    if missing:
        raise ItsmsError(f"no canned query with id {missing[0]!r} (see: itsms-graph query list)")
    return [catalogue[i] for i in ids]


def check_graph(
    graph: SMSGraph | GraphTables,
    *,
    period: AuditPeriod | PeriodRule,
    query_dirs: Iterable[Path] = (),
    query_ids: Iterable[str] | None = None,
    parameters: ParameterSources | dict[str, Any] | None = None,
    backend: str | None = None,
    fail_on: str = "major",
    title: str = "itsms-graph check",
    extra_inputs: list[InputFile] | None = None,
    server: Engine | None = None,
    facts: bool | None = None,
) -> CheckReport:
    """Run the catalogue (or the queries *query_ids*) on *graph* and build the report: on *backend*, by default
    DuckDB on graph tables and networkx on a graph. *period* is the audit period, or the rule that makes it from
    the data's cut-off (the CLI's --as-of, defaulting to the cut-off). *parameters* are the configuration's and the
    command line's values (a plain mapping: given as ``--param``); the organisation's rules register is read from
    *graph*. *facts*: whether to gather the facts of the records the findings name, which the verdicts read (by
    default on a Python graph, which holds them at hand, and not on graph tables, where they are fetched by SQL
    only when asked for)."""
    cut_off = data_cut_off(graph)
    if not isinstance(period, AuditPeriod):
        period = period(cut_off)
    catalogue = load_catalogue(query_dirs)
    queries = select_queries(catalogue, query_ids)
    sources = parameter_sources(graph, parameters, catalogue.values())
    if backend is None:
        backend = DEFAULT_BACKEND if isinstance(graph, GraphTables) else "networkx"
    with within_memory(importing=getattr(graph, "imported", False)):
        engine = engine_for(graph, backend, server)
        results = run_queries(engine, queries, period, sources, graph.declared_labels, links_of(graph.inputs))
        if facts or (facts is None and isinstance(graph, SMSGraph)):
            merged = sources.merged()
            found = gather(facts_graph(graph, results, merged), results, period, merged, cut_off=cut_off)
        else:  # the check report itself needs only the cut-off; the verdicts ask for the facts
            found = Facts(cut_off=cut_off)
    return build_report(
        results,
        period=period,
        engine=engine.name,
        inputs=graph.inputs,
        fail_on=fail_on,
        title=title,
        extra_inputs=extra_inputs,
        facts=found,
    )


def visual_report(
    snapshot: Path,
    *,
    period: AuditPeriod | PeriodRule,
    previous: Path | None = None,
    previous_period: AuditPeriod | PeriodRule | None = None,
    parameters: ParameterSources | dict[str, Any] | None = None,
    query_dirs: Iterable[Path] = (),
    title: str = "itsms-graph report",
) -> str:
    """The consultant's self-contained HTML report for *snapshot* (and the cycle diff against *previous*): checked
    on the snapshot's tables, drawn from the part of the graph it draws, fetched from them by SQL, and counted whole
    by SQL (the whole graph is never built)."""
    from itsms_graph.audit.verdict import stage1, stage2
    from itsms_graph.reports.visual import read_part, render_visual, whole_of

    tables = open_snapshot_tables(snapshot)
    try:
        compared = [] if previous is None else [InputFile.of(previous, profile="previous snapshot")]
        report = check_graph(
            tables,
            period=period,
            parameters=parameters,
            query_dirs=query_dirs,
            fail_on="none",
            title=title,
            extra_inputs=[InputFile.of(snapshot, profile="snapshot"), *compared],
            facts=True,
        )
        verdicts = stage1(report), stage2(report)
        with within_memory():
            graph = read_part(tables, report, *verdicts)
            whole = whole_of(tables, report.period)
    finally:
        tables.close()
    old = None
    if previous is not None:
        old = check(previous, period=previous_period or period, parameters=parameters, query_dirs=query_dirs)
    return render_visual(graph, report, *verdicts, previous=old, whole=whole)


def check(snapshot: Path, **kwargs: Any) -> CheckReport:
    """Open *snapshot* as graph tables and run :func:`check_graph` on them (on DuckDB unless ``backend`` says
    otherwise); the report names the snapshot and its inputs."""
    tables = open_snapshot_tables(snapshot)
    try:
        return check_graph(tables, extra_inputs=[InputFile.of(snapshot, profile="snapshot")], **kwargs)
    finally:
        tables.close()

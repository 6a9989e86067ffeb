"""The graph tables as the default path (issue #16.1, #16.2): duckdb's memory is a setting, running out of it is
one line naming that setting, and the snapshot commands check the tables by default, networkx on request, with
the same findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from itsms_graph.cli import cli
from itsms_graph.config import load_config
from itsms_graph.duckdb_settings import (
    DEFAULT_MEMORY_LIMIT,
    IMPORT_MEMORY_LIMIT,
    DuckDBSettings,
    configure,
    current_settings,
)
from itsms_graph.errors import ItsmsError
from itsms_graph.graph import save_snapshot
from tests import fixtures

DATA = Path(__file__).parent / "data" / "bpic2014"


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch):
    """Each test starts from the defaults, whatever an earlier command set."""
    import itsms_graph.duckdb_settings as settings

    monkeypatch.setattr(settings, "_given", (None, None))
    monkeypatch.setattr(settings, "_settings", None)
    for name in ("ITSMS_DUCKDB_MEMORY", "ITSMS_DUCKDB_TEMP"):
        monkeypatch.delenv(name, raising=False)


def test_the_option_wins_over_the_environment_which_wins_over_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config = {"memory_limit": "3GB", "temp_directory": str(tmp_path / "c")}
    assert DuckDBSettings.resolved(config=config) == DuckDBSettings("3GB", tmp_path / "c")
    monkeypatch.setenv("ITSMS_DUCKDB_MEMORY", "2GB")
    assert DuckDBSettings.resolved(config=config).memory_limit == "2GB"
    assert DuckDBSettings.resolved("1GB", config=config).memory_limit == "1GB"
    assert current_settings().memory_limit == "2GB"  # nothing configured: the environment
    monkeypatch.delenv("ITSMS_DUCKDB_MEMORY")
    assert current_settings() == DuckDBSettings(None, None)  # nothing set: the default of the work
    assert (current_settings().limit(), current_settings().limit(importing=True)) == (
        DEFAULT_MEMORY_LIMIT,
        IMPORT_MEMORY_LIMIT,
    )
    assert DuckDBSettings("1GB").limit(importing=True) == "1GB"  # a limit set holds for both
    configure("5GB")
    configure(config=config)  # a --config read later keeps the option given before
    assert current_settings() == DuckDBSettings("5GB", tmp_path / "c")


def test_the_configuration_files_duckdb_table(tmp_path: Path):
    good = tmp_path / "itsms-graph.toml"
    good.write_text('[duckdb]\nmemory_limit = "2GB"\ntemp_directory = "spill"\n', encoding="utf-8")
    assert load_config(good).duckdb == {"memory_limit": "2GB", "temp_directory": str(tmp_path / "spill")}
    bad = tmp_path / "bad.toml"
    bad.write_text("[duckdb]\nmemory = 3\n", encoding="utf-8")
    with pytest.raises(ItsmsError, match=r"\[duckdb\] takes memory_limit and temp_directory"):
        load_config(bad)


def test_running_out_of_duckdb_memory_is_one_line_naming_the_setting(tmp_path: Path):
    """#16: BPIC 2014 x4 died in the resolve with duckdb's OutOfMemoryException, a traceback with exit 1."""
    result = CliRunner().invoke(
        cli, ["--duckdb-memory", "2MB", "import", "-p", "bpic2014", str(DATA), "-o", str(tmp_path / "s.itsms")]
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "error: out of memory: the graph tables did not fit duckdb's memory limit of 2MB (raise it with "
        "itsms-graph --duckdb-memory SIZE, ITSMS_DUCKDB_MEMORY or memory_limit in the [duckdb] table of "
        "itsms-graph.toml)"
    ]
    assert not (tmp_path / "s.itsms").exists()


def test_an_imports_duckdb_holds_an_imports_default_and_a_snapshots_the_snapshot_default(tmp_path: Path):
    """An import holds its staged rows beside the tables it builds, and spilling costs it more than the time to
    write and read: duckdb gives evicted blocks' memory back to the system, which the next blocks take again page
    by page. So an import's duckdb is held to IMPORT_MEMORY_LIMIT, an opened snapshot's to DEFAULT_MEMORY_LIMIT,
    unless a limit is set; running out names the limit in force."""
    from itsms_graph.graph.snapshot import open_snapshot_tables
    from itsms_graph.importers import import_tables, resolve_profile

    def limit(con: object) -> int:
        ((value,),) = con.execute("SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'").fetchall()  # type: ignore[attr-defined]
        size, unit = value.split()
        return round(float(size) * {"MiB": 2**20, "GiB": 2**30}[unit] / 1e6)

    imported, _ = import_tables([(resolve_profile("bpic2014"), DATA)], keep_going=True)
    try:
        assert imported.imported and limit(imported.con) == int(IMPORT_MEMORY_LIMIT.removesuffix("MB"))
        save_snapshot(imported.graph(), tmp_path / "s.itsms")
    finally:
        imported.close()
    opened = open_snapshot_tables(tmp_path / "s.itsms")
    try:
        assert not opened.imported and limit(opened.con) == int(DEFAULT_MEMORY_LIMIT.removesuffix("MB"))
    finally:
        opened.close()
    configure("300MB")
    imported, _ = import_tables([(resolve_profile("bpic2014"), DATA)], keep_going=True)
    try:
        assert limit(imported.con) == 300
    finally:
        imported.close()
    assert DuckDBSettings().describe(importing=True).startswith(f"duckdb's memory limit of {IMPORT_MEMORY_LIMIT} ")
    assert DuckDBSettings().describe().startswith(f"duckdb's memory limit of {DEFAULT_MEMORY_LIMIT} ")


@pytest.mark.parametrize("broken", [False, True])
def test_a_check_of_exports_reads_its_catalogue_while_the_first_files_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: bool
):
    """`check -p` reads the catalogue once the first files are being read (BPIC 2014's rows waited 0.1 s for the
    first file, after the catalogue's 0.1 s), before any row is made: a broken query folder is still the one
    error, before any row, and the reads waiting are let go."""
    import threading

    import itsms_graph.queries.catalogue as catalogue
    from itsms_graph.importers.build import Importer

    events: list[str] = []
    submitted = threading.Event()
    read, made, load = Importer._read, Importer._import_file, catalogue.load_catalogue

    def reading(self: Importer, *args: object) -> object:
        submitted.set()
        return read(self, *args)  # type: ignore[arg-type]

    def loading(*args: object, **kwargs: object) -> object:
        events.append("catalogue read" if submitted.wait(5) else "catalogue before any read")
        return load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Importer, "_read", reading)
    monkeypatch.setattr(Importer, "_import_file", lambda self, *a: (events.append("rows"), made(self, *a))[1])
    monkeypatch.setattr(catalogue, "load_catalogue", loading)
    queries = tmp_path / "queries"
    queries.mkdir()
    if broken:
        (queries / "bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    args = ["check", "-p", "bpic2014", str(DATA), "--keep-going", "--queries", str(queries)]
    result = CliRunner().invoke(cli, [*args, "--fail-on", "none", "--format", "json"])
    assert events[0] == "catalogue read"
    if broken:
        assert result.exit_code == 2, result.output
        assert "bad.yaml" in result.output
        assert "rows" not in events
        assert not [t for t in threading.enumerate() if t.name.startswith(("itsms-read", "itsms-stage"))]
    else:
        assert result.exit_code == 0, result.output
        assert events.count("rows") == 4


@pytest.mark.parametrize("which", ["first", "middle", "last"])
def test_an_insert_failing_on_the_staging_thread_stops_the_import_with_its_error(
    which: str, monkeypatch: pytest.MonkeyPatch
):
    """Staged rows go into duckdb on a thread of their own while the next rows are decided: an insert's error
    stops the import with that error (when a later insert waits for it, or, the last ones', before the resolve),
    and the thread is let go."""
    import threading

    from itsms_graph.importers import resolve_profile
    from itsms_graph.importers.build import _PENDING, Importer, import_tables

    sources = [(resolve_profile("bpic2014"), DATA)]
    calls: list[str] = []
    insert = Importer._insert
    failing = 0

    def counted_insert(self: Importer, name: str, rows: object) -> None:
        calls.append(name)
        if len(calls) == failing:
            raise ItsmsError(f"insert {failing} failed")
        insert(self, name, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(Importer, "_insert", counted_insert)
    import_tables(sources, keep_going=True)[0].close()
    failing = {"first": 1, "middle": len(calls) // 2, "last": len(calls)}[which]
    calls.clear()
    with pytest.raises(ItsmsError, match=f"^insert {failing} failed$"):
        import_tables(sources, keep_going=True)
    assert not [t for t in threading.enumerate() if t.name.startswith("itsms-stage")]
    assert len(calls) < failing + _PENDING  # no more than the inserts already waiting ran after it


def test_the_temporary_folder_is_where_duckdb_spills(tmp_path: Path):
    spill = tmp_path / "spill"
    spill.mkdir()
    result = CliRunner().invoke(
        cli,
        ["--duckdb-temp", str(spill), "import", "-p", "bpic2014", str(DATA), "-o", str(tmp_path / "s.itsms")],
    )
    assert result.exit_code == 0, result.output
    assert current_settings().temp_directory == spill


def test_snapshot_commands_check_the_tables_by_default_and_networkx_on_request(tmp_path: Path):
    snap = save_snapshot(fixtures.boundaries(), tmp_path / "b.itsms")
    runner = CliRunner()
    reports = {}
    for backend in ("default", "networkx"):
        args = ["check", str(snap), "--as-of", "2024-06-30", "--fail-on", "none", "--format", "json"]
        result = runner.invoke(cli, args + ([] if backend == "default" else ["--backend", backend]))
        assert result.exit_code == 0, result.output
        reports[backend] = json.loads(result.output)
    assert reports["default"]["engine"] == "duckdb" and reports["networkx"]["engine"] == "networkx"
    assert reports["default"]["summary"] == reports["networkx"]["summary"]
    assert [(r["query"], r["status"], r["findings"]) for r in reports["default"]["results"]] == [
        (r["query"], r["status"], r["findings"]) for r in reports["networkx"]["results"]
    ]
    for command in ("stage1", "stage2"):
        outs = [
            runner.invoke(cli, [command, str(snap), "--as-of", "2024-06-30", "--format", "json", *extra])
            for extra in ([], ["--backend", "networkx"])
        ]
        assert outs[0].exit_code == outs[1].exit_code
        verdicts = [json.loads(o.output)[command] for o in outs]
        assert verdicts[0] == verdicts[1]


def test_a_part_holds_what_was_asked_and_the_relationships_between_it(tmp_path: Path):
    """GraphTables.part (#16.2): the nodes named (an absent one ignored), a label's nodes, the services_of walk
    step by step (a record's item, then the item's service; not the service's own links), and whole relationship
    types with both ends; each node as the whole graph holds it, and only the relationships between kept nodes."""
    from itsms_graph.graph.snapshot import open_snapshot_tables
    from itsms_graph.graph.store import SMSGraph, service_steps
    from tests.builders import SRC

    graph = SMSGraph()
    svc = graph.add_node("Service", "S1", {"name": "Payroll"}, source_file=SRC)
    other = graph.add_node("Service", "S2", {"name": "Mail"}, source_file=SRC)
    ci = graph.add_node("ConfigurationItem", "CI1", {"name": "db01"}, source_file=SRC)
    graph.add_edge("PART_OF", ci, svc, source_file=SRC)
    inc = graph.add_node("Incident", "I1", {"opened_at": "2025-01-03T10:00:00"}, source_file=SRC, source_row=7)
    graph.add_edge("AFFECTS", inc, ci, source_file=SRC)
    far = graph.add_node("Incident", "I2", {}, source_file=SRC)
    graph.add_edge("AFFECTS", far, other, source_file=SRC)
    doc = graph.add_node("Document", "D1", {"title": "Policy"}, source_file=SRC)
    graph.add_edge("ADDRESSES", doc, "Clause:4.1", source_file=SRC)
    tables = open_snapshot_tables(save_snapshot(graph, tmp_path / "p.itsms"))
    try:
        walked = tables.part([inc, "Incident:NOPE"], follow=service_steps(tables.schema))
        assert sorted(walked.all_nodes()) == sorted([inc, ci, svc])
        assert walked.services_of(inc) == graph.services_of(inc) == [svc]
        assert walked.attrs(inc) == graph.attrs(inc) and walked.edge_count() == 2
        assert sorted(tables.part([inc]).all_nodes()) == [inc]  # no walk: the record alone
        assert sorted(tables.part(labels=["Service"]).all_nodes()) == sorted([svc, other])
        documents = tables.part(whole=["ADDRESSES"])
        assert sorted(documents.all_nodes()) == ["Clause:4.1", doc] and documents.has_edge(
            doc, "Clause:4.1", "ADDRESSES"
        )
        assert tables.part().number_of_nodes() == 0
    finally:
        tables.close()


def test_a_streamed_read_running_out_of_memory_is_the_same_one_line():
    """#16: pushing BPIC 2014 x15 (10M nodes) died in the stream of relationships with duckdb's traceback; every
    streamed read (push, export cypher, export neo4j-admin) now says which setting bounds it."""
    import duckdb

    from itsms_graph.graph.tables import fetch_batches

    con = duckdb.connect()
    con.execute("SET memory_limit = '8MB'")
    con.execute("SET temp_directory = ''")
    big = "SELECT range AS r, repeat('x', 100) AS s FROM range(2000000) ORDER BY s || r::VARCHAR"
    with pytest.raises(ItsmsError, match=r"^out of memory: the graph tables did not fit duckdb's memory limit"):
        for _ in fetch_batches(con, big, [], 1000):
            pass
    assert sum(len(b) for b in fetch_batches(con, "SELECT * FROM range(2500)", [], 1000)) == 2500

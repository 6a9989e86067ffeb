"""Exports for Neo4j: the Cypher script, neo4j-admin CSVs, the Browser style, guide and query files."""

from __future__ import annotations

import csv
import math
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from itsms_graph.check import check_graph
from itsms_graph.cli import cli
from itsms_graph.colours import label_colours
from itsms_graph.engines.cypher import falkordb as falkordb_engine
from itsms_graph.exports.browser import grass, guide, query_file
from itsms_graph.exports.cypher_script import literal, script_lines
from itsms_graph.exports.neo4j_admin import write_import_files
from itsms_graph.graph import save_snapshot
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import fetch_sql
from itsms_graph.ontology import schema
from itsms_graph.queries.catalogue import load_catalogue
from tests import fixtures
from tests.conftest import require_tier

HOSTILE = 'O\'Brien \\ "quoted" }) DETACH DELETE n //\n<script>alert(1)</script> `tick` \u2603'


def hostile_graph() -> SMSGraph:
    graph = fixtures.boundaries()
    graph.add_node("Service", "S-x'); MATCH (n) DETACH DELETE n; //", {"name": HOSTILE}, source_file="evil.csv")
    return graph


def test_literals_quote_everything():
    # only the quote and the backslash escaped (escaping.cypher_string): a line break is itself in a literal
    assert literal("a'b\\c\n") == "'a\\'b\\\\c\n'"
    assert literal({"k`": [1, True, None, 2.5]}) == "{`k```: [1, true, null, 2.5]}"
    with pytest.raises(ValueError):
        literal(float("nan"))


def test_the_cypher_script_loads_the_same_graph_hostile_values_inert():
    require_tier(falkordb_engine.available(), "FalkorDB (falkordblite)", "pip install falkordblite")
    graph = hostile_graph()
    engine = falkordb_engine.FalkorDBEngine()
    engine.prepare(sorted(graph.labels_present()))
    lines = list(script_lines(graph, batch_size=7))
    assert lines[0].startswith("//") and all(line.endswith(";") for line in lines[1:])
    for line in lines[1:]:
        if not line.startswith("CREATE CONSTRAINT"):  # Neo4j-only syntax; FalkorDB was prepared above
            engine.run(line[:-1])
    for label in graph.labels_present():
        assert engine.label_count(label) == graph.count(label)
    [[name]] = engine.run(
        "MATCH (s:Service {id: $id}) RETURN s.name", {"id": "Service:S-x'); MATCH (n) DETACH DELETE n; //"}
    )
    assert name == HOSTILE
    engine.close()


def test_neo4j_admin_files_have_typed_headers_and_every_row(tmp_path: Path):
    graph = fixtures.features()
    _files, command = write_import_files(graph, tmp_path, database="my db")
    # a shell reads it back as the arguments meant: "|" is no pipe, a database name with a space one argument
    args = shlex.split(command)
    assert args[:5] == ["neo4j-admin", "database", "import", "full", "--array-delimiter=|"] and args[-1] == "my db"
    assert "--nodes=nodes_Change.csv" in command and "--relationships=relationships_APPROVES.csv" in command
    rows = list(csv.reader((tmp_path / "nodes_ManagementReview.csv").open()))
    assert rows[0][:2] == ["id:ID", ":LABEL"] and "inputs:string[]" in rows[0]
    assert len(rows) - 1 == graph.count("ManagementReview")
    change = next(iter(csv.reader((tmp_path / "nodes_Change.csv").open())))
    assert "emergency:boolean" in change and "actual_start:string" in change
    rels = list(csv.reader((tmp_path / "relationships_EVIDENCES.csv").open()))
    assert rels[0][:3] == [":START_ID", ":END_ID", ":TYPE"] and len(rels) - 1 == graph.edge_count("EVIDENCES")
    assert (tmp_path / "import-command.txt").read_text().strip().endswith(command)


def test_style_covers_every_label_and_paints_findings_red():
    text = grass()
    for label in schema().labels:
        assert f"node.{label} {{" in text
    assert label_colours()["Finding"][0] == "#D32F2F"
    assert "relationship.FLAGS {" in text
    colours = label_colours()
    assert set(colours) == set(schema().labels)
    assert sum(1 for c, _ in colours.values() if c == "#D32F2F") == 1  # only findings are red


def test_guide_and_query_files_carry_every_query(tmp_path: Path):
    catalogue = load_catalogue()
    html = guide(catalogue, fixtures.PERIOD)
    for qid, q in catalogue.items():
        assert f"<h3>{qid}: " in html
        text = query_file(q, fixtures.PERIOD)
        assert text.startswith(f"// {qid}: ") and "MATCH" in text and text.endswith(";\n")
    assert html.count('class="pre-scrollable code runnable"') == 2 * len(catalogue) + 3  # + the walk and its params
    assert "<script" not in html.replace("&lt;script", "")


def test_export_and_browser_commands(tmp_path: Path):
    runner = CliRunner()
    snap = save_snapshot(fixtures.boundaries(), tmp_path / "b.itsms")
    assert runner.invoke(cli, ["export", "cypher", str(snap), "-o", str(tmp_path / "g.cypher")]).exit_code == 0
    admin = runner.invoke(cli, ["export", "neo4j-admin", str(snap), "-o", str(tmp_path / "imp")])
    assert admin.exit_code == 0 and "neo4j-admin database import full" in admin.output
    assert runner.invoke(cli, ["neo4j", "style", "-o", str(tmp_path / "s.grass")]).exit_code == 0
    result = runner.invoke(cli, ["neo4j", "guide", "-o", str(tmp_path / "guide"), "--as-of", "2025-06-30"])
    assert result.exit_code == 0
    assert len(list((tmp_path / "guide" / "queries").glob("*.cypher"))) == len(load_catalogue())
    again = tmp_path / "guide2"
    runner.invoke(cli, ["neo4j", "guide", "-o", str(again), "--as-of", "2025-06-30"])
    assert (again / "itsms-graph.html").read_bytes() == (tmp_path / "guide" / "itsms-graph.html").read_bytes()


def test_push_needs_a_reachable_server_and_never_takes_a_password_flag(tmp_path: Path, monkeypatch):
    snap = save_snapshot(fixtures.boundaries(), tmp_path / "b.itsms")
    monkeypatch.setenv("NEO4J_PASSWORD", "secret-not-to-echo")
    result = CliRunner().invoke(
        cli, ["neo4j", "push", str(snap), "--uri", "bolt://127.0.0.1:1", "--as-of", "2025-06-30"]
    )
    assert result.exit_code == 2 and "cannot reach Neo4j at bolt://127.0.0.1:1" in result.output
    assert "secret-not-to-echo" not in result.output
    assert "--password" not in CliRunner().invoke(cli, ["neo4j", "push", "--help"]).output


def test_the_exports_stream_from_the_tables_what_the_graph_gives(tmp_path: Path):
    """#16.3: export cypher and export neo4j-admin read the tables a snapshot opens to, a batch at a time, without
    the Python graph, and write what the graph itself gives."""
    from itsms_graph.graph.snapshot import open_snapshot, open_snapshot_tables

    snap = save_snapshot(hostile_graph(), tmp_path / "h.itsms")
    graph = open_snapshot(snap)
    tables = open_snapshot_tables(snap)
    try:
        assert list(script_lines(tables, batch_size=3)) == list(script_lines(graph, batch_size=3))
        write_import_files(tables, tmp_path / "from-tables")
        write_import_files(graph, tmp_path / "from-graph")
        assert tables.built is None  # never built
    finally:
        tables.close()
    names = sorted(p.name for p in (tmp_path / "from-graph").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "from-tables").iterdir())
    for name in names:
        assert (tmp_path / "from-tables" / name).read_bytes() == (tmp_path / "from-graph" / name).read_bytes(), name


def test_the_exports_with_findings_stream_what_a_push_writes(tmp_path: Path):
    """The findings in the exports (report-saved, on the streaming exporters): from the tables, never building the
    Python graph, the same script and files as from the graph; every node marked pushed_by as a push marks it, the
    Snapshot node, each finding once and its FLAGS to subjects the graph holds."""
    from itsms_graph.graph.snapshot import open_snapshot, open_snapshot_tables

    snap = save_snapshot(fixtures.boundaries(), tmp_path / "b.itsms")
    findings = check_graph(fixtures.boundaries(), period=fixtures.PERIOD, fail_on="none").findings
    assert findings
    graph = open_snapshot(snap)
    tables = open_snapshot_tables(snap)
    try:
        from_tables = list(script_lines(tables, batch_size=3, dialect="falkordb", findings=findings))
        assert from_tables == list(script_lines(graph, batch_size=3, dialect="falkordb", findings=findings))
        write_import_files(tables, tmp_path / "from-tables", findings=findings)
        write_import_files(graph, tmp_path / "from-graph", findings=findings)
        assert tables.built is None  # never built
    finally:
        tables.close()
    assert "CREATE INDEX FOR (n:Finding) ON (n.id);" in from_tables
    assert "CREATE INDEX FOR (n:Snapshot) ON (n.id);" in from_tables
    assert all(
        "'pushed_by': 'itsms-graph'" in line or "`pushed_by`: 'itsms-graph'" in line
        for line in from_tables
        if line.startswith("UNWIND") and "MERGE (n:" in line
    )
    names = sorted(p.name for p in (tmp_path / "from-graph").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "from-tables").iterdir())
    for name in names:
        assert (tmp_path / "from-tables" / name).read_bytes() == (tmp_path / "from-graph" / name).read_bytes(), name
    folder = tmp_path / "from-tables"
    assert {"nodes_Snapshot.csv", "nodes_Finding.csv", "relationships_FLAGS.csv"} <= set(names)
    with (folder / "nodes_Finding.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len({f.id for f in findings})
    with (folder / "nodes_Change.csv").open(encoding="utf-8") as fh:
        changes = list(csv.DictReader(fh))
    assert changes and {r["pushed_by:string"] for r in changes} == {"itsms-graph"}


def test_push_streams_from_the_tables_into_falkordb(tmp_path: Path):
    """#16.3: neo4j push writes the tables as they are read, every node tagged, the findings flagging their
    subjects, and reads back the counts it expects; the same as pushing the graph."""
    require_tier(falkordb_engine.available(), "FalkorDB (falkordblite)", "pip install falkordblite")
    from itsms_graph.check import check_graph
    from itsms_graph.exports.push import push
    from itsms_graph.graph.snapshot import open_snapshot, open_snapshot_tables

    snap = save_snapshot(fixtures.boundaries(), tmp_path / "b.itsms")
    results = {}
    for name, opened in (("tables", open_snapshot_tables), ("graph", open_snapshot)):
        source = opened(snap)
        findings = check_graph(source, period=fixtures.PERIOD).findings
        engine = falkordb_engine.FalkorDBEngine(graph_name=f"push-{name}")
        result = push(engine, source, findings, batch_size=5)
        assert result.ok, result.problems
        assert result.findings == len(findings) > 0 and result.actual["FLAGS"] > 0
        [[untagged]] = engine.run("MATCH (n) WHERE n.pushed_by IS NULL RETURN count(n)")
        assert untagged == 0
        results[name] = result.actual
        engine.close()
    assert results["tables"] == results["graph"]


def test_export_cypher_dialects_load_with_the_findings(tmp_path: Path, falkor_db):
    """neo4j: uniqueness constraints; falkordb: an index per label (FalkorDB has no such constraints), and the
    script loads there as written. Either way the findings as of --as-of are in the exported graph."""
    from itsms_graph.engines.cypher.falkordb import FalkorDBEngine

    runner = CliRunner()
    snap = save_snapshot(fixtures.boundaries(), tmp_path / "b.itsms")
    scripts = {}
    for dialect in ("neo4j", "falkordb"):
        out = tmp_path / f"{dialect}.cypher"
        args = ["export", "cypher", str(snap), "--as-of", "2025-06-30", "--allow-after-cutoff", "--dialect", dialect]
        result = runner.invoke(cli, [*args, "-o", str(out)])
        assert result.exit_code == 0 and "findings as of 2025-06-30" in result.output
        scripts[dialect] = [line for line in out.read_text().splitlines() if not line.startswith("//")]
    assert any(s.startswith("CREATE CONSTRAINT") for s in scripts["neo4j"])
    assert not any(s.startswith("CREATE INDEX") for s in scripts["neo4j"])
    assert not any(s.startswith("CREATE CONSTRAINT") for s in scripts["falkordb"])
    report = check_graph(fixtures.boundaries(), period=fixtures.PERIOD, fail_on="none")
    engine = FalkorDBEngine(db=falkor_db, graph_name="export_dialect")
    for statement in scripts["falkordb"]:
        engine.run(statement.rstrip(";"))
    [[findings]] = engine.run("MATCH (f:Finding) RETURN count(f)")
    assert findings == len(report.findings) > 0
    [[flagged]] = engine.run("MATCH (:Finding)-[r:FLAGS]->() RETURN count(r)")
    assert flagged >= len(report.findings)
    admin = runner.invoke(
        cli,
        [
            "export",
            "neo4j-admin",
            str(snap),
            "--as-of",
            "2025-06-30",
            "--allow-after-cutoff",
            "-o",
            str(tmp_path / "i"),
        ],
    )
    assert admin.exit_code == 0 and (tmp_path / "i" / "nodes_Finding.csv").exists()


def test_the_walk_from_a_clause_to_incidents_runs_on_the_example(falkor_db):
    """clause -> policy -> service -> records -> incidents: the GOVERNS links and governs_kinds make it a query."""
    from itsms_graph.engines.cypher.falkordb import FalkorDBEngine
    from itsms_graph.example import generate
    from itsms_graph.exports.browser import WALK, WALK_PARAMS

    graph = generate().graph
    engine = FalkorDBEngine(db=falkor_db, graph_name="walk")
    engine.load(graph)
    rows = engine.run(WALK.replace("LIMIT 200", "LIMIT 100000"), WALK_PARAMS)
    policies = {row[1].properties["title"] for row in rows}
    assert policies == {"Change management policy"}  # what addresses 8.5.1.1 and governs services
    kinds = {next(iter(row[3].labels)) for row in rows}
    assert kinds == {"Change"}  # Releases deploy changes; they do not affect a service directly
    caused = {row[4].properties["id"] for row in rows if row[4] is not None}
    governed = set(graph.neighbours("Document:DOC-07", "GOVERNS", "out"))
    expected = {
        i
        for c, s in graph.edges("AFFECTS")
        if graph.label_of(c) == "Change" and s in governed
        for i in graph.neighbours(c, "CAUSED_BY", "in")
    }
    assert caused == expected and caused


def test_a_fresh_label_is_created_and_a_present_one_merged():
    """#16.3: nodes of a label the database holds none of are created (a row is the node's map, its id in it);
    relationships are created only between two fresh labels' nodes; everything else is merged."""
    from itsms_graph.engines.cypher.load import load_batches

    graph = fixtures.boundaries()
    labels = sorted(graph.labels_present())
    fresh = set(labels[::2])
    seen_nodes, seen_edges = set(), set()
    for statement, rows in load_batches(graph, 3, tag="t", fresh=fresh):
        if " MATCH (a:" in statement:
            source = statement.split("MATCH (a:")[1].split(" ")[0]
            target = statement.split("MATCH (b:")[1].split(" ")[0]
            assert ("CREATE (a)-[" in statement) == (source in fresh and target in fresh), statement
            assert ("MERGE (a)-[" in statement) != ("CREATE (a)-[" in statement)
            seen_edges.add("CREATE" in statement)
            continue
        label = statement.split("(n:")[1].split(")")[0].split(" ")[0]
        if label in fresh:
            assert statement == f"UNWIND $rows AS row CREATE (n:{label}) SET n = row"
            assert all(
                isinstance(row, dict) and row["id"].startswith(f"{label}:") and row["pushed_by"] == "t" for row in rows
            )
        else:
            assert statement.startswith(f"UNWIND $rows AS row MERGE (n:{label} {{id: row[0]}})")
            assert all(row[0].startswith(f"{label}:") and row[1]["pushed_by"] == "t" for row in rows)
        seen_nodes.add(label in fresh)
    assert seen_nodes == {True, False} and seen_edges == {True, False}


@pytest.mark.parametrize("held", [False, True], ids=["into-an-empty-database", "beside-other-nodes"])
def test_push_reads_back_what_the_database_holds_and_a_lost_batch_is_seen(held: bool):
    """The counts read back come from the database either way (its count store when it held nothing before, a
    scan of the tagged ends otherwise): a batch the database never ran makes the push not ok, naming the count.
    A node of ours already there (same label and id) is merged into, not doubled."""
    require_tier(falkordb_engine.available(), "FalkorDB (falkordblite)", "pip install falkordblite")
    from itsms_graph.exports.push import push

    graph = fixtures.boundaries()
    engine = falkordb_engine.FalkorDBEngine(graph_name=f"lost-{held}")
    try:
        change = next(iter(graph.nodes("Change")))
        if held:
            engine.run("CREATE (:Change {id: $id}), (:Person {id: 'Person:not-ours'})", {"id": change})
        whole = push(engine, graph, [], tag="whole")
        assert whole.ok, whole.problems
        [[changes]] = engine.run("MATCH (c:Change {id: $id}) RETURN count(c)", {"id": change})
        assert changes == 1
        engine.run("MATCH (n) DETACH DELETE n")
        if held:
            engine.run("CREATE (:Person {id: 'Person:not-ours'})")
        ran = engine.run_encoded
        skipped = []

        def lose_one_edge_batch(encoded):
            text = encoded[0]
            if not skipped and "[r:AFFECTS]" in text:  # one statement: all AFFECTS between these two labels
                ends = (text.split("MATCH (a:")[1].split(" ")[0], text.split("MATCH (b:")[1].split(" ")[0])
                skipped.append(sum((graph.label_of(s), graph.label_of(t)) == ends for s, t in graph.edges("AFFECTS")))
                return None
            return ran(encoded)

        engine.run_encoded = lose_one_edge_batch  # type: ignore[method-assign]
        lost = push(engine, graph, [], tag="lost")
        assert skipped and not lost.ok
        assert lost.actual.get("AFFECTS", 0) == lost.expected["AFFECTS"] - skipped[0]
        assert "AFFECTS" in lost.problems[0]
    finally:
        engine.close()


def test_reading_ahead_keeps_the_order_raises_the_makers_error_and_stops_with_the_reader():
    import contextlib
    import threading

    from itsms_graph.engines.cypher.engine import read_ahead

    assert list(read_ahead(iter(range(50)), depth=2)) == list(range(50))

    def broken():
        yield 1
        raise ValueError("bad batch")

    got = []
    with pytest.raises(ValueError, match="bad batch"):
        for item in read_ahead(broken()):
            got.append(item)
    assert got == [1]
    made = []

    def endless():
        n = 0
        while True:
            made.append(n)
            yield n
            n += 1

    with contextlib.closing(read_ahead(endless(), depth=2)) as ahead:
        assert next(ahead) == 0
    assert not any(t.name == "itsms-read-ahead" for t in threading.enumerate())
    assert len(made) <= 5  # at most the queue's depth ahead of the reader, then stopped


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(), st.just(HOSTILE), st.binary()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(min_size=1).filter(lambda k: "`" not in k), inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES)
def test_the_parameter_text_is_the_falkordb_clients_own(value):
    """The push writes FalkorDB's parameter header itself (faster): byte for byte what its client writes."""
    helpers = pytest.importorskip("falkordb.helpers")
    assert falkordb_engine.parameter_text(value) == helpers.stringify_param_value(value)


def _with_lists_and_numbers() -> SMSGraph:
    """The hostile graph with a node of every column type the graph tables hold: lists, a float, a boolean."""
    graph = hostile_graph()
    sch = graph.schema
    kinds = {k: (p.type, p.multi_valued) for k, p in sch.properties.items()}
    label = next(lb for lb in sorted(sch.labels) if any(kinds[k] == ("float", False) for k in sch.properties_of(lb)))
    keys = sorted(k for k in sch.properties_of(label) if k not in ("id", "label", "source_file", "source_row"))
    floats = [k for k in keys if kinds[k] == ("float", False)]
    props: dict[str, object] = dict(zip(floats, [1e16, 0.1, -0.0], strict=False))
    props |= {k: True for k in keys if kinds[k] == ("boolean", False)}
    props |= {k: -(2**63) for k in keys if kinds[k] == ("integer", False)}
    props["description"] = "a NUL \x00 that FalkorDB cannot hold"  # quoted alike by the error either path raises
    graph.add_node(label, "every-type", props, source_file=HOSTILE, source_row=7)
    incident = next(iter(graph.nodes("Incident"))).split(":", 1)[1]
    graph.add_node("Incident", incident, {"unnamed_references": [HOSTILE, "#MULTIVALUE", "\\"]}, source_file="x")
    return graph


@pytest.mark.parametrize("make", [fixtures.boundaries, _with_lists_and_numbers], ids=["boundaries", "hostile"])
def test_the_tables_rows_rendered_by_duckdb_are_the_text_of_the_python_rows(tmp_path: Path, make):
    """#16.3: the push into FalkorDB renders each batch from the graph tables in SQL: byte for byte the statement
    the Python rows of load_batches make (fresh labels created, the others merged, the tag escaped), batch by
    batch, in the same order."""
    from itsms_graph.engines.cypher.engine import CypherEngine
    from itsms_graph.graph.snapshot import open_snapshot_tables

    tables = open_snapshot_tables(save_snapshot(make(), tmp_path / "g.itsms"))
    engine = falkordb_engine.FalkorDBEngine.__new__(falkordb_engine.FalkorDBEngine)  # no server: nothing is sent
    labels = sorted(tables.labels_present())
    try:
        for fresh in (set(), set(labels[::2]), set(labels)):
            for tag in (None, HOSTILE):
                rendered = list(engine.encoded_batches(tables, 3, tag=tag, fresh=fresh))
                from_rows = list(CypherEngine.encoded_batches(engine, tables, 3, tag=tag, fresh=fresh))
                assert rendered == from_rows
                assert (make is fixtures.boundaries) != any(held is not None for _, (_, held) in rendered)
                assert len(rendered) > len(labels)
    finally:
        tables.close()


_COLUMN_VALUES = {
    "VARCHAR": st.text() | st.just(HOSTILE) | st.just(""),
    "BIGINT": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "DOUBLE": st.floats(),
    "BOOLEAN": st.booleans(),
}


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_sql_text_of_a_column_value_is_the_parameter_text_of_its_python_value(data):
    """text_sql renders a value of each column type as parameter_text renders it read into Python (NaN,
    infinities, -0.0, the largest integers, any text, a list with nulls)."""
    kind = data.draw(st.sampled_from(sorted(_COLUMN_VALUES)), label="kind")
    listed = data.draw(st.booleans(), label="list")
    values = _COLUMN_VALUES[kind]
    value = data.draw(st.lists(st.none() | values, max_size=4) if listed else values, label="value")
    column = kind + ("[]" if listed else "")
    _assert_sql_text(value, column)


def _assert_sql_text(value, column: str) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (v {column})")
    con.execute("INSERT INTO t VALUES (?)", [value])
    read = fetch_sql(con, f"SELECT v, {falkordb_engine.text_sql('v', column)} AS text FROM t", [])  # through Arrow
    assert read["text"] == [falkordb_engine.parameter_text(read["v"][0])]


@pytest.mark.parametrize(
    "value",
    [math.nan, -math.nan, math.inf, -math.inf, -0.0, 5e-324, 1e16, 1e15, 0.1, 1.7976931348623157e308],
    ids=repr,
)
def test_the_sql_text_of_a_double_at_its_edges(value):
    """The doubles whose text duckdb and Python may write differently: a NaN with its sign bit set (duckdb
    writes -nan, Python nan; found by the test above), infinities, -0.0, the smallest and largest, where the
    exponent form begins (1e16; 1e15 is still written out)."""
    _assert_sql_text(value, "DOUBLE")
    _assert_sql_text([value, None], "DOUBLE[]")


def test_the_parameter_text_refuses_what_the_client_refuses():
    for key in ("", "a`b"):
        with pytest.raises(ValueError):
            falkordb_engine.parameter_text({key: 1})

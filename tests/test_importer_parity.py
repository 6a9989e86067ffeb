"""The columnar importer gives what reading the rows one by one gives (tests/row_importer.py, the specification):
the same nodes with the same attributes and provenance, in the same order per label; the same relationships with
the provenance of the row that made each first; the same placeholders, markers and import report; and, without
--keep-going, the same first error. On every built-in profile's data and on generated exports that mix every
rule where order decides: merges by latest timestamp, min, max and first; rows that only name a node filling what
it lacks (a clause the graph holds before any import included); references to records read later, to several
labels, to ids no input holds; separated cells whose parts each describe their own target; markers; rejections; blank rows; a row filter.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itsms_graph.errors import InputError
from itsms_graph.importers import import_sources, resolve_profile
from itsms_graph.importers.profile import load_profile
from tests import row_importer
from tests.conftest import SHARED_DATA

DATA = Path(__file__).resolve().parent / "data"


def state(graph: Any) -> dict[str, Any]:
    return {
        "nodes": dict(graph._nodes),
        "order": {label: list(ids) for label, ids in graph._by_label.items()},
        "edges": {rel: list(pairs.items()) for rel, pairs in graph._edges.items() if pairs},
        "marked": {key: set(ids) for key, ids in graph._marked.items() if ids},
        "declared": set(graph.declared_labels),
        "inputs": list(graph.inputs),
    }


def assert_same(sources: list[tuple[Any, Path]], *, keep_going: bool = True) -> None:
    expected: Any
    try:
        expected = row_importer.import_sources(sources, keep_going=keep_going)
    except InputError as exc:
        expected = exc
    try:
        actual: Any = import_sources(sources, keep_going=keep_going)
    except InputError as exc:
        actual = exc
    if isinstance(expected, InputError) or isinstance(actual, InputError):
        assert str(actual) == str(expected)
        return
    (g1, r1), (g2, r2) = expected, actual
    assert r2.to_dict() == r1.to_dict()
    s1, s2 = state(g1), state(g2)
    for key in s1:
        assert s2[key] == s1[key], key


BUILT_IN = [
    ("bpic2014", DATA / "bpic2014"),
    ("uci-servicenow", DATA / "uci-servicenow"),
    ("itop", DATA / "itop"),
    ("jira-sm", DATA / "jira-sm"),
    ("servicenow", DATA / "servicenow" / "csv"),
    ("servicenow", DATA / "servicenow" / "json"),
    ("servicenow", DATA / "servicenow" / "table-api"),
    ("servicenow", DATA / "servicenow" / "xlsx"),
]


@pytest.mark.parametrize(("profile", "folder"), BUILT_IN, ids=[f"{p}-{f.name}" for p, f in BUILT_IN])
def test_every_built_in_profile_imports_as_row_by_row(profile: str, folder: Path):
    assert_same([(resolve_profile(profile), folder)])


@pytest.mark.parametrize(("profile", "folder"), BUILT_IN, ids=[f"{p}-{f.name}" for p, f in BUILT_IN])
def test_a_file_decided_a_slice_of_rows_at_a_time_imports_as_row_by_row(
    profile: str, folder: Path, monkeypatch: pytest.MonkeyPatch
):
    """A long file's rows are decided a slice at a time (here two rows a slice): each slice converts the distinct
    cells its rows hold, and the report adds the slices' counts and keeps the file's first rejections."""
    from itsms_graph.importers import file_rows

    monkeypatch.setattr(file_rows, "_SLICE_ROWS", 2)
    assert_same([(resolve_profile(profile), folder)])
    if profile == "bpic2014":  # its rejections stop the import at the file's first one, slice or not
        assert_same([(resolve_profile(profile), folder)], keep_going=False)


def test_several_sources_import_as_row_by_row():
    """References resolve across sources in the same order either way."""
    assert_same(
        [
            (resolve_profile("servicenow"), DATA / "servicenow" / "csv"),
            (resolve_profile("itop"), DATA / "itop"),
            (resolve_profile("jira-sm"), DATA / "jira-sm"),
        ]
    )


def test_the_sms_register_templates_import_as_row_by_row(tmp_path: Path):
    """sms-register has no export to sample: its templates (one example row per register, the workbook and the
    CSV files) are its data."""
    from itsms_graph.importers.templates import CSV_FOLDER, write_templates

    write_templates(tmp_path)
    assert_same([(resolve_profile("sms-register"), tmp_path)])
    assert_same([(resolve_profile("sms-register"), tmp_path / CSV_FOLDER)])


def test_the_event_log_profile_imports_as_row_by_row(tmp_path: Path):
    """event-log has no export to sample either: its data is the project's own generator's log, as XES and as
    OCEL 2.0 (the four tables it flattens to)."""
    from itsms_graph.example.eventlog import make_log, write_ocel_xml, write_xes

    log = make_log(40, seed=3)
    for kind in ("xes", "ocel"):
        (tmp_path / kind).mkdir()
    write_xes(log, tmp_path / "xes" / "events.xes")
    write_ocel_xml(log, tmp_path / "ocel" / "log.xmlocel")
    assert_same([(resolve_profile("event-log"), tmp_path / "xes")])
    assert_same([(resolve_profile("event-log"), tmp_path / "ocel")])


def test_every_shipped_profile_is_held_to_the_specification():
    """A new profile in importers/ fails here until its data joins BUILT_IN (or, like sms-register and event-log,
    a test of its own above)."""
    from itsms_graph.importers import builtin_profiles

    assert {profile for profile, _ in BUILT_IN} | {"sms-register", "event-log"} == set(builtin_profiles())


def test_a_fold_that_runs_out_of_memory_is_done_again_a_part_at_a_time(monkeypatch: pytest.MonkeyPatch):
    """The relationships are folded at once; where duckdb runs out of memory doing it, what was folded goes and
    they are folded a part at a time (the sources that hash to a part): the same relationships, with the same
    first making, as the row-by-row specification (here after a fold that ran out once it had inserted every
    relationship, so that one left behind would be a relationship made twice; 7 makings a part)."""
    import duckdb

    from itsms_graph.importers import resolve

    folds: list[int] = []
    fold = resolve.Resolution._fold

    def out_of_memory_at_once(self: resolve.Resolution, con: Any, parts: int, *args: Any) -> None:
        folds.append(parts)
        fold(self, con, parts, *args)
        if parts == 1:
            raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block (a test)")

    monkeypatch.setattr(resolve.Resolution, "_fold", out_of_memory_at_once)
    monkeypatch.setattr(resolve, "_FOLD_ROWS", 7)
    assert_same([(resolve_profile("bpic2014"), DATA / "bpic2014")])
    assert folds[0] == 1 and folds[1] > 1 and len(folds) == 2


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["bpic2014", "uci-servicenow-incidents"])
def test_the_real_exports_import_as_row_by_row(name: str):
    folder = SHARED_DATA / name
    if not folder.is_dir():
        pytest.skip(f"../shared/data/{name} is not here")
    profile = "bpic2014" if name == "bpic2014" else "uci-servicenow"
    assert_same([(resolve_profile(profile), folder)])


def test_arrow_trims_a_cell_as_python_strips_it():
    from itsms_graph.importers.cells import WHITESPACE

    stripped = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert stripped == WHITESPACE


#: Cells that try every rule of the Arrow conversions: separators, whitespace Python strips and splits on (and
#: characters it does not), null spellings (one that holds the separator, one that is a marker too), markers,
#: empty parts.
CELL = st.lists(
    st.sampled_from(
        [
            "A1",
            "b 2",
            "x",
            "|",
            ";",
            " ",
            "  ",
            "\t",
            "\u3000",
            "\xa0",
            "\x85",
            "\u200b",
            "\x1f",
            "\n",
            "NULL",
            "-",
            "?",
            "N",
            "A",
            "N|A",
            "#MULTI",
            "é",
            "ÿ1",
        ]
    ),
    max_size=6,
).map("".join)
CONVERTED = """
id: cells
title: the cell conversions
tables:
  - name: t
    files: ["t.csv"]
    nulls: ["", "NULL", "-", "?", "N|A"]
    not_ids: ["#MULTI", "?"]
    record: {label: Incident, id: id, id_prefix: "INC-"}
    properties:
      status: {column: status}
    references:
      - {column: ci, rel: CAUSED_BY, label: ConfigurationItem, separator: "|", id_prefix: "ci "}
      - {column: change, rel: RELATED_TO, label: Change}
"""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(CELL, max_size=12, unique=True))
def test_cells_read_in_arrow_read_as_one_at_a_time(tmp_path_factory, texts: list[str]):
    """A column's distinct cells converted at once in Arrow (ids, the ids a reference names, plain strings) give
    what converting each cell alone gives."""
    import pyarrow as pa

    from itsms_graph.importers.cells import TablePlan, string_cells
    from itsms_graph.ontology import schema

    folder = tmp_path_factory.mktemp("cells")
    (folder / "cells.yaml").write_text(CONVERTED)
    table = load_profile(folder / "cells.yaml").tables[0]
    plan = TablePlan(schema(), table, "t.csv")
    arrow = pa.array(texts, pa.string())

    def same(one: Any, many: Any) -> None:
        assert many[0].to_pylist() == one[0].to_pylist()
        assert many[1] == one[1]

    same(plan.ids(lambda: texts, None), plan.ids(lambda: texts, arrow))
    for _, targets, _ in plan.references:
        one, many = targets.named(lambda: texts, None), targets.named(lambda: texts, arrow)
        assert many.flat.to_pylist() == one.flat.to_pylist()
        assert many.counts.tolist() == one.counts.tolist()
        assert many.unnamed.tolist() == one.unnamed.tolist()
        assert many.parts.tolist() == one.parts.tolist()
        assert [many.cell(j) for j in range(len(texts))] == [one.cell(j) for j in range(len(texts))]
    (_, _, _, _, compute), *_ = plan.properties.items
    assert string_cells(arrow, table.nulls).to_pylist() == [compute(t) for t in texts]


# -- generated exports ---------------------------------------------------------------------------------------------

PROFILE = """
id: mixed
title: generated exports that mix every rule where order decides
tables:
  - name: incidents
    files: ["incidents.csv"]
    not_ids: ["#MULTI"]
    record: {label: Incident, id: id, latest_by: updated_at}
    where: {column: kind, not_in: ["skip"]}
    properties:
      status: {column: status}
      updated_at: {column: updated, formats: ["%d/%m/%Y %H:%M"], aggregate: max}
      opened_at: {column: opened, formats: ["%d/%m/%Y %H:%M"], aggregate: min}
      priority: {column: priority, aggregate: first}
    references:
      - {column: ci, rel: CAUSED_BY, label: ConfigurationItem, defines: true, separator: "|",
         properties: {kind: {column: ci_kind}, name: {column: ci}}}
      - {column: component, rel: PART_OF, label: ServiceComponent, defines: true, source: ci,
         properties: {name: {column: component}}}
      - {column: change, rel: RELATED_TO, label: Change, or_labels: [Problem], dir_for: {Problem: in},
         separator: ";"}
  - name: changes
    files: ["changes.csv"]
    not_ids: ["#MULTI"]
    record: {label: Change, id: id}
    properties:
      emergency: {column: emergency, "true": ["Y"], "false": ["N"]}
      actual_start: {column: start, formats: ["%d/%m/%Y %H:%M"], aggregate: min}
      risk: {column: risk}
    references:
      - {column: ci, rel: AFFECTS, label: ConfigurationItem, defines: true, properties: {kind: {column: ci_kind}}}
      - {column: incident, rel: RELATED_TO, label: Incident, dir: in}
  - name: documents
    files: ["documents.csv"]
    record: {label: Document, id: id}
    references:
      - {column: clause, rel: ADDRESSES, label: Clause, defines: true, separator: ";",
         properties: {title: {column: clause_title}, description: {column: clause_title}}}
  - name: cis
    files: ["cis.csv"]
    record: {label: ConfigurationItem, id: id}
    properties:
      kind: {column: kind, aggregate: first}
      name: {column: id}
  - name: problems
    files: ["problems.csv"]
    record: {label: Problem, id: id}
"""


def mostly(good: list[str], rare: list[str]) -> st.SearchStrategy[str]:
    """A cell: mostly one of *good*, sometimes one of *rare* (a null, a marker, a value that is rejected)."""
    return st.sampled_from(good * 3 + rare)


IDS = mostly(["A1", "A2", "A3", "B1", " A1 "], ["", "NULL", "#MULTI"])
WHEN = mostly(
    ["", "01/02/2025 10:00", "03/02/2025 09:15", "1/2/2025 10:00", "03/02/2025 9:15", "2025-02-05 08:00"],
    ["31/02/2025 10:00", "soon"],
)
CIS = st.sampled_from(["", "srv1", "srv2", "srv1|srv2", "srv2|db1|", "#MULTI", "?", "db1"])
KINDS = st.sampled_from(["", "server", "server|database", "database|server|x", "-"])
WORDS = st.sampled_from(["", "open", "closed", "P1", "P2", "NULL"])
CHANGES = st.sampled_from(["", "A1", "A9", "A1;A2", "B1;#MULTI", "Z7"])

INCIDENT_COLUMNS = ["id", "kind", "status", "updated", "opened", "priority", "ci", "ci_kind", "component", "change"]
CHANGE_COLUMNS = ["id", "emergency", "start", "risk", "ci", "ci_kind", "incident"]
INCIDENT = st.fixed_dictionaries(
    {
        "id": IDS,
        "kind": mostly(["", "x"], ["skip"]),
        "status": WORDS,
        "updated": WHEN,
        "opened": WHEN,
        "priority": mostly(["", "1", "2"], ["P1"]),
        "ci": CIS,
        "ci_kind": KINDS,
        "component": st.sampled_from(["", "comp1", "comp2", "#MULTI"]),
        "change": CHANGES,
    }
)
DOCUMENT_COLUMNS = ["id", "clause", "clause_title"]
DOCUMENT = st.fixed_dictionaries(
    {
        "id": mostly(["D1", "D2"], [""]),
        "clause": mostly(["4", "5.1", "4;5.1", "99.9"], ["", "#MULTI"]),
        "clause_title": mostly(["", "Scope", "Scope;Leadership"], ["-"]),
    }
)
CI_COLUMNS = ["id", "kind"]
CI = st.fixed_dictionaries({"id": mostly(["srv1", "db1", "srv9"], [""]), "kind": KINDS})
CHANGE = st.fixed_dictionaries(
    {
        "id": IDS,
        "emergency": mostly(["", "Y", "N"], ["maybe"]),
        "start": WHEN,
        "risk": WORDS,
        "ci": CIS.filter(lambda c: "|" not in c),
        "ci_kind": KINDS,
        "incident": st.sampled_from(["", "A1", "A2", "Q5", "#MULTI"]),
    }
)


def write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row[c] for c in columns])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    incidents=st.lists(INCIDENT, max_size=12),
    changes=st.lists(CHANGE, max_size=8),
    documents=st.lists(DOCUMENT, max_size=4),
    cis=st.lists(CI, max_size=4),
    problems=st.lists(st.sampled_from(["A1", "A9", "Z7"]), max_size=3),
    keep_going=st.booleans(),
    slice_rows=st.sampled_from([None, 1, 3]),
)
def test_generated_exports_import_as_row_by_row(
    tmp_path_factory, incidents, changes, documents, cis, problems, keep_going, slice_rows
):
    folder = tmp_path_factory.mktemp("mixed")
    (folder / "mixed.yaml").write_text(PROFILE)
    write(folder / "incidents.csv", incidents, INCIDENT_COLUMNS)
    write(folder / "changes.csv", changes, CHANGE_COLUMNS)
    write(folder / "documents.csv", documents, DOCUMENT_COLUMNS)  # rows that name clauses the graph seeds
    write(folder / "cis.csv", cis, CI_COLUMNS)
    # ids that are also changes' or no change's: a reference resolves to a Problem only when no Change has the id,
    # and then points the other way (dir_for)
    write(folder / "problems.csv", [{"id": p} for p in problems], ["id"])
    from itsms_graph.importers import file_rows

    whole = file_rows._SLICE_ROWS
    file_rows._SLICE_ROWS = slice_rows or whole  # a file decided a slice of rows at a time, too
    try:
        assert_same([(load_profile(folder / "mixed.yaml"), folder)], keep_going=keep_going)
    finally:
        file_rows._SLICE_ROWS = whole


# -- the graph tables serve without the graph ------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "folder"), BUILT_IN, ids=[f"{p}-{f.name}" for p, f in BUILT_IN])
def test_a_snapshot_written_from_the_tables_is_the_graphs_byte_for_byte(tmp_path: Path, profile: str, folder: Path):
    from itsms_graph.graph.snapshot import save_snapshot, save_tables_snapshot
    from itsms_graph.importers import import_tables

    imported, _ = import_tables([(resolve_profile(profile), folder)], keep_going=True)
    try:
        from_tables = save_tables_snapshot(
            imported.con, tmp_path / "t.itsms", inputs=imported.inputs, declared=imported.declared_labels
        )
        graph = imported.graph()
        assert imported.counts() == graph.counts()
    finally:
        imported.close()
    assert from_tables.read_bytes() == save_snapshot(graph, tmp_path / "g.itsms").read_bytes()


@pytest.mark.parametrize(("profile", "folder"), BUILT_IN, ids=[f"{p}-{f.name}" for p, f in BUILT_IN])
def test_the_nodes_table_stores_the_properties_some_node_holds_and_reads_them_all(profile: str, folder: Path):
    """#16: the ontology's 77 property columns, stored for every node, were most of an import's node insert and of
    duckdb's memory (BPIC 2014's nodes hold 21): the nodes' table stores the columns the files and the clauses bring, the
    ``nodes`` view reads every column."""
    from itsms_graph.graph.tables import NODE_ROWS, NODES, node_columns, quote
    from itsms_graph.importers import import_tables

    imported, _ = import_tables([(resolve_profile(profile), folder)], keep_going=True)
    try:
        con = imported.con

        def columns(name: str) -> list[str]:
            sql = "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index"
            return [c for (c,) in con.execute(sql, [name]).fetchall()]

        every = [c for c, _ in node_columns()]
        (counts,) = con.execute(f"SELECT {', '.join(f'count({quote(c)})' for c in every)} FROM {NODES}").fetchall()
        held = {c for c, n in zip(every, counts, strict=True) if n}
        stored = set(columns(NODE_ROWS))
        assert columns(NODES) == every
        assert held <= stored and len(stored) < len(every) / 2  # (a column the files map may hold no value)
    finally:
        imported.close()


def test_check_on_exports_gives_what_import_then_check_gives(tmp_path: Path):
    """check -p on DuckDB (the graph never built) finds what import + check on the snapshot finds on networkx."""
    import json

    from click.testing import CliRunner

    from itsms_graph.cli import cli

    runner = CliRunner()
    folder = str(DATA / "bpic2014")
    as_of = [
        "--as-of",
        "2014-03-31",
        "--allow-after-cutoff",
        "--fail-on",
        "none",
        "--format",
        "json",
    ]  # excerpt: ends 03-28
    snap = tmp_path / "b.itsms"
    assert runner.invoke(cli, ["import", "-p", "bpic2014", folder, "-o", str(snap), "--keep-going"]).exit_code == 0
    via_snapshot = runner.invoke(cli, ["check", str(snap), *as_of])
    direct = runner.invoke(cli, ["check", "-p", "bpic2014", folder, "--keep-going", "--backend", "duckdb", *as_of])
    assert via_snapshot.exit_code == 0 and direct.exit_code == 0, direct.output
    results = [json.loads(r.stdout)["results"] for r in (via_snapshot, direct)]
    assert results[1] == results[0]
    assert sum(len(r["findings"]) for r in results[0]) > 0
    assert "imported" in direct.stderr and "rejected" in direct.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x.itsms", "-p", "bpic2014", "d"], "give a SNAPSHOT or --profile"),
        (["-p", "bpic2014", "d", "--backend", "neo4j"], "--backend networkx, duckdb or falkordb"),
        (["x.itsms", "--keep-going"], "--keep-going goes with --profile"),
    ],
)
def test_check_says_what_it_checks(tmp_path: Path, args: list[str], message: str):
    from click.testing import CliRunner

    from itsms_graph.cli import cli

    (tmp_path / "x.itsms").write_bytes(b"")
    (tmp_path / "d").mkdir()
    result = CliRunner().invoke(cli, ["check", *(str(tmp_path / a) if a in ("x.itsms", "d") else a for a in args)])
    assert result.exit_code == 2 and message in result.output


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.one_of(
            st.text(alphabet="0123456789:. \t１", max_size=12),
            st.builds(
                lambda parts, sep: sep.join(str(x) for x in parts),
                st.lists(st.integers(0, 99), min_size=2, max_size=4),
                st.sampled_from([":", "."]),
            ),
        ),
        max_size=20,
    ),
    fmt=st.sampled_from(["%H:%M:%S", "%H:%M", "%H.%M.%S.%f", "%H:%M:%S.%f"]),
)
def test_time_parts_read_in_arrow_read_as_the_parser_reads_them(texts: list[str], fmt: str):
    """The Arrow reader of time parts answers exactly as TemporalParser's own part reader wherever it answers;
    where it does not (null), the parser reads the part."""
    import pyarrow as pa

    from itsms_graph.importers.columns import _clock
    from itsms_graph.importers.values import TemporalParser

    read = _clock(fmt)
    assert read is not None
    parser = TemporalParser(("%d/%m/%Y " + fmt,), "datetime")
    fast = read(pa.array(texts, pa.string())).to_pylist()
    for text, value in zip(texts, fast, strict=True):
        if value is not None:
            assert value == parser._part(parser.times, 0, text, fmt, False)
    assert _clock("%d/%m/%Y") is None  # a date format is read by the parser


def test_a_link_between_two_targets_of_a_row_keeps_the_making_made_first(tmp_path: Path):
    """A reference from another reference's target (``source:``) to a target it does not define makes the same
    relationship on every row naming the two: the first row's making waits for the target (no record yet), a
    later row's, once another row has defined the target, is made as it is read, and that one is kept (its row's
    provenance)."""
    (tmp_path / "p.yaml").write_text(
        """
id: links
title: links between a row's targets
tables:
  - name: changes
    files: ["changes.csv"]
    record: {label: Change, id: id}
    references:
      - {column: ci, rel: AFFECTS, label: ConfigurationItem, defines: true}
      - {column: svc, rel: PART_OF, label: ServiceComponent, source: ci}
      - {column: component, rel: AFFECTS, label: ServiceComponent, defines: true}
""",
        encoding="utf-8",
    )
    rows = [["C1", "CI1", "SC1", ""], ["C2", "CI2", "", "SC1"], ["C3", "CI1", "SC1", ""], ["C4", "CI1", "SC1", ""]]
    with (tmp_path / "changes.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "ci", "svc", "component"], *rows])
    profile = load_profile(tmp_path / "p.yaml")
    assert_same([(profile, tmp_path)])
    graph, _ = import_sources([(profile, tmp_path)])
    made = graph.edge_attrs("ConfigurationItem:CI1", "ServiceComponent:SC1", "PART_OF")
    assert made["source_row"] == 4  # C3's line: the first making made as its row was read, not C1's


EVENTS = """
id: events
title: events, each row its own node, and incidents
tables:
  - name: events
    files: ["events.csv"]
    record: {label: TicketEvent, id: "@row"}
    properties:
      status: {column: status}
    references:
      - {column: incident, rel: EVENT_OF, label: Incident, separator: "|"}
      - {column: team, rel: ASSIGNED_TO, label: OrganisationalUnit, defines: true}
      - {column: other_team, rel: ASSIGNED_TO, label: OrganisationalUnit, defines: true}
  - name: incidents
    files: ["incidents.csv"]
    record: {label: Incident, id: id}
"""
#: the incidents name events too
NAMING = "\n    references:\n      - {column: event, rel: EVENT_OF, label: TicketEvent, dir: in}\n"


@pytest.mark.parametrize(
    ("events", "incidents", "repeated"),
    [
        # each row's relationships made once: folded or not, the same graph
        ([["Open", "I1", "T1", ""], ["Closed", "I2", "T2", ""]], [["I1", ""], ["I2", ""]], None),
        # a cell naming one incident twice: the row makes the relationship twice
        ([["Open", "I1|I1", "T1", ""]], [["I1", ""]], ("EVENT_OF", "TicketEvent:events#2", "Incident:I1")),
        # two references of one type naming the same team
        ([["Open", "I1", "T1", "T1"]], [["I1", ""]], ("ASSIGNED_TO", "TicketEvent:events#2", "OrganisationalUnit:T1")),
        # an incident naming the event its row made the relationship from
        ([["Open", "I1", "T1", ""]], [["I1", "events#2"]], ("EVENT_OF", "TicketEvent:events#2", "Incident:I1")),
    ],
    ids=["once", "a-cell-twice", "two-references", "named-by-another-table"],
)
def test_a_rows_own_node_links_once_or_is_folded(tmp_path: Path, events, incidents, repeated):
    """An event log's row is its own node (``@row``): a relationship from it is made by that row alone, once,
    unless a cell names its target twice, two references of one type name the same target, or another table's
    reference names the event: then the makings fold into one relationship, its provenance the first making's."""
    named = any(event for _, event in incidents)
    (tmp_path / "p.yaml").write_text(EVENTS.rstrip("\n") + (NAMING if named else "\n"), encoding="utf-8")
    for name, header, rows in (
        ("events.csv", ["status", "incident", "team", "other_team"], events),
        ("incidents.csv", ["id", "event"], incidents),
    ):
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows])
    profile = load_profile(tmp_path / "p.yaml")
    assert_same([(profile, tmp_path)])
    graph, _ = import_sources([(profile, tmp_path)])
    if repeated is not None:  # made twice, one relationship
        rel, src, dst = repeated
        assert list(graph.edges(rel)).count((src, dst)) == 1


def test_event_files_of_the_same_name_in_two_sources_make_one_node_and_one_relationship(tmp_path: Path):
    """An event's id is its file's name and row: two sources holding a file of the same name (two folders of one
    export) make the same event nodes, each written by two rows, and a relationship both rows make is one."""
    (tmp_path / "p.yaml").write_text(EVENTS, encoding="utf-8")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        with (tmp_path / folder / "events.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["status", "incident", "team", "other_team"], ["Open", "I1", "", ""]])
        with (tmp_path / folder / "incidents.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["id", "event"], ["I1", ""]])
    profile = load_profile(tmp_path / "p.yaml")
    sources = [(profile, tmp_path / "a"), (profile, tmp_path / "b")]
    assert_same(sources)
    graph, _ = import_sources(sources)
    assert list(graph.edges("EVENT_OF")) == [("TicketEvent:events#2", "Incident:I1")]


def test_an_event_another_table_records_by_id_makes_one_relationship(tmp_path: Path):
    """A table with ids may record the same events (``events#2``) as an event log's rows: the node is written by
    two rows, and a relationship both make is one."""
    profile_text = (
        EVENTS
        + """  - name: more events
    files: ["more.csv"]
    record: {label: TicketEvent, id: id}
    references:
      - {column: incident, rel: EVENT_OF, label: Incident}
"""
    )
    (tmp_path / "p.yaml").write_text(profile_text, encoding="utf-8")
    for name, rows in (
        ("events.csv", [["status", "incident", "team", "other_team"], ["Open", "I1", "", ""]]),
        ("incidents.csv", [["id", "event"], ["I1", ""]]),
        ("more.csv", [["id", "incident"], ["events#2", "I1"]]),
    ):
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    profile = load_profile(tmp_path / "p.yaml")
    assert_same([(profile, tmp_path)])
    graph, _ = import_sources([(profile, tmp_path)])
    assert list(graph.edges("EVENT_OF")) == [("TicketEvent:events#2", "Incident:I1")]


def test_an_event_logs_rows_stage_no_id_text_and_their_nodes_keep_their_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A row of a table without ids (``@row``) is its own node, its id its file's name and row: the resolve writes
    it, so the rows stage none (BPIC 2014's 58-character event ids, staged once a record and once per
    relationship, made the resolve spill), and the nodes, their relationships and an unnamed reference's marker
    (``#MULTIVALUE``) are what the row importer makes."""
    from itsms_graph.importers.build import Importer

    profile_text = EVENTS.replace(
        "record: {label: TicketEvent", 'not_ids: ["#MULTIVALUE"]\n    record: {label: TicketEvent'
    )
    (tmp_path / "p.yaml").write_text(profile_text, encoding="utf-8")
    for name, rows in (
        (
            "events.csv",
            [["status", "incident", "team", "other_team"], ["Open", "I1", "T1", ""], ["Closed", "#MULTIVALUE", "", ""]],
        ),
        ("incidents.csv", [["id", "event"], ["I1", ""]]),
    ):
        with (tmp_path / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    profile = load_profile(tmp_path / "p.yaml")
    staged: dict[str, list[Any]] = {}
    insert = Importer._insert

    def kept_insert(self: Importer, name: str, rows: Any) -> None:
        staged.setdefault(name, []).extend(rows.to_pylist())
        insert(self, name, rows)

    monkeypatch.setattr(Importer, "_insert", kept_insert)
    assert_same([(profile, tmp_path)])
    staged.clear()
    graph, _ = import_sources([(profile, tmp_path)])
    events = [r for r in staged["records_in"] if r["label"] == "TicketEvent"]
    assert [(r["rn"], r["nid"]) for r in events] == [(2, None), (3, None)]
    assert {r["src"] for r in staged["links_in"]} == {None}
    assert [(r["rn"], r["nid"]) for r in staged["unnamed_in"]] == [(3, None)]  # its marker's node: the row's
    assert list(graph.nodes("TicketEvent")) == ["TicketEvent:events#2", "TicketEvent:events#3"]
    assert graph.attrs_of(["TicketEvent:events#3"])[0]["unnamed_references"] == ["EVENT_OF:Incident"]
    assert list(graph.edges("EVENT_OF")) == [("TicketEvent:events#2", "Incident:I1")]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 50).flatmap(lambda k: st.tuples(st.just(k), st.lists(st.integers(0, k - 1), max_size=60))))
def test_a_slices_cells_are_found_as_numpy_unique_finds_them(case: tuple[int, list[int]]):
    """A slice of a file's rows holds the distinct cells its rows hold, in order, and each row's place among them:
    what ``np.unique(..., return_inverse=True)`` gives, found without sorting."""
    import numpy as np

    from itsms_graph.importers.columns import _used_cells

    cells, rows = case
    index = np.array(rows, dtype=np.int64)
    used, place = _used_cells(index, cells)
    want_used, want_place = np.unique(index, return_inverse=True)
    assert used.tolist() == want_used.tolist()
    assert place.tolist() == want_place.tolist()

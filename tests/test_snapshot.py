"""Snapshots open straight into the graph tables and trust nothing in the file (issue #16.2, #15.5).

Each case tampers with a snapshot the way a hostile or damaged file would (the checksums in the manifest made to
match, so that what refuses it is the check under test) and expects one line naming the problem, exit 2, from
``check``, ``report`` and ``cap`` alike: never a traceback or a crash half-way through a report.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from itsms_graph.cli import cli
from itsms_graph.errors import SnapshotError
from itsms_graph.graph import open_snapshot, save_snapshot
from itsms_graph.graph.snapshot import open_snapshot_tables
from tests import fixtures
from tests.snapshot_v1 import save_v1
from tests.test_graph import graph_state


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def _tamper(path: Path, member: str, change: Callable[[pa.Table], pa.Table], out: Path) -> Path:
    """*path* with one Parquet member changed, its checksum in the manifest updated to match."""
    members = _members(path)
    table = change(pq.read_table(io.BytesIO(members[member])))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    members[member] = sink.getvalue()
    manifest = orjson.loads(members["manifest.json"])
    manifest["members"][member] = {"sha256": hashlib.sha256(members[member]).hexdigest(), "bytes": len(sink.getvalue())}
    members["manifest.json"] = orjson.dumps(manifest)
    return _zip(out, list(members.items()))


def _set(table: pa.Table, column: str, values: Any) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, values)


def _replace_value(column: str, row_id: str, value: Any) -> Callable[[pa.Table], pa.Table]:
    def change(table: pa.Table) -> pa.Table:
        ids = table.column("id").to_pylist()
        values = table.column(column).to_pylist()
        values[ids.index(row_id)] = value
        return _set(table, column, pa.array(values, table.schema.field(column).type))

    return change


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    return save_snapshot(fixtures.boundaries(), tmp_path / "s.itsms")


def _refused_everywhere(path: Path, message: str, *, commands: tuple[str, ...] = ("check",)) -> None:
    """The library refuses the snapshot with *message*; the *commands* (of ``check``, ``report`` and ``cap``) say
    it on one line, exit 2."""
    with pytest.raises(SnapshotError, match=message):
        open_snapshot_tables(path).close()
    runner = CliRunner()
    every = (
        ["check", str(path)],
        ["report", str(path), "-o", str(path.with_suffix(".html"))],
        ["cap", str(path), "-o", str(path.with_suffix(".xlsx"))],
    )
    for args in (a for a in every if a[0] in commands):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in result.output, result.output
        assert str(path) in lines[0]


def test_a_snapshot_opens_as_tables_and_as_the_same_graph(tmp_path: Path, snap: Path):
    graph = fixtures.boundaries()
    tables = open_snapshot_tables(snap)
    try:
        assert tables.counts() == graph.counts()
    finally:
        tables.close()
    assert graph_state(open_snapshot(snap)) == graph_state(graph)


def test_a_version_1_snapshot_still_opens_as_the_same_graph(tmp_path: Path):
    old = save_v1(fixtures.boundaries(), tmp_path / "old.itsms")
    assert graph_state(open_snapshot(old)) == graph_state(fixtures.boundaries())
    # and saved again, it is what the graph itself saves as
    again = save_snapshot(open_snapshot(old), tmp_path / "again.itsms")
    assert again.read_bytes() == save_snapshot(fixtures.boundaries(), tmp_path / "new.itsms").read_bytes()


def test_snapshot_bytes_do_not_depend_on_the_order_the_tables_were_made_in(tmp_path: Path, snap: Path):
    tables = open_snapshot_tables(snap)
    try:  # the same graph with its rows stored in another order and seq no longer dense
        tables.con.execute("CREATE TABLE n2 AS SELECT * REPLACE (seq * 7 + 3 AS seq) FROM node_rows ORDER BY id DESC")
        tables.con.execute("DROP TABLE node_rows")
        tables.con.execute("ALTER TABLE n2 RENAME TO node_rows")  # the nodes view reads it by name
        from itsms_graph.graph.snapshot import save_tables_snapshot

        again = save_tables_snapshot(
            tables.con, tmp_path / "again.itsms", inputs=tables.inputs, declared=tables.declared_labels
        )
    finally:
        tables.close()
    assert again.read_bytes() == snap.read_bytes()


def test_a_date_stored_as_an_integer_is_refused_not_crashed_on(tmp_path: Path, snap: Path):
    """#15: a date stored as an integer crashed check, report and cap."""
    changed = _tamper(
        snap,
        "nodes.parquet",
        lambda t: _set(t, "opened_at", pa.array(range(t.num_rows), pa.int64())),
        tmp_path / "t.itsms",
    )
    _refused_everywhere(
        changed, "column 'opened_at' holds BIGINT, the ontology stores VARCHAR", commands=("check", "report", "cap")
    )


def test_a_version_1_date_stored_as_an_integer_is_refused(tmp_path: Path):
    old = save_v1(fixtures.boundaries(), tmp_path / "old.itsms")
    members = _members(old)
    data = orjson.loads(members["nodes/Change.json"])
    data["columns"]["opened_at"] = [20240101 + i for i in range(len(data["ids"]))]
    members["nodes/Change.json"] = orjson.dumps(data)
    _refused_everywhere(
        _zip(tmp_path / "t.itsms", list(members.items())),
        "nodes/Change.json column 'opened_at' holds int64, the ontology stores string",
        commands=("check", "report", "cap"),
    )


def test_a_date_that_is_no_date_is_refused(tmp_path: Path, snap: Path):
    changed = _tamper(
        snap,
        "nodes.parquet",
        _replace_value("opened_at", "Change:C-first", "2024-02-30T10:00:00"),
        tmp_path / "t.itsms",
    )
    _refused_everywhere(changed, "node Change:C-first: opened_at='2024-02-30T10:00:00' is not a datetime")


def test_a_value_of_the_wrong_type_is_refused(tmp_path: Path):
    old = save_v1(fixtures.boundaries(), tmp_path / "old.itsms")
    members = _members(old)
    data = orjson.loads(members["nodes/Incident.json"])
    data["columns"]["priority"] = ["high", *data["columns"]["priority"][1:]]
    members["nodes/Incident.json"] = orjson.dumps(data)
    _refused_everywhere(
        _zip(tmp_path / "t.itsms", list(members.items())), "column 'priority' holds values of mixed types"
    )


def test_a_float_is_not_truncated_into_an_integer(tmp_path: Path):
    old = save_v1(fixtures.boundaries(), tmp_path / "old.itsms")
    members = _members(old)
    data = orjson.loads(members["nodes/Incident.json"])
    data["columns"]["priority"] = [1.5 for _ in data["ids"]]
    members["nodes/Incident.json"] = orjson.dumps(data)
    with pytest.raises(SnapshotError, match="column 'priority' holds double, the ontology stores int64"):
        open_snapshot_tables(_zip(tmp_path / "t.itsms", list(members.items())))


def test_an_unknown_enumeration_value_is_refused(tmp_path: Path, snap: Path):
    changed = _tamper(snap, "nodes.parquet", _replace_value("status", "Service:S-in", "haunted"), tmp_path / "t.itsms")
    _refused_everywhere(changed, "node Service:S-in: status='haunted' is not one of pipeline, live, retired")


def test_a_property_the_label_may_not_carry_is_refused(tmp_path: Path, snap: Path):
    changed = _tamper(
        snap, "nodes.parquet", _replace_value("decision", "Service:S-in", "approved"), tmp_path / "t.itsms"
    )
    _refused_everywhere(changed, "snapshot gives Service properties the ontology does not: \\['decision'\\]")


def test_a_reversed_relationship_is_refused(tmp_path: Path, snap: Path):
    def reverse(table: pa.Table) -> pa.Table:
        src, dst = table.column("src"), table.column("dst")
        return _set(_set(table, "src", dst), "dst", src)

    changed = _tamper(snap, "edges.parquet", reverse, tmp_path / "t.itsms")
    _refused_everywhere(changed, "the ontology does not allow \\(Service\\)-\\[:AFFECTS\\]->\\(Incident\\)")


def test_a_relationship_to_a_missing_node_is_refused(tmp_path: Path, snap: Path):
    changed = _tamper(snap, "edges.parquet", _replace_value_edge("dst", 0, "Service:ghost"), tmp_path / "t.itsms")
    _refused_everywhere(changed, "relationship to a missing node \\(Incident:I-in -> Service:ghost\\)")


def _replace_value_edge(column: str, row: int, value: Any) -> Callable[[pa.Table], pa.Table]:
    def change(table: pa.Table) -> pa.Table:
        values = table.column(column).to_pylist()
        values[row] = value
        return _set(table, column, pa.array(values, pa.string()))

    return change


def test_a_node_twice_is_refused(tmp_path: Path, snap: Path):
    changed = _tamper(snap, "nodes.parquet", lambda t: pa.concat_tables([t, t.slice(0, 1)]), tmp_path / "t.itsms")
    _refused_everywhere(changed, "node Approval:A-C-approved appears twice")


@pytest.mark.parametrize("twice", ["manifest.json", "nodes.parquet", "edges.parquet"])
def test_a_member_held_twice_is_refused(tmp_path: Path, snap: Path, twice: str):
    members = list(_members(snap).items())
    members += [(n, d) for n, d in members if n == twice]
    with pytest.warns(UserWarning, match="Duplicate name"):
        _zip(tmp_path / "t.itsms", members)
    _refused_everywhere(tmp_path / "t.itsms", f"member {twice} appears twice")


def test_an_unexpected_member_is_refused(tmp_path: Path, snap: Path):
    members = [*_members(snap).items(), ("nodes/Evil.json", b"{}")]
    _refused_everywhere(_zip(tmp_path / "t.itsms", members), "unexpected member nodes/Evil.json")


def test_a_member_that_does_not_match_its_checksum_is_refused(tmp_path: Path, snap: Path):
    members = _members(snap)
    table = pq.read_table(io.BytesIO(members["edges.parquet"]))
    sink = io.BytesIO()
    pq.write_table(table.slice(1), sink)
    members["edges.parquet"] = sink.getvalue()
    _refused_everywhere(
        _zip(tmp_path / "t.itsms", list(members.items())), "edges.parquet does not match its checksum in the manifest"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: [1, 2], "format 'list'"),
        (lambda m: {**m, "inputs": "all of them"}, "malformed manifest \\(inputs must be"),
        (lambda m: {**m, "inputs": [{"path": 3}]}, "malformed manifest \\(inputs must be"),
        (lambda m: {**m, "counts": {"Change": "six"}}, "malformed manifest \\(counts must be"),
        (lambda m: {**m, "declared_labels": "Clause"}, "malformed manifest \\(declared_labels must be"),
        (lambda m: {k: v for k, v in m.items() if k != "members"}, "malformed manifest \\(members must be present"),
        (lambda m: {**m, "members": {"nodes.parquet": {}}}, "malformed manifest \\(members must be"),
        (lambda m: {**m, "extra": 1}, "malformed manifest \\(unknown key extra"),
        (lambda m: {**m, "format_version": "2"}, "version 2 is not supported"),
        (lambda m: {**m, "format_version": True}, "version True is not supported"),
        (lambda m: {**m, "tool_version": None}, "malformed manifest \\(tool_version must be a string"),
    ],
)
def test_a_malformed_manifest_is_refused(tmp_path: Path, snap: Path, change, message):
    members = _members(snap)
    members["manifest.json"] = orjson.dumps(change(orjson.loads(members["manifest.json"])))
    _refused_everywhere(_zip(tmp_path / "t.itsms", list(members.items())), message)


def test_a_manifest_that_is_not_json_is_refused(tmp_path: Path, snap: Path):
    members = _members(snap)
    members["manifest.json"] = b"{not json"
    _refused_everywhere(_zip(tmp_path / "t.itsms", list(members.items())), "not an itsms-graph snapshot")


def test_a_decompression_bomb_is_refused_before_it_is_held(tmp_path: Path):
    """#15: a 1 MB snapshot holding 1 GiB of whitespace opened at 2.26 GB RSS. The sizes the ZIP declares are
    judged before anything inflates (zipfile never reads a member past its declared size): here 17 MiB of spaces
    deflate to about 17 KB, beyond the ratio allowed."""
    old = save_v1(fixtures.boundaries(), tmp_path / "old.itsms")
    members = _members(old)
    members["nodes/Change.json"] = members["nodes/Change.json"] + b" " * (17 << 20)
    _refused_everywhere(_zip(tmp_path / "t.itsms", list(members.items())), "inflates more than 200 times")


def test_the_inflated_size_limit_is_a_setting(tmp_path: Path, snap: Path, monkeypatch: pytest.MonkeyPatch):
    old = save_v1(fixtures.boundaries(), tmp_path / "old.itsms")
    members = _members(old)
    members["nodes/Change.json"] = members["nodes/Change.json"] + b" " * (2 << 20)
    big = _zip(tmp_path / "t.itsms", list(members.items()))
    monkeypatch.setenv("ITSMS_GRAPH_MAX_INFLATED_MB", "1")
    with pytest.raises(SnapshotError, match=r"inflates to more than 1 MiB .*ITSMS_GRAPH_MAX_INFLATED_MB"):
        open_snapshot_tables(big)
    monkeypatch.setenv("ITSMS_GRAPH_MAX_INFLATED_MB", "3")
    open_snapshot_tables(big).close()

"""Time as instants: a timestamp with a UTC offset is stored as UTC, a naive one is taken in the profile's stated
zone, a date stays a date; two exports of the same instants with different offsets give the same graph and the
same answers on every engine (networkx, FalkorDB, DuckDB).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from itsms_graph.engines import EmbeddedEngine
from itsms_graph.errors import InputError
from itsms_graph.importers import import_sources
from itsms_graph.importers.profile import load_profile
from itsms_graph.importers.values import parse_temporal
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.run import run_queries
from tests.conftest import OTHER_ENGINES, TEST_QUERIES


def _profile(tmp_path: Path, extra: str = "", start_format: str = "", name: str = "p.yaml") -> Path:
    formats = f", formats: [{start_format!r}]" if start_format else ""
    text = textwrap.dedent(f"""\
        id: instants
        title: changes and their approvals
        {extra}
        tables:
          - name: changes
            files: ["changes.csv"]
            record: {{label: Change, id: id}}
            properties:
              number: {{column: id}}
              actual_start: {{column: start{formats}}}
          - name: approvals
            files: ["approvals.csv"]
            record: {{label: Approval, id: id}}
            properties:
              decision: {{column: decision}}
              decided_at: {{column: decided{formats}}}
            references:
              - {{column: change, rel: APPROVES, label: Change}}
        """)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _export(folder: Path, starts: list[str], decided: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "changes.csv").write_text(
        "id,start\n" + "".join(f"C{i},{s}\n" for i, s in enumerate(starts)), encoding="utf-8"
    )
    (folder / "approvals.csv").write_text(
        "id,decision,decided,change\n" + "".join(f"A{i},approved,{d},C{i}\n" for i, d in enumerate(decided)),
        encoding="utf-8",
    )
    return folder


# The same instants, around Europe/Amsterdam's change to summer time (2024-03-31 02:00 CET -> 03:00 CEST):
# C0 started 00:30Z and was approved 00:20Z (before); C1 started 01:10Z and was approved 01:40Z (after, though its
# local clock text in the first export reads earlier: 01:40+00:00 sorts before 03:10+02:00).
AMSTERDAM = (
    ["2024-03-31T01:30:00+01:00", "2024-03-31T03:10:00+02:00"],
    ["2024-03-31T01:20:00+01:00", "2024-03-31T01:40:00+00:00"],
)
UTC_EXPORT = (["2024-03-31T00:30:00Z", "2024-03-31T01:10:00Z"], ["2024-03-31T00:20:00Z", "2024-03-31T01:40:00Z"])
NEW_YORK = (
    ["2024-03-30T20:30:00-04:00", "2024-03-30T21:10:00-04:00"],
    ["2024-03-30T20:20:00-04:00", "2024-03-30T21:40:00-04:00"],
)
NAIVE_LOCAL = (["2024-03-31 01:30:00", "2024-03-31 03:10:00"], ["2024-03-31 01:20:00", "2024-03-31 02:40:00+01:00"])
EXPECTED = {
    "Change:C0": "2024-03-31T00:30:00",
    "Change:C1": "2024-03-31T01:10:00",
    "Approval:A0": "2024-03-31T00:20:00",
    "Approval:A1": "2024-03-31T01:40:00",
}


def _times(graph) -> dict[str, str]:
    out = {}
    for label, key in (("Change", "actual_start"), ("Approval", "decided_at")):
        for nid in graph.nodes(label):
            out[nid] = graph.node(nid)[key]
    return out


def test_offsets_are_stored_as_utc_instants(tmp_path):
    """ISO-8601 with an offset (or Z) is accepted without a format, and stored as the UTC instant."""
    profile = load_profile(_profile(tmp_path))
    for i, (starts, decided) in enumerate((AMSTERDAM, UTC_EXPORT, NEW_YORK)):
        graph, _ = import_sources([(profile, _export(tmp_path / f"e{i}", starts, decided))])
        assert _times(graph) == EXPECTED, i


def test_naive_timestamps_are_taken_in_the_profiles_stated_zone_across_a_dst_change(tmp_path):
    profile = load_profile(_profile(tmp_path, "timezone: Europe/Amsterdam"))
    graph, _ = import_sources([(profile, _export(tmp_path / "naive", *NAIVE_LOCAL))])
    assert _times(graph) == EXPECTED


def test_naive_timestamps_default_to_utc_as_stated():
    """The default zone is UTC (stated in the profile reference), never the machine's zone."""
    assert parse_temporal("2024-03-31 03:10:00", (), "datetime") == "2024-03-31T03:10:00"


def test_a_local_time_the_dst_change_skips_is_rejected_and_a_repeated_one_is_the_first(tmp_path):
    profile = load_profile(_profile(tmp_path, "timezone: Europe/Amsterdam"))
    folder = _export(tmp_path / "gap", ["2024-03-31 02:30:00"], ["2024-03-31 01:00:00"])
    with pytest.raises(InputError) as err:
        import_sources([(profile, folder)])
    assert "does not exist in Europe/Amsterdam" in str(err.value) and "row 2" in str(err.value)
    # 2024-10-27 02:30 happens twice in Amsterdam: the first (summer time, 00:30Z) is taken, as documented
    folder = _export(tmp_path / "fold", ["2024-10-27 02:30:00"], ["2024-10-27 02:30:00+01:00"])
    graph, _ = import_sources([(profile, folder)])
    assert _times(graph) == {"Change:C0": "2024-10-27T00:30:00", "Approval:A0": "2024-10-27T01:30:00"}


def test_a_percent_z_format_is_accepted_with_and_without_a_map(tmp_path):
    """The validation bug: the same %z column was accepted without a map (the fast path kept the offset in the
    stored text) and rejected with one (the store's validator refused that text). One conversion path now."""
    fmt = "%Y-%m-%dT%H:%M:%S%z"
    plain = load_profile(_profile(tmp_path, start_format=fmt, name="plain.yaml"))
    mapped_path = _profile(tmp_path, start_format=fmt, name="mapped.yaml")
    mapped_path.write_text(
        mapped_path.read_text().replace("column: start,", 'column: start, map: {"never": null},'), encoding="utf-8"
    )
    mapped = load_profile(mapped_path)
    assert mapped.tables[0].properties["actual_start"].map == {"never": None}
    folder = _export(tmp_path / "z", AMSTERDAM[0], AMSTERDAM[1])
    g_plain, _ = import_sources([(plain, folder)])
    g_mapped, _ = import_sources([(mapped, folder)])
    assert _times(g_plain) == _times(g_mapped) == EXPECTED


def test_dates_stay_dates():
    assert parse_temporal("2024-03-31", (), "date", "Europe/Amsterdam") == "2024-03-31"
    # a timestamp for a date property gives the calendar date it was written on, in any zone
    assert parse_temporal("2024-03-31T00:30:00+02:00", (), "date") == "2024-03-31"


def test_an_unknown_zone_names_the_nearest(tmp_path):
    with pytest.raises(InputError) as err:
        load_profile(_profile(tmp_path, "timezone: Europe/Amsterdamm"))
    assert "Europe/Amsterdam" in str(err.value)


def _findings(engine, graph):
    catalogue = load_catalogue([TEST_QUERIES])
    query = catalogue["test-approval-after-start"]
    period = AuditPeriod.parse("2024-06-30", "12M")
    [result] = run_queries(engine, [query], period, declared_labels=graph.declared_labels)
    return sorted(f.subjects for f in result.findings)


@pytest.mark.parametrize("load_engine", OTHER_ENGINES, indirect=True)
def test_exports_with_different_offsets_give_the_same_answers_on_every_engine(tmp_path, load_engine):
    """Change C1 was approved after it started (an instant comparison; its local clock texts say the opposite):
    each export finds it, on networkx and on the engine, and only it."""
    profile = load_profile(_profile(tmp_path))
    answers = []
    for i, (starts, decided) in enumerate((AMSTERDAM, UTC_EXPORT, NEW_YORK)):
        graph, _ = import_sources([(profile, _export(tmp_path / f"e{i}", starts, decided))])
        embedded = _findings(EmbeddedEngine(graph), graph)
        assert embedded == _findings(load_engine(graph, f"instants-{i}"), graph)
        answers.append(embedded)
    assert answers[0] == answers[1] == answers[2]
    assert answers[0] == [("Change:C1",)]


def test_the_store_keeps_an_aware_timestamp_as_its_utc_instant():
    """A library user's timezone-aware datetime is its instant, not its local clock (the offset was dropped)."""
    import datetime as dt

    from itsms_graph.graph.store import SMSGraph

    graph = SMSGraph()
    moment = dt.datetime(2024, 3, 31, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    graph.add_node("Change", "C1", {"actual_start": moment}, source_file="api")
    assert graph.node("Change:C1")["actual_start"] == "2024-03-31T01:10:00"

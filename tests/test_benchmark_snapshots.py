"""benchmarks/snapshots.py's peer computes what `check` computes (#16.5): the statements recorded from the DuckDB
engine, replayed by a process that never imports itsms_graph, give check's findings query by query; and the
comparison that writes a WARNING into the results notices a difference.

Times are measured in benchmarks/snapshots.py (never asserted here).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from itsms_graph.cli import cli
from itsms_graph.graph import save_snapshot
from tests import fixtures

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import snapshots

AS_OF = "2025-03-01"  # the fixture's cut-off: check refuses a later --as-of


def _peer_against_check(tmp_path: Path) -> tuple[dict, Path, Path]:
    snap = save_snapshot(fixtures.complete_sms(drop=("risk_treatment", "recent_audit")), tmp_path / "s.itsms")
    spec_file, counts, check_json = tmp_path / "spec.json", tmp_path / "rows.json", tmp_path / "check.json"
    snapshots.record_statements(snap, AS_OF, spec_file, None)
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    spec |= {"tables": snapshots.extract(snap, tmp_path / "tables"), "temp_directory": str(tmp_path)}
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    code = "import sys; sys.modules['itsms_graph'] = None\n" + snapshots.PEER_CODE  # importing it would fail
    subprocess.run([sys.executable, "-c", code, str(spec_file), str(counts)], check=True, cwd=tmp_path)
    args = ["check", str(snap), "--as-of", AS_OF, "--fail-on", "none", "--format", "json", "-o", str(check_json)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return spec, counts, check_json


def test_the_peer_gives_checks_findings_and_a_difference_is_warned(tmp_path):
    spec, counts, check_json = _peer_against_check(tmp_path)
    kinds = {s["kind"] for s in spec["statements"]}
    assert {"assess", "rows", "population", "other"} <= kinds
    compared = snapshots.compare(spec, counts, check_json)
    results = json.loads(check_json.read_text(encoding="utf-8"))["results"]
    assert compared["warnings"] == []
    assert compared["agree"] == compared["compared"] == len(results)
    failing = [r for r in results if r["status"] == "fail" and spec["queries"][r["query"]]["expect"] == "none"]
    assert failing, "the fixture must fail some violation query for the comparison to mean something"
    # one row more for a failing violation query: one finding more than check reported
    rows = json.loads(counts.read_text(encoding="utf-8"))
    rows[spec["queries"][failing[0]["query"]]["rows"]] += 1
    counts.write_text(json.dumps(rows), encoding="utf-8")
    warned = snapshots.compare(spec, counts, check_json)
    assert warned["agree"] == warned["compared"] - 1
    assert [w.split(":")[0] for w in warned["warnings"]] == [failing[0]["query"]]


def _one(tmp_path: Path, entry: dict, rows: list[int], status: str, findings: int) -> list[str]:
    spec = {"queries": {"q": entry}}
    counts, check_json = tmp_path / "rows.json", tmp_path / "check.json"
    counts.write_text(json.dumps(rows), encoding="utf-8")
    result = {"query": "q", "status": status, "findings": [{}] * findings}
    check_json.write_text(json.dumps({"results": [result]}), encoding="utf-8")
    return snapshots.compare(spec, counts, check_json)["warnings"]


def test_the_comparison_reads_each_expectation(tmp_path):
    some = {"expect": "some", "population_required": False, "rows": 0}
    assert _one(tmp_path, some, [1], "pass", 0) == []
    assert _one(tmp_path, some, [0], "fail", 1) == []
    assert _one(tmp_path, some, [0], "pass", 0) != []
    none = {"expect": "none", "population_required": False, "rows": 0, "population": 1}
    assert _one(tmp_path, none, [3, 5], "fail", 3) == []
    assert _one(tmp_path, none, [3, 5], "fail", 2) != []
    required = {"expect": "none", "population_required": True, "rows": 0, "population": 1}
    assert _one(tmp_path, required, [0, 0], "fail", 1) == []  # no population: one finding against the clause
    assert _one(tmp_path, required, [0, 4], "pass", 0) == []
    assert _one(tmp_path, required, [0, 4], "fail", 1) != []
    assert _one(tmp_path, {"expect": "none", "population_required": False}, [], "not assessable", 0) == []
    assert _one(tmp_path, none, [0, 0], "not assessable", 0) != []  # check could not assess what the engine ran

"""The command line, driven through click's CliRunner: output, formats, exit codes and --help examples."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from itsms_graph import __version__
from itsms_graph.cli import cli
from itsms_graph.graph import save_snapshot
from itsms_graph.memory import ENVIRONMENT
from tests import fixtures
from tests.conftest import TEST_QUERIES

AS_OF = ["--as-of", "2025-06-30"]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    return save_snapshot(fixtures.boundaries(), tmp_path / "boundaries.itsms")


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("path", [p for p, _ in all_commands(cli)], ids=" ".join)
def test_every_command_has_help_with_an_example(runner, path):
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "itsms-graph " + path[0] in result.output


def test_check_fails_the_gate_on_majors_and_names_the_findings(runner, snap):
    result = runner.invoke(cli, ["check", str(snap), *AS_OF])
    assert result.exit_code == 1, result.output
    assert "uncontrolled-change-caused-incident" in result.output
    assert "Incident:I-u -[:CAUSED_BY]-> Change:C-first" in result.output


def test_fail_on_thresholds(runner, snap):
    assert runner.invoke(cli, ["check", str(snap), *AS_OF, "--fail-on", "none"]).exit_code == 0
    clean = runner.invoke(cli, ["check", str(snap), *AS_OF, "--query", "scope-statement-approved"])
    assert clean.exit_code == 0
    minor_only = ["--query", "change-implemented-without-approval"]
    assert runner.invoke(cli, ["check", str(snap), *AS_OF, *minor_only]).exit_code == 0
    assert runner.invoke(cli, ["check", str(snap), *AS_OF, *minor_only, "--fail-on", "minor"]).exit_code == 1


def test_not_assessable_is_never_a_pass_and_never_a_finding(runner, tmp_path):
    empty = save_snapshot(fixtures.empty(), tmp_path / "empty.itsms")
    result = runner.invoke(cli, ["check", str(empty), *AS_OF, "--format", "json", "--fail-on", "ofi"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["summary"]["status"] == {"pass": 0, "fail": 0, "not assessable": len(report["results"])}
    assert all(r["missing_data"] for r in report["results"])


def test_a_table_in_a_log_is_read_whole(runner, tmp_path, monkeypatch):
    """CI logs and pipes are no terminal: Rich's 80 columns would cut ids short; a reason is never cut."""
    monkeypatch.delenv("COLUMNS", raising=False)
    empty = save_snapshot(fixtures.empty(), tmp_path / "empty.itsms")
    result = runner.invoke(cli, ["check", str(empty), *AS_OF])
    assert "…" not in result.output
    assert "not assessable scope-names-services-and-units: no Document records; no Scope records; " in result.output
    assert "missing no" not in result.output


def test_json_report_states_version_period_and_input_hashes(runner, snap):
    result = runner.invoke(cli, ["check", str(snap), *AS_OF, "--format", "json"])
    report = json.loads(result.output)
    assert report["tool"] == {"name": "itsms-graph", "version": __version__}
    assert report["audit_period"] == {
        "as_of": "2025-06-30",
        "start": "2024-07-01",
        "end": "2025-06-30",
        "data_cut_off": "2025-07-01",
    }
    assert report["inputs"][0]["sha256"] == hashlib.sha256(snap.read_bytes()).hexdigest()
    by_id = {r["query"]: r for r in report["results"]}
    assert by_id["internal-audit-completed"]["findings"][0]["subjects"] == ["Clause:9.2"]


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "junit", "html", "table"])
def test_reports_are_byte_identical_for_the_same_inputs(runner, snap, tmp_path, fmt):
    a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    for out in (a, b):
        runner.invoke(cli, ["check", str(snap), *AS_OF, "--format", fmt, "-o", str(out)])
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 0


def test_csv_and_junit_are_well_formed_and_state_version_period_and_inputs(runner, snap):
    digest = hashlib.sha256(snap.read_bytes()).hexdigest()
    text = runner.invoke(cli, ["check", str(snap), *AS_OF, "--format", "csv"]).output
    head = [line for line in text.splitlines() if line.startswith("# ")]
    assert head[:2] == [f"# itsms-graph {__version__}", "# audit period 2024-07-01 to 2025-06-30"]
    assert f"# input {snap.name} (snapshot) sha256 {digest}" in head
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert {"query", "status", "finding_id", "chain"} <= set(rows[0])
    assert sum(1 for r in rows if r["query"] == "change-implemented-without-approval") == 3
    suite = ET.fromstring(runner.invoke(cli, ["check", str(snap), *AS_OF, "--format", "junit"]).output)
    cases = suite.findall("testcase")
    assert suite.get("failures") == str(sum(1 for c in cases if c.find("failure") is not None))
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["itsms-graph.version"] == __version__ and props[f"input {snap.name}"] == f"sha256 {digest}"
    assert props["audit-period"] == "2024-07-01 to 2025-06-30"


def test_user_queries_come_from_a_folder_or_the_config_file(runner, snap, tmp_path):
    listed = runner.invoke(cli, ["query", "list", "--queries", str(TEST_QUERIES)])
    assert "test-dependency-cycle" in listed.output
    config = tmp_path / "itsms-graph.toml"
    config.write_text(f'queries = ["{TEST_QUERIES}"]\n[parameters]\npolicy_review_interval = 13\n')
    result = runner.invoke(cli, ["check", str(snap), *AS_OF, "--config", str(config), "--format", "json"])
    by_id = {r["query"]: r for r in json.loads(result.output)["results"]}
    assert "test-shared-incident" in by_id
    assert by_id["sm-policy-current"]["status"] == "pass"  # 13-month interval reaches 2024-06-29
    assert by_id["sm-policy-current"]["parameters"] == [
        {"name": "policy_review_interval", "value": 13, "source": "config", "origin": str(config)}
    ]
    given = runner.invoke(
        cli,
        [
            "check",
            str(snap),
            *AS_OF,
            "--config",
            str(config),
            "--param",
            "policy_review_interval=6",
            "--format",
            "json",
        ],
    )
    [used] = {r["query"]: r for r in json.loads(given.output)["results"]}["sm-policy-current"]["parameters"]
    assert (used["value"], used["source"]) == ("6", "--param")  # --param wins over the configuration


def test_query_show_prints_cypher_with_parameters(runner):
    result = runner.invoke(cli, ["query", "show", "change-implemented-without-approval", "--cypher", *AS_OF])
    assert result.exit_code == 0
    assert "MATCH (c:Change)" in result.output and "$v0" in result.output
    assert '"v0": "2024-07-01T00:00:00"' in result.output


def test_query_run(runner, snap):
    result = runner.invoke(cli, ["query", "run", "policy-without-records", str(snap), *AS_OF, "--format", "csv"])
    assert result.exit_code == 0 and "Document:P1" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "{snap}", "--as-of", "30/06/2025"], "--as-of '30/06/2025' is not a date"),
        (["check", "{snap}", "--period", "a year"], "--period 'a year' is not a period"),
        (["check", "{plain}"], "not an itsms-graph snapshot"),
        (["query", "show", "no-such-query"], "no canned query with id 'no-such-query'"),
        (["check", "{snap}", "--queries", "{missing}"], "not a folder of query files"),
        (["check", "{snap}", "--param", "reveiw_interval=6"], "no query has a parameter 'reveiw_interval'"),
        (["check", "{snap}", "--fail-on", "bogus"], "Invalid value for '--fail-on': 'bogus' is not one of"),
        (
            ["check", "{snap}", "--uri", "bolt://localhost:1"],
            "--uri goes with --backend neo4j (the backend is duckdb)",
        ),
        (["diff", "{snap}", "{snap}", "--fail-on", "new-big"], "Invalid value for '--fail-on': 'new-big'"),
        (["check"], "give a SNAPSHOT or --profile PROFILE PATH (one of the two) (see "),
        (["check", "{snap}", "--param", "noequals"], "'noequals' is not KEY=VALUE"),
        (["neo4j", "push", "{snap}", "--uri", "bolt://localhost:1"], "set NEO4J_PASSWORD: there is no terminal"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, snap, tmp_path, args, message):
    plain = tmp_path / "plain.txt"
    plain.write_text("not a snapshot")
    args = [a.format(snap=snap, plain=plain, missing=tmp_path / "nowhere") for a in args]
    result = runner.invoke(cli, args, env={"NEO4J_PASSWORD": None})
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the allocator policy is glibc's")
def test_the_command_pins_the_allocators_threshold_once_and_keeps_a_users_own_setting():
    """The command returns freed batches to the system (itsms_graph/memory.py): glibc's mallopt accepts the
    setting once per process, and a MALLOC_MMAP_THRESHOLD_ the user set is not overridden."""
    probe = "from itsms_graph.memory import return_freed_blocks as f; print(f(), f())"
    env = {k: v for k, v in os.environ.items() if k != ENVIRONMENT}

    def run(environment: dict[str, str]) -> list[str]:
        cmd = [sys.executable, "-c", probe]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, env=environment).stdout.split()

    assert run(env) == ["True", "True"]
    assert run({**env, ENVIRONMENT: "65536"}) == ["False", "False"]


def test_the_pinned_threshold_leaves_duckdbs_blocks_in_the_heap():
    """#16: pinned at glibc's initial 128 KiB, every block duckdb allocates (256 KiB) was mapped on its own and
    unmapped when freed, so each one the import's inserts and folds made was faulted in afresh: `check -p bpic2014`
    spent 2.6 s of its 9 s of CPU in the kernel (876k page faults; duckdb alone, 76k). The threshold sits above a
    block, so freed blocks are reused from the heap (benchmarks/README.md: 1 MiB, same peak, less time)."""
    import duckdb

    from itsms_graph.memory import _THRESHOLD

    block = duckdb.connect().execute("SELECT current_setting('default_block_size')").fetchone()
    assert block is not None and int(block[0]) < _THRESHOLD


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Arrow pool policy is set on Linux")
@pytest.mark.parametrize(("backend", "released"), [("system", 0), ("jemalloc", 1), ("mimalloc", 1)])
def test_arrows_freed_memory_is_given_back_only_where_its_pool_keeps_it(
    monkeypatch: pytest.MonkeyPatch, backend: str, released: int
):
    """#16: from the system's malloc a freed column goes back at once (the pinned threshold), and Arrow's
    release_unused is malloc_trim, which handed back 520 MiB of free heap pages on BPIC 2014 for the next
    allocations to fault in again; Arrow's own allocators keep what is freed, so there it is given back."""
    import pyarrow as pa

    from itsms_graph.memory import release_arrow_memory

    class Pool:
        backend_name = backend
        calls = 0

        def release_unused(self) -> None:
            Pool.calls += 1

    monkeypatch.setattr(pa, "default_memory_pool", Pool)
    release_arrow_memory()
    assert Pool.calls == released


def test_the_command_has_arrow_allocate_from_malloc_and_keeps_a_users_own_pool():
    """#16: Arrow's bundled allocator kept the columns an import freed (check -p bpic2014 peaked at 710 MiB, 589
    with the system's malloc, time unchanged): the command's policy sets the system pool before pyarrow makes one,
    and leaves a pool the user named, or one pyarrow has already made, alone."""
    from itsms_graph.memory import ARROW_POOL

    probe = (
        "import sys; {first}from itsms_graph.memory import command_policy, arrow_from_malloc; command_policy(); "
        "import pyarrow as pa; print(arrow_from_malloc(), pa.default_memory_pool().backend_name)"
    )
    env = {k: v for k, v in os.environ.items() if k != ARROW_POOL}

    def run(environment: dict[str, str], first: str = "") -> list[str]:
        cmd = [sys.executable, "-c", probe.format(first=first)]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, env=environment).stdout.split()

    assert run(env) == ["False", "system"]  # set once, before pyarrow loaded
    assert run({**env, ARROW_POOL: "jemalloc"}) == ["False", "jemalloc"]
    assert run(env, first="import pyarrow; ") != ["False", "system"]  # too late: pyarrow's own pool (its bundled)

"""Golden outputs of stage1, stage2 and cap on the example SMS (as of its data cut-off, 2025-06-30).

A change in what an auditor reads shows here as a diff of a reviewed file; regenerate the files only on purpose,
with ``pytest tests/test_goldens.py --update-goldens``, and review the diff before committing it.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from rich.console import Console

from itsms_graph.audit.cap import plan_rows, write_plan
from itsms_graph.audit.verdict import stage1, stage2
from itsms_graph.check import check_graph
from itsms_graph.example import generate
from itsms_graph.queries.plan import audit_period
from itsms_graph.reports.audit import render_stage1, render_stage2


@pytest.fixture(scope="module")
def example_report():
    example = generate()
    return check_graph(example.graph, period=lambda cut: audit_period(None, "12M", cut), fail_on="none")


def dump(data) -> str:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def rendered(render, verdict) -> str:
    console = Console(width=120, record=True, no_color=True, file=open("/dev/null", "w"))  # noqa: SIM115
    render(verdict, console)
    return console.export_text()


def test_the_example_is_checked_as_of_its_cut_off(example_report):
    assert example_report.period.as_of.isoformat() == "2025-06-30" == example_report.facts.cut_off.isoformat()


def test_stage1_golden(example_report, golden):
    verdict = stage1(example_report)
    golden("stage1.json", dump(verdict.to_dict()))
    golden("stage1.txt", rendered(render_stage1, verdict))


def test_stage2_golden(example_report, golden):
    verdict = stage2(example_report)
    golden("stage2.json", dump(verdict.to_dict()))
    golden("stage2.txt", rendered(render_stage2, verdict))


def test_cap_golden(example_report, golden, tmp_path: Path):
    rows = plan_rows(stage2(example_report), example_report.period.as_of, example_report.facts)
    golden("cap.md", write_plan(rows, tmp_path / "plan.md").read_text(encoding="utf-8"))

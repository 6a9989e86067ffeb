"""The catalogue's coverage of ISO/IEC 20000-1:2018, and the counts the README and the docs quote of it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from itsms_graph.ontology import Clause
from itsms_graph.queries.catalogue import load_catalogue
from itsms_graph.queries.coverage import coverage

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue()
TREE = [Clause("8", "Operation"), Clause("8.1", "Planning"), Clause("8.2", "Portfolio"), Clause("8.2.1", "Delivery")]


def _with_clauses(*numbers: str):
    query = next(iter(CATALOGUE.values()))
    return {f"q{i}": query.model_copy(update={"id": f"q{i}", "clauses": (n,)}) for i, n in enumerate(numbers)}


def test_only_clauses_without_sub_clauses_need_a_check():
    cov = coverage({}, TREE)
    assert [c.clause.number for c in cov.requirement_clauses] == ["8.1", "8.2.1"]
    assert [c.clause.number for c in cov.uncovered] == ["8.1", "8.2.1"]


def test_a_check_of_a_parent_clause_covers_none_of_its_sub_clauses():
    cov = coverage(_with_clauses("8.2", "8.1", "8.1"), TREE)
    assert {c.clause.number: c.checks for c in cov.clauses} == {
        "8": (),
        "8.1": ("q1", "q2"),
        "8.2": ("q0",),
        "8.2.1": (),
    }
    assert [c.clause.number for c in cov.uncovered] == ["8.2.1"]
    assert cov.to_dict()["covered"] == 1 and cov.to_dict()["requirement_clauses"] == 2 and cov.checks == 3


def test_the_shipped_catalogue_covers_every_requirement_clause_it_can():
    cov = coverage(CATALOGUE)
    # 8.3.1 (Relationship and agreement, General) is the one clause without sub-clauses no check names: the
    # reference lists no requirement of its own for it (docs/coverage.md)
    assert [c.clause.number for c in cov.uncovered] == ["8.3.1"]
    assert all(q in CATALOGUE for c in cov.clauses for q in c.checks)


def _quoted(pattern: str) -> list[tuple[Path, int]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found += [(path, int(m.group(1))) for m in re.finditer(pattern, path.read_text(encoding="utf-8"))]
    return found


def _counts() -> dict[str, int]:
    cov = coverage(CATALOGUE).to_dict()
    kinds = Counter("data-quality" if q.grade == "data-quality" else f"stage {q.stage}" for q in CATALOGUE.values())
    return {
        r"(\d+) canned queries": len(CATALOGUE),
        r"(\d+) checks in the catalogue": len(CATALOGUE),
        r"(\d+) Stage 1 checks": kinds["stage 1"],
        r"(\d+) Stage 2 checks": kinds["stage 2"],
        r"(\d+) data-quality checks": kinds["data-quality"],
        r"(\d+) clauses with requirements": int(cov["requirement_clauses"]),  # type: ignore[call-overload]
        r"(\d+) of them covered": int(cov["covered"]),  # type: ignore[call-overload]
    }


@pytest.mark.parametrize(("pattern", "count"), sorted(_counts().items()))
def test_the_readme_and_the_docs_quote_the_catalogue_s_counts(pattern, count):
    wrong = [f"{p.relative_to(ROOT)} says {n}" for p, n in _quoted(pattern) if n != count]
    assert not wrong, f"{pattern!r} is {count}: {', '.join(wrong)}"


def test_the_readme_quotes_the_example_s_planted_defects():
    from itsms_graph.example import generate

    planted = len(generate().planted)
    wrong = [f"{p.relative_to(ROOT)} says {n}" for p, n in _quoted(r"(\d+) planted defects") if n != planted]
    assert not wrong, f"the example plants {planted} defects: {', '.join(wrong)}"


def test_the_coverage_doc_holds_the_generated_table():
    from itsms_graph.queries.coverage import render_markdown

    text = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    table = text.split("<!-- generated: itsms-graph coverage --format markdown -->\n", 1)[1].split("<!-- end", 1)[0]
    assert table == render_markdown(coverage(CATALOGUE)), "regenerate it: itsms-graph coverage --format markdown"


def test_the_command_lists_the_clauses_and_the_uncovered_ones_from_the_query_files(tmp_path: Path):
    import json

    from click.testing import CliRunner

    from itsms_graph.cli import cli

    runner = CliRunner()
    text = runner.invoke(cli, ["coverage"])
    assert text.exit_code == 0, text.output
    assert "+   10.2 Continual improvement: improvement-not-evaluated" in text.output
    assert text.output.endswith("Not covered: 8.3.1 General\n")
    # a query of one's own that names 8.3.1 covers it
    mine = tmp_path / "mine"
    mine.mkdir()
    body = (ROOT / "queries" / "demand-not-analysed.yaml").read_text(encoding="utf-8")
    body = body.replace("id: demand-not-analysed", "id: agreements-reviewed").replace('["8.4.2"]', '["8.3.1"]')
    (mine / "agreements-reviewed.yaml").write_text(body, encoding="utf-8")
    data = json.loads(runner.invoke(cli, ["coverage", "--format", "json", "--queries", str(mine)]).output)
    assert (data["checks"], data["covered"], data["uncovered"]) == (len(CATALOGUE) + 1, 57, [])
    assert next(c for c in data["clauses"] if c["number"] == "8.3.1")["checks"] == ["agreements-reviewed"]

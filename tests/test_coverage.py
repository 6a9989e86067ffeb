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


def test_a_clause_the_ontology_marks_without_a_requirement_of_its_own_needs_no_check():
    tree = [*TREE, Clause("8.3", "Relationship"), Clause("8.3.1", "General", own_requirement=False)]
    cov = coverage({}, tree)
    assert [c.clause.number for c in cov.requirement_clauses] == ["8.1", "8.2.1"]
    assert [c.clause.number for c in cov.without_requirement] == ["8.3.1"]
    assert cov.to_dict()["no_requirement"] == ["8.3.1"] and cov.to_dict()["requirement_clauses"] == 2
    # a check may still name it: it is listed with the clause and counts towards no requirement clause
    named = coverage(_with_clauses("8.3.1"), tree)
    assert named.clauses[-1].checks == ("q0",) and named.to_dict()["covered"] == 0


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


def test_the_shipped_catalogue_covers_every_requirement_clause():
    cov = coverage(CATALOGUE)
    assert cov.uncovered == []
    # 8.3.1 (Relationship and agreement, General) only introduces its sub-clauses: ontology/clauses.ttl marks it
    # (itsms:ownRequirement false) and says why
    assert [c.clause.number for c in cov.without_requirement] == ["8.3.1"]
    assert all(q in CATALOGUE for c in cov.clauses for q in c.checks)


REFERENCE = ROOT.parent / "shared" / "reference" / "iso20000-1-audit-and-checks.md"


def _reference_requirement_cells() -> dict[str, str]:
    """The reference's clause table (its section 1): clause number -> the paraphrase of its requirement ("" when the
    cell is empty)."""
    cells = {}
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*\**(\d+(?:\.\d+)*)\**\s*\|[^|]*\|([^|]*)\|", line)
        if m and m.group(1) not in cells:
            cells[m.group(1)] = m.group(2).strip()
    return cells


@pytest.mark.skipif(not REFERENCE.is_file(), reason=f"the project's reference is not here: {REFERENCE}")
def test_the_clauses_the_reference_leaves_without_a_requirement_are_the_ones_the_ontology_decides():
    """A leaf clause whose requirement cell the reference leaves empty is decided in clauses.ttl
    (itsms:ownRequirement, with an rdfs:comment saying why), never left to the default; a clause marked without a
    requirement of its own is one the reference gives none."""
    from itsms_graph.ontology import clauses

    cells = _reference_requirement_cells()
    shipped = clauses()
    parents = {c.parent for c in shipped if c.parent}
    assert {c.number for c in shipped} == set(cells), "the reference and clauses.ttl list other clauses"
    empty_leaves = {c.number for c in shipped if c.number not in parents and not cells[c.number]}
    decided = {c.number for c in shipped if c.own_requirement is not None}
    assert decided == empty_leaves
    assert {c.number for c in shipped if c.own_requirement is False} <= empty_leaves


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
    assert "Not covered" not in text.output
    assert text.output.endswith(
        f"{len(CATALOGUE)} checks in the catalogue; 56 clauses with requirements, 56 of them covered.\n"
        "No requirement of its own (ontology/clauses.ttl says why): 8.3.1 General\n"
    )
    assert "\n      8.3.1 General\n" in text.output  # unmarked, like the headings
    # a query of one's own that names 8.3.1 is listed with it
    mine = tmp_path / "mine"
    mine.mkdir()
    body = (ROOT / "queries" / "demand-not-analysed.yaml").read_text(encoding="utf-8")
    body = body.replace("id: demand-not-analysed", "id: agreements-reviewed").replace('["8.4.2"]', '["8.3.1"]')
    (mine / "agreements-reviewed.yaml").write_text(body, encoding="utf-8")
    data = json.loads(runner.invoke(cli, ["coverage", "--format", "json", "--queries", str(mine)]).output)
    assert (data["checks"], data["covered"], data["uncovered"]) == (len(CATALOGUE) + 1, 56, [])
    assert data["no_requirement"] == ["8.3.1"]
    assert next(c for c in data["clauses"] if c["number"] == "8.3.1")["checks"] == ["agreements-reviewed"]


def test_the_mark_is_read_from_clauses_ttl_and_a_malformed_one_is_an_ontology_error(tmp_path: Path):
    import shutil

    from itsms_graph.errors import OntologyError
    from itsms_graph.ontology import load_clauses

    folder = tmp_path / "ontology"
    shutil.copytree(ROOT / "ontology", folder)
    path = folder / "clauses.ttl"
    text = path.read_text(encoding="utf-8")
    assert text.count("itsms:ownRequirement false ;") == 1
    path.write_text(text.replace("itsms:ownRequirement false ;", ""), encoding="utf-8")
    unmarked = coverage(CATALOGUE, load_clauses(folder))
    assert [c.clause.number for c in unmarked.uncovered] == ["8.3.1"] and unmarked.without_requirement == []
    path.write_text(text.replace("itsms:ownRequirement false ;", 'itsms:ownRequirement "no" ;'), encoding="utf-8")
    with pytest.raises(OntologyError, match=r"8\.3\.1: itsms:ownRequirement is true or false"):
        load_clauses(folder)

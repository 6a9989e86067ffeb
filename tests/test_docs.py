"""The documentation cannot drift from the code (#20.1): the generated pages equal what the code generates now, the
query-language key tables name exactly the keys the model accepts, every relative link leads to a file, and the
README stays a front page.

A failure says how to fix it: ``make docs`` regenerates docs/cli.md and docs/query-schema.json; a key table is
written by hand (the failure names the key to add or remove).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from itsms_graph.cli.reference import reference
from itsms_graph.queries.definition import Filter, QueryDefinition
from itsms_graph.queries.json_schema import query_json_schema

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: the pages a reader starts from; every markdown file under docs/ is checked too
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]
REGENERATE = "run `make docs` and commit the result"


def test_cli_reference_is_the_help_of_every_command():
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == reference(), f"docs/cli.md is stale: {REGENERATE}"


def test_query_schema_is_generated_from_the_model():
    text = (DOCS / "query-schema.json").read_text(encoding="utf-8")
    assert text == query_json_schema(), f"docs/query-schema.json is stale: {REGENERATE}"


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every pydantic model a query file can contain, found from the top-level model (no hand-kept list)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(tp: object) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ in found:
                return
            found[tp.__name__] = tp
            for f in tp.model_fields.values():
                visit(f.annotation)
        for arg in typing.get_args(tp):
            visit(arg)

    visit(root)
    return found


def _table_after(text: str, marker: str) -> list[str]:
    """The backquoted names in the first column of the markdown table that follows ``<!-- marker -->``."""
    start = text.find(f"<!-- {marker} -->")
    assert start >= 0, f"docs/query-language.md has no table marked <!-- {marker} -->"
    rows = []
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append(line)
    first = [row.split("|")[1] for row in rows[2:]]  # after the header and its rule
    return [name for cell in first for name in re.findall(r"`([^`]+)`", cell)]


def test_the_models_are_found():
    assert {"QueryDefinition", "Filter", "Step", "Condition", "PathSpec", "Each", "Parameter"} <= set(
        _models(QueryDefinition)
    )


@pytest.mark.parametrize("name", sorted(_models(QueryDefinition)))
def test_key_table_names_exactly_the_models_keys(name: str):
    model = _models(QueryDefinition)[name]
    keys = {f.alias or key for key, f in model.model_fields.items()}
    documented = _table_after((DOCS / "query-language.md").read_text(encoding="utf-8"), f"keys: {name}")
    assert len(documented) == len(set(documented)), f"{name}: a key is listed twice"
    assert set(documented) == keys, (
        f"docs/query-language.md, {name}: missing {sorted(keys - set(documented))}, "
        f"not in the model {sorted(set(documented) - keys)}"
    )


def test_op_table_names_exactly_the_comparisons():
    ops = set(typing.get_args(Filter.model_fields["op"].annotation))
    documented = _table_after((DOCS / "query-language.md").read_text(encoding="utf-8"), "values: Filter.op")
    assert set(documented) == ops, f"missing {sorted(ops - set(documented))}, extra {sorted(set(documented) - ops)}"


def _links(page: Path) -> list[tuple[str, Path]]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)  # not inside code blocks
    out = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        out.append((target, (page.parent / target.split("#")[0]).resolve()))
    return out


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file(page: Path):
    assert page.exists(), f"{page.relative_to(ROOT)} is missing"
    broken = [target for target, path in _links(page) if not path.exists()]
    assert not broken, f"{page.relative_to(ROOT)} links to missing files: {broken}"


def test_every_docs_page_is_reachable_from_the_readme():
    """A page no one links to is a page no one reads."""
    reachable: set[Path] = set()
    todo = [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in reachable or page.suffix != ".md" or not page.exists():
            continue
        reachable.add(page)
        todo += [path for _, path in _links(page)]
    orphans = [p.name for p in DOCS.glob("*.md") if p.resolve() not in reachable]
    assert not orphans, f"docs pages no README link leads to: {orphans}"


def test_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move the detail to a page under docs/"

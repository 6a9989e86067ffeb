"""Start-up stays cheap (#16.4, #20.5): the command line imports no engine and no data library until a command
needs one, the query catalogue is parsed once per command, and YAML goes through the safe loader in C.

Times are measured in benchmarks/startup.py (never asserted here); these tests pin what makes them short.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from itsms_graph import safe_yaml
from itsms_graph.cli import cli
from itsms_graph.graph import save_snapshot
from itsms_graph.queries import catalogue
from tests import fixtures

#: What ``import itsms_graph.cli`` (and so ``itsms-graph --help``) must not import: each costs 0.1-1 s.
HEAVY = ("duckdb", "pyarrow", "numpy", "rdflib", "networkx", "pydantic", "falkordb", "neo4j", "plotly", "openpyxl")


def _imported_by(statement: str) -> list[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out.splitlines()[-1]))  # the last line: after what --help printed
    return [name for name in HEAVY if name in loaded]


def test_the_command_line_imports_nothing_heavy():
    assert _imported_by("import itsms_graph.cli") == []


def test_the_package_and_its_api_names_import_nothing_heavy():
    """``import itsms_graph`` offers the API by name; a name loads its module when first used."""
    assert _imported_by("import itsms_graph\nitsms_graph.__all__") == []


def test_help_imports_nothing_heavy():
    statement = (
        "from itsms_graph.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='itsms-graph')\nexcept SystemExit:\n    pass\n"
        "try:\n    cli(['check', '--help'], prog_name='itsms-graph')\nexcept SystemExit:\n    pass"
    )
    assert _imported_by(statement) == []


def test_check_on_a_snapshot_loads_only_duckdb(tmp_path: Path):
    """#16: the check of a snapshot runs on its tables in duckdb; networkx (the Python graph), pyarrow and numpy
    (the importer's) were loaded by it all the same, 81 MiB of its peak on the generated million. (pydantic
    reads the query files.)"""
    snapshot = save_snapshot(fixtures.boundaries(), tmp_path / "s.itsms")
    argv = ["check", str(snapshot), "--as-of", "2025-06-30", "--fail-on", "none", "-o", str(tmp_path / "c.json")]
    statement = (
        "from itsms_graph.cli import cli\n"
        f"try:\n    cli({argv!r}, prog_name='itsms-graph')\nexcept SystemExit:\n    pass"
    )
    assert _imported_by(statement) == ["duckdb", "pydantic"]


def test_query_list_reads_the_derived_schema_not_the_turtle_files():
    """query list validates the catalogue against the ontology from ontology/derived.json: no rdflib (0.15 s)."""
    statement = (
        "from itsms_graph.cli import cli\n"
        "try:\n    cli(['query', 'list'], prog_name='itsms-graph')\nexcept SystemExit:\n    pass"
    )
    assert "rdflib" not in _imported_by(statement)
    assert "pydantic" in _imported_by(statement)  # it did validate the query files


def test_check_parses_each_query_file_once(tmp_path: Path, monkeypatch):
    """check reads the catalogue to validate --param, then runs it: the files are parsed once, not twice."""
    snap = save_snapshot(fixtures.boundaries(), tmp_path / "b.itsms")
    parsed: list[Path] = []
    real = catalogue.load_query_file

    def counting(path: Path, *args, **kwargs):
        parsed.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(catalogue, "load_query_file", counting)
    catalogue._read.cache_clear()
    result = CliRunner().invoke(cli, ["check", str(snap), "--as-of", "2025-06-30", "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    assert parsed, "the catalogue was not read at all"
    assert len(parsed) == len(set(parsed)) == len(list(catalogue.shipped_dir().glob("*.yaml")))


def test_a_changed_query_file_is_read_again(tmp_path: Path):
    """The catalogue's memory is keyed by the files' bytes: an edited query is not served stale."""
    folder = tmp_path / "mine"
    folder.mkdir()
    shipped = catalogue.shipped_dir() / "sm-policy-current.yaml"
    text = shipped.read_text(encoding="utf-8").replace("sm-policy-current", "my-policy-check")
    (folder / "my-policy-check.yaml").write_text(text, encoding="utf-8")
    first = catalogue.load_catalogue([folder])["my-policy-check"]
    (folder / "my-policy-check.yaml").write_text(text.replace(first.title, "Another title"), encoding="utf-8")
    assert catalogue.load_catalogue([folder])["my-policy-check"].title == "Another title"


def test_yaml_is_read_with_a_safe_loader_in_c_when_available():
    assert issubclass(safe_yaml.Loader, yaml.constructor.SafeConstructor)
    assert not issubclass(safe_yaml.Loader, yaml.constructor.FullConstructor)
    if yaml.__with_libyaml__:
        assert issubclass(safe_yaml.Loader, yaml.CSafeLoader)
    try:
        safe_yaml.load("!!python/object/apply:os.system ['echo pwned']")
    except yaml.YAMLError:
        pass
    else:
        raise AssertionError("the loader built a Python object")


def test_no_api_name_is_hidden_by_a_module_of_the_package():
    """``itsms_graph.example`` once named both a function and the subpackage: the subpackage, once imported,
    shadows a name the package offers lazily."""
    import itsms_graph

    package = Path(itsms_graph.__file__).parent
    clashes = [n for n in itsms_graph.__all__ if (package / n).is_dir() or (package / f"{n}.py").exists()]
    assert not clashes


def test_a_report_on_a_snapshot_reads_its_parts_without_arrow(tmp_path: Path):
    """#16: the report draws a part of the graph and its verdicts read the findings' records, a few hundred nodes
    fetched by SQL; through Arrow they loaded pyarrow and its memory pool, 66 MiB of the report's peak on the
    generated million. (plotly draws the page.) The page is the same (tests/test_visual.py)."""
    snapshot = save_snapshot(fixtures.boundaries(), tmp_path / "s.itsms")
    argv = ["report", str(snapshot), "--as-of", "2025-06-30", "-o", str(tmp_path / "r.html")]
    statement = (
        "from itsms_graph.cli import cli\n"
        f"try:\n    cli({argv!r}, prog_name='itsms-graph')\nexcept SystemExit:\n    pass"
    )
    assert [name for name in _imported_by(statement) if name in ("pyarrow", "numpy")] == []

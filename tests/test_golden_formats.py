"""Golden outputs of ``itsms-graph check`` on the example SMS, one per format of the registry (#20.6): a change in
what a reader of any plain format sees shows as a diff of a reviewed file. Regenerate them only on purpose,
``pytest tests/test_golden_formats.py --update-goldens``, and review the diff before committing it.

The formats are walked from ``itsms_graph.registry.FORMATS``, not listed here: a new format fails until its
golden file is written and reviewed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from itsms_graph.cli import cli
from itsms_graph.example import generate
from itsms_graph.graph import save_snapshot
from itsms_graph.registry import FORMATS

#: the file suffix of each format's golden file
SUFFIX = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md", "junit": "xml", "html": "html"}


@pytest.fixture(scope="module")
def example_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # the name is fixed: a report names its inputs by file name
    return save_snapshot(generate().graph, tmp_path_factory.mktemp("golden") / "example.itsms")


def test_every_format_has_a_suffix():
    assert set(SUFFIX) == set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_output_is_its_golden_file(fmt: str, example_snapshot: Path, tmp_path: Path, golden):
    out = tmp_path / f"check.{SUFFIX[fmt]}"
    args = ["check", str(example_snapshot), "--as-of", "2025-06-30", "--fail-on", "none", "--format", fmt, "-o"]
    result = CliRunner().invoke(cli, [*args, str(out)])
    assert result.exit_code == 0, result.output
    golden(f"check.{SUFFIX[fmt]}", out.read_text(encoding="utf-8"))

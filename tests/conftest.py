"""Shared test setup: the tier rule (a missing verification tier is a loud skip locally, a failure in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_QUERIES = Path(__file__).resolve().parent / "queries"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_tier(available: bool, tier: str, how: str) -> None:
    """Skip (locally) or fail (CI=true) when a verification tier is missing."""
    if available:
        return
    message = f"VERIFICATION TIER MISSING: {tier} is not available ({how})"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def bpic2014_full():
    """The full BPIC 2014 export imported once per test session (about 30 s), or a clean skip without it."""
    from itsms_graph.importers import import_sources, resolve_profile

    folder = SHARED_DATA / "bpic2014"
    if not folder.is_dir():
        pytest.skip("../shared/data/bpic2014 is not here")
    graph, report = import_sources([(resolve_profile("bpic2014"), folder)], keep_going=True)
    return folder, graph, report


@pytest.fixture(scope="module")
def falkor_db():
    """An embedded FalkorDB per test module (a loud skip locally, a failure in CI, when it is missing)."""
    from itsms_graph.engines.cypher import falkordb as falkordb_engine

    require_tier(falkordb_engine.available(), "FalkorDB (falkordblite)", "pip install falkordblite, Python >= 3.12")
    db = falkordb_engine.open_database()
    yield db
    db.close()


#: The engines checked against networkx (the reference) wherever parity is tested: ``load_engine`` parameters.
OTHER_ENGINES = [pytest.param("falkordb", marks=pytest.mark.falkordb), "duckdb"]


@pytest.fixture
def load_engine(request):
    """``load(graph, name)``: the engine the test is parametrized with (``OTHER_ENGINES``, indirect), loaded with
    *graph*; FalkorDB keeps one embedded server per module and a graph per *name*."""
    if request.param == "falkordb":
        from itsms_graph.engines.cypher import falkordb as falkordb_engine

        db = request.getfixturevalue("falkor_db")

        def load(graph, name):
            engine = falkordb_engine.FalkorDBEngine(graph_name=name, db=db)
            engine.load(graph)
            return engine

        return load
    if request.param == "duckdb":
        from itsms_graph.engines.duckdb.engine import DuckDBEngine

        return lambda graph, name: DuckDBEngine.from_graph(graph)
    raise ValueError(f"no engine {request.param!r}")


def pytest_addoption(parser):
    """``--update-goldens``: rewrite the golden output files (tests/goldens/) instead of comparing with them."""
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/goldens/ from the current output")


@pytest.fixture
def golden(request):
    """``golden(name, text)``: compare *text* with tests/goldens/NAME, or rewrite it under --update-goldens."""
    update = request.config.getoption("--update-goldens")

    def check(name: str, text: str) -> None:
        path = Path(__file__).resolve().parent / "goldens" / name
        if update:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"{path} is missing: run pytest --update-goldens and review the new file"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{name} differs from its golden file: review, then pytest --update-goldens"

    return check

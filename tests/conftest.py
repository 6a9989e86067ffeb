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
    from itsms_graph.engines import falkordb as falkordb_engine

    require_tier(falkordb_engine.available(), "FalkorDB (falkordblite)", "pip install falkordblite, Python >= 3.12")
    db = falkordb_engine.open_database()
    yield db
    db.close()

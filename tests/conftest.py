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

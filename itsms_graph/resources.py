"""Where the shipped data folders (ontology/, queries/, importers/) are, in a wheel or in a checkout.

A wheel carries them under itsms_graph/_data/ (see pyproject.toml); a checkout or editable install reads the
top-level folders directly, so there is one copy of each.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder of shipped data called *name* ("ontology", "queries" or "importers")."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"itsms-graph's {name}/ folder is missing from this installation")

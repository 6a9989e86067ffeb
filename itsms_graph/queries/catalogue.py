"""The registry of canned queries: the shipped queries/ folder plus any folders a user points at.

Query ids are unique across folders; a user's folder may add queries but not silently replace shipped ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from itsms_graph.errors import QueryDefinitionError
from itsms_graph.queries.definition import QueryDefinition, load_query_file
from itsms_graph.resources import data_dir


def shipped_dir() -> Path:
    return data_dir("queries")


def load_catalogue(extra_dirs: Iterable[Path] = ()) -> dict[str, QueryDefinition]:
    """Every query of the shipped folder and of *extra_dirs*, by id, sorted by id."""
    found: dict[str, tuple[QueryDefinition, Path]] = {}
    for folder in (shipped_dir(), *extra_dirs):
        if not folder.is_dir():
            raise QueryDefinitionError(f"{folder}: not a folder of query files")
        for path in sorted(folder.glob("*.yaml")):
            query = load_query_file(path)
            if query.id in found:
                raise QueryDefinitionError(f"{path}: query id {query.id!r} is already defined by {found[query.id][1]}")
            found[query.id] = (query, path)
    return {qid: found[qid][0] for qid in sorted(found)}

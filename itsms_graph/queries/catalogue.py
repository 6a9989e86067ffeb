"""The registry of canned queries: the shipped queries/ folder plus any folders a user points at.

Query ids are unique across folders; a user's folder may add queries but not silently replace shipped ones. A
catalogue is read once per process for the same files: a command that asks for it twice (the CLI to check
--param names, then the check itself) does not parse and validate the query files twice; a file whose bytes
change is read again (its bytes are compared, not its modification time, which a quick rewrite can leave as it
was).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from itsms_graph.errors import QueryDefinitionError
from itsms_graph.queries.definition import QueryDefinition, load_query_file
from itsms_graph.resources import data_dir

#: (path, SHA-256 of its bytes) of each query file, in catalogue order
_FileKey = tuple[tuple[str, str], ...]


def shipped_dir() -> Path:
    return data_dir("queries")


def load_catalogue(extra_dirs: Iterable[Path] = ()) -> dict[str, QueryDefinition]:
    """Every query of the shipped folder and of *extra_dirs*, by id, sorted by id."""
    files: list[Path] = []
    for folder in (shipped_dir(), *extra_dirs):
        if not folder.is_dir():
            raise QueryDefinitionError(f"{folder}: not a folder of query files")
        files.extend(sorted(folder.glob("*.yaml")))
    try:
        key = tuple((str(path), hashlib.sha256(path.read_bytes()).hexdigest()) for path in files)
    except OSError as exc:
        raise QueryDefinitionError(f"{exc.filename}: cannot read query file: {exc.strerror}") from None
    return dict(_read(key))  # a copy: the caller may change its dict, the definitions are frozen


@lru_cache(maxsize=8)
def _read(files: _FileKey) -> dict[str, QueryDefinition]:
    found: dict[str, tuple[QueryDefinition, Path]] = {}
    for name, _digest in files:
        path = Path(name)
        query = load_query_file(path)
        if query.id in found:
            raise QueryDefinitionError(f"{path}: query id {query.id!r} is already defined by {found[query.id][1]}")
        found[query.id] = (query, path)
    return {qid: found[qid][0] for qid in sorted(found)}

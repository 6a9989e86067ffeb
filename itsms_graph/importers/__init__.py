"""Importers: declarative profiles (the importers/ folder) that turn ITSM exports into the SMS graph.

``resolve_profile`` finds a built-in profile by name or reads a user's profile file; ``import_sources`` builds
one graph from several sources, with references resolving across them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from itsms_graph.errors import InputError
from itsms_graph.importers.profile import Profile, load_profile
from itsms_graph.resources import data_dir

if TYPE_CHECKING:
    from itsms_graph.importers.build import (
        ImportedTables,
        Importer,
        ImportReport,
        Rejection,
        import_sources,
        import_tables,
    )

#: The importer's names, loaded with their module (numpy, pyarrow) when first used: reading a profile, as a check
#: on a snapshot does to know which links its sources carry, needs neither
_BUILD = {"ImportedTables", "Importer", "ImportReport", "Rejection", "import_sources", "import_tables"}

__all__ = [
    "ImportReport",
    "ImportedTables",
    "Importer",
    "Profile",
    "Rejection",
    "builtin_profiles",
    "import_sources",
    "import_tables",
    "resolve_profile",
]


def __getattr__(name: str) -> Any:
    if name in _BUILD:
        from itsms_graph.importers import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def builtin_profiles() -> dict[str, Path]:
    """The shipped profiles by id (the file name without .yaml)."""
    return {p.stem: p for p in sorted(data_dir("importers").glob("*.yaml"))}


def resolve_profile(name: str) -> Profile:
    """A built-in profile by id, or a profile file by path."""
    builtin = builtin_profiles()
    if name in builtin:
        return load_profile(builtin[name])
    path = Path(name)
    if path.is_file():
        return load_profile(path)
    raise InputError(
        f"no import profile {name!r}: built-in ones are {', '.join(builtin) or 'none'}, or give a profile file's path"
    )

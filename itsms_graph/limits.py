"""Limits on untrusted files: how far a compressed file may inflate.

Every limit has a default generous for real exports and an environment variable to raise it, named in the error:
``ITSMS_GRAPH_MAX_INFLATED_MB`` (default 4096: the most a compressed input or snapshot may inflate to),
``ITSMS_GRAPH_MAX_INFLATE_RATIO`` (default 200: past the first 16 MiB, the most it may inflate per byte read).
(The reliability work, issue #15.4, extends this module with the limits on gzip inputs and YAML.)
"""

from __future__ import annotations

import os
import zipfile

from itsms_graph.errors import InputError

#: Inflation is judged by ratio only past this many bytes (a small file may be mostly one repeated value)
RATIO_FLOOR = 16 << 20


def limit(name: str, default: int) -> int:
    """The limit *name* (``ITSMS_GRAPH_<name>``) from the environment, else *default*."""
    raw = os.environ.get(f"ITSMS_GRAPH_{name}", "").strip().replace("_", "")
    try:
        return int(raw) if raw else default
    except ValueError:
        raise InputError(f"ITSMS_GRAPH_{name}={raw!r} is not a whole number") from None


def max_inflated() -> int:
    return limit("MAX_INFLATED_MB", 4096) << 20


def max_ratio() -> int:
    return limit("MAX_INFLATE_RATIO", 200)


def check_inflation(name: str, inflated: int, compressed: int) -> None:
    """Refuse *name* once it has inflated to *inflated* bytes from *compressed*, past either limit."""
    if inflated > max_inflated():
        raise InputError(
            f"inflates to more than {max_inflated() >> 20} MiB (a decompression bomb?); raise "
            "ITSMS_GRAPH_MAX_INFLATED_MB if the file is genuine",
            file=name,
        )
    if inflated > RATIO_FLOOR and inflated > max_ratio() * max(compressed, 1):
        raise InputError(
            f"inflates more than {max_ratio()} times ({inflated:,} bytes from {compressed:,}; a decompression "
            "bomb?); raise ITSMS_GRAPH_MAX_INFLATE_RATIO if the file is genuine",
            file=name,
        )


def check_archive(name: str, archive: zipfile.ZipFile) -> None:
    """Refuse a ZIP (a snapshot, a workbook) whose members, by the sizes it declares, inflate past the limits:
    zipfile never inflates a member past its declared size, so the declared sizes bound what reading it costs."""
    members = archive.infolist()
    check_inflation(name, sum(i.file_size for i in members), sum(i.compress_size for i in members))

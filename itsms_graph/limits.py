"""Limits on what an untrusted file may expand to: the one place that bounds decompression.

A compressed container (a snapshot's ZIP members, a ``.gz`` input) says how large its members are, but a hostile
one can lie, and an honest one can still hold a bomb (1 GiB of whitespace deflates to 1 MB). A member is
therefore read a block at a time and refused as soon as it passes the limit on its expanded size or on its ratio
of expanded to compressed bytes, whatever its header says; nothing is held before it is counted.

The limits are settings: the environment (``ITSMS_MAX_EXPANDED``, bytes with an optional KB/MB/GB suffix;
``ITSMS_MAX_RATIO``) raises them for a user who trusts a large file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from itsms_graph.errors import ItsmsError

#: Environment variables that set the limits
MAX_EXPANDED_ENV, MAX_RATIO_ENV = "ITSMS_MAX_EXPANDED", "ITSMS_MAX_RATIO"
#: A member may expand to 16 GiB: a 10M-record snapshot's largest member is about 1 GB
DEFAULT_MAX_EXPANDED = 16 << 30
#: JSON and Parquet deflate 5-15 times; 200 leaves room for repetitive columns and none for a bomb
DEFAULT_MAX_RATIO = 200.0
#: Below this many expanded bytes the ratio is not checked: a tiny member of one repeated value deflates far
_RATIO_FLOOR = 1 << 20
_BLOCK = 1 << 20
_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30}


def parse_size(text: str) -> int:
    """``"4GB"`` -> 4_000_000_000; ``"512MiB"``, ``"1000"`` likewise; ItsmsError when it is not a size.

    >>> parse_size("2MiB")
    2097152
    """
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?\s*", text, re.IGNORECASE)
    if not found:
        raise ItsmsError(f"{text!r} is not a size (bytes, or a number with KB, MB, GB, KiB, MiB or GiB)")
    return int(float(found.group(1)) * _UNITS[(found.group(2) or "").upper()])


@dataclass(frozen=True)
class Limits:
    """How far a compressed member may expand: in bytes, and as a ratio to its compressed size."""

    max_expanded: int = DEFAULT_MAX_EXPANDED
    max_ratio: float = DEFAULT_MAX_RATIO

    @classmethod
    def from_environment(cls) -> Limits:
        expanded = os.environ.get(MAX_EXPANDED_ENV)
        ratio = os.environ.get(MAX_RATIO_ENV)
        try:
            max_ratio = float(ratio) if ratio else DEFAULT_MAX_RATIO
        except ValueError:
            raise ItsmsError(f"{MAX_RATIO_ENV}={ratio!r} is not a number") from None
        return cls(parse_size(expanded) if expanded else DEFAULT_MAX_EXPANDED, max_ratio)

    def check(self, what: str, expanded: int, compressed: int) -> None:
        """Refuse *what* once it has expanded to *expanded* bytes from *compressed*."""
        if expanded > self.max_expanded:
            raise ItsmsError(
                f"{what} expands beyond {self.max_expanded} bytes (the limit; raise it with {MAX_EXPANDED_ENV})"
            )
        if expanded > _RATIO_FLOOR and expanded > self.max_ratio * max(compressed, 1):
            raise ItsmsError(
                f"{what} expands more than {self.max_ratio:g} times its compressed size of {compressed} bytes "
                f"(a decompression bomb? raise the limit with {MAX_RATIO_ENV})"
            )

    def blocks(self, stream: IO[bytes], what: str, compressed: int) -> Iterator[bytes]:
        """The blocks of a decompressing *stream*, refused as soon as they pass a limit."""
        expanded = 0
        while block := stream.read(_BLOCK):
            expanded += len(block)
            self.check(what, expanded, compressed)
            yield block

    def read(self, stream: IO[bytes], what: str, compressed: int, also: Callable[[bytes], None] | None = None) -> bytes:
        """All of a decompressing *stream*, within the limits (each block passed to *also* too)."""
        parts = []
        for block in self.blocks(stream, what, compressed):
            if also is not None:
                also(block)
            parts.append(block)
        return b"".join(parts)

"""Limits on untrusted files: how far a compressed file may inflate, how deep and how large (through YAML aliases) a
file may nest, and reading a user's text file (a profile, a query, a configuration) as UTF-8 with its place named.

Every limit has a default generous for real exports and an environment variable to raise it, named in the error:
``ITSMS_GRAPH_MAX_INFLATED_MB`` (default 4096: the most a compressed input or snapshot may inflate to),
``ITSMS_GRAPH_MAX_INFLATE_RATIO`` (default 200: past the first 16 MiB, the most it may inflate per byte read),
``ITSMS_GRAPH_MAX_NESTING`` (default 100: lists and mappings inside each other in a YAML file),
``ITSMS_GRAPH_MAX_YAML_VALUES`` (default 10,000,000: values a YAML file holds once its aliases are expanded; a
file of aliases of aliases, the "billion laughs", holds far more than it shows).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import IO, Any

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


class InflationLimited:
    """A decompressing binary stream (gzip) that stops, with an InputError, past the inflation limits; the
    compressed bytes read so far come from *raw*'s position."""

    def __init__(self, name: str, inflating: Any, raw: IO[bytes]) -> None:
        self.name, self._in, self._raw = name, inflating, raw
        self.inflated = 0
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        data = self._in.read(size)
        self.inflated += len(data)
        check_inflation(self.name, self.inflated, self._raw.tell())
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else 1 << 16)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._in.close()
            self._raw.close()

    def __enter__(self) -> InflationLimited:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def readline(self, size: int = -1) -> bytes:
        line = self._in.readline(size)
        self.inflated += len(line)
        check_inflation(self.name, self.inflated, self._raw.tell())
        return line


def open_gzip(path: Path) -> InflationLimited:
    """*path*, a gzip file, inflating within the limits."""
    import gzip

    raw = path.open("rb")
    return InflationLimited(path.name, gzip.GzipFile(fileobj=raw, mode="rb"), raw)


# --- text a user writes ------------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """*data* as UTF-8 text (a BOM allowed), or an InputError naming the line and byte that are not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02X} on line {line} ({exc.reason}); save the file as UTF-8",
            file=name,
            row=None,
        ) from None


def read_text(path: Path) -> str:
    """A user's text file (profile, query, configuration) as UTF-8; errors name the file and line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    return decode_text(data, str(path))


# --- YAML a user writes -------------------------------------------------------------------------------------------


def max_nesting() -> int:
    return limit("MAX_NESTING", 100)


def max_yaml_values() -> int:
    return limit("MAX_YAML_VALUES", 10_000_000)


__all__ = [
    "InflationLimited",
    "check_archive",
    "check_inflation",
    "decode_text",
    "open_gzip",
    "read_text",
]

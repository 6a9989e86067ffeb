"""Whether the strict CSV reader would read a file's bytes as the records pyarrow read, found as pyarrow reads them.

pyarrow's CSV reader takes a quote still open at the end of the file, and text after a closing quote, without a
word; ``columns.py`` takes its reading of a file with quotes only when Python's strict reader (RFC 4180) finds the
same records. This scan finds that, where it can, from the bytes pyarrow reads, so that the file is not read a
second time.
"""

from __future__ import annotations

import csv
from typing import Any

import numpy as np


class StrictScan:
    """A binary stream that hands pyarrow what it reads and, block by block as it goes, finds whether the strict
    reader (``csv.reader`` with ``strict=True``: RFC 4180) would read the bytes as records, and how many: what
    ``_strictly_the_same`` finds by reading the file a second time (on BPIC 2014's activity log, 47 MB with 6,122
    quotes, that second reading was 0.7 s of CPU, and the rows' conversion waited for it).

    It says so only for bytes whose strict reading it can tell without parsing: every quote opens a field (after a
    separator, a line break or at the start) or closes one (before a separator, a line break or the quote that
    escapes it); every carriage return ends a line before a line feed; no NUL; no field longer than the strict
    reader's limit. Then the strict reader's records are the line feeds outside the quotes (and a last line
    without one). Anything else (a quote inside an unquoted field, a lone carriage return, ...) leaves it
    unsure, and the file is read again by the strict reader, as before."""

    def __init__(self, raw: Any, delimiter: str) -> None:
        self._raw, self.quotes, self.closed = raw, 0, False
        self._delim = delimiter.encode() if len(delimiter.encode()) == 1 else None
        self._sure = self._delim is not None
        self._limit = csv.field_size_limit()  # characters; a field's bytes are at least as many
        self._offset = 0  # bytes scanned
        self._open_at = 0  # where the quoted field open at the end of the last block opened
        self._since_sep = 0  # bytes since the last separator, line feed or quote
        self._line_feeds = 0  # outside the quotes
        self._last = -1  # the last byte scanned (-1: none yet)
        self._closing = False  # the last byte scanned closed a quoted field: the next must follow a closing

    def read(self, size: int = -1) -> bytes:
        block = bytes(self._raw.read(size))
        counted = self._scan(block, self.quotes) if block and self._sure else None
        self.quotes += block.count(b'"') if counted is None else counted
        return block

    def _scan(self, block: bytes, before: int) -> int | None:
        """Scan the next *block*, *before* quotes having come before it; return the block's quotes, counted on the
        way (None when the scan stopped short: unsure)."""
        n, delim = len(block), self._delim
        assert delim is not None
        after_close = {delim[0], 0x0A, 0x0D, 0x22}
        if b"\x00" in block or n > self._limit or (self._closing and block[0] not in after_close):
            self._sure = False
            return None
        self._closing = False
        if self._last == 0x0D and block[0] != 0x0A:
            self._sure = False
            return None
        # every carriage return before the block's last byte comes before a line feed (counted on the bytes as an
        # array: CPython counts a byte, and a pair, a byte at a time, and a file of CRLF lines paid for both)
        arr = np.frombuffer(block, dtype=np.uint8)
        crs = np.flatnonzero(arr[:-1] == 0x0D)
        if len(crs) and not bool(np.all(arr[crs + 1] == 0x0A)):
            self._sure = False
            return None
        # a run of bytes without a separator, a line feed or a quote: an unquoted field is one (it holds no quote;
        # a quoted field is measured between its quotes, below)
        marks = (delim, b"\n", b'"')
        firsts = [i for i in (block.find(m) for m in marks) if i >= 0]
        if not firsts:
            self._since_sep += n
        else:
            if self._since_sep + min(firsts) > self._limit:
                self._sure = False
                return None
            self._since_sep = n - 1 - max(block.rfind(m) for m in marks)
        inside = before % 2 == 1  # within a quoted field as the block begins
        q = np.flatnonzero(arr == 0x22)
        if not len(q):
            if not inside:
                self._line_feeds += int(np.count_nonzero(arr == 0x0A))
            elif self._offset + n - self._open_at - 1 > self._limit:
                self._sure = False
                return None
        else:
            opening = (before + np.arange(len(q))) % 2 == 0
            prev = np.where(q > 0, arr[q - 1].astype(np.int16), self._last)
            nxt = arr[np.minimum(q + 1, n - 1)]
            ok_open = np.isin(prev, [delim[0], 0x0A, 0x22, -1])
            ok_close = np.isin(nxt, list(after_close)) | (q == n - 1)
            if not bool(np.all(np.where(opening, ok_open, ok_close))):
                self._sure = False
                return None
            # each quoted field's length, from the quote opening it to the one closing it
            at = self._offset + q
            opens = np.concatenate(([self._open_at], at[opening])) if inside else at[opening]
            closes = at[~opening]
            ends = closes if len(closes) == len(opens) else np.concatenate((closes, [self._offset + n]))
            if len(opens) and int((ends - opens).max()) - 1 > self._limit:  # the bytes between its quotes
                self._sure = False
                return None
            if len(opens) > len(closes):
                self._open_at = int(opens[-1])
            feeds = np.flatnonzero(arr == 0x0A)
            quoted = (before + np.searchsorted(q, feeds)) % 2 == 1
            self._line_feeds += int(len(feeds) - quoted.sum())
            self._closing = not bool(opening[-1]) and int(q[-1]) == n - 1
        self._offset += n
        self._last = block[-1]
        return len(q)

    def strict_records(self) -> int | None:
        """How many records the strict reader reads from the bytes read so far, all of the file (None when unsure,
        or when a quoted field is still open at the end: the strict reader stops there)."""
        if not self._sure or self.quotes % 2 or self._last == 0x0D:
            return None
        return self._line_feeds + (self._last not in (-1, 0x0A))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True

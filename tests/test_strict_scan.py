"""The strict scan: as pyarrow reads a CSV, whether the strict reader (csv.reader, strict=True) would read the same
bytes as records, and how many, so that a file with quotes is not read a second time to find out.

It may be unsure (then the file is read again, as before), never wrong: whenever it gives a number, the strict
reader reads exactly that many records without an error, whatever the bytes and however they come in blocks.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import itsms_graph.importers.columns as columns
from itsms_graph.importers import readers  # noqa: F401  (sets the strict reader's field limit, as the import does)
from itsms_graph.importers.columns import read_csv_columns
from itsms_graph.importers.readers import open_rows
from itsms_graph.importers.strict_scan import StrictScan


class _Blocks:
    """A stream handing out *data* in blocks of the given sizes (then the rest at once)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.at = data, list(sizes), 0

    def read(self, size: int = -1) -> bytes:
        n = self.sizes.pop(0) if self.sizes else len(self.data)
        block = self.data[self.at : self.at + n]
        self.at += len(block)
        return block


def scanned(data: bytes, sizes: list[int], delimiter: str = ",") -> int | None:
    scan = StrictScan(_Blocks(data, sizes), delimiter)
    while scan.read(1 << 22):
        pass
    return scan.strict_records()


def strict_records(text: str, delimiter: str = ",") -> int | None:
    """How many records csv.reader reads with strict=True, None when it stops with an error."""
    try:
        return sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return None


#: the pieces of a CSV that decide its records: quotes (alone, doubled, around text), separators, line ends of
#: every kind, a NUL, a space before a quote, text
PIECES = st.sampled_from(["a", "b", ",", ";", '"', '""', '"a"', ',"', '",', "\n", "\r", "\r\n", " ", "\x00", "é"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=24), st.lists(st.integers(1, 6), max_size=30), st.sampled_from([",", ";"]))
def test_the_scan_is_unsure_or_counts_what_the_strict_reader_reads(pieces, sizes, delimiter):
    text = "".join(pieces)
    found = scanned(text.encode(), sizes, delimiter)
    if found is not None:
        assert found == strict_records(text, delimiter), (text, sizes)


#: cells with separators, quotes and line breaks in them (a carriage return only before a line feed: a lone one
#: leaves the scan unsure, which is allowed)
CELL = st.lists(st.sampled_from(["a", " ", ",", '"', "\n", "\r\n", "é", "x"]), max_size=6).map("".join)
ROWS = st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=8)


@settings(max_examples=500, deadline=None)
@given(
    ROWS,
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    st.sampled_from(["\n", "\r\n"]),
    st.lists(st.integers(1, 7), max_size=40),
)
def test_the_scan_is_sure_of_what_a_csv_writer_writes(rows, quoting, ending, sizes):
    """Every file csv.writer writes (quoted cells with separators, doubled quotes and line breaks inside, either
    line ending, in blocks split anywhere) is counted, and right: the import reads none of them twice."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=quoting, lineterminator=ending)
    writer.writerow(["h1", "h2", "h3"])
    writer.writerows(rows)
    text = out.getvalue()
    assert scanned(text.encode(), sizes) == strict_records(text) == len(rows) + 1


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('a,b\n"x"y,1\n', "text after a closing quote"),
        ('a,b\n"x,1\n', "a quote still open at the end"),
        ('a,b\nx"y,1\n', "a quote inside an unquoted cell"),
        ("a,b\rx,1\n", "a lone carriage return"),
        ('a,b\n "x",1\n', "a space before an opening quote"),
        ('a,b\n"x",1\r', "a carriage return at the end"),
        ('a,b\n"x\x00",1\n', "a NUL"),
    ],
)
def test_the_scan_is_unsure_where_pyarrow_and_the_strict_reader_may_differ(text: str, why: str):
    assert scanned(text.encode(), []) is None, why


def test_a_field_longer_than_the_strict_readers_limit_leaves_it_unsure(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(csv, "field_size_limit", lambda: 8)
    blocks = [3] * 10
    assert scanned(b'a,b\n"12345678",1\n', blocks) == 2  # 8 characters between its quotes: the limit
    assert scanned(b'a,b\n"123456789",1\n', blocks) is None  # a quoted field of 9
    assert scanned(b"a,b\n12345678,1\n", blocks) == 2
    assert scanned(b"a,b\n123456789,1\n", blocks) is None  # an unquoted one, over blocks


def test_a_file_with_quotes_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """BPIC 2014's activity log has empty quoted cells (""): the scan counts its records as pyarrow reads it, and the
    strict reader does not read it again; a file the scan is unsure of is still read again, and refused."""
    path = tmp_path / "log.csv.gz"
    lines = ["id,kind,note"] + [f'{i},Open,""' for i in range(1, 2000)] + ['2000,Closed,"a ""b"", c"']
    path.write_bytes(gzip.compress(("\r\n".join(lines) + "\r\n").encode()))
    calls: list[Path] = []
    strictly = columns._strictly_the_same
    monkeypatch.setattr(
        columns, "_strictly_the_same", lambda source, *a: calls.append(source.path) or strictly(source, *a)
    )
    cols = read_csv_columns(open_rows(path), ["id", "note"], ("",), None, "id")
    assert cols is not None and len(cols.rn) == 2000 and calls == []
    assert cols.columns["note"].uniques[cols.columns["note"].index[-1]] == 'a "b", c'
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'id,kind,note\n1,Open,"x"y\n2,Open,z\n')
    assert read_csv_columns(open_rows(bad), ["id", "note"], ("",), None, "id") is None and calls == [bad]

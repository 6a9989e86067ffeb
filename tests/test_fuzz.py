"""The fuzz suite: generated export files in every format (clean, and with bytes cut, flipped or a quote put in)
and damaged snapshots, asserting what issue 15 promises: no traceback, exit 0 or 2 only, every row read accounted
for (and, for a file left clean, every row written read), every rejection located, every output parses.

``make test`` runs a small budget; ``make fuzz`` a large one (ITSMS_FUZZ_BATCHES batches of ITSMS_FUZZ_FILES
files) and writes the figures to ITSMS_FUZZ_REPORT (benchmarks/RESULTS-fuzz.md).

A batch's files are read one by one first (a file the reader stops on must stop with a located InputError), then
the readable ones are imported together, one import per batch (an import costs a duckdb resolve; one per file
would make 10,000 files take hours).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itsms_graph.cli import cli
from itsms_graph.errors import InputError
from itsms_graph.graph.snapshot import open_snapshot, save_tables_snapshot
from itsms_graph.importers import ImportReport, import_tables
from itsms_graph.importers.build import open_table_file
from itsms_graph.importers.columns import read_csv_columns, read_rows
from itsms_graph.importers.profile import load_profile

BATCHES = int(os.environ.get("ITSMS_FUZZ_BATCHES", "3"))
FILES = int(os.environ.get("ITSMS_FUZZ_FILES", "12"))
SNAPSHOTS = int(os.environ.get("ITSMS_FUZZ_SNAPSHOTS", "4"))
REPORT = os.environ.get("ITSMS_FUZZ_REPORT")

PROFILE = """
id: fuzz
title: generated incidents
tables:
  - name: incidents
    files: ["incidents-*"]
    record: {label: Incident, id: id, latest_by: opened_at}
    properties:
      title: {column: title}
      priority: {column: priority}
      opened_at: {column: opened, formats: ["%d/%m/%Y %H:%M"]}
    references:
      - {column: ci, rel: AFFECTS, label: ConfigurationItem, separator: "|"}
"""
HEADER = ["id", "title", "priority", "opened", "ci"]
#: the checks whose reports are parsed: those that read what the generated files hold (a check of all 52 queries
#: per batch would cost more than the batch)
QUERIES = [
    "--query",
    "unresolved-reference",
    "--query",
    "multi-reference-unnamed",
    "--query",
    "incident-without-service-or-ci",
]

#: what a figure counts across the run: files, what became of them, and any rows not accounted for
TALLY: Counter[str] = Counter()

HOSTILE = st.sampled_from(
    [
        '"',
        '""',
        'a "quoted" word',
        "line\nbreak",
        "cr\ronly",
        "\r\n",
        ",",
        ";",
        "\t",
        "|",
        '=HYPERLINK("http://x")',
        "+1",
        "-1",
        "@x",
        "NULL",
        "",
        " ",
        "2024-02-30",
        "12345678901234567890123",
        "9223372036854775808",
        "-9223372036854775809",
        "12345678901234567",
        "\x07bell",
        "\x00",
        "\ufeff",
        "tag\U000e0041",
        "é",
        "\u2028",
        "sep=;",
        "#MULTIVALUE",
        '{"value": 1}',
        "&a [*a]",
    ]
)
TEXT = st.one_of(HOSTILE, st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
CELL = st.one_of(
    TEXT,
    st.integers(min_value=-(1 << 70), max_value=1 << 70),
    st.sampled_from(["01/02/2025 10:00", "31/12/2024 23:59", "2025-01-05T10:00:00", "32/13/2025 25:61"]),
)
ROW = st.fixed_dictionaries(
    {
        "id": st.one_of(st.sampled_from(["I1", "I2", "I3", ""]), TEXT),
        "title": CELL,
        "priority": CELL,
        "opened": CELL,
        "ci": st.one_of(st.sampled_from(["CI1", "CI1|CI2", "", "|", "#MULTIVALUE"]), TEXT),
    }
)
FORMAT = st.sampled_from(
    [
        "csv",
        "csv-crlf",
        "csv-cr",
        "csv-semicolon",
        "csv-cp1252",
        "csv-utf16",
        "csv-gz",
        "tsv",
        "json",
        "json-records",
        "jsonl",
        "yaml",
        "xlsx",
    ]
)
MUTATION = st.one_of(
    st.just(None),
    st.tuples(st.sampled_from(["cut", "flip", "quote", "insert"]), st.floats(0, 1), st.binary(min_size=1, max_size=4)),
)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def serialise(fmt: str, rows: list[dict[str, object]]) -> tuple[str, bytes]:
    """The file name's suffix and bytes of *rows* in *fmt*, written as the tool that makes such files writes them."""
    if fmt.startswith("csv") or fmt == "tsv":
        delimiter = {"csv-semicolon": ";", "tsv": "\t"}.get(fmt, ",")
        terminator = {"csv-crlf": "\r\n", "csv-cr": "\r"}.get(fmt, "\n")
        cells = [[_text(r[c]) for c in HEADER] for r in rows]
        # csv.writer quotes a cell holding its own line terminator only, and a lone CR or LF is a line break to
        # every reader: a file with either in a cell quotes every cell, as Excel does
        breaks = any("\r" in v or "\n" in v for row in cells for v in row)
        out = io.StringIO()
        writer = csv.writer(
            out, delimiter=delimiter, lineterminator=terminator, quoting=csv.QUOTE_ALL if breaks else csv.QUOTE_MINIMAL
        )
        writer.writerow(HEADER)
        writer.writerows(cells)
        text = out.getvalue()
        if fmt == "csv-cp1252":
            try:
                return ".csv", text.encode("cp1252")
            except UnicodeEncodeError:
                return ".csv", text.encode("utf-8")
        if fmt == "csv-utf16":
            return ".txt", text.encode("utf-16")
        if fmt == "csv-gz":
            return ".csv.gz", gzip.compress(text.encode("utf-8"), mtime=0)
        return (".tsv" if fmt == "tsv" else ".csv"), text.encode("utf-8")
    if fmt == "json":
        return ".json", json.dumps(rows).encode()
    if fmt == "json-records":
        return ".json", json.dumps({"records": rows}, ensure_ascii=False).encode()
    if fmt == "jsonl":
        return ".jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    if fmt == "yaml":
        return ".yaml", yaml.safe_dump(rows, allow_unicode=True).encode()
    import openpyxl

    from itsms_graph.escaping import xml_text

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for r in rows:  # a workbook cannot hold what XML cannot: the cells as a spreadsheet would keep them
        sheet.append([xml_text(v) if isinstance(v, str) else v for v in (r[c] for c in HEADER)])
    buffer = io.BytesIO()
    book.save(buffer)
    return ".xlsx", buffer.getvalue()


def mutate(data: bytes, mutation: tuple[str, float, bytes] | None) -> bytes:
    if mutation is None or not data:
        return data
    kind, where, extra = mutation
    at = min(int(where * len(data)), len(data) - 1)
    if kind == "cut":
        return data[:at]
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ (extra[0] or 1)]) + data[at + 1 :]
    if kind == "quote":
        return data[:at] + b'"' + data[at:]
    return data[:at] + extra + data[at:]


def read_alone(profile, path: Path) -> str:
    """Read one file as the importer does, alone: "readable", or "located" when the reader stops with an
    InputError naming the file; any other exception fails the suite."""
    table = profile.tables[0]
    try:
        found = open_table_file(profile, table, path, ImportReport())
        assert found is not None
        source, headers, _, _ = found
        needed = sorted(set(headers.values()))
        cols = read_csv_columns(source, needed, table.nulls, None, "id")
        if cols is None:
            read_rows(source.rows, needed, table.nulls, None)
    except InputError as exc:
        assert path.name in str(exc), str(exc)
        return "located"
    return "readable"


def check_outputs(tmp: Path, imported) -> None:
    """The snapshot written from the import opens, and the check's JUnit and CSV of it parse."""
    snapshot = tmp / "out.itsms"
    save_tables_snapshot(imported.con, snapshot, inputs=imported.inputs, declared=imported.declared_labels)
    open_snapshot(snapshot)
    for fmt in ("junit", "csv"):
        args = [
            "check",
            str(snapshot),
            "--as-of",
            "2025-06-30",
            "--allow-after-cutoff",
            "--format",
            fmt,
            "--fail-on",
            "none",
            *QUERIES,
        ]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and result.exception is None, (fmt, result.output, result.exception)
        if fmt == "junit":
            ET.fromstring(result.stdout.encode())
        else:
            list(csv.reader(io.StringIO(result.stdout)))
    TALLY["outputs parsed"] += 3


#: An error Python could not raise (a callback's, a finaliser's) is printed with its traceback on the user's stderr:
#: it fails the run like any traceback (make fuzz found one in pyarrow's invalid-row handler)
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


@settings(max_examples=BATCHES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=REPORT is None)
@given(st.lists(st.tuples(FORMAT, st.lists(ROW, max_size=8), MUTATION), min_size=max(1, FILES // 2), max_size=FILES))
def test_generated_exports_are_read_conserved_or_refused_with_a_location(tmp_path_factory, files):
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "p.yaml").write_text(PROFILE)
    profile = load_profile(tmp / "p.yaml")
    folder = tmp / "export"
    folder.mkdir()
    clean: dict[str, int] = {}  # file -> rows written, for the files left as written
    for n, (fmt, rows, mutation) in enumerate(files):
        suffix, data = serialise(fmt, rows)
        path = folder / f"incidents-{n:03}{suffix}"
        path.write_bytes(mutate(data, mutation))
        TALLY["inputs"] += 1
        outcome = read_alone(profile, path)
        TALLY[outcome] += 1
        if outcome == "located":
            path.unlink()  # the import would stop on it, as it should: the others are imported together
        elif mutation is None and not (fmt == "xlsx" and any(all(_text(r[c]) == "" for c in HEADER) for r in rows)):
            clean[path.name] = len(rows)  # (a sheet drops a row without any cell)
    if not any(folder.iterdir()):
        return
    try:
        imported, report = import_tables([(profile, folder)], keep_going=True)
    except InputError as exc:  # a problem only the whole import sees (a mixed merge rule) is still located
        TALLY["located"] += 1
        assert "file" in str(exc) or "profile" in str(exc), str(exc)
        return
    try:
        for f in report.files:
            TALLY["rows read"] += f.rows_read
            unaccounted = f.rows_read - (f.accepted + f.merged + f.rejected + f.skipped)
            TALLY["rows unaccounted"] += abs(unaccounted)
            assert unaccounted == 0 and min(f.accepted, f.merged, f.rejected, f.skipped) >= 0, f.to_dict()
            if f.file in clean:  # a file left as written: every row written is a row read
                assert f.rows_read == clean[f.file], (
                    f.file,
                    f.rows_read,
                    clean[f.file],
                    (folder / f.file).read_bytes(),
                )
                TALLY["clean files, rows as written"] += 1
            for r in f.rejections:
                TALLY["rejections"] += 1
                assert r.file == f.file and 1 <= r.row <= f.rows_read + 2 and r.reason, r
        check_outputs(tmp, imported)
    finally:
        imported.close()


# --- snapshots ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_snapshot(tmp_path_factory) -> bytes:
    from itsms_graph.example import generate
    from itsms_graph.graph.snapshot import save_snapshot

    path = tmp_path_factory.mktemp("snap") / "example.itsms"
    save_snapshot(generate().graph, path)
    return path.read_bytes()


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(1 << 70), 1 << 70), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)


@settings(max_examples=SNAPSHOTS, deadline=None, suppress_health_check=list(HealthCheck), derandomize=REPORT is None)
@given(
    st.one_of(
        st.tuples(st.just("bytes"), MUTATION),
        st.tuples(
            st.just("member"), st.tuples(st.integers(0, 1000), st.lists(TEXT, min_size=1, max_size=3), JSON_VALUES)
        ),
    )
)
def test_damaged_snapshots_open_or_fail_with_one_line(tmp_path_factory, good_snapshot, damage):
    """A snapshot with bytes damaged, or a member damaged (the manifest's value replaced by any JSON, a Parquet
    member's byte replaced by some text, zipped again): every command that reads it answers, or says what is
    wrong on one line and exits 2."""
    tmp = tmp_path_factory.mktemp("snap")
    path = tmp / "damaged.itsms"
    kind, how = damage
    if kind == "bytes":
        path.write_bytes(mutate(good_snapshot, how))
    else:
        pick, keys, value = how
        with zipfile.ZipFile(io.BytesIO(good_snapshot)) as src, zipfile.ZipFile(path, "w") as dst:
            names = src.namelist()
            target = names[pick % len(names)]
            for name in names:
                data = src.read(name)
                if name == target and not name.endswith(".json"):  # a Parquet member: bytes replaced inside it
                    at = pick % len(data)
                    data = data[:at] + json.dumps(value).encode() + data[at + 1 :]
                elif name == target:
                    doc = json.loads(data)
                    node = doc
                    for key in keys[:-1]:  # walk to a place in the document, replacing what stands there
                        if isinstance(node, dict) and node:
                            node = node[sorted(node)[sum(map(ord, key)) % len(node)]]
                    if isinstance(node, dict):
                        node[sorted(node)[sum(map(ord, keys[-1])) % len(node)] if node else keys[-1]] = value
                    data = json.dumps(doc).encode()
                dst.writestr(name, data)
    TALLY["snapshots"] += 1
    result = CliRunner().invoke(
        cli,
        ["check", str(path), "--as-of", "2025-06-30", "--allow-after-cutoff", "--fail-on", "none", "--format", "json"],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        TALLY["snapshots refused in one line"] += 1
    else:
        json.loads(result.stdout)
        TALLY["snapshots opened"] += 1


@pytest.fixture(scope="module", autouse=True)
def figures(request):
    """After the module: the figures, to ITSMS_FUZZ_REPORT when set (make fuzz), unless a test failed."""
    started = dt.datetime.now(dt.UTC)
    yield
    if not REPORT or request.session.testsfailed:
        return
    lines = [
        "# Fuzz run (tests/test_fuzz.py, `make fuzz`)",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC: {BATCHES} batches of up to {FILES} generated export files, and "
        f"{SNAPSHOTS} damaged snapshots, each checked by the CLI.",
        "",
        "| figure | count |",
        "|---|---|",
        *(f"| {k} | {v:,} |" for k, v in sorted(TALLY.items())),
        "| tracebacks | 0 (any would have failed the run) |",
    ]
    Path(REPORT).write_text("\n".join(lines) + "\n", encoding="utf-8")

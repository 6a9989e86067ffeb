"""One error boundary: every command, fed a bad input, says what is wrong on one line and exits 2; never a
traceback, never exit 1 (which means findings). The corpus is every case issue 15 lists (item 3).
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from itsms_graph.cli import cli
from itsms_graph.example import generate
from itsms_graph.graph.snapshot import save_snapshot

PROFILE = """
id: p
title: incidents
tables:
  - name: incidents
    files: ["incidents.*"]
    record: {label: Incident, id: id}
    properties:
      title: {column: title}
      priority: {column: priority}
      opened_at: {column: opened, optional: true}
"""
GOOD = "id,title,priority\nI1,Printer down,2\nI2,Mail slow,3\n"


def profile_with(folder: Path, name: str, extra: str = "", text: str = PROFILE) -> Path:
    path = folder / name
    path.write_text(text.replace("    record:", f"{extra}    record:") if extra else text)
    return path


def damaged_xlsx(path: Path) -> Path:
    """A workbook whose sheet is not well-formed XML (the ZIP itself is fine)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "title", "priority"])
    book.active.append(["I1", "Printer down", 2])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(info.filename, data)
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """Every bad input of the issue, and a good snapshot to point the other bad arguments at."""
    root = tmp_path_factory.mktemp("corpus")
    files: dict[str, Path] = {"root": root, "profile": profile_with(root, "p.yaml")}

    def export(name: str, filename: str, data: bytes | str) -> None:
        folder = root / name
        folder.mkdir()
        (folder / filename).write_bytes(data.encode() if isinstance(data, str) else data)
        files[name] = folder

    export("good", "incidents.csv", GOOD)
    export("beyond-64-bits", "incidents.csv", "id,title,priority\nI1,Printer down,123456789012345678901234567890\n")
    export("json-object-cell", "incidents.json", json.dumps([{"id": "I1", "title": {"a": 1}, "priority": 2}]))
    export("json-list-cell", "incidents.json", json.dumps([{"id": "I1", "title": "t", "priority": [1, 2]}]))
    export("yaml-object-cell", "incidents.yaml", "- {id: I1, title: {a: 1}, priority: 2}\n")
    export("json-invalid-byte", "incidents.json", b'[{"id": "I1", "title": "caf\xff\xfe", "priority": 2}]')
    export("jsonl-invalid-byte", "incidents.jsonl", b'{"id": "I1", "title": "ok"}\n{"id": "I2", "title": "\xff"}\n')
    export("yaml-invalid-byte", "incidents.yaml", b"- {id: I1, title: \xff\xfe\xfd, priority: 2}\n")
    export("json-nested-deep", "incidents.json", "[" * 100_000 + "]" * 100_000)
    export("yaml-nested-deep", "incidents.yaml", "- " + "[" * 50_000 + "]" * 50_000 + "\n")
    export("yaml-date-2024-02-30", "incidents.yaml", "- {id: I1, title: t, priority: 2, opened: 2024-02-30}\n")
    export("utf16-damaged", "incidents.csv", codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le")[:-1] + b"\x00\xd8")
    export("gzip-damaged", "incidents.csv.gz", gzip.compress(GOOD.encode())[:-12])
    export("xlsx-not-a-zip", "incidents.xlsx", b"PK\x03\x04 this is not a workbook")
    folder = root / "xlsx-damaged-sheet"
    folder.mkdir()
    damaged_xlsx(folder / "incidents.xlsx")
    files["xlsx-damaged-sheet"] = folder

    for name, extra in (("delimiter-two-chars", '    delimiter: ";;"\n'), ("encoding-idna", "    encoding: idna\n")):
        files[f"profile-{name}"] = profile_with(root, f"{name}.yaml", extra)
    files["profile-not-utf8"] = root / "cp1252.yaml"
    files["profile-not-utf8"].write_bytes(PROFILE.replace("incidents\n", "incidents caf\xe9\n").encode("cp1252"))
    queries = root / "queries-not-utf8"
    queries.mkdir()
    (queries / "mine.yaml").write_bytes(b"id: mine\ntitle: caf\xe9\n")
    files["queries-not-utf8"] = queries
    files["config-not-utf8"] = root / "itsms-graph.toml"
    files["config-not-utf8"].write_bytes(b'[parameters]\nowner = "caf\xe9"\n')

    files["demo"] = save_snapshot(generate().graph, root / "example.itsms")  # has documents to review
    snapshot = root / "good.itsms"
    result = CliRunner().invoke(cli, ["import", "-p", str(files["profile"]), str(files["good"]), "-o", str(snapshot)])
    assert result.exit_code == 0, result.output
    files["snapshot"] = snapshot
    files["snapshot-not-a-zip"] = root / "bad.itsms"
    files["snapshot-not-a-zip"].write_bytes(b"not a snapshot at all")
    files["snapshot-truncated"] = root / "truncated.itsms"
    files["snapshot-truncated"].write_bytes(snapshot.read_bytes()[:-40])
    files["workbook-damaged"] = damaged_xlsx(root / "worksheet.xlsx")
    files["workbook-not-a-zip"] = root / "not-a-workbook.xlsx"
    files["workbook-not-a-zip"].write_bytes(b"PK\x03\x04 truncated")
    files["file-as-folder"] = root / "a-file"
    files["file-as-folder"].write_text("a file where a folder is expected")
    return files


IMPORTS = [
    "beyond-64-bits",
    "json-object-cell",
    "json-list-cell",
    "yaml-object-cell",
    "json-invalid-byte",
    "jsonl-invalid-byte",
    "yaml-invalid-byte",
    "json-nested-deep",
    "yaml-nested-deep",
    "yaml-date-2024-02-30",
    "utf16-damaged",
    "gzip-damaged",
    "xlsx-not-a-zip",
    "xlsx-damaged-sheet",
]
AS_OF = ["--as-of", "2025-06-30"]

# (case id, the command's arguments, with {name} standing for a corpus path)
CASES: list[tuple[str, list[str]]] = [
    *((f"import {n}", ["import", "-p", "{profile}", "{" + n + "}", "-o", "{root}/o.itsms"]) for n in IMPORTS),
    *((f"check -p {n}", ["check", "-p", "{profile}", "{" + n + "}", *AS_OF]) for n in IMPORTS),
    (
        "profile check --sample xlsx-damaged-sheet",
        ["profile", "check", "{profile}", "--sample", "{xlsx-damaged-sheet}"],
    ),
    ("import delimiter ;;", ["import", "-p", "{profile-delimiter-two-chars}", "{good}", "-o", "{root}/o.itsms"]),
    ("import encoding idna", ["import", "-p", "{profile-encoding-idna}", "{good}", "-o", "{root}/o.itsms"]),
    ("import profile not utf-8", ["import", "-p", "{profile-not-utf8}", "{good}", "-o", "{root}/o.itsms"]),
    ("profile check not utf-8", ["profile", "check", "{profile-not-utf8}"]),
    ("import write under a file", ["import", "-p", "{profile}", "{good}", "-o", "{file-as-folder}/o.itsms"]),
    ("report write under a file", ["report", "{snapshot}", *AS_OF, "-o", "{file-as-folder}/r.html"]),
    ("check write under a file", ["check", "{snapshot}", *AS_OF, "-o", "{file-as-folder}/r.json", "--format", "json"]),
    ("export cypher write under a file", ["export", "cypher", "{snapshot}", "-o", "{file-as-folder}/g.cypher"]),
    ("export neo4j-admin under a file", ["export", "neo4j-admin", "{snapshot}", "-o", "{file-as-folder}/admin"]),
    ("template under a file", ["template", "{file-as-folder}/registers"]),
    ("neo4j style under a file", ["neo4j", "style", "-o", "{file-as-folder}/style.grass"]),
    ("check --as-of 0001-01-01", ["check", "{snapshot}", "--as-of", "0001-01-01"]),
    ("check --period 100000Y", ["check", "{snapshot}", *AS_OF, "--period", "100000Y"]),
    ("stage2 --as-of 0001-01-01", ["stage2", "{snapshot}", "--as-of", "0001-01-01"]),
    ("report --period 100000Y", ["report", "{snapshot}", *AS_OF, "--period", "100000Y", "-o", "{root}/r.html"]),
    ("cap --as-of 0001-01-01", ["cap", "{snapshot}", "--as-of", "0001-01-01", "-o", "{root}/plan.csv"]),
    (
        "query run --period 100000Y",
        ["query", "run", "change-implemented-without-approval", "{snapshot}", "--period", "100000Y"],
    ),
    (
        "query show --as-of 0001-01-01",
        ["query", "show", "change-implemented-without-approval", "--cypher", "--as-of", "0001-01-01"],
    ),
    ("check huge parameter", ["check", "{demo}", *AS_OF, "--param", "review_interval=" + "9" * 30]),
    ("check huge days", ["check", "{demo}", *AS_OF, "--param", "review_interval=" + "9" * 400]),
    (
        "query show huge parameter",
        ["query", "show", "document-review-overdue", "--cypher", *AS_OF, "--param", "review_interval=" + "9" * 400],
    ),
    ("check --queries not utf-8", ["check", "{snapshot}", *AS_OF, "--queries", "{queries-not-utf8}"]),
    ("query list --queries not utf-8", ["query", "list", "--queries", "{queries-not-utf8}"]),
    ("check --config not utf-8", ["check", "{snapshot}", *AS_OF, "--config", "{config-not-utf8}"]),
    ("neo4j push --uri http", ["neo4j", "push", "{snapshot}", "--uri", "http://localhost:7474"]),
    (
        "check --backend neo4j --uri http",
        ["check", "{snapshot}", *AS_OF, "--backend", "neo4j", "--uri", "http://x:7474"],
    ),
    ("sample-findings damaged workbook", ["sample-findings", "{workbook-damaged}"]),
    ("sample-findings not a workbook", ["sample-findings", "{workbook-not-a-zip}"]),
    *(
        (f"{' '.join(cmd)} {bad}", [*cmd, "{" + bad + "}", *rest])
        for bad in ("snapshot-not-a-zip", "snapshot-truncated")
        for cmd, rest in (
            (["check"], AS_OF),
            (["stage1"], AS_OF),
            (["stage2"], AS_OF),
            (["cap"], [*AS_OF, "-o", "{root}/plan.csv"]),
            (["report"], [*AS_OF, "-o", "{root}/r.html"]),
            (
                ["sample"],
                [
                    *AS_OF,
                    "--population",
                    "change-implemented-without-approval",
                    "--method",
                    "random",
                    "-o",
                    "{root}/s.csv",
                ],
            ),
            (["viz"], ["--focus", "Incident:I1", "-o", "{root}/v.html"]),
            (["export", "cypher"], ["-o", "{root}/g.cypher"]),
            (["export", "neo4j-admin"], ["-o", "{root}/admin"]),
            (["query", "run", "change-implemented-without-approval"], AS_OF),
        )
    ),
    ("diff snapshot-truncated", ["diff", "{snapshot}", "{snapshot-truncated}", *AS_OF, "--old-as-of", "2024-06-30"]),
]


@pytest.mark.parametrize(("case", "args"), CASES, ids=[c for c, _ in CASES])
def test_every_command_fails_on_bad_input_with_one_line_and_exit_2(corpus, case, args):
    argv = [_fill(a, corpus) for a in args]
    result = CliRunner().invoke(cli, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{case}: {type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code == 2, f"{case}: exit {result.exit_code}: {result.output}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{case}: {result.stderr}"
    assert "Traceback" not in result.output


def _fill(arg: str, corpus: dict[str, Path]) -> str:
    for name, path in corpus.items():
        arg = arg.replace("{" + name + "}", str(path))
    assert "{" not in arg, arg
    return arg

"""No silent failure in a profile: each case a user met without a word is now a warning in the import report (an
error with strict), or a located error; never a traceback, never a column dropped unsaid."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from itsms_graph.errors import InputError
from itsms_graph.importers import import_sources
from itsms_graph.importers.profile import load_profile

PROFILE = """\
id: silent
title: incidents in two files
tables:
  - name: incidents
    files: [{files}]
    {extra}
    record: {{label: Incident, id: number}}
    properties:
      number: {{column: number}}
      status: {{column: state}}
"""


def _profile(tmp_path: Path, files: str = '"inc_2023*.csv", "inc_2024*.csv"', extra: str = "") -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(PROFILE.format(files=files, extra=extra)), encoding="utf-8")
    return load_profile(path)


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return folder


def test_a_glob_that_matches_nothing_while_its_sibling_matches_is_a_warning_and_strict_an_error(tmp_path):
    """A typo in one of a table's two globs imported half the data with exit 0 and 'balanced yes'."""
    profile = _profile(tmp_path, '"inc_2023*.csv", "inc_2O24*.csv"')  # a letter O for the zero
    folder = _write(tmp_path / "d", "inc_2023.csv", "number,state\nI1,new\n")
    _write(folder, "inc_2024.csv", "number,state\nI2,new\n")
    graph, report = import_sources([(profile, folder)])
    assert graph.count("Incident") == 1
    [warning] = report.warnings
    assert "'inc_2O24*.csv'" in warning and "silent:incidents" in warning and "'inc_2023*.csv'" in warning
    assert report.to_dict()["warnings"] == [warning]
    with pytest.raises(InputError) as err:
        import_sources([(profile, folder)], strict=True)
    assert "inc_2O24*.csv" in str(err.value)


def test_other_formats_of_one_export_are_alternatives_not_a_typo(tmp_path):
    """The shipped profiles list a file as .csv, .csv.gz, .json ...: only one of them is there."""
    profile = _profile(tmp_path, '"inc.csv", "inc.csv.gz", "inc.json", "*.xlsx"')
    folder = _write(tmp_path / "d", "inc.csv", "number,state\nI1,new\n")
    _, report = import_sources([(profile, folder)], strict=True)
    assert report.warnings == []


def test_a_declared_single_byte_encoding_on_utf8_text_is_a_warning_naming_column_and_sample(tmp_path):
    """A UTF-8 file declared latin-1 imported as mojibake without a word."""
    profile = _profile(tmp_path, '"inc*.csv"', "encoding: latin-1")
    folder = _write(tmp_path / "d", "inc.csv", "number,state\nI1,new\nI2,geschlossen – erledigt\n")
    graph, report = import_sources([(profile, folder)])
    assert graph.node("Incident:I2")["status"] == "geschlossen â\x80\x93 erledigt"  # as declared: the user decides
    [warning] = report.files[0].warnings
    assert "latin-1" in warning and "UTF-8" in warning and "state" in warning and "row 3" in warning
    assert "geschlossen – erledigt" in warning
    assert report.to_dict()["files"][0]["warnings"] == [warning]
    # plain ASCII, or a real latin-1 file, says nothing
    _write(folder, "inc.csv", "number,state\nI1,new\nI2,café\n".encode("latin-1"))
    _, report = import_sources([(profile, folder)])
    assert report.files[0].warnings == []


@pytest.mark.parametrize(
    "data",
    [
        b"number,state\rI1,new\n",  # the header ends with a lone carriage return
        b"number,state\r\nI1,new\r\n",
        b"\xef\xbb\xbfnumber , state \nI1,new\n",  # a BOM and spaces around the names
        b" number ,\tstate\nI1,new\n",  # a tab is whitespace too
    ],
)
def test_stray_carriage_returns_boms_and_whitespace_in_a_header_are_handled(tmp_path, data):
    profile = _profile(tmp_path, '"inc*.csv"')
    folder = _write(tmp_path / "d", "inc.csv", data)
    graph, report = import_sources([(profile, folder)])
    assert graph.node("Incident:I1")["status"] == "new"
    assert report.files[0].rows_read == 1


def test_a_bom_inside_a_stated_utf8_header_is_handled(tmp_path):
    profile = _profile(tmp_path, '"inc*.csv"', "encoding: utf-8")
    folder = _write(tmp_path / "d", "inc.csv", b"\xef\xbb\xbfnumber,state\nI1,new\n")
    graph, _ = import_sources([(profile, folder)])
    assert graph.node("Incident:I1")["status"] == "new"


def test_a_line_break_inside_a_header_name_is_refused_with_file_row_and_column(tmp_path):
    profile = _profile(tmp_path, '"inc*.csv"')
    folder = _write(tmp_path / "d", "inc.csv", b'number,"sta\rte"\nI1,new\n')
    with pytest.raises(InputError) as err:
        import_sources([(profile, folder)])
    text = str(err.value)
    assert "inc.csv" in text and "row 1" in text and "'sta\\rte'" in text and "line break" in text


def test_the_report_lists_per_file_the_columns_no_table_reads(tmp_path):
    """Two tables read one file (a filtered table re-reads it): a column either reads is read; the rest is listed."""
    path = tmp_path / "p.yaml"
    path.write_text(
        textwrap.dedent("""\
        id: events
        title: an event log read twice
        tables:
          - name: incidents
            files: ["log.csv"]
            record: {label: Incident, id: case}
            properties:
              number: {column: case}
          - name: resolved
            files: ["log.csv"]
            where: {column: activity, in: [Resolved]}
            record: {label: Incident, id: case}
            properties:
              resolved_at: {column: time}
        """),
        encoding="utf-8",
    )
    profile = load_profile(path)
    folder = _write(tmp_path / "d", "log.csv", "case,activity,time,resource,note\nI1,Resolved,2024-01-01,ann,x\n")
    _, report = import_sources([(profile, folder)])
    assert [f.unread_columns for f in report.files] == [["note", "resource"], ["note", "resource"]]
    assert report.to_dict()["files"][0]["unread_columns"] == ["note", "resource"]


def test_the_text_report_says_each_warning_and_unread_column(tmp_path):
    from rich.console import Console

    from itsms_graph.reports.imports import render_import_text

    profile = _profile(tmp_path, '"inc_2023*.csv", "inc_2O24*.csv"')
    folder = _write(tmp_path / "d", "inc_2023.csv", "number,state,owner\nI1,new,ann\n")
    _write(folder, "inc_2024.csv", "number,state\nI2,new\n")
    _, report = import_sources([(profile, folder)])
    console = Console(record=True, width=300)
    render_import_text(report, {}, console)
    text = console.export_text()
    assert "warning: table silent:incidents: glob 'inc_2O24*.csv' matches no file" in text
    assert "unread: inc_2023.csv (incidents): no table reads the column(s) owner" in text


def test_import_strict_stops_on_a_glob_warning_and_profile_check_reads_all_rows(tmp_path):
    """--strict makes the glob warning an error (exit 2); profile check --rows all finds a value-map gap past the
    sample of 1,000 rows that the default tries."""
    from click.testing import CliRunner

    from itsms_graph.cli import cli

    runner = CliRunner()
    path = tmp_path / "p.yaml"
    path.write_text(
        textwrap.dedent(PROFILE.format(files='"inc_2023*.csv", "inc_2O24*.csv"', extra="")).replace(
            "status: {column: state}", "priority: {column: prio, map: {high: 1, low: 4}}"
        ),
        encoding="utf-8",
    )
    rows = "".join(f"I{i},low\n" for i in range(1500)) + "I1500,urgent\n"  # the gap is at row 1,502
    folder = _write(tmp_path / "d", "inc_2023.csv", "number,prio\n" + rows)
    _write(folder, "inc_2024.csv", "number,prio\nJ1,high\n")
    out = tmp_path / "s.itsms"
    loose = runner.invoke(cli, ["import", "-p", str(path), str(folder), "-o", str(out), "--keep-going"])
    assert loose.exit_code == 0 and "warning: table silent:incidents: glob 'inc_2O24*.csv'" in loose.output
    strict = runner.invoke(cli, ["import", "-p", str(path), str(folder), "-o", str(out), "--keep-going", "--strict"])
    assert strict.exit_code == 2 and "inc_2O24*.csv" in strict.output and "strict" in strict.output
    sampled = runner.invoke(cli, ["profile", "check", str(path), "--sample", str(folder)])
    assert sampled.exit_code == 0 and "1000 rows tried" in sampled.output
    assert "warning: table silent:incidents" in sampled.output
    whole = runner.invoke(cli, ["profile", "check", str(path), "--sample", str(folder), "--rows", "all"])
    assert whole.exit_code == 2 and "1501 rows tried" in whole.output and "row 1502" in whole.output
    assert "'urgent'" in whole.output
    wrong = runner.invoke(cli, ["profile", "check", str(path), "--rows", "some"])
    assert wrong.exit_code == 2 and "neither a positive number nor 'all'" in wrong.output

"""The organisation's own rules as data: the rules register (Rule records, the sms-register ``rules`` sheet) sets
query parameters, the configuration file and ``--param`` too, each with a precedence, and every result records
the value it used and where it came from."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from itsms_graph.check import check_graph, rules_register
from itsms_graph.errors import ItsmsError
from itsms_graph.graph.store import SMSGraph
from itsms_graph.importers import import_sources, import_tables, resolve_profile
from itsms_graph.importers.templates import example_rows, write_templates
from itsms_graph.queries.parameters import ParameterSources
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.results import Status

PERIOD = AuditPeriod.parse("2025-06-30")
#: the rules register's example row, from the profile (importers/sms-register.yaml)
RULE_EXAMPLE = example_rows(resolve_profile("sms-register"))["rules"]
MR = "management-review-held"


def graph_with_review(held_on: str, *rules: tuple[str, str]) -> SMSGraph:
    g = SMSGraph()
    g.add_node("ManagementReview", "MR1", {"held_on": held_on}, source_file="reviews.csv", source_row=1)
    for i, (parameter, value) in enumerate(rules, start=1):
        g.add_node("Rule", f"R{i}", {"parameter": parameter, "value": value}, source_file="rules.csv", source_row=i)
    return g


def result_of(graph: SMSGraph, parameters=None, query: str = MR):
    report = check_graph(graph, period=PERIOD, query_ids=[query], parameters=parameters)
    [result] = report.results
    return result, report


def test_a_default_is_recorded_as_the_default():
    result, report = result_of(graph_with_review("2024-01-15"))
    used = result.parameters["management_review_interval"]
    assert (used.value, used.source.value, used.origin) == (12, "default", "")
    assert result.status is Status.FAIL
    [entry] = report.to_dict()["results"]
    assert entry["parameters"] == [
        {"name": "management_review_interval", "value": 12, "source": "default", "origin": ""}
    ]


def test_the_register_sets_a_parameter_and_says_which_rule_did():
    result, _ = result_of(graph_with_review("2024-01-15", ("management_review_interval", "18")))
    used = result.parameters["management_review_interval"]
    assert (used.value, used.source.value) == ("18", "rules register")
    assert used.origin == "Rule:R1 (rules.csv, row 1)"
    assert result.status is Status.PASS  # an 18-month interval reaches 2024-01-15


def test_precedence_default_config_register_param():
    graph = graph_with_review("2024-01-15", ("management_review_interval", "18"))
    config = ParameterSources(config={"management_review_interval": 6}, config_file="itsms-graph.toml")
    result, _ = result_of(graph, config)
    assert result.parameters["management_review_interval"].source.value == "rules register"  # wins over config
    result, _ = result_of(graph_with_review("2024-01-15"), config)
    assert result.parameters["management_review_interval"].to_dict() == {
        "name": "management_review_interval",
        "value": 6,
        "source": "config",
        "origin": "itsms-graph.toml",
    }
    given = ParameterSources(config={"management_review_interval": 6}, given={"management_review_interval": "9"})
    result, _ = result_of(graph, given)
    assert result.parameters["management_review_interval"].source.value == "--param"  # wins over the register
    assert result.status is Status.FAIL  # 9 months do not reach 2024-01-15


def test_a_plain_mapping_is_what_the_caller_gave():
    result, _ = result_of(graph_with_review("2024-01-15"), {"management_review_interval": "24"})
    assert result.parameters["management_review_interval"].source.value == "--param"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            [("management_review_interva", "12")],
            r"rules\.csv, row 1: the rules register sets 'management_review_interva'",
        ),
        ([("management_review_interval", "a year")], r"Rule:R1 \(rules\.csv, row 1\): .* is not a number of months"),
        (
            [("management_review_interval", "12"), ("management_review_interval", "6")],
            r"rules\.csv, row 2: the rules register sets management_review_interval twice \(also Rule:R1",
        ),
    ],
)
def test_a_bad_rule_is_a_clear_error_naming_its_row(rules, message):
    with pytest.raises(ItsmsError, match=message):
        result_of(graph_with_review("2024-01-15", *rules))


def test_a_rule_naming_another_querys_parameter_is_checked_against_the_whole_catalogue():
    graph = graph_with_review("2024-01-15", ("policy_review_interval", "24"))
    result, _ = result_of(graph)  # only management-review-held runs; the rule is still a known parameter
    assert result.parameters["management_review_interval"].source.value == "default"


# --- the sms-register workbook's rules sheet ------------------------------------------------------------------


def rules_folder(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    templates = write_templates(tmp_path / "templates")
    folder = tmp_path / "csv"
    folder.mkdir()
    for path in templates:
        if path.suffix == ".csv" and path.name != "rules.csv":
            (folder / path.name).write_bytes(path.read_bytes())
    header = list(RULE_EXAMPLE)
    with (folder / "rules.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_the_rules_sheet_imports_as_rules_stated_in_their_documents(tmp_path: Path):
    rows = [
        {
            **RULE_EXAMPLE,
            "id": "RULE-MR-INTERVAL",
            "parameter": "management_review_interval",
            "value": "6",
            "description": "Top management reviews the SMS every six months",
        },
        {
            "id": "RULE-STD",
            "parameter": "standard_change_categories",
            "value": "standard;pre-approved",
            "description": "",
            "stated_in": "",
        },
    ]
    folder = rules_folder(tmp_path, rows)
    profile = resolve_profile("sms-register")
    graph, report = import_sources([(profile, folder)])
    assert report.rejected == 0
    assert graph.has_edge("Rule:RULE-MR-INTERVAL", "Document:DOC-SCOPE", "STATED_IN")
    rules = rules_register(graph)
    assert [(r.parameter, r.value, r.where) for r in rules] == [
        ("management_review_interval", "6", "rules.csv, row 2"),  # a spreadsheet's row: the header is row 1
        ("standard_change_categories", "standard;pre-approved", "rules.csv, row 3"),
    ]
    tables, _ = import_tables([(profile, folder)])  # the graph tables give the same register
    try:
        assert rules_register(tables) == rules
    finally:
        tables.close()
    result, _ = result_of(graph)
    used = result.parameters["management_review_interval"]
    assert (used.value, used.source.value) == ("6", "rules register")


def test_a_workbook_without_a_rules_sheet_imports_without_rules(tmp_path: Path):
    templates = write_templates(tmp_path / "templates")
    folder = tmp_path / "csv"
    folder.mkdir()
    for path in templates:
        if path.suffix == ".csv" and path.name != "rules.csv":
            (folder / path.name).write_bytes(path.read_bytes())
    graph, report = import_sources([(resolve_profile("sms-register"), folder)])
    assert report.rejected == 0 and rules_register(graph) == [] and graph.count("Rule") == 0

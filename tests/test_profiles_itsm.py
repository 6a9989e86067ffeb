"""Built-in ITSM profiles (ServiceNow, Jira Service Management, iTop) on hand-written fixtures.

Every expected number below was worked out by hand from the fixture files in tests/data/servicenow,
tests/data/jira-sm and tests/data/itop (their README.md says what each row is for), not copied from a run.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from itsms_graph.check import check_graph
from itsms_graph.errors import InputError
from itsms_graph.importers import builtin_profiles, import_sources, resolve_profile
from itsms_graph.importers.profile import load_profile
from itsms_graph.importers.readers import open_rows
from itsms_graph.importers.values import convert
from itsms_graph.ontology import schema
from itsms_graph.queries.plan import AuditPeriod

DATA = Path(__file__).resolve().parent / "data"
SN = DATA / "servicenow"
JIRA = DATA / "jira-sm"
ITOP = DATA / "itop"


def import_folder(profile: str, folder: Path, *, keep_going: bool = False):
    return import_sources([(resolve_profile(profile), folder)], keep_going=keep_going)


def content(graph) -> tuple[dict[str, int], dict[str, int]]:
    """Nodes per label and relationships per type, without the seeded clause catalogue."""
    labels = Counter(a["label"] for _, a in graph.nx.nodes(data=True) if a["label"] != "Clause")
    rels = Counter(k for s, _, k in graph.nx.edges(keys=True) if not s.startswith("Clause:"))
    return dict(labels), dict(rels)


def graph_state(graph):
    """Every node with its properties and every relationship, without provenance (file names and rows differ)."""
    nodes = sorted(
        (n, sorted((k, v) for k, v in a.items() if k not in ("source_file", "source_row", "source_path")))
        for n, a in graph.nx.nodes(data=True)
    )
    return nodes, sorted(graph.nx.edges(keys=True))


def accounting(report) -> dict[str, tuple[int, int, int, int, int]]:
    """table -> (rows read, accepted, merged, rejected, skipped)."""
    return {f.table: (f.rows_read, f.accepted, f.merged, f.rejected, f.skipped) for f in report.files}


def assert_conserved(report) -> None:
    for f in report.files:
        assert f.rows_read == f.accepted + f.merged + f.rejected + f.skipped, (f.file, f.table)
        assert f.balanced
    totals = report.to_dict()["totals"]
    assert totals["rows_read"] == totals["accepted"] + totals["merged"] + totals["rejected"] + totals["skipped"]


def has_edge(graph, source: str, rel: str, target: str) -> bool:
    return graph.nx.has_edge(source, target, key=rel)


# --- every profile -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile_id", sorted(builtin_profiles()))
def test_profile_validates_against_the_ontology(profile_id: str):
    path = builtin_profiles()[profile_id]
    profile = load_profile(path)
    assert profile.id == profile_id
    assert resolve_profile(profile_id) == profile


# --- ServiceNow ----------------------------------------------------------------------------------------------------

# sys_ids of the sysapproval_approver fixture rows
APPROVAL_DANA_CHG1 = "Approval:250b15a16cabafea15c3ed849d12bec4"
APPROVAL_SAM_CHG1 = "Approval:79901c5f72939084f18ebcad14860795"
APPROVAL_SAM_CHG2 = "Approval:0f3a751e86f7fc34ddd2544f783a6ad0"
APPROVAL_PRIYA_CHG2 = "Approval:7222eb09be589af87f3d3ff19e2a9faa"
APPROVAL_RITM = "Approval:80345bc124bbf2040a6280f380567d98"
APPROVAL_DANA_CHG5 = "Approval:c8d48d8ac7c179a519d553242b5814f1"

SN_LABELS = {
    "Incident": 4,  # INC0010001-4; INC0010002 twice (merged)
    "Change": 5,  # CHG0030001-5
    "Approval": 5,  # six rows, one approves a requested item (skipped)
    "Problem": 3,  # PRB0040001, PRB0040002 and the placeholder PRB0040099
    "Service": 5,  # 3 in cmdb_ci_service, 2 in service_offering
    "ConfigurationItem": 6,  # web-prod-01, mail-gw-02, prn-fl3-01, lb-prod-01, fax-gw-01, web-prod-02
    "Person": 3,  # Dana Whitfield, Sam Okafor, Priya Raman
    "Supplier": 2,  # Northwind Hosting, Contoso Telecom (Fabrikam Retail is no vendor)
    "Contract": 2,
    "OrganisationalUnit": 4,  # the assignment groups: Web Operations, Messaging, Workplace Support, Network Operations
}
SN_RELS = {
    # incidents 2+2+1+1, changes 5x2, problems 2x2
    "AFFECTS": 20,
    "CAUSED_BY": 1,  # INC0010001 -> CHG0030001
    # INC0010001->PRB0040001, INC0010002->CHG0030002, INC0010002->PRB0040002, INC0010003->PRB0040099,
    # PRB0040002->CHG0030002
    "RELATED_TO": 5,
    "APPROVES": 5,
    "APPROVED_BY": 5,
    "OWNED_BY": 3,  # Web Shop, Corporate Email, Web Shop - EU
    "SIGNED_WITH": 2,
    "ASSIGNED_TO": 11,  # every incident (4), change (5) and problem (2) to its assignment group
}
SN_ROWS = {
    "incident": (5, 4, 1, 0, 0),
    "change_request": (5, 5, 0, 0, 0),
    "sysapproval_approver": (6, 5, 0, 0, 1),
    "problem": (2, 2, 0, 0, 0),
    "cmdb_ci_service": (3, 3, 0, 0, 0),
    "service_offering": (2, 2, 0, 0, 0),
    "core_company": (3, 2, 0, 0, 1),
    "ast_contract": (2, 2, 0, 0, 0),
}


@pytest.fixture(scope="module")
def sn_csv():
    return import_folder("servicenow", SN / "csv")


@pytest.fixture(scope="module")
def sn_json():
    return import_folder("servicenow", SN / "json")


@pytest.fixture(params=["csv", "json"])
def sn(request, sn_csv, sn_json):
    return sn_csv if request.param == "csv" else sn_json


def test_servicenow_imports_every_table(sn):
    graph, report = sn
    assert content(graph) == (SN_LABELS, SN_RELS)
    assert accounting(report) == SN_ROWS
    assert_conserved(report)
    assert report.skipped_tables == []
    assert graph.declared_labels >= {"Incident", "Change", "Approval", "Problem", "Service", "Supplier", "Contract"}


def test_servicenow_links_follow_the_reference_fields(sn):
    graph, _ = sn
    assert has_edge(graph, APPROVAL_DANA_CHG1, "APPROVES", "Change:CHG0030001")  # (Approval)-[:APPROVES]->(Change)
    assert has_edge(graph, APPROVAL_DANA_CHG1, "APPROVED_BY", "Person:Dana Whitfield")
    assert has_edge(graph, APPROVAL_PRIYA_CHG2, "APPROVED_BY", "Person:Priya Raman")
    assert sorted(graph.neighbours("Change:CHG0030002", "APPROVES", "in")) == [APPROVAL_SAM_CHG2, APPROVAL_PRIYA_CHG2]
    assert has_edge(graph, "Incident:INC0010001", "CAUSED_BY", "Change:CHG0030001")
    assert has_edge(graph, "Incident:INC0010001", "RELATED_TO", "Problem:PRB0040001")
    assert has_edge(graph, "Incident:INC0010002", "RELATED_TO", "Change:CHG0030002")  # rfc
    assert has_edge(graph, "Problem:PRB0040002", "RELATED_TO", "Change:CHG0030002")
    assert has_edge(graph, "Incident:INC0010001", "AFFECTS", "ConfigurationItem:web-prod-01")
    assert has_edge(graph, "Incident:INC0010001", "AFFECTS", "Service:Web Shop")
    assert has_edge(graph, "Incident:INC0010001", "ASSIGNED_TO", "OrganisationalUnit:Web Operations")
    assert graph.node("OrganisationalUnit:Web Operations")["name"] == "Web Operations"
    assert has_edge(graph, "Change:CHG0030004", "AFFECTS", "Service:Legacy Fax Gateway")
    assert has_edge(graph, "Service:Web Shop", "OWNED_BY", "Person:Dana Whitfield")
    assert has_edge(graph, "Service:Web Shop - EU", "OWNED_BY", "Person:Dana Whitfield")
    assert has_edge(graph, "Contract:CNTR0001001", "SIGNED_WITH", "Supplier:Northwind Hosting")
    assert has_edge(graph, "Contract:CNTR0001002", "SIGNED_WITH", "Supplier:Contoso Telecom")
    assert graph.node("ConfigurationItem:lb-prod-01")["name"] == "lb-prod-01"  # named on the change row
    # the filtered rows leave nothing behind
    assert APPROVAL_RITM not in graph.nx and "Change:RITM0010001" not in graph.nx
    assert "Supplier:Fabrikam Retail" not in graph.nx


def test_servicenow_values_are_converted(sn):
    graph, _ = sn
    emergency = graph.node("Change:CHG0030002")
    assert (emergency["category"], emergency["emergency"], emergency["cab_required"]) == ("emergency", True, False)
    assert emergency["risk"] == "High" and emergency["status"] == "Closed"
    assert emergency["actual_start"] == "2024-02-03T02:30:00" and emergency["planned_end"] == "2024-02-03T03:30:00"
    normal = graph.node("Change:CHG0030001")
    assert (normal["category"], normal["emergency"], normal["cab_required"]) == ("normal", False, True)
    assert graph.node("Change:CHG0030003")["category"] == "standard"
    assert "actual_start" not in graph.node("Change:CHG0030005")  # scheduled, not implemented
    decisions = {a: graph.node(a)["decision"] for a in graph.nodes("Approval")}
    assert decisions == {
        APPROVAL_DANA_CHG1: "approved",
        APPROVAL_SAM_CHG1: "approved",
        APPROVAL_SAM_CHG2: "rejected",
        APPROVAL_PRIYA_CHG2: "cancelled",  # No Longer Required
        APPROVAL_DANA_CHG5: "requested",
    }
    assert graph.node(APPROVAL_DANA_CHG1)["decided_at"] == "2024-01-15T14:20:00"
    first = graph.node("Incident:INC0010001")
    assert (first["priority"], first["made_sla"], first["category"]) == (2, True, "Software")
    assert first["opened_at"] == "2024-01-21T07:45:10"
    assert graph.node("Incident:INC0010004")["priority"] == 1
    services = {s: (graph.node(s).get("status"), graph.node(s).get("criticality")) for s in graph.nodes("Service")}
    assert services == {
        "Service:Web Shop": ("live", "high"),
        "Service:Corporate Email": ("live", "medium"),
        "Service:Legacy Fax Gateway": ("retired", "low"),
        "Service:Web Shop - EU": ("live", "high"),
        "Service:Corporate Email - Mobile": ("pipeline", "low"),
    }
    contract = graph.node("Contract:CNTR0001002")
    assert (contract["valid_from"], contract["valid_to"], contract["status"]) == ("2022-07-01", "2024-06-30", "Active")


def test_servicenow_duplicate_incident_rows_merge_by_sys_updated_on(sn):
    graph, _ = sn
    # the file has the later update (Closed) before the earlier one (In Progress): the later update wins
    incident = graph.node("Incident:INC0010002")
    assert incident["status"] == "Closed"
    assert incident["priority"] == 3
    assert incident["made_sla"] is False
    assert incident["resolved_at"] == "2024-02-03T04:10:00"
    assert incident["updated_at"] == "2024-02-06T09:00:00"
    assert sorted(graph.neighbours("Incident:INC0010002", "AFFECTS", "out")) == [
        "ConfigurationItem:mail-gw-02",
        "Service:Corporate Email",
    ]


def test_servicenow_reference_to_an_absent_problem_is_an_unresolved_placeholder(sn):
    graph, report = sn
    placeholder = graph.node("Problem:PRB0040099")
    assert placeholder["unresolved"] is True
    assert [n for n, a in graph.nx.nodes(data=True) if a.get("unresolved")] == ["Problem:PRB0040099"]
    assert report.to_dict()["unresolved_references"] == [{"rel": "RELATED_TO", "label": "Problem", "count": 1}]
    assert has_edge(graph, "Incident:INC0010003", "RELATED_TO", "Problem:PRB0040099")


def test_servicenow_csv_and_json_exports_give_the_same_graph(sn_csv, sn_json):
    assert graph_state(sn_csv[0]) == graph_state(sn_json[0])


def test_servicenow_jsonl_gzip_and_table_api_shapes_give_the_same_graph(tmp_path: Path, sn_csv):
    for path in (SN / "json").glob("*.json"):
        records = json.loads(path.read_text(encoding="utf-8"))["records"]
        if path.stem == "incident":  # JSON Lines, gzipped
            with gzip.open(tmp_path / "incident.jsonl.gz", "wt", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in records)
        elif path.stem == "change_request":  # the Table API's {"result": [...]}, gzipped
            with gzip.open(tmp_path / "change_request.json.gz", "wt", encoding="utf-8") as fh:
                json.dump({"result": records}, fh)
        elif path.stem == "sysapproval_approver":
            (tmp_path / "sysapproval_approver.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        else:
            shutil.copy(path, tmp_path / path.name)
    graph, report = import_folder("servicenow", tmp_path)
    assert accounting(report) == SN_ROWS
    assert graph_state(graph) == graph_state(sn_csv[0])


# The Table API (GET /api/now/table/{tableName}) returns {"result": [...]}; with sysparm_display_value=true every
# field holds its display value, and a reference field, unless sysparm_exclude_reference_link=true, is an object of
# the display value and a "link" to the record; with sysparm_display_value=all every field is an object of
# "display_value" and "value" (the sys_id for a reference, the stored choice value, the UTC date).
# https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html
# (sysparm_display_value, sysparm_exclude_reference_link; example responses with {"link", "value"} objects)


def test_servicenow_table_api_reference_objects_read_as_display_values(sn_csv):
    """tests/data/servicenow/table-api: sysparm_display_value=true, reference links included (the default)."""
    graph, report = import_folder("servicenow", SN / "table-api")
    assert accounting(report) == SN_ROWS
    assert graph_state(graph) == graph_state(sn_csv[0])


def test_servicenow_table_api_display_value_all_reads_the_display_values(tmp_path: Path, sn_csv):
    """sysparm_display_value=all: each field is {"display_value": ..., "value": ...}; the profile's ids are display
    values (numbers and names), so the display value is read, not the sys_id."""
    for path in (SN / "json").glob("*.json"):
        records = json.loads(path.read_text(encoding="utf-8"))["records"]
        both = [
            {k: {"display_value": v, "value": f"raw-{k}-{i}" if v else ""} for k, v in r.items()}
            for i, r in enumerate(records)
        ]
        (tmp_path / path.name).write_text(json.dumps({"result": both}), encoding="utf-8")
    graph, report = import_folder("servicenow", tmp_path)
    assert accounting(report) == SN_ROWS
    assert graph_state(graph) == graph_state(sn_csv[0])


# An Excel (XLSX) export heads each column with the field's label ("Default values for column headers and column
# values": XLSX "Use field label"). tests/data/servicenow/xlsx/incident.xlsx holds the incident rows of csv/ under
# the documented labels (sources in tests/data/servicenow/README.md).


def test_servicenow_xlsx_export_with_label_headers_gives_the_same_graph(tmp_path: Path, sn_csv):
    for path in (SN / "csv").glob("*.csv"):
        if path.stem != "incident":
            shutil.copy(path, tmp_path / path.name)
    shutil.copy(SN / "xlsx" / "incident.xlsx", tmp_path / "incident.xlsx")
    header = open_rows(tmp_path / "incident.xlsx").columns
    assert "Caused by Change" in header and "caused_by" not in header  # labels, not field names
    graph, report = import_folder("servicenow", tmp_path)
    assert accounting(report) == SN_ROWS
    assert [f.file for f in report.files if f.table == "incident"] == ["incident.xlsx"]
    assert graph_state(graph) == graph_state(sn_csv[0])


def test_servicenow_label_headers_a_profile_does_not_know_name_every_spelling(tmp_path: Path):
    """change_request's date fields have no documented label in the profile: a label-header file stops the import
    naming the field, and the spellings looked for, at row 1."""
    rows = list(csv.reader((SN / "csv" / "change_request.csv").read_text(encoding="utf-8").splitlines()))
    labels = {"number": "Number", "short_description": "Short description", "type": "Type", "risk": "Risk"}
    rows[0] = [labels.get(c, c) for c in rows[0]]
    rows[0][rows[0].index("start_date")] = "Planned start date"
    with (tmp_path / "change_request.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(InputError) as err:
        import_folder("servicenow", tmp_path)
    assert (err.value.file, err.value.row, err.value.column) == ("change_request.csv", 1, "start_date")
    rows[0][rows[0].index("Planned start date")] = "start_date"
    rows[0][rows[0].index("cab_required")] = "Cab"
    with (tmp_path / "change_request.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(InputError, match="needs column 'cab_required' \\(or 'CAB required'\\)"):
        import_folder("servicenow", tmp_path)


def test_servicenow_maps_every_documented_approval_state():
    table = next(t for t in resolve_profile("servicenow").tables if t.name == "sysapproval_approver")
    decision = table.properties["decision"]
    allowed = schema().enumerations[("Approval", "decision")]
    stored = ["not requested", "requested", "approved", "rejected", "cancelled", "not_required", "duplicate"]
    shown = ["Not Yet Requested", "Requested", "Approved", "Rejected", "Cancelled", "No Longer Required", "Duplicate"]
    for a, b in zip(stored, shown, strict=True):
        value = convert(a, "string", decision, table.nulls)
        assert value in allowed, a
        assert convert(b, "string", decision, table.nulls) == value, b
    assert "Escalated" not in decision.map  # an unmapped state stays itself and the enumeration rejects it


def test_servicenow_canned_queries_find_the_planted_unapproved_changes(sn_csv):
    graph, _ = sn_csv
    queries = ["change-implemented-without-approval", "approval-after-implementation-start", "unresolved-reference"]
    report = check_graph(graph, period=AuditPeriod.parse("2024-06-30"), query_ids=queries)  # 2023-07-01..2024-06-30
    results = {r.query.id: r for r in report.results}
    unapproved = results["change-implemented-without-approval"]
    # CHG0030002: implemented although rejected / no longer required. Not flagged: CHG0030003 (a standard change,
    # pre-authorised by its model), CHG0030001 (approved), CHG0030004 (implemented before the period),
    # CHG0030005 (not implemented).
    assert unapproved.status.value == "fail"
    assert sorted(unapproved.rows) == [("Change:CHG0030002",)]
    assert results["approval-after-implementation-start"].status.value == "pass"  # CHG0030001 approved before work
    assert results["unresolved-reference"].rows == [("Problem:PRB0040099", "RELATED_TO", "Incident:INC0010003")]


# --- Jira Service Management -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jira():
    return import_folder("jira-sm", JIRA)


def test_jira_export_splits_by_issue_type(jira):
    graph, report = jira
    assert content(graph) == (
        # the assignees: Ana Silva, Ben Carter, Ravi Patel
        {"Incident": 2, "Change": 2, "Problem": 2, "ServiceRequest": 2, "Person": 3},
        {"CAUSED_BY": 1, "RELATED_TO": 3, "ASSIGNED_TO": 7},
    )
    # one file of 9 rows read by four tables; each skips the rows of the other issue types (ITSM-107 is a Task,
    # skipped by all four)
    assert accounting(report) == {
        "incidents": (9, 2, 1, 0, 6),
        "changes": (9, 2, 0, 0, 7),
        "problems": (9, 1, 0, 0, 8),
        "service-requests": (9, 2, 0, 0, 7),
    }
    assert {f.file for f in report.files} == {"Jira.csv"}
    assert_conserved(report)
    assert not any("ITSM-107" in n for n in graph.nx.nodes)
    assert sorted(graph.nodes("ServiceRequest")) == ["ServiceRequest:ITSM-103", "ServiceRequest:ITSM-104"]


def test_jira_links_dates_and_priorities(jira):
    graph, _ = jira
    assert has_edge(graph, "Incident:ITSM-101", "CAUSED_BY", "Change:ITSM-105")
    assert has_edge(graph, "Incident:ITSM-101", "RELATED_TO", "Problem:ITSM-108")
    # ITSM-106 (a change) relates to ITSM-102: the key resolves to the incident, drawn from it (or_labels, dir in)
    assert has_edge(graph, "Incident:ITSM-102", "RELATED_TO", "Change:ITSM-106")
    incident = graph.node("Incident:ITSM-101")
    assert incident["opened_at"] == "2024-03-12T10:15:00"
    assert incident["resolved_at"] == "2024-03-12T13:40:00"
    assert (incident["priority"], incident["title"], incident["status"]) == (2, "Checkout page times out", "Resolved")
    change = graph.node("Change:ITSM-105")
    assert change["closed_at"] == "2024-03-11T23:30:00" and change["status"] == "Completed"
    assert graph.node("Change:ITSM-106")["title"] == "Rotate TLS certificates on the VPN concentrator, site B"
    assert graph.node("ServiceRequest:ITSM-104")["priority"] == 4


def test_jira_duplicate_rows_merge_by_updated(jira):
    graph, _ = jira
    incident = graph.node("Incident:ITSM-102")  # the later update (Closed) comes first in the file
    assert (incident["status"], incident["priority"]) == ("Closed", 1)
    assert incident["resolved_at"] == "2024-04-03T16:45:00"
    assert incident["updated_at"] == "2024-04-05T09:00:00"


def test_jira_link_to_an_issue_outside_the_export_is_unresolved(jira):
    graph, report = jira
    assert graph.node("Problem:ITSM-199")["unresolved"] is True
    assert [n for n, a in graph.nx.nodes(data=True) if a.get("unresolved")] == ["Problem:ITSM-199"]
    assert report.to_dict()["unresolved_references"] == [{"rel": "RELATED_TO", "label": "Problem", "count": 1}]


def test_jira_export_without_link_columns_imports(tmp_path: Path):
    """Jira writes a link column only when some issue has such a link: an export without any still imports."""
    rows = list(csv.reader((JIRA / "Jira.csv").open(encoding="utf-8", newline="")))
    keep = [i for i, name in enumerate(rows[0]) if "issue link" not in name]
    with (tmp_path / "Jira.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[row[i] for i in keep] for row in rows])
    graph, report = import_folder("jira-sm", tmp_path)
    assert_conserved(report)
    assert graph.count("Incident") == 2 and not graph.rel_types_present() - {"PART_OF", "ASSIGNED_TO"}
    absent = {f.table: f.absent_columns for f in report.files}
    assert "Inward issue link (Causes)" in absent["incidents"]
    assert absent["changes"] == [
        "Inward issue link (Relates)",
        "Outward issue link (Causes)",
        "Outward issue link (Relates)",
    ]


def _jira_links(keep: Callable[[str], bool], extra: dict[str, str] | None = None, tmp: Path | None = None) -> set:
    """The link relationships of the fixture export with only the link columns *keep* accepts, plus a column
    *extra* (header -> the cell on ITSM-102's first row)."""
    assert tmp is not None
    rows = list(csv.reader((JIRA / "Jira.csv").open(encoding="utf-8", newline="")))
    kept = [i for i, name in enumerate(rows[0]) if "issue link" not in name or keep(name)]
    out = [[row[i] for i in kept] for row in rows]
    for header, cell in (extra or {}).items():
        out[0].append(header)
        for row in out[1:]:
            row.append(cell if row[1] == "ITSM-102" and row[4] == "Closed" else "")
    with (tmp / "Jira.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(out)
    graph, report = import_folder("jira-sm", tmp)
    assert_conserved(report)
    return {(a, rel, b) for rel in ("CAUSED_BY", "RELATED_TO") for a, b in graph.edges(rel)}


def test_jira_links_are_read_from_either_side(tmp_path: Path):
    """Jira writes a link on both issues' rows, but an export may hold one side only (the other issue filtered
    out, or a column Jira leaves out): each side alone gives the link, pointing the way the ontology allows, and
    both together give it once."""
    both = {
        ("Incident:ITSM-101", "CAUSED_BY", "Change:ITSM-105"),
        ("Incident:ITSM-101", "RELATED_TO", "Problem:ITSM-108"),
        ("Incident:ITSM-102", "RELATED_TO", "Problem:ITSM-199"),  # the problem is not in the export
        ("Incident:ITSM-102", "RELATED_TO", "Change:ITSM-106"),
    }
    (tmp_path / "all").mkdir()
    assert _jira_links(lambda name: True, tmp=tmp_path / "all") == both
    # the outward side alone: the change that causes ITSM-101, the problem behind it, the change ITSM-102 relates
    # to (ITSM-199 is not in the export, so its outward side is not either)
    (tmp_path / "outward").mkdir()
    assert _jira_links(lambda name: name.startswith("Outward"), tmp=tmp_path / "outward") == both - {
        ("Incident:ITSM-102", "RELATED_TO", "Problem:ITSM-199")
    }
    # the inward side alone, ITSM-102's Relates link to the change read from the incident: from it to the change
    (tmp_path / "inward").mkdir()
    assert (
        _jira_links(
            lambda name: name.startswith("Inward"), {"Inward issue link (Relates)": "ITSM-106"}, tmp_path / "inward"
        )
        == both
    )
    # an incident relating to another, read from the other's inward side: from the one that relates
    (tmp_path / "incidents").mkdir()
    assert _jira_links(lambda name: False, {"Inward issue link (Relates)": "ITSM-101"}, tmp_path / "incidents") == {
        ("Incident:ITSM-101", "RELATED_TO", "Incident:ITSM-102")
    }


def test_jira_repeated_link_columns_keep_every_link(tmp_path: Path):
    path = tmp_path / "Jira.csv"
    path.write_text("Issue key,Inward issue link (Causes),Inward issue link (Causes)\r\nITSM-1,ITSM-5,ITSM-6\r\n")
    [(_, row)] = list(open_rows(path).rows)
    assert "ITSM-5" in str(row) and "ITSM-6" in str(row)


# --- iTop --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def itop():
    return import_folder("itop", ITOP)


def test_itop_imports_every_class(itop):
    graph, report = itop
    assert content(graph) == (
        {
            "Service": 5,  # Email, Hosting (twice, merged), Telephony, Fax, and the placeholder VPN
            "Contract": 3,
            "Supplier": 2,  # Skyline Datacenters, Polaris Telecom (named on the contracts)
            "Change": 4,
            "Approval": 2,  # C-000001 and C-000004 have an approval date
            "Incident": 3,  # R-000001 (a user request of request_type incident), I-000001, I-000002
            "ServiceRequest": 1,  # R-000002, request_type service_request
        },
        {"SIGNED_WITH": 3, "APPROVES": 2, "AFFECTS": 4, "RELATED_TO": 1},
    )
    assert accounting(report) == {
        "services": (5, 4, 1, 0, 0),
        "provider-contracts": (3, 3, 0, 0, 0),
        "changes": (4, 4, 0, 0, 0),
        "change-approvals": (4, 2, 0, 0, 2),
        "user-requests": (2, 1, 0, 0, 1),  # the service request is the other table's
        "service-requests": (2, 1, 0, 0, 1),
        "incidents": (2, 2, 0, 0, 0),
    }
    assert_conserved(report)


def test_itop_links_and_values(itop):
    graph, _ = itop
    # Service.csv and Change.csv are semicolon separated, the others comma separated
    hosting = graph.node("Service:Hosting")  # duplicate row: the later row wins
    assert (hosting["status"], hosting["description"]) == ("live", "Virtual servers, storage and backup")
    assert {s: graph.node(s).get("status") for s in graph.nodes("Service")} == {
        "Service:Email": "live",
        "Service:Hosting": "live",
        "Service:Telephony": "pipeline",
        "Service:Fax": "retired",
        "Service:VPN": None,
    }
    assert has_edge(graph, "Contract:Hosting outsourcing 2023", "SIGNED_WITH", "Supplier:Skyline Datacenters")
    assert has_edge(graph, "Contract:Fax line rental", "SIGNED_WITH", "Supplier:Polaris Telecom")
    contract = graph.node("Contract:Telephony maintenance")
    assert (contract["valid_from"], contract["valid_to"], contract["status"]) == (
        "2022-04-01",
        "2024-03-31",
        "production",
    )
    assert has_edge(graph, "Approval:C-000001", "APPROVES", "Change:C-000001")
    approval = graph.node("Approval:C-000004")
    assert (approval["decision"], approval["decided_at"]) == ("approved", "2024-06-07T17:45:00")
    assert not graph.neighbours("Change:C-000002", "APPROVES", "in")  # rejected: no approval date
    change = graph.node("Change:C-000001")
    assert (change["planned_start"], change["opened_at"], change["closed_at"]) == (
        "2024-02-10T20:00:00",
        "2024-02-01T09:00:00",
        "2024-02-12T10:00:00",
    )
    assert "actual_start" not in change
    assert has_edge(graph, "Incident:I-000001", "RELATED_TO", "Change:C-000001")
    assert has_edge(graph, "ServiceRequest:R-000002", "AFFECTS", "Service:Hosting")
    assert graph.node("ServiceRequest:R-000002")["priority"] == 4
    priorities = {i: graph.node(i)["priority"] for i in graph.nodes("Incident")}
    assert priorities == {
        "Incident:R-000001": 3,
        "Incident:I-000001": 2,
        "Incident:I-000002": 1,
    }


def test_itop_reference_to_an_absent_service_is_unresolved(itop):
    graph, report = itop
    assert graph.node("Service:VPN")["unresolved"] is True
    assert [n for n, a in graph.nx.nodes(data=True) if a.get("unresolved")] == ["Service:VPN"]
    assert report.to_dict()["unresolved_references"] == [{"rel": "AFFECTS", "label": "Service", "count": 1}]
    assert has_edge(graph, "Incident:I-000002", "AFFECTS", "Service:VPN")


# --- a bad value is located, or rejected with keep_going ----------------------------------------------------------

BAD_VALUES = [
    # profile, fixture folder, file, good text, bad text, row, column, label, records of the label left (the bad
    # row's not among them; placeholders not counted)
    (
        "servicenow",
        SN / "csv",
        "sysapproval_approver.csv",
        "No Longer Required",
        "Escalated",
        5,
        "state",
        "Approval",
        4,
    ),
    (
        "servicenow",
        SN / "json",
        "sysapproval_approver.json",
        "No Longer Required",
        "Escalated",
        4,
        "state",
        "Approval",
        4,
    ),
    ("jira-sm", JIRA, "Jira.csv", "12/Mar/24 10:15 AM", "12.03.2024 10:15", 2, "Created", "Incident", 1),
    ("itop", ITOP, "Service.csv", "gateway;obsolete", "gateway;decommissioned", 5, "status", "Service", 3),
]


@pytest.mark.parametrize(
    ("profile", "folder", "file", "good", "bad", "row", "column", "label", "left"),
    BAD_VALUES,
    ids=["servicenow-csv", "servicenow-json", "jira-sm", "itop"],
)
def test_a_bad_value_names_file_row_and_column(
    tmp_path: Path, profile, folder, file, good, bad, row, column, label, left
):
    copy = tmp_path / profile
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("README.md"))
    text = (copy / file).read_text(encoding="utf-8")
    assert text.count(good) == 1
    (copy / file).write_text(text.replace(good, bad), encoding="utf-8")

    with pytest.raises(InputError) as err:
        import_folder(profile, copy)
    assert (err.value.file, err.value.row, err.value.column) == (file, row, column)
    assert str(err.value).startswith(f"file {file}, row {row}, column {column}: ")
    assert bad.split(";")[-1] in str(err.value)

    graph, report = import_folder(profile, copy, keep_going=True)
    assert_conserved(report)
    assert report.rejected == 1
    [rejection] = [r for f in report.files for r in f.rejections]
    assert (rejection.file, rejection.row, rejection.column) == (file, row, column)
    assert rejection.value == bad.split(";")[-1]
    # (a link to the rejected record from another row makes it a placeholder, never a record)
    assert sum(not graph.node(n).get("unresolved") for n in graph.nodes(label)) == left


def test_itop_user_requests_without_request_type_are_incidents(tmp_path):
    """An export from before request_type (or without the column selected) still imports: every user request an
    incident, none lost, as the optional row filter says."""
    import shutil

    folder = tmp_path / "itop"
    shutil.copytree(ITOP, folder)
    csv_file = folder / "UserRequest.csv"
    rows = [line.rsplit(",", 1)[0] for line in csv_file.read_text(encoding="utf-8").splitlines()]
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    graph, report = import_folder("itop", folder)
    assert {"Incident:R-000001", "Incident:R-000002"} <= set(graph.nodes("Incident"))
    assert graph.count("ServiceRequest") == 0
    assert accounting(report)["user-requests"] == (2, 2, 0, 0, 0)
    assert accounting(report)["service-requests"] == (2, 0, 0, 0, 2)
    assert_conserved(report)

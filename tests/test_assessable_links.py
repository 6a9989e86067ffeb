"""A link no imported source can carry makes a query not assessable, not failed (issue 14, item 6, last point).

BPIC 2014's incident log has no column naming a problem: checked with a problem register that names no incident,
every major incident would read as "without a problem" although the data could never show one.
"""

from __future__ import annotations

from itsms_graph.audit.verdict import stage2
from itsms_graph.check import check_graph
from itsms_graph.graph.store import InputFile, SMSGraph
from itsms_graph.queries.plan import AuditPeriod
from itsms_graph.queries.results import Status
from tests.builders import SRC

PERIOD = AuditPeriod.parse("2025-06-30")
QUERY = "major-incident-without-problem"


def incidents_and_problems(*inputs: str, linked: bool = False) -> SMSGraph:
    graph = SMSGraph()
    for i in range(3):
        graph.add_node("Incident", f"I{i}", {"opened_at": "2025-03-01T10:00:00", "priority": 1}, source_file=SRC)
    graph.add_node("Problem", "P1", {"opened_at": "2025-03-02T10:00:00"}, source_file=SRC)
    if linked:
        graph.add_edge("RELATED_TO", "Incident:I0", "Problem:P1", source_file=SRC)
    for profile in inputs:
        graph.add_input(InputFile(f"{profile}.csv", "00", profile))
    return graph


def result(graph: SMSGraph):
    [r] = check_graph(graph, period=PERIOD, query_ids=[QUERY], fail_on="none").results
    return r


def test_a_link_no_source_carries_is_not_assessable():
    r = result(incidents_and_problems("bpic2014:incidents", "servicenow:problem"))
    assert r.status is Status.NOT_ASSESSABLE
    assert r.missing_data == ["no imported source links Incident to Problem (RELATED_TO)"]
    report = check_graph(
        incidents_and_problems("bpic2014:incidents", "servicenow:problem"), period=PERIOD, fail_on="none"
    )
    verdict = stage2(report)
    assert not [nc for nc in verdict.nonconformities if QUERY in nc.queries]
    assert QUERY in {r.query.id for r in verdict.not_assessable}


def test_a_source_that_maps_the_link_makes_its_absence_evidence():
    r = result(incidents_and_problems("bpic2014:incidents", "jira-sm:problems"))
    assert r.status is Status.FAIL and len(r.findings) == 3


def test_a_link_present_in_the_data_is_carried_whatever_the_profiles_say():
    r = result(incidents_and_problems("bpic2014:incidents", "servicenow:problem", linked=True))
    assert r.status is Status.FAIL and [f.subject for f in r.findings] == ["Incident:I1", "Incident:I2"]


def test_data_from_no_known_profile_rules_nothing_out():
    assert result(incidents_and_problems()).status is Status.FAIL  # generated data: no inputs
    assert result(incidents_and_problems("my-own-profile:incidents")).status is Status.FAIL


def test_changes_that_name_only_cis_are_judged_on_their_service_through_the_ci_roll_up():
    """#18.3: an export whose changes name configuration items, never services (BPIC 2014), can still say which
    service a change is on: the CI roll-up of emergency-change-share-high carries what the direct link cannot."""

    def changes_on_a_ci(*, ci_of_the_service: bool) -> SMSGraph:
        graph = SMSGraph()
        graph.add_node("Service", "S1", {"name": "Email"}, source_file=SRC)
        graph.add_node("ConfigurationItem", "K1", {"name": "mail01"}, source_file=SRC)
        if ci_of_the_service:
            graph.add_edge("PART_OF", "ConfigurationItem:K1", "Service:S1", source_file=SRC)
        for i in range(10):
            attrs = {"emergency": i < 2, "actual_start": f"2025-03-{i + 1:02d}T10:00:00"}
            change = graph.add_node("Change", f"C{i}", attrs, source_file=SRC)
            graph.add_edge("AFFECTS", change, "ConfigurationItem:K1", source_file=SRC)
        graph.add_input(InputFile("changes.csv", "00", "bpic2014:changes"))
        return graph

    def result(graph: SMSGraph):
        [r] = check_graph(graph, period=PERIOD, query_ids=["emergency-change-share-high"], fail_on="none").results
        return r

    r = result(changes_on_a_ci(ci_of_the_service=True))
    assert r.status is Status.FAIL, r.missing_data  # 2 of 10 changes on Email are emergencies: 20 %
    assert [f.subject for f in r.findings] == ["Service:S1"]
    # no source and no record ties a CI to a service: neither way can be followed, the direct link is named
    r = result(changes_on_a_ci(ci_of_the_service=False))
    assert r.status is Status.NOT_ASSESSABLE
    assert r.missing_data == ["no imported source links Change to Service (AFFECTS)"]

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

"""Hand-built fixture graphs for the edge cases every engine must agree on.

The audit period in every fixture is AS_OF = 2025-06-30 with 12 months: 2024-07-01 .. 2025-06-30 inclusive.
"""

from __future__ import annotations

from collections.abc import Callable

from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.plan import AuditPeriod
from tests.builders import (
    SRC,
    audit,
    change,
    document,
    edge,
    graph_with,
    incident,
    record,
    review,
    service,
)

PERIOD = AuditPeriod.parse("2025-06-30", "12M")


def sla(sid: str, service_id: str, valid_from: str, valid_to: str) -> Callable[[SMSGraph], None]:
    def add(g: SMSGraph) -> None:
        node = g.add_node("SLA", sid, {"valid_from": valid_from, "valid_to": valid_to}, source_file=SRC)
        g.add_edge("COVERS", node, f"Service:{service_id}", source_file=SRC)

    return add


def empty() -> SMSGraph:
    return graph_with()


def missing_approvals() -> SMSGraph:
    return graph_with(change("C1", started="2025-01-10T09:00:00"), change("C2", started="2025-02-10T09:00:00"))


def declared_empty_approvals() -> SMSGraph:
    return graph_with(
        change("C1", started="2025-01-10T09:00:00"), change("C2", started="2025-02-10T09:00:00"), declared=("Approval",)
    )


def boundaries() -> SMSGraph:
    return graph_with(
        service("S-in", in_scope=True, catalogued=True),
        service("S-out", catalogued=True),
        service("S-nocat", in_scope=True),
        service("S-sla"),
        service("S-ext"),
        sla("SLA-1", "S-sla", "2023-01-01", "2024-07-01"),
        change("C-before", started="2024-06-30T23:59:59"),
        change("C-first", started="2024-07-01T00:00:00"),
        change("C-last", started="2025-06-30T23:59:59"),
        change("C-after", started="2025-07-01T00:00:00"),
        change("C-approved", started="2025-01-15T10:00:00", approval="approved"),
        change("C-rejected", started="2025-01-16T10:00:00", approval="rejected"),
        incident("I-in", opened="2025-06-30T23:59:59", affects=("S-in",)),
        incident("I-out", opened="2024-06-30T12:00:00", affects=("S-out",)),
        incident("I-nocat", opened="2024-07-01T00:00:00", affects=("S-nocat",)),
        incident("I-u", opened="2025-03-01T08:00:00", caused_by=("C-first",), affects=("S-in",)),
        incident("I-v", opened="2025-03-02T08:00:00", caused_by=("C-approved",), affects=("S-in",)),
        incident("I-w", opened="2025-03-03T08:00:00", caused_by=("C-rejected",), affects=("S-ext",)),
        audit("A-old", completed_on="2024-06-29"),  # 12 months and a day before as-of: too old
        audit("A-planned", completed_on="2025-01-01", status="planned"),
        review("M1", held_on="2024-07-01"),
        document("SCOPE", "scope_statement", approved_on="2025-06-30"),
        document("P1", "sm_policy", approved_on="2024-06-29"),  # 12 months and a day: overdue
        document("P2", "policy", approved_on="2024-01-01"),
        document("P3", "change_policy", approved_on="2025-07-01"),
        record("R1", "communication", recorded_on="2024-06-30", evidences=("Document:P1",)),
        record("R2", "operational_log", recorded_on="2025-06-30", evidences=("Document:P2",)),
    )


def cycles() -> SMSGraph:
    return graph_with(
        service("S1", in_scope=True, catalogued=True),
        service("S2", in_scope=True, catalogued=True),
        service("S3", in_scope=True, catalogued=True),
        edge("DEPENDS_ON", "Service:S1", "Service:S2"),
        edge("DEPENDS_ON", "Service:S2", "Service:S1"),
        edge("DEPENDS_ON", "Service:S3", "Service:S3"),
        change("C1", started="2025-02-01T10:00:00"),
        change("C2", started="2025-02-02T10:00:00", approval="approved"),
        incident("I1", opened="2025-02-03T10:00:00", caused_by=("C1", "C2"), affects=("S1", "S2")),
    )


def node(label: str, local: str, **props) -> Callable[[SMSGraph], None]:
    def add(g: SMSGraph) -> None:
        g.add_node(label, local, props, source_file=SRC)

    return add


def features() -> SMSGraph:
    """Cross-node day arithmetic, each over months and lists, any/check conditions (see tests/queries)."""
    months = [
        "2024-07",
        "2024-08",
        "2024-09",
        "2024-10",
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-03",
        "2025-04",
        "2025-05",
        "2025-06",
    ]  # 2025-02 missing
    return graph_with(
        node("Change", "E1", emergency=True, actual_start="2025-03-01T08:00:00", actual_end="2025-03-01T18:00:00"),
        node("Change", "E2", emergency=True, actual_start="2025-03-01T08:00:00", actual_end="2025-03-01T18:00:00"),
        node("Change", "E3", emergency=True, actual_start="2025-03-01T08:00:00", actual_end="2025-03-01T18:00:00"),
        node("Change", "E4", emergency=True, actual_start="2024-02-28T08:00:00", actual_end="2024-02-28T18:00:00"),
        node("Approval", "A1", decision="approved", decided_at="2025-02-28T10:00:00"),
        node("Approval", "A2", decision="approved", decided_at="2025-03-01T09:00:00"),
        node("Approval", "A3", decision="rejected", decided_at="2025-02-27T09:00:00"),
        edge("APPROVES", "Approval:A1", "Change:E1"),
        edge("APPROVES", "Approval:A2", "Change:E2"),
        edge("APPROVES", "Approval:A3", "Change:E3"),
        edge("APPROVES", "Approval:A1", "Change:E4"),
        record("PIR1", "post_implementation_review", recorded_on="2025-03-11", evidences=("Change:E1",)),
        record("PIR2", "post_implementation_review", recorded_on="2025-03-12", evidences=("Change:E2",)),
        record("PIR4", "post_implementation_review", recorded_on="2024-03-09", evidences=("Change:E4",)),
        record("PIR5", "post_implementation_review", recorded_on="2024-02-27", evidences=("Change:E3",)),
        node("SLA", "SLA1", valid_from="2024-01-01", valid_to="2026-01-01"),
        *[record(f"REP-{m}", "sla_report", recorded_on=f"{m}-28", evidences=("SLA:SLA1",)) for m in months],
        *[node("Record", f"P-{m}", kind="sla_report", period_start=f"{m}-01") for m in months],
        *[edge("EVIDENCES", f"Record:P-{m}", "SLA:SLA1") for m in months],
        node("ManagementReview", "M1", held_on="2025-01-10", inputs=["audit_results", "customer_feedback"]),
        node(
            "ManagementReview",
            "M2",
            held_on="2024-01-10",
            inputs=["audit_results", "customer_feedback", "service_performance", "nonconformity_status"],
        ),
        node("Person", "P1", name="Ann"),
        node("Document", "D1", kind="procedure", title="no version", review_due="2026-01-01"),
        node("Document", "D2", kind="procedure", title="past review", version="2", review_due="2025-06-29"),
        node("Document", "D3", kind="procedure", title="fine", version="3", review_due="2025-06-30"),
        node("Document", "D4", kind="procedure", title="no owner", version="1", review_due="2026-01-01"),
        edge("OWNED_BY", "Document:D1", "Person:P1"),
        edge("OWNED_BY", "Document:D2", "Person:P1"),
        edge("OWNED_BY", "Document:D3", "Person:P1"),
    )


def quarters() -> SMSGraph:
    """Quarterly SLAs and changes on the edges of quarters (see tests/queries/test-sla-quarterly-report.yaml and
    test-quarter-eq.yaml): the period's quarters are 2024-07, 2024-10, 2025-01 and 2025-04, the last not due."""

    def sla(sid: str, valid_from: str, valid_to: str | None = None) -> Callable[[SMSGraph], None]:
        props = {"reporting_period": "quarterly", "valid_from": valid_from, "valid_to": valid_to}
        return lambda g: g.add_node("SLA", sid, props, source_file=SRC)

    def report(rid: str, period_start: str, sla_id: str) -> Callable[[SMSGraph], None]:
        def add(g: SMSGraph) -> None:
            node = g.add_node("Record", rid, {"kind": "sla_report", "period_start": period_start}, source_file=SRC)
            g.add_edge("EVIDENCES", node, f"SLA:{sla_id}", source_file=SRC)

        return add

    return graph_with(
        sla("Q1", "2024-01-01", "2026-12-31"),  # 2024-10 unreported: its report starts the day before the quarter
        report("R1-06", "2024-06-30", "Q1"),
        report("R1-07", "2024-07-01", "Q1"),
        report("R1-09", "2024-09-30", "Q1"),  # 2024-07's last day: a second report of that quarter
        report("R1-03", "2025-03-31", "Q1"),  # 2025-01's last day
        sla("Q2", "2025-02-15"),  # from the middle of 2025-01, reported from that day
        report("R2-02", "2025-02-15", "Q2"),
        sla("Q3", "2025-03-01"),  # from 2025-01's last month, never reported
        sla("Q4", "2025-04-01"),  # from 2025-04 on, whose report is not due
        change("C-dec", started="2024-12-31T23:59:59"),
        change("C-jan", started="2025-01-01T00:00:00"),
        change("C-mar", started="2025-03-31T23:59:59"),
        change("C-apr", started="2025-04-01T00:00:00"),
    )


FIXTURES: dict[str, Callable[[], SMSGraph]] = {
    "features": features,
    "quarters": quarters,
    "empty": empty,
    "missing-approvals": missing_approvals,
    "declared-empty-approvals": declared_empty_approvals,
    "boundaries": boundaries,
    "cycles": cycles,
}


def complete_sms(*, drop: tuple[str, ...] = ()) -> SMSGraph:
    """A small SMS whose design passes every Stage 1 check at AS_OF (parts named in *drop* are left out)."""
    from itsms_graph.ontology import clauses

    g = SMSGraph()

    def n(label: str, local: str, **props) -> str:
        return g.add_node(label, local, props, source_file="complete.csv")

    def e(rel: str, a: str, b: str) -> None:
        g.add_edge(rel, a, b, source_file="complete.csv")

    ceo, mgr = n("Person", "CEO", name="Chief Executive"), n("Person", "SMM", name="SMS Manager")
    top = n("Role", "TOP", name="Top management", top_management=True)
    e("HOLDS_ROLE", ceo, top)
    docs = {
        "scope_statement": ["4.3"],
        "sm_policy": ["5.2.1"],
        "risk_register": ["6.1"],
        "objectives": ["6.2.1"],
        "sm_plan": ["6.3"],
        "service_catalogue": ["8.2.4"],
        "policy": ["8.3.3", "8.3.4.1", "8.6.1"],
        "change_policy": ["8.5.1.1"],
        "release_policy": ["8.5.3"],
        "process": ["8.5.1"],
        "availability_plan": ["8.7.1"],
        "continuity_plan": ["8.7.2"],
        "infosec_policy": ["8.7.3.1"],
        "audit_programme": ["9.2"],
        "capacity_plan": ["8.4.3"],
        "service_requirements": ["8.2.2"],
        "knowledge": ["7.6"],
    }
    for kind, numbers in docs.items():
        if kind in drop:
            continue
        d = n(
            "Document",
            kind.upper(),
            kind=kind,
            title=kind.replace("_", " "),
            version="1.0",
            approved_on="2025-01-15",
            review_due="2026-01-15",
        )
        e("OWNED_BY", d, mgr)
        for number in numbers:
            e("ADDRESSES", d, f"Clause:{number}")
        e("APPROVED_BY", d, ceo)
    scope = n("Scope", "SMS", name="SMS scope")
    if "scope_statement" not in drop:
        e("DEFINES", "Document:SCOPE_STATEMENT", scope)
    e("INCLUDES", scope, n("OrganisationalUnit", "IT", name="IT operations"))
    svc = n("Service", "MAIL", name="Mail", status="live")
    e("INCLUDES", scope, svc)
    e("OWNED_BY", svc, mgr)
    e("DESCRIBES", n("CatalogueEntry", "MAIL", title="Mail"), svc)
    if "service_requirements" not in drop:
        e("PLANS", "Document:SERVICE_REQUIREMENTS", svc)
    # context, interested parties and an internal supplier under an OLA (issue #18's Stage 1 checks)
    n("ContextIssue", "CTX1", title="Cloud dependency", kind="external", reviewed_on="2025-02-01")
    n("InterestedParty", "IP1", name="Regulator", requirements="outage notices", reviewed_on="2025-02-01")
    team = n("Supplier", "NET", name="Network team", kind="internal")
    e("SUPPORTS", team, svc)
    e("SIGNED_WITH", n("Contract", "OLA1", kind="ola", valid_from="2024-01-01", valid_to="2026-12-31"), team)
    obj = n("Objective", "AVAIL", title="Mail availability", metric="availability", target="99.9%")
    e("OWNED_BY", obj, mgr)
    risk = n(
        "Risk",
        "R1",
        title="Data centre loss",
        rating="high",
        treatment=None if "risk_treatment" in drop else "second site",
    )
    n("Risk", "R0", title="Supplier exit", rating="low", treatment="exit plan")
    assert risk
    audit_done = "2023-09-01" if "recent_audit" in drop else "2025-02-01"
    ia = n(
        "InternalAudit",
        "IA1",
        title="Full SMS audit",
        status="completed",
        planned_on="2025-01-20",
        completed_on=audit_done,
    )
    for clause in clauses():
        if clause.depth == 2:
            e("AUDITS", ia, clause.node_id)
    e("AUDITED_BY", ia, n("Person", "AUD", name="Independent auditor"))
    n(
        "ManagementReview",
        "MR1",
        title="Annual review",
        held_on="2025-03-01",
        inputs=["audit_results", "customer_feedback", "service_performance", "nonconformity_status"],
        outputs=["decisions", "actions"],
    )
    e("ATTENDED_BY", "ManagementReview:MR1", ceo)
    return g

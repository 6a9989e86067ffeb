"""A seeded generator of a realistic example organisation's SMS, with defects planted at known places.

Northwind Shared Services runs about 25 services; its SMS has a scope, policies and procedures mapped to
clauses, changes with approvals, incidents, problems, suppliers with contracts, SLAs with monthly reports, an
audit programme, reviews, nonconformities and corrective actions. Everything else conforms, so the canned
queries find exactly the planted defects. ``size`` scales the operational records linearly (about 13,000
records per unit); the same seed and size give the same graph, in the same order.

Why one module of this length: it is the example organisation itself, written out record by record (each planted
defect and near-miss beside the records it breaks or nearly breaks); split, a defect and its context would sit in
two files.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from fractions import Fraction

from itsms_graph.graph.store import SMSGraph, bulk_build
from itsms_graph.ontology import clauses

AS_OF = dt.date(2025, 6, 30)
START = dt.date(2022, 7, 1)  # three years of records before the as-of date
PERIOD_START = dt.date(2024, 7, 1)

SERVICES = [
    "Email",
    "Identity and access",
    "Service desk",
    "Payroll",
    "HR portal",
    "Finance ledger",
    "Procurement",
    "Document management",
    "Intranet",
    "Video conferencing",
    "Telephony",
    "Network",
    "Backup",
    "Data warehouse",
    "CRM",
    "Web hosting",
    "Mobile devices",
    "Printing",
    "Field service app",
    "Customer portal",
]
RETIRED = ["Mainframe batch", "Legacy intranet", "Old ticketing"]
OUTSIDE_SCOPE = "Legacy fax gateway"  # planted: catalogued and delivered, but outside the scope
NOT_CATALOGUED = "Shadow reporting"  # planted: in scope and delivered, missing from the catalogue
SUPPLIERS = ["Contoso Cloud", "Fabrikam Networks", "Litware Security", "Adventure Works Hosting", "Tailspin Telecom"]
#: the SLAs' own targets (percent of incidents resolved in time) where they differ from the organisation's 90 %
#: (its rules register): Email's is stricter (its planted report is at 90 %, below 95), Intranet's laxer (its
#: near-miss is exactly at 85 %, which the organisation's 90 would fail); the quarterly SLA states none
SLA_TARGETS = {"Email": 95, "Intranet": 85}
SLA_TARGET = 90
UNCONTRACTED = "QuickPrint Ltd"  # planted: supports an in-scope service without a contract
DOCUMENTS = [  # kind, title, clauses addressed
    ("scope_statement", "SMS scope statement", ["4.3"]),
    ("sm_policy", "Service management policy", ["5.2.1", "5.2.2"]),
    ("sm_plan", "Service management plan", ["6.3"]),
    ("objectives", "Service management objectives", ["6.2.1", "6.2.2"]),
    ("risk_register", "Risk register and method", ["6.1"]),
    ("service_catalogue", "Service catalogue", ["8.2.4"]),
    ("change_policy", "Change management policy", ["8.5.1.1"]),
    ("release_policy", "Release policy", ["8.5.3"]),
    ("infosec_policy", "Information security policy", ["8.7.3.1"]),
    ("availability_plan", "Availability requirements", ["8.7.1"]),
    ("continuity_plan", "Service continuity plan", ["8.7.2"]),
    ("audit_programme", "Internal audit programme", ["9.2"]),
    ("policy", "Supplier policy", ["8.3.4.1", "8.3.4"]),
    ("policy", "Acceptable use policy", ["7.3"]),  # planted: no record in the audit period
    ("process", "Incident management process", ["8.6.1"]),
    ("process", "Problem management process", ["8.6.3"]),
    ("process", "Change management process", ["8.5.1.2", "8.5.1.3"]),
    ("process", "Service level management process", ["8.3.3"]),
    ("process", "Service request process", ["8.6.2"]),
    ("process", "Configuration management process", ["8.2.6"]),
    ("process", "Capacity management process", ["8.4.3"]),
    ("process", "Business relationship process", ["8.3.2"]),
    ("process", "Service reporting process", ["9.4"]),
    ("procedure", "Major incident procedure", ["8.6.1"]),
    ("procedure", "Document control procedure", ["7.5.3"]),
    ("procedure", "Competence and training procedure", ["7.2"]),
    ("procedure", "Internal audit procedure", ["9.2"]),
    ("procedure", "Management review procedure", ["9.3"]),
    ("procedure", "Corrective action procedure", ["10.1"]),
    ("procedure", "Emergency change procedure", ["8.5.1.3"]),
]
SILENT_POLICY = "Acceptable use policy"
REVIEW_INPUTS = ["audit_results", "customer_feedback", "service_performance", "nonconformity_status"]


@dataclass(frozen=True)
class PlantedDefect:
    query: str
    subjects: tuple[str, ...]
    grade: str
    description: str


@dataclass(frozen=True)
class NearMiss:
    """A record placed just inside a rule (a boundary day, a status, an exception the organisation's rules
    allow): the query named must not flag these subjects."""

    kind: str
    query: str
    subjects: tuple[str, ...]
    description: str


@dataclass
class ExampleSMS:
    graph: SMSGraph
    as_of: dt.date = AS_OF
    period: str = "12M"
    planted: list[PlantedDefect] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)


def records_for(size: int) -> int:
    """About how many nodes the generator makes at *size* (measured: see benchmarks/RESULTS.md).

    Relationships are about 1,900 + 17,000 per size (every approval names its approver), so nodes plus
    relationships are about 3,300 + 29,400 per size: size 81 gives about 1.0 million nodes (2.4 million records
    counting relationships), size 34 about 1.0 million nodes and relationships together.
    """
    return 1_200 + 12_320 * size


def _ts(day: dt.date, hour: int = 9, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02}:{minute:02}:00"


class _Builder:
    def __init__(self, seed: int) -> None:
        self.g = SMSGraph()
        self.rng = random.Random(seed)
        self.rows: dict[str, int] = {}
        self.planted: list[PlantedDefect] = []
        self.near_misses: list[NearMiss] = []

    def node(self, label: str, local: str, file: str, **props: object) -> str:
        self.rows[file] = self.rows.get(file, 0) + 1
        return self.g.add_node(label, local, props, source_file=f"example/{file}.csv", source_row=self.rows[file])

    def edge(self, rel: str, a: str, b: str, file: str, row: int | None = None) -> None:
        """A relationship from the row of *file* just written (or from *row*)."""
        row = self.rows.get(file, 0) if row is None else row
        self.g.add_edge(rel, a, b, source_file=f"example/{file}.csv", source_row=row)

    def day(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def plant(self, query: str, subjects: tuple[str, ...], grade: str, description: str) -> None:
        self.planted.append(PlantedDefect(query, subjects, grade, description))

    def near_miss(self, kind: str, query: str, subjects: tuple[str, ...], description: str) -> None:
        self.near_misses.append(NearMiss(kind, query, subjects, description))


def generate(size: int = 1, seed: int = 20250630, as_of: dt.date = AS_OF) -> ExampleSMS:
    """Build the example SMS. The dates are fixed around 2025-06-30 (the demo's as-of date)."""
    if as_of != AS_OF:
        raise ValueError("the example SMS is laid out around 2025-06-30")
    with bulk_build():
        return _generate(size, seed, as_of)


def _generate(size: int, seed: int, as_of: dt.date) -> ExampleSMS:
    b = _Builder(seed)
    people = _governance(b)
    services = _portfolio(b, people)
    _governed(b, services)
    _suppliers(b, services)
    changes = _changes(b, services, size)
    _incidents(b, services, changes, size)
    _audits_and_reviews(b, people)
    _organisation_rules(b, people, services)
    _whole_standard(b, people, services, changes)
    _counted(b, services)
    _approving_authority(b, people, services)
    _export_day(b, as_of)
    # as a register export would: the labels it has rows for (no CMDB, no ticket histories)
    b.g.declared_labels.update(b.g.labels_present())
    return ExampleSMS(
        b.g,
        as_of,
        "12M",
        sorted(b.planted, key=lambda p: (p.query, p.subjects)),
        sorted(b.near_misses, key=lambda n: (n.kind, n.query, n.subjects)),
    )


def _governance(b: _Builder) -> dict[str, str]:
    top = b.node("Role", "top-management", "roles", name="Top management", top_management=True)
    smm_role = b.node("Role", "sms-manager", "roles", name="SMS manager", top_management=False)
    cab_role = b.node("Role", "change-authority", "roles", name="Change authority", top_management=False)
    owner_role = b.node("Role", "service-owner", "roles", name="Service owner", top_management=False)
    people = {}
    for pid, name, role in [
        ("P01", "Ada Byron", top),
        ("P02", "Grace Hopper", smm_role),
        ("P03", "Alan Kay", cab_role),
        ("P04", "Barbara Liskov", owner_role),
        ("P05", "Edsger Dijkstra", owner_role),
        ("P06", "Frances Allen", owner_role),
    ]:
        person = b.node("Person", pid, "people", name=name)
        b.edge("HOLDS_ROLE", person, role, "people")
        training = b.node(
            "Record",
            f"TRN-{pid}",
            "records",
            kind="training",
            title=f"Training: {name}",
            recorded_on=b.day(dt.date(2023, 1, 1), dt.date(2024, 12, 31)).isoformat(),
        )
        b.edge("EVIDENCES", training, person, "records")
        people[pid] = person
    unit_ops = b.node("OrganisationalUnit", "IT-OPS", "units", name="IT operations")
    unit_apps = b.node("OrganisationalUnit", "IT-APPS", "units", name="Application services")
    for i, person in enumerate(people.values()):
        b.edge("MEMBER_OF", person, unit_ops if i % 2 else unit_apps, "people", row=i + 1)
    scope = b.node("Scope", "SMS", "scope", name="Northwind SMS scope")
    for unit in (unit_ops, unit_apps):
        b.edge("INCLUDES", scope, unit, "scope")
    for loc in ("Amsterdam data centre", "Utrecht office"):
        b.edge("INCLUDES", scope, b.node("Location", loc.split()[0].upper(), "locations", name=loc), "scope")

    for i, (kind, title, numbers) in enumerate(DOCUMENTS):
        approved = dt.date(2024, 9, 1) + dt.timedelta(days=7 * i)
        doc = b.node(
            "Document",
            f"DOC-{i + 1:02}",
            "documents",
            kind=kind,
            title=title,
            version=f"{2 + i % 3}.0",
            approved_on=approved.isoformat(),
            review_due=(approved + dt.timedelta(days=365)).isoformat(),
            **({"governs_kinds": GOVERNED_KINDS[title]} if title in GOVERNED_KINDS else {}),
        )
        b.edge("OWNED_BY", doc, people["P02"], "documents")
        b.edge("APPROVED_BY", doc, people["P01"], "documents")
        for number in numbers:
            b.edge("ADDRESSES", doc, f"Clause:{number}", "documents")
        if kind == "scope_statement":
            b.edge("DEFINES", doc, scope, "documents")
        comm_day = dt.date(2023, 5, 2) if title == SILENT_POLICY else approved + dt.timedelta(days=10)
        comm = b.node(
            "Record",
            f"COM-{i + 1:02}",
            "records",
            kind="communication",
            title=f"Briefing: {title}",
            recorded_on=comm_day.isoformat(),
        )
        b.edge("EVIDENCES", comm, doc, "records")
        if kind in ("sm_policy", "change_policy", "infosec_policy", "release_policy", "policy"):
            if title == SILENT_POLICY:
                b.plant(
                    "policy-without-records",
                    (doc,),
                    "minor",
                    "The acceptable use policy was communicated in 2023 but no record in the audit period "
                    "shows it operating.",
                )
                continue
            for month in range(4):
                log = b.node(
                    "Record",
                    f"OPS-{i + 1:02}-{month}",
                    "records",
                    kind="operational_log",
                    title=f"Applying {title}",
                    recorded_on=(approved + dt.timedelta(days=30 * month + 20)).isoformat(),
                )
                b.edge("EVIDENCES", log, doc, "records")
        if kind == "continuity_plan":
            test = b.node(
                "Record",
                "CONT-TEST-2025",
                "records",
                kind="continuity_test",
                title="Fail-over test",
                recorded_on="2025-01-20",
            )
            b.edge("EVIDENCES", test, doc, "records")

    for i, (title, metric, target) in enumerate(
        [
            ("Email availability", "availability", "99.9%"),
            ("First-time fix", "first_time_fix", "70%"),
            ("Change success", "change_success", "95%"),
            ("Customer satisfaction", "csat", "4.2/5"),
            ("Major incident reviews on time", "mi_review_on_time", "100%"),
        ]
    ):
        obj = b.node(
            "Objective", f"OBJ-{i + 1}", "objectives", title=title, metric=metric, target=target, due_on="2025-12-31"
        )
        b.edge("OWNED_BY", obj, people["P02"], "objectives")
        for m in range(12):
            day = dt.date(2024 + (6 + m) // 12, (6 + m) % 12 + 1, 5)
            rec = b.node(
                "Record",
                f"MEAS-{i + 1}-{m:02}",
                "records",
                kind="measurement",
                title=f"{title} {day:%Y-%m}",
                recorded_on=day.isoformat(),
            )
            b.edge("EVIDENCES", rec, obj, "records")
    for i, (title, treatment) in enumerate(
        [
            ("Data centre loss", "second site"),
            ("Key supplier exit", "exit plans"),
            ("Ransomware", "immutable backups"),
            ("Skills gap", "training plan"),
            ("Capacity shortfall", "capacity reviews"),
            ("Unauthorised change", "tool-enforced approval"),
            ("Licence non-compliance", "licence audits"),
            ("Regulatory change", "horizon scanning"),
        ]
    ):
        risk = b.node(
            "Risk", f"RISK-{i + 1}", "risks", title=title, rating=["high", "medium", "low"][i % 3], treatment=treatment
        )
        b.edge("OWNED_BY", risk, people["P02"], "risks")
    return people


#: What the policies and procedures govern: the record labels on the services they apply to (the walk clause ->
#: policy -> service -> records -> incidents of the Browser guide).
GOVERNED_KINDS = {
    "Change management policy": ["Change", "Release"],
    "Change management process": ["Change"],
    "Incident management process": ["Incident"],
    "Service request process": ["ServiceRequest"],
}


def _governed(b: _Builder, services: dict[str, str]) -> None:
    """Each governing document GOVERNS every live service in the scope (on its own documents.csv row)."""
    rows = {title: i + 1 for i, (_, title, _) in enumerate(DOCUMENTS)}
    in_scope = [sid for name, sid in services.items() if name not in (*RETIRED, OUTSIDE_SCOPE)]
    for title in GOVERNED_KINDS:
        doc = f"Document:DOC-{rows[title]:02}"
        for sid in in_scope:
            b.edge("GOVERNS", doc, sid, "documents", row=rows[title])


def _portfolio(b: _Builder, people: dict[str, str]) -> dict[str, str]:
    services: dict[str, str] = {}
    owners = [people["P04"], people["P05"], people["P06"]]
    customers = [
        b.node("Customer", f"CUST-{i}", "customers", name=name)
        for i, name in enumerate(["Retail banking", "Insurance", "Group finance", "Human resources", "Marketing"], 1)
    ]
    for i, name in enumerate([*SERVICES, NOT_CATALOGUED, OUTSIDE_SCOPE, *RETIRED], start=1):
        retired = name in RETIRED
        sid = b.node(
            "Service",
            f"SVC-{i:02}",
            "services",
            name=name,
            status="retired" if retired else "live",
            criticality=["high", "medium", "low"][i % 3],
        )
        services[name] = sid
        if retired:
            continue
        b.edge("OWNED_BY", sid, owners[i % 3], "services")
        b.edge("SERVES", sid, customers[i % len(customers)], "services")
        if name != OUTSIDE_SCOPE:
            b.edge("INCLUDES", "Scope:SMS", sid, "scope")
        if name != NOT_CATALOGUED:
            entry = b.node("CatalogueEntry", f"CAT-{i:02}", "catalogue", title=name, published_on="2023-02-01")
            b.edge("DESCRIBES", entry, sid, "catalogue")
        if name == OUTSIDE_SCOPE:
            continue
        sla = b.node(
            "SLA",
            f"SLA-{i:02}",
            "slas",
            title=f"{name} SLA",
            valid_from="2022-07-01",
            valid_to="2026-12-31",
            reporting_period="monthly",
            approved_on="2022-06-15",
            target_percent=SLA_TARGETS.get(name, SLA_TARGET),
        )
        b.edge("COVERS", sla, sid, "slas")
        b.edge("AGREED_WITH", sla, customers[i % len(customers)], "slas")
        # a report five days after each month ends (within sla-report-missing's report_due), up to the last
        # report recorded by the as-of date: May 2025's, on 2025-06-05; June's is not due yet
        month = dt.date(2022, 7, 1)
        while (nxt := (month + dt.timedelta(days=32)).replace(day=1)) + dt.timedelta(days=4) <= AS_OF:
            if name == "Payroll" and month == dt.date(2025, 2, 1):
                b.plant(
                    "sla-report-missing",
                    (sla, "month=2025-02"),
                    "minor",
                    "The Payroll SLA has no service report for February 2025.",
                )
            else:
                rep = b.node(
                    "Record",
                    f"REP-{i:02}-{month:%Y%m}",
                    "records",
                    kind="sla_report",
                    title=f"{name} report {month:%Y-%m}",
                    period_start=month.isoformat(),
                    period_end=(nxt - dt.timedelta(days=1)).isoformat(),
                    recorded_on=(nxt + dt.timedelta(days=4)).isoformat(),
                )
                b.edge("EVIDENCES", rep, sla, "records")
            month = nxt
    return services


def _suppliers(b: _Builder, services: dict[str, str]) -> None:
    live = [services[n] for n in SERVICES]
    for i, name in enumerate([*SUPPLIERS, UNCONTRACTED], start=1):
        sup = b.node("Supplier", f"SUP-{i}", "suppliers", name=name, criticality="high" if i < 3 else "medium")
        supported = live[(i * 3) % len(live) : (i * 3) % len(live) + 2]
        for sid in supported:
            b.edge("SUPPORTS", sup, sid, "suppliers")
        review = b.node(
            "Record",
            f"SREV-{i}",
            "records",
            kind="supplier_review",
            title=f"{name} review",
            recorded_on=f"2025-0{1 + i % 5}-15",
        )
        b.edge("EVIDENCES", review, sup, "records")
        if name == UNCONTRACTED:
            for sid in supported:
                b.plant(
                    "supplier-without-contract",
                    (sup, sid),
                    "minor",
                    f"{name} supports an in-scope service with no contract in force.",
                )
            continue
        con = b.node(
            "Contract",
            f"CON-{i}",
            "contracts",
            title=f"{name} master agreement",
            valid_from="2023-01-01",
            valid_to="2026-12-31",
            approved_on="2022-12-15",
        )
        b.edge("SIGNED_WITH", con, sup, "contracts")
        for sid in supported:
            b.edge("UNDERPINS", con, sid, "contracts")


def _changes(b: _Builder, services: dict[str, str], size: int) -> list[tuple[str, str, dt.datetime]]:
    """Changes with approvals, releases and reviews; returns (change, service, actual end) of the approved ones."""
    live = [services[n] for n in SERVICES] + [services[NOT_CATALOGUED]]
    approved: list[tuple[str, str, dt.datetime]] = []
    total = 2_400 * size
    release_changes: list[str] = []
    for n in range(total):
        cid = f"CHG{n + 1:07}"
        opened = dt.datetime.combine(b.day(START, AS_OF - dt.timedelta(days=20)), dt.time(8 + n % 8))
        start = opened + dt.timedelta(days=1 + b.rng.randrange(10), hours=b.rng.randrange(6))
        end = start + dt.timedelta(hours=1 + b.rng.randrange(5))
        emergency = b.rng.random() < 0.05
        sid = live[b.rng.randrange(len(live))]
        change = b.node(
            "Change",
            cid,
            "changes",
            number=cid,
            category="emergency" if emergency else b.rng.choice(["normal", "standard"]),
            emergency=emergency,
            cab_required=True,
            risk=b.rng.choice(["low", "medium", "high"]),
            opened_at=opened.isoformat(),
            actual_start=start.isoformat(),
            actual_end=end.isoformat(),
            closed_at=(end + dt.timedelta(days=1)).isoformat(),
            status="closed",
        )
        b.edge("AFFECTS", change, sid, "changes")
        approval = b.node(
            "Approval",
            f"APR{n + 1:07}",
            "approvals",
            decision="approved",
            decided_at=(start - dt.timedelta(hours=2)).isoformat(),
        )
        b.edge("APPROVES", approval, change, "approvals")
        if emergency:
            pir = b.node(
                "Record",
                f"PIR{n + 1:07}",
                "records",
                kind="post_implementation_review",
                title=f"PIR {cid}",
                recorded_on=(end.date() + dt.timedelta(days=1 + n % 7)).isoformat(),
            )
            b.edge("EVIDENCES", pir, change, "records")
        approved.append((change, sid, end))
        release_changes.append(change)
        if len(release_changes) == 8:
            rel = b.node(
                "Release",
                f"REL{n + 1:07}",
                "releases",
                number=f"R{n + 1}",
                deployed_at=(end + dt.timedelta(hours=3)).isoformat(),
            )
            for c in release_changes:
                b.edge("DEPLOYS", rel, c, "releases")
            release_changes = []
    # planted: implemented changes with no approval at all
    for k, day in enumerate((dt.date(2024, 9, 12), dt.date(2025, 1, 22), dt.date(2025, 4, 3)), start=1):
        cid = f"CHG-U{k}"
        sid = live[k]
        change = b.node(
            "Change",
            cid,
            "changes",
            number=cid,
            category="normal",
            emergency=False,
            cab_required=True,
            risk="medium",
            opened_at=_ts(day - dt.timedelta(days=2)),
            actual_start=_ts(day, 22),
            actual_end=_ts(day, 23),
            closed_at=_ts(day + dt.timedelta(days=1)),
            status="closed",
        )
        b.edge("AFFECTS", change, sid, "changes")
        b.plant(
            "change-implemented-without-approval",
            (change,),
            "minor",
            f"{cid} was implemented on {day} without any approval record.",
        )
        if k == 2:
            inc = b.node(
                "Incident",
                "INC-U2",
                "incidents",
                number="INC-U2",
                priority=2,
                category="software",
                status="closed",
                opened_at=_ts(day + dt.timedelta(days=1), 7),
                resolved_at=_ts(day + dt.timedelta(days=1), 11),
                closed_at=_ts(day + dt.timedelta(days=2)),
            )
            b.edge("AFFECTS", inc, sid, "incidents")
            b.edge("CAUSED_BY", inc, change, "incidents")
            b.plant(
                "uncontrolled-change-caused-incident",
                (change, inc),
                "major",
                f"The unapproved {cid} caused {inc} on an in-scope service.",
            )
    # planted: an emergency change reviewed 15 days after it ended
    day = dt.date(2025, 3, 10)
    change = b.node(
        "Change",
        "CHG-E1",
        "changes",
        number="CHG-E1",
        category="emergency",
        emergency=True,
        cab_required=True,
        risk="high",
        opened_at=_ts(day, 6),
        actual_start=_ts(day, 8),
        actual_end=_ts(day, 10),
        closed_at=_ts(day + dt.timedelta(days=1)),
        status="closed",
    )
    b.edge("AFFECTS", change, live[0], "changes")
    approval = b.node("Approval", "APR-E1", "approvals", decision="approved", decided_at=_ts(day, 7))
    b.edge("APPROVES", approval, change, "approvals")
    pir = b.node(
        "Record",
        "PIR-E1",
        "records",
        kind="post_implementation_review",
        title="PIR CHG-E1",
        recorded_on=(day + dt.timedelta(days=15)).isoformat(),
    )
    b.edge("EVIDENCES", pir, change, "records")
    b.plant(
        "emergency-change-without-pir",
        (change,),
        "minor",
        "Emergency change CHG-E1 was reviewed 15 days after implementation (policy: 10).",
    )
    return approved


def _incidents(b: _Builder, services: dict[str, str], changes: list[tuple[str, str, dt.datetime]], size: int) -> None:
    live = [services[n] for n in SERVICES]
    problems: list[str] = []
    for n in range(3_000 * size):
        opened = dt.datetime.combine(b.day(START, AS_OF - dt.timedelta(days=3)), dt.time(b.rng.randrange(24)))
        priority = 1 if b.rng.random() < 0.02 else b.rng.choice([2, 3, 3, 4, 4])
        sid = live[b.rng.randrange(len(live))]
        inc = b.node(
            "Incident",
            f"INC{n + 1:07}",
            "incidents",
            number=f"INC{n + 1:07}",
            priority=priority,
            category=b.rng.choice(["hardware", "software", "network", "access"]),
            status="closed",
            opened_at=opened.isoformat(),
            resolved_at=(opened + dt.timedelta(hours=4)).isoformat(),
            closed_at=(opened + dt.timedelta(days=1)).isoformat(),
            made_sla=b.rng.random() < 0.93,
        )
        b.edge("AFFECTS", inc, sid, "incidents")
        if priority == 1 or b.rng.random() < 0.01:
            prb = b.node(
                "Problem",
                f"PRB{len(problems) + 1:06}",
                "problems",
                number=f"PRB{len(problems) + 1}",
                priority=priority,
                status="closed",
                opened_at=(opened + dt.timedelta(hours=6)).isoformat(),
            )
            problems.append(prb)
            b.edge("RELATED_TO", inc, prb, "incidents")
        if b.rng.random() < 0.03 and changes:
            change, _, _ = changes[b.rng.randrange(len(changes))]
            b.edge("CAUSED_BY", inc, change, "incidents")
        for k in range(b.rng.choice([0, 1, 1, 2])):
            itr = b.node(
                "Interaction",
                f"IMS{n + 1:07}-{k}",
                "interactions",
                number=f"IMS{n + 1}-{k}",
                priority=priority,
                opened_at=(opened - dt.timedelta(minutes=30)).isoformat(),
                closed_at=(opened + dt.timedelta(days=1)).isoformat(),
            )
            b.edge("RELATED_TO", itr, inc, "interactions")
    for n in range(1_000 * size):
        opened = dt.datetime.combine(b.day(START, AS_OF - dt.timedelta(days=3)), dt.time(b.rng.randrange(24)))
        req = b.node(
            "ServiceRequest",
            f"REQ{n + 1:07}",
            "requests",
            number=f"REQ{n + 1}",
            priority=4,
            opened_at=opened.isoformat(),
            closed_at=(opened + dt.timedelta(days=2)).isoformat(),
        )
        b.edge("AFFECTS", req, live[b.rng.randrange(len(live))], "requests")
    for name in (OUTSIDE_SCOPE, NOT_CATALOGUED):
        for k, day in enumerate((dt.date(2024, 10, 3), dt.date(2025, 2, 14))):
            inc = b.node(
                "Incident",
                f"INC-{name.split()[0].upper()}-{k}",
                "incidents",
                number=f"INC-{k}",
                priority=3,
                category="software",
                status="closed",
                opened_at=_ts(day),
                resolved_at=_ts(day, 12),
                closed_at=_ts(day + dt.timedelta(days=1)),
            )
            b.edge("AFFECTS", inc, services[name], "incidents")
    b.plant(
        "service-delivered-outside-scope",
        (services[OUTSIDE_SCOPE],),
        "major",
        f"{OUTSIDE_SCOPE} is in the catalogue and had incidents in the period, but is outside the scope.",
    )
    b.plant(
        "service-delivered-not-in-catalogue",
        (services[NOT_CATALOGUED],),
        "major",
        f"{NOT_CATALOGUED} had incidents and an SLA in the period but no catalogue entry.",
    )
    b.plant(
        "in-scope-service-not-in-catalogue",
        (services[NOT_CATALOGUED],),
        "minor",
        f"{NOT_CATALOGUED} is in the scope but not in the catalogue.",
    )
    for name in RETIRED:  # old incidents of retired services, before the period
        inc = b.node(
            "Incident",
            f"INC-OLD-{name.split()[0].upper()}",
            "incidents",
            number="INC-OLD",
            priority=3,
            status="closed",
            opened_at="2022-09-01T10:00:00",
            closed_at="2022-09-02T10:00:00",
        )
        b.edge("AFFECTS", inc, services[name], "incidents")


def _audits_and_reviews(b: _Builder, people: dict[str, str]) -> None:
    targets = [c.node_id for c in clauses() if c.depth == 2]
    programme = "Document:DOC-12"
    audit_dates = [
        dt.date(2022, 11, 15),
        dt.date(2023, 5, 15),
        dt.date(2023, 11, 15),
        dt.date(2024, 5, 15),
        dt.date(2024, 9, 20),
        dt.date(2024, 12, 5),
        dt.date(2025, 3, 14),
        dt.date(2025, 5, 22),
    ]
    nc_count = 0
    for i, day in enumerate(audit_dates, start=1):
        audit = b.node(
            "InternalAudit",
            f"IA-{i:02}",
            "audits",
            title=f"Internal audit {day:%Y-%m}",
            status="completed",
            planned_on=(day - dt.timedelta(days=30)).isoformat(),
            completed_on=day.isoformat(),
        )
        b.edge("PLANNED_IN", audit, programme, "audits")
        for clause in targets[(i % 4) * len(targets) // 4 : ((i % 4) + 1) * len(targets) // 4]:
            b.edge("AUDITS", audit, clause, "audits")
        report = b.node(
            "Record",
            f"IAR-{i:02}",
            "records",
            kind="audit_report",
            title=f"Audit report {day:%Y-%m}",
            recorded_on=(day + dt.timedelta(days=5)).isoformat(),
        )
        b.edge("EVIDENCES", report, "Clause:9.2", "records")
        nc_count += 1
        nc = b.node(
            "Nonconformity",
            f"NC-{nc_count:02}",
            "nonconformities",
            title=f"Finding of audit {i}",
            grade="minor",
            raised_on=day.isoformat(),
            status="closed",
        )
        b.edge("RAISED_BY", nc, audit, "nonconformities")
        b.edge("AGAINST", nc, targets[(i * 7) % len(targets)], "nonconformities")
        if i == len(audit_dates):
            b.plant(
                "nonconformity-without-corrective-action",
                (nc,),
                "minor",
                f"The nonconformity raised by the audit of {day} has no corrective action.",
            )
            continue
        ca = b.node(
            "CorrectiveAction",
            f"CA-{nc_count:02}",
            "actions",
            title=f"Correct NC-{nc_count:02}",
            due_on=(day + dt.timedelta(days=60)).isoformat(),
            completed_on=(day + dt.timedelta(days=40)).isoformat(),
            verified_on=(day + dt.timedelta(days=50)).isoformat(),
            effective=True,
        )
        b.edge("CORRECTS", ca, nc, "actions")
        b.edge("OWNED_BY", ca, people["P02"], "actions")
    b.node(
        "InternalAudit", "IA-09", "audits", title="Internal audit 2025-09", status="planned", planned_on="2025-09-15"
    )
    b.edge("PLANNED_IN", "InternalAudit:IA-09", programme, "audits")
    for i, day in enumerate((dt.date(2022, 11, 30), dt.date(2023, 11, 28), dt.date(2024, 5, 20)), start=1):
        b.node(
            "ManagementReview",
            f"MR-{i}",
            "reviews",
            title=f"Management review {day:%Y-%m}",
            held_on=day.isoformat(),
            scheduled_on=day.isoformat(),  # held as scheduled: the missing review of the period is the defect
            inputs=REVIEW_INPUTS,
        )
    b.plant(
        "management-review-held",
        ("Clause:9.3",),
        "major",
        "No management review was held in the twelve months to 2025-06-30 (the last was on 2024-05-20).",
    )


def _organisation_rules(b: _Builder, people: dict[str, str], services: dict[str, str]) -> None:
    """The organisation's rules register, and records that sit just inside its rules (near-misses of each kind),
    with one opportunity for improvement planted."""
    change_policy, sm_policy = "Document:DOC-07", "Document:DOC-02"
    for rid, parameter, value, description, document in [
        ("RULE-STD", "standard_change_categories", "standard", "Changes of an approved standard model", change_policy),
        ("RULE-ECAB", "emergency_approval_window", "1", "The emergency CAB approves by the next day", change_policy),
        ("RULE-MR", "management_review_interval", "12", "Top management reviews the SMS every 12 months", sm_policy),
        ("RULE-SUPH", "supplier_review_interval_high", "6", "Suppliers of high criticality: every 6 months", sm_policy),
        ("RULE-MI", "major_incident_priority", "1", "A priority 1 incident is a major incident", sm_policy),
    ]:
        rule = b.node("Rule", rid, "rules", parameter=parameter, value=value, description=description)
        b.edge("STATED_IN", rule, document, "rules")

    live = services[SERVICES[0]]
    # a standard change, pre-authorised by its model: no approval of its own
    day = dt.date(2025, 2, 12)
    std = b.node(
        "Change", "CHG-S1", "changes", number="CHG-S1", category="standard", emergency=False, cab_required=False,
        risk="low", opened_at=_ts(day, 8), actual_start=_ts(day, 20), actual_end=_ts(day, 21),
        closed_at=_ts(day + dt.timedelta(days=1)), status="closed",
    )  # fmt: skip
    b.edge("AFFECTS", std, live, "changes")
    b.near_miss("standard change", "change-implemented-without-approval", (std,), "A standard change has no approval.")
    # approved the same day, an hour before it started
    day = dt.date(2025, 3, 18)
    same = b.node(
        "Change", "CHG-N1", "changes", number="CHG-N1", category="normal", emergency=False, cab_required=True,
        risk="medium", opened_at=_ts(day - dt.timedelta(days=3)), actual_start=_ts(day, 20), actual_end=_ts(day, 22),
        closed_at=_ts(day + dt.timedelta(days=1)), status="closed",
    )  # fmt: skip
    b.edge("AFFECTS", same, live, "changes")
    approval = b.node("Approval", "APR-N1", "approvals", decision="approved", decided_at=_ts(day, 19))
    b.edge("APPROVES", approval, same, "approvals")
    b.near_miss("approval the same day", "approval-after-implementation-start", (same,), "Approved an hour before.")
    # an emergency change approved the morning after, within the emergency CAB's retrospective window
    day = dt.date(2025, 4, 22)
    emergency = b.node(
        "Change", "CHG-E2", "changes", number="CHG-E2", category="emergency", emergency=True, cab_required=True,
        risk="high", opened_at=_ts(day, 21), actual_start=_ts(day, 22), actual_end=_ts(day, 23),
        closed_at=_ts(day + dt.timedelta(days=2)), status="closed",
    )  # fmt: skip
    b.edge("AFFECTS", emergency, live, "changes")
    approval = b.node("Approval", "APR-E2", "approvals", decision="approved", decided_at=_ts(day + dt.timedelta(1), 9))
    b.edge("APPROVES", approval, emergency, "approvals")
    pir = b.node(
        "Record", "PIR-E2", "records", kind="post_implementation_review", title="PIR CHG-E2",
        recorded_on=(day + dt.timedelta(days=3)).isoformat(),
    )  # fmt: skip
    b.edge("EVIDENCES", pir, emergency, "records")
    b.near_miss(
        "emergency approval within the window", "approval-after-implementation-start", (emergency,),
        "Approved the next morning, within the one-day retrospective window of the rules register.",
    )  # fmt: skip

    # a superseded first version of the scope statement, kept under document control
    old = b.node(
        "Document", "DOC-01-V1", "documents", kind="scope_statement", title="SMS scope statement", version="1.0",
        status="superseded", approved_on="2022-06-01", review_due="2023-06-01",
    )  # fmt: skip
    b.edge("OWNED_BY", old, people["P02"], "documents")
    b.edge("APPROVED_BY", old, people["P01"], "documents")
    for query in ("scope-names-services-and-units", "document-control"):
        b.near_miss("superseded document", query, (old,), "The superseded v1 of the scope statement.")
    # a procedure without a review date of its own, approved exactly one review interval ago: due today
    proc = b.node(
        "Document", "DOC-40", "documents", kind="procedure", title="Supplier review procedure", version="1.0",
        approved_on="2024-06-30",
    )  # fmt: skip
    b.edge("OWNED_BY", proc, people["P02"], "documents")
    b.edge("APPROVED_BY", proc, people["P01"], "documents")
    b.edge("ADDRESSES", proc, "Clause:8.3.4.1", "documents")
    log = b.node(
        "Record", "OPS-40", "records", kind="operational_log", title="Supplier reviews held", recorded_on="2025-02-15"
    )
    b.edge("EVIDENCES", log, proc, "records")
    b.near_miss("review on the boundary", "document-control", (proc,), "Its review falls due on the as-of date.")

    # a pipeline service: in the scope, being built (a change), not yet in the catalogue
    pipeline = b.node("Service", "SVC-40", "services", name="Data lake", status="pipeline", criticality="medium")
    b.edge("OWNED_BY", pipeline, people["P04"], "services")
    b.edge("INCLUDES", "Scope:SMS", pipeline, "scope")
    day = dt.date(2025, 5, 6)
    build = b.node(
        "Change", "CHG-P1", "changes", number="CHG-P1", category="normal", emergency=False, cab_required=True,
        risk="medium", opened_at=_ts(day - dt.timedelta(days=5)), actual_start=_ts(day, 10), actual_end=_ts(day, 16),
        closed_at=_ts(day + dt.timedelta(days=1)), status="closed",
    )  # fmt: skip
    b.edge("AFFECTS", build, pipeline, "changes")
    approval = b.node("Approval", "APR-P1", "approvals", decision="approved", decided_at=_ts(day, 9))
    b.edge("APPROVES", approval, build, "approvals")
    for query in ("in-scope-service-not-in-catalogue", "service-delivered-not-in-catalogue"):
        b.near_miss("pipeline service", query, (pipeline,), "A pipeline service is not delivered yet.")
    # a service the scope excludes explicitly, with a justification, though it is catalogued and delivered
    excluded = b.node(
        "Service", "SVC-41", "services", name="Group telephony", status="live", criticality="low",
        exclusion_justification="Run by the group's telecom unit under its own management system",
    )  # fmt: skip
    b.edge("OWNED_BY", excluded, people["P05"], "services")
    b.edge("EXCLUDES", "Scope:SMS", excluded, "scope")
    entry = b.node("CatalogueEntry", "CAT-41", "catalogue", title="Group telephony", published_on="2023-02-01")
    b.edge("DESCRIBES", entry, excluded, "catalogue")
    inc = b.node(
        "Incident", "INC-X41", "incidents", number="INC-X41", priority=3, category="network", status="closed",
        opened_at=_ts(dt.date(2025, 1, 8)), resolved_at=_ts(dt.date(2025, 1, 8), 12),
        closed_at=_ts(dt.date(2025, 1, 9)),
    )  # fmt: skip
    b.edge("AFFECTS", inc, excluded, "incidents")
    b.near_miss("excluded service", "service-delivered-outside-scope", (excluded,), "Excluded with a justification.")
    for name in RETIRED:
        b.near_miss("retired service outside scope", "service-delivered-outside-scope", (services[name],), "Retired.")

    # a quarterly SLA, reported ten days after each quarter ends since it began: its second-quarter 2025 report is
    # not due yet
    sla = b.node(
        "SLA", "SLA-Q1", "slas", title="Data warehouse quarterly SLA", valid_from="2024-01-01",
        valid_to="2026-12-31", reporting_period="quarterly", approved_on="2023-12-15",
    )  # fmt: skip
    b.edge("COVERS", sla, services["Data warehouse"], "slas")
    for year, quarter in ((2024, 1), (2024, 2), (2024, 3), (2024, 4), (2025, 1)):
        first = dt.date(year, 3 * quarter - 2, 1)
        nxt = dt.date(year + quarter // 4, 3 * quarter % 12 + 1, 1)
        report = b.node(
            "Record", f"REP-Q-{year}Q{quarter}", "records", kind="sla_report",
            title=f"Data warehouse report {year}-Q{quarter}", period_start=first.isoformat(),
            period_end=(nxt - dt.timedelta(days=1)).isoformat(), recorded_on=(nxt + dt.timedelta(days=9)).isoformat(),
        )  # fmt: skip
        b.edge("EVIDENCES", report, sla, "records")
    b.near_miss(
        "SLA report not yet due", "sla-report-missing", (sla, "month=2025-06"), "A quarterly SLA; June not due."
    )
    b.near_miss(
        "quarterly SLA report not yet due",
        "sla-quarterly-report-missing",
        (sla, "quarter=2025-04"),
        "The 2025-Q2 report falls due on 2025-07-15.",
    )
    # a supplier contract renewed the day after the old one expired
    old_contract = b.node(
        "Contract", "CON-1-2020", "contracts", title="Contoso Cloud master agreement 2020", valid_from="2020-01-01",
        valid_to="2022-12-31", approved_on="2019-12-15",
    )  # fmt: skip
    b.edge("SIGNED_WITH", old_contract, "Supplier:SUP-1", "contracts")
    b.near_miss(
        "contract renewed the day after expiry", "contract-expired-in-use", (old_contract,), "Renewed 2023-01-01."
    )

    # a nonconformity raised ten days ago: its corrective action is not due yet
    recent = b.node(
        "Nonconformity", "NC-40", "nonconformities", title="Supplier review minutes unsigned", grade="minor",
        raised_on="2025-06-20", status="open",
    )  # fmt: skip
    b.edge("AGAINST", recent, "Clause:8.3.4.1", "nonconformities")
    b.near_miss("recent nonconformity", "nonconformity-without-corrective-action", (recent,), "Raised 2025-06-20.")
    # a corrective action completed a month ago: its effectiveness check is not due yet
    nc = b.node(
        "Nonconformity", "NC-41", "nonconformities", title="Capacity report late", grade="minor",
        raised_on="2025-04-02", status="closed",
    )  # fmt: skip
    b.edge("AGAINST", nc, "Clause:8.4.3", "nonconformities")
    ca = b.node(
        "CorrectiveAction", "CA-41", "actions", title="Schedule the capacity report", due_on="2025-06-15",
        completed_on="2025-06-01",
    )  # fmt: skip
    b.edge("CORRECTS", ca, nc, "actions")
    b.edge("OWNED_BY", ca, people["P02"], "actions")
    b.near_miss("effectiveness check not yet due", "corrective-action-not-verified", (ca,), "Completed 2025-06-01.")
    # planted: an opportunity for improvement, a corrective action completed ten days after its due date
    nc = b.node(
        "Nonconformity", "NC-42", "nonconformities", title="Training records incomplete", grade="minor",
        raised_on="2024-10-01", status="closed",
    )  # fmt: skip
    b.edge("AGAINST", nc, "Clause:7.2", "nonconformities")
    ca = b.node(
        "CorrectiveAction", "CA-42", "actions", title="Complete the training records", due_on="2024-11-30",
        completed_on="2024-12-10", verified_on="2025-01-15", effective=True,
    )  # fmt: skip
    b.edge("CORRECTS", ca, nc, "actions")
    b.edge("OWNED_BY", ca, people["P02"], "actions")
    b.plant(
        "corrective-action-completed-late", (ca,), "ofi",
        "CA-42 was completed on 2024-12-10, ten days after its due date.",
    )  # fmt: skip


def _in_period(stamp: object) -> bool:
    return isinstance(stamp, str) and PERIOD_START.isoformat() <= stamp[:10] <= AS_OF.isoformat()


def _counted(b: _Builder, services: dict[str, str]) -> None:
    """The counted checks (issue #18 item 2): the organisation's thresholds in its rules register, one defect and
    one near-miss of each, and records that otherwise meet them (made after everything else, so that the random
    draws and every other check stay as they were)."""
    document = {title: f"Document:DOC-{i:02}" for i, (_kind, title, _c) in enumerate(DOCUMENTS, start=1)}
    for rid, parameter, value, description, doc in [
        ("RULE-RECUR", "recurring_incident_count", "3", "Three incidents on one item in a year open a problem",
         document["Problem management process"]),
        ("RULE-SLA", "sla_made_target_percent", str(SLA_TARGET), "90 % of incidents resolved within the SLA target",
         document["Service level management process"]),
    ]:  # fmt: skip
        rule = b.node("Rule", rid, "rules", parameter=parameter, value=value, description=description)
        b.edge("STATED_IN", rule, doc, "rules")
    _emergency_share(b, services)
    planted_report = _sla_reports_reconciled(b, services)
    _recurring_incidents(b, services)
    _reports_state_their_outcome(b, planted_report)


def _incident(b: _Builder, local: str, opened: dt.datetime, target: str, made_sla: bool = True) -> str:
    inc = b.node(
        "Incident", local, "incidents", number=local, priority=3, category="software", status="closed",
        opened_at=opened.isoformat(), resolved_at=(opened + dt.timedelta(hours=4)).isoformat(),
        closed_at=(opened + dt.timedelta(days=1)).isoformat(), made_sla=made_sla,
    )  # fmt: skip
    b.edge("AFFECTS", inc, target, "incidents")
    return inc


def _emergency_share(b: _Builder, services: dict[str, str]) -> None:
    """Emergency changes (approved, reviewed in time) added to two services: one reaches the tool's 20 % share of
    its changes implemented in the period, the other stays one change short of it."""
    share, minimum = 20, 10  # the query's defaults: the register sets neither

    def counts(sid: str) -> tuple[int, int]:
        started = [c for c in b.g.neighbours(sid, "AFFECTS", "in") if b.g.label_of(c) == "Change"]
        started = [c for c in started if _in_period(b.g.attrs(c).get("actual_start"))]
        return len(started), sum(1 for c in started if b.g.attrs(c).get("emergency") is True)

    for name, planted in (("Telephony", True), ("Video conferencing", False)):
        sid = services[name]
        total, emergencies = counts(sid)
        needed = -(-(share * total - 100 * emergencies) // (100 - share))  # the fewest to reach the share
        for k in range(needed if planted else needed - 1):
            day = dt.date(2025, 1, 6) + dt.timedelta(days=7 * k % 168)  # a week apart, within the period at any size
            cid = f"CHG-EM-{name.split()[0].upper()}-{k + 1}"
            change = b.node(
                "Change", cid, "changes", number=cid, category="emergency", emergency=True, cab_required=True,
                risk="high", opened_at=_ts(day, 6), actual_start=_ts(day, 9), actual_end=_ts(day, 11),
                closed_at=_ts(day + dt.timedelta(days=1)), status="closed",
            )  # fmt: skip
            b.edge("AFFECTS", change, sid, "changes")
            approval = b.node("Approval", f"APR-{cid}", "approvals", decision="approved", decided_at=_ts(day, 7))
            b.edge("APPROVES", approval, change, "approvals")
            pir = b.node(
                "Record", f"PIR-{cid}", "records", kind="post_implementation_review", title=f"PIR {cid}",
                recorded_on=(day + dt.timedelta(days=2)).isoformat(),
            )  # fmt: skip
            b.edge("EVIDENCES", pir, change, "records")
        total, emergencies = counts(sid)
        assert total >= minimum and (100 * emergencies >= share * total) == planted, (name, total, emergencies)
        text = f"{emergencies} of the {total} changes implemented on {name} in the period were emergency changes"
        if planted:
            b.plant("emergency-change-share-high", (sid,), "ofi", f"{text}: at or above the 20 % share.")
        else:
            b.near_miss("share just below the threshold", "emergency-change-share-high", (sid,), f"{text}.")


def _month_incidents(b: _Builder, sid: str, month: dt.date) -> list[str]:
    """The service's incidents carrying made_sla and opened in *month* (as a monthly report counts them)."""
    key = month.strftime("%Y-%m")
    return [
        i
        for i in b.g.neighbours(sid, "AFFECTS", "in")
        if b.g.label_of(i) == "Incident"
        and "made_sla" in b.g.attrs(i)
        and str(b.g.attrs(i).get("opened_at", ""))[:7] == key
    ]


def _sla_target(b: _Builder, sla: str) -> Fraction:
    """The share of incidents an SLA's report is held to: its own target, else the organisation's rule."""
    return Fraction(str(b.g.attrs(sla).get("target_percent", SLA_TARGET))) / 100


def _sla_reports_reconciled(b: _Builder, services: dict[str, str]) -> str:
    """Incidents added to two services' months, each against its SLA's own target: Email's March 2025 lands on the
    organisation's 90 % but below its SLA's 95 % (its report will say met all the same: planted, found only by the
    SLA's own target), Intranet's April 2025 exactly on its SLA's 85 % (its report says met, rightly: a near-miss
    the organisation's 90 % alone would have failed). Returns the planted report."""
    for name, month, planted in (("Email", dt.date(2025, 3, 1), True), ("Intranet", dt.date(2025, 4, 1), False)):
        sid = services[name]
        [sla] = [a for a in b.g.neighbours(sid, "COVERS", "in") if b.g.label_of(a) == "SLA"]
        target = _sla_target(b, sla)
        share = Fraction(SLA_TARGET, 100) if planted else target  # planted: the organisation's 90 %, below 95
        assert (share < target) == planted
        found = _month_incidents(b, sid, month)
        made = sum(1 for i in found if b.g.attrs(i)["made_sla"])
        missed = len(found) - made
        # whole blocks of share.denominator incidents, share.numerator of them made: exactly the share
        blocks = max(-(-made // share.numerator), -(-missed // (share.denominator - share.numerator)), 1)
        add_made = share.numerator * blocks - made
        add_missed = (share.denominator - share.numerator) * blocks - missed
        for k in range(add_made + add_missed):
            opened = dt.datetime.combine(month + dt.timedelta(days=k % 27), dt.time(10))
            _incident(b, f"INC-SLA-{name.upper()}-{k + 1}", opened, sid, made_sla=k >= add_missed)
        rep = f"Record:REP-{SERVICES.index(name) + 1:02}-{month:%Y%m}"
        assert rep in b.g, rep
        final = _month_incidents(b, sid, month)
        made = sum(1 for i in final if b.g.attrs(i)["made_sla"])
        percent = f"{100 * Fraction(made, len(final)):.0f} %"
        text = f"{made} of {len(final)} {name} incidents of {month:%B %Y} were resolved within the SLA ({percent})"
        if planted:
            assert SLA_TARGET * len(final) <= 100 * made < 100 * target * len(final)
            b.plant(
                "sla-report-contradicts-tickets",
                (rep,),
                "minor",
                f"The report says the target was met; {text}, below the SLA's own {100 * target:.0f} %.",
            )
            planted_report = rep
        else:
            assert 100 * made == 100 * target * len(final) and 100 * made < SLA_TARGET * len(final)
            b.near_miss(
                "exactly on the SLA's own target",
                "sla-report-contradicts-tickets",
                (rep,),
                f"{text}: its SLA's own target (the organisation's 90 % would fail it).",
            )
    return planted_report


def _reports_state_their_outcome(b: _Builder, planted: str) -> None:
    """Every monthly SLA report says whether its service met its SLA's target (its own, else the organisation's
    90 %), as its tickets show; the planted one says met when they show otherwise."""
    for sla in b.g.nodes("SLA"):
        covered = b.g.neighbours(sla, "COVERS", "out")
        target = _sla_target(b, sla)
        for rep in b.g.neighbours(sla, "EVIDENCES", "in"):
            attrs = b.g.attrs(rep)
            if attrs.get("kind") != "sla_report" or not covered or "period_start" not in attrs:
                continue
            found = [
                i for sid in covered for i in _month_incidents(b, sid, dt.date.fromisoformat(attrs["period_start"]))
            ]
            made = sum(1 for i in found if b.g.attrs(i)["made_sla"])
            met = rep == planted or made >= target * len(found)
            b.g.add_node("Record", rep.split(":", 1)[1], {"target_met": met}, source_file=attrs["source_file"])


def _recurring_incidents(b: _Builder, services: dict[str, str]) -> None:
    """Three incidents on one CI with no problem (planted), three on another of which one has a problem record
    (a near-miss); every other item with recurring incidents in the period has one linked to a problem: the trend
    analysis of problem management opened one where the random incidents left none."""
    net, backup = (f"ConfigurationItem:CI-{SERVICES.index(n) + 1:02}-1" for n in ("Network", "Backup"))
    for ci, day in ((net, dt.date(2025, 2, 3)), (backup, dt.date(2025, 3, 3))):
        incidents = [
            _incident(
                b, f"INC-{ci[-5:]}-{k + 1}", dt.datetime.combine(day, dt.time(8 + k)) + dt.timedelta(days=9 * k), ci
            )
            for k in range(3)
        ]
        if ci == net:
            b.plant(
                "recurring-incidents-without-problem", (ci,), "minor",
                "Three incidents on the Network server CI in February 2025, none linked to a problem record.",
            )  # fmt: skip
        else:
            prb = b.node("Problem", "PRB-BACKUP-1", "problems", number="PRB-BACKUP-1", priority=3, status="closed",
                         opened_at=_ts(day + dt.timedelta(days=20), 10))  # fmt: skip
            b.edge("RELATED_TO", prb, incidents[1], "problems")
            b.near_miss("problem on one of them", "recurring-incidents-without-problem", (ci,), "Problem linked.")
    groups: dict[str, list[str]] = {}
    for inc in b.g.nodes("Incident"):
        if not _in_period(b.g.attrs(inc).get("opened_at")):
            continue
        targets = b.g.neighbours(inc, "AFFECTS", "out")
        cis = [t for t in targets if b.g.label_of(t) == "ConfigurationItem"]
        for target in cis or targets:
            groups.setdefault(target, []).append(inc)

    def linked(item: str) -> bool:
        return any(
            b.g.label_of(p) == "Problem"
            for inc in b.g.neighbours(item, "AFFECTS", "in")
            if b.g.label_of(inc) == "Incident" and _in_period(b.g.attrs(inc).get("opened_at"))
            for p in [*b.g.neighbours(inc, "RELATED_TO", "out"), *b.g.neighbours(inc, "RELATED_TO", "in")]
        )

    for n, item in enumerate(sorted(groups), start=1):
        if item == net or len(set(groups[item])) < 3 or linked(item):
            continue
        first = min(groups[item], key=lambda i: (b.g.attrs(i)["opened_at"], i))
        opened = dt.datetime.fromisoformat(b.g.attrs(first)["opened_at"]) + dt.timedelta(days=3)
        prb = b.node("Problem", f"PRB-TREND-{n:03}", "problems", number=f"PRB-TREND-{n}", priority=3,
                     status="closed", opened_at=opened.isoformat())  # fmt: skip
        b.edge("RELATED_TO", first, prb, "incidents")


def _approving_authority(b: _Builder, people: dict[str, str], services: dict[str, str]) -> None:
    """Who may approve a change of each category, in the rules register (the change policy's words), and who
    approved each change: the change authority's holder a normal change, the change authority itself (its
    emergency meeting) an emergency change. One normal change approved by a service owner alone is planted; one
    approved by the service owner and by the change authority's holder sits just inside the rule."""
    change_policy = "Document:DOC-07"
    for rid, parameter, value, description in [
        ("RULE-AUTH-N", "normal_change_authority", "change-authority", "The change authority approves normal changes"),
        (
            "RULE-AUTH-E",
            "emergency_change_authority",
            "change-authority;top-management",
            "The change authority, or top management when it cannot meet, approves emergency changes",
        ),
    ]:
        rule = b.node("Rule", rid, "rules", parameter=parameter, value=value, description=description)
        b.edge("STATED_IN", rule, change_policy, "rules")
    live = services[SERVICES[0]]
    owner, authority = people["P04"], people["P03"]
    for local, day, approvers in [
        ("CHG-A1", dt.date(2025, 2, 4), [owner]),  # planted: the service owner alone
        ("CHG-A2", dt.date(2025, 2, 18), [owner, authority]),  # near-miss: and the change authority's holder
    ]:
        change = b.node(
            "Change", local, "changes", number=local, category="normal", emergency=False, cab_required=True,
            risk="medium", opened_at=_ts(day - dt.timedelta(days=4)), actual_start=_ts(day, 20),
            actual_end=_ts(day, 21), closed_at=_ts(day + dt.timedelta(days=1)), status="closed",
        )  # fmt: skip
        b.edge("AFFECTS", change, live, "changes")
        for k, approver in enumerate(approvers, start=1):
            approval = b.node(
                "Approval", f"APR-{local}-{k}", "approvals", decision="approved", decided_at=_ts(day - dt.timedelta(1))
            )
            b.edge("APPROVES", approval, change, "approvals")
            b.edge("APPROVED_BY", approval, approver, "approvals")
    b.plant(
        "change-approved-by-wrong-authority",
        ("Change:CHG-A1",),
        "minor",
        "CHG-A1, a normal change, was approved by a service owner alone, not by the change authority.",
    )
    b.near_miss(
        "approved by a holder of the authorised role",
        "change-approved-by-wrong-authority",
        ("Change:CHG-A2",),
        "CHG-A2 was approved by the service owner and by Alan Kay, who holds the change authority role.",
    )
    # every other approval names its approver, on the approval's own row
    for approval in sorted(b.g.nodes("Approval")):
        if b.g.neighbours(approval, "APPROVED_BY", "out"):
            continue
        [change] = b.g.neighbours(approval, "APPROVES", "out")
        emergency = b.g.attrs(change).get("category") == "emergency"
        row = b.g.attrs(approval).get("source_row")
        b.edge("APPROVED_BY", approval, "Role:change-authority" if emergency else authority, "approvals", row=row)


def _export_day(b: _Builder, as_of: dt.date) -> None:
    """The export is taken at the end of the as-of day, so the data runs to it: a service request raised that
    day on the service of the first request, which makes the as-of date the data's cut-off (the default --as-of)
    and changes no finding."""
    first = "ServiceRequest:REQ0000001"
    service = b.g.neighbours(first, "AFFECTS", "out")[0]
    req = b.node(
        "ServiceRequest",
        "REQ-EXPORT-DAY",
        "requests",
        number="REQ-EXPORT-DAY",
        priority=4,
        opened_at=_ts(as_of, 16),
    )
    b.edge("AFFECTS", req, service, "requests")


# The records of the clauses issue #18 added checks for (context, resources, awareness, knowledge, operation,
# service planning, budgets, CMDB, complaints, satisfaction, internal suppliers, demand and capacity, design and
# transition, major incident reviews, requests, information security, audit independence, review attendance and
# outputs, improvement): each check's planted defect sits next to a near-miss the check must not flag.
OPERATED_KINDS = ("process", "procedure", "sm_plan", "capacity_plan", "availability_plan", "continuity_plan")
UNOPERATED_PROCEDURE = "Competence and training procedure"  # planted: nothing shows it operating
NO_REQUIREMENTS = "Printing"  # planted: no service requirements document
NO_BUDGET = "Field service app"  # planted: only last year's budget
UNACCOUNTED = "CRM"  # planted: its second-half 2024 budget has no actual cost
NO_CI = "Telephony"  # planted: no configuration item
UNSURVEYED = 4  # planted: customers[4] (Marketing) last surveyed before the interval


def _document(
    b: _Builder, local: str, kind: str, title: str, approved: dt.date, owner: str, approver: str | None
) -> str:
    """A controlled document (owner, version, approval, a review date after the as-of date)."""
    doc = b.node(
        "Document",
        local,
        "documents",
        kind=kind,
        title=title,
        version="1.0",
        approved_on=approved.isoformat(),
        review_due=(AS_OF + dt.timedelta(days=200)).isoformat(),
    )
    b.edge("OWNED_BY", doc, owner, "documents")
    if approver is not None:
        b.edge("APPROVED_BY", doc, approver, "documents")
    return doc


def _record(b: _Builder, local: str, kind: str, title: str, day: dt.date, *evidenced: str) -> str:
    rec = b.node("Record", local, "records", kind=kind, title=title, recorded_on=day.isoformat())
    for target in evidenced:
        b.edge("EVIDENCES", rec, target, "records")
    return rec


def _whole_standard(
    b: _Builder, people: dict[str, str], services: dict[str, str], changes: list[tuple[str, str, dt.datetime]]
) -> None:
    in_scope = [*SERVICES, NOT_CATALOGUED]
    _context_and_support(b, people)
    _operation_records(b, people)
    _service_planning(b, people, services, in_scope)
    _cmdb(b, people, services, in_scope, changes)
    _relationships(b, people, services)
    _transition_and_resolution(b, people, services)
    _evaluation_and_improvement(b, people)


def _context_and_support(b: _Builder, people: dict[str, str]) -> None:
    for i, (kind, title, reviewed) in enumerate(
        [
            ("external", "Dependence on public cloud providers", dt.date(2025, 2, 10)),
            ("external", "Financial-sector outsourcing regulation", dt.date(2025, 2, 10)),
            ("internal", "Ageing skills in the mainframe team", dt.date(2025, 2, 10)),
            ("external", "Climate change: not relevant to the services (decided)", dt.date(2023, 1, 15)),
        ],
        start=1,
    ):
        b.node("ContextIssue", f"CTX-{i}", "context", kind=kind, title=title, reviewed_on=reviewed.isoformat())
    for i, (name, requirements, reviewed) in enumerate(
        [
            ("Financial regulator", "outage notification within 4 hours", dt.date(2025, 2, 10)),
            ("Customers", "availability and support hours in the SLAs", dt.date(2025, 2, 10)),
            ("Shareholders", "IT cost within budget", dt.date(2024, 7, 1)),  # near-miss: first day inside
            ("Works council", "on-call rules agreed", dt.date(2024, 3, 1)),  # planted: review overdue
        ],
        start=1,
    ):
        party = b.node(
            "InterestedParty",
            f"IP-{i}",
            "parties",
            name=name,
            requirements=requirements,
            reviewed_on=reviewed.isoformat(),
        )
        if reviewed < PERIOD_START:
            b.plant(
                "interested-party-requirements-not-determined",
                (party,),
                "minor",
                f"The requirements of the {name} were last reviewed on {reviewed}.",
            )
    _record(b, "RES-2023", "resource_plan", "Resource plan 2023/24", dt.date(2023, 9, 15), "Clause:7.1")
    _record(b, "RES-2024", "resource_plan", "Resource plan 2024/25", dt.date(2024, 9, 15), "Clause:7.1")
    for pid, person in people.items():
        if pid == "P05":
            b.plant(
                "role-holder-without-awareness-record",
                (person, "Role:service-owner"),
                "minor",
                "A service owner has no awareness record.",
            )
            continue
        day = AS_OF if pid == "P06" else dt.date(2024, 10, 1)  # near-miss: briefed on the as-of date
        _record(b, f"AWR-{pid}", "awareness", "SMS awareness briefing", day, person)
    for i, (title, approved) in enumerate(
        [
            ("Reset a password", dt.date(2025, 1, 20)),
            ("Restore a file", dt.date(2025, 4, 2)),
            ("VPN set-up", dt.date(2023, 3, 1)),
        ],
        start=1,
    ):
        _document(b, f"KB-{i}", "knowledge", title, approved, people["P02"], people["P02"])
    unapproved = _document(
        b, "DOC-KM", "procedure", "Knowledge management procedure", dt.date(2024, 10, 1), people["P02"], None
    )
    b.edge("ADDRESSES", unapproved, "Clause:7.6", "documents")
    _record(b, "OPS-KM", "operational_log", "Knowledge review", dt.date(2025, 3, 3), unapproved)
    b.plant(
        "document-without-approver",
        (unapproved,),
        "minor",
        "The knowledge management procedure records no approver.",
    )


def _operation_records(b: _Builder, people: dict[str, str]) -> None:
    for i, (kind, title, _) in enumerate(DOCUMENTS):
        if kind not in OPERATED_KINDS or kind == "continuity_plan":  # the continuity test is its record
            continue
        doc = f"Document:DOC-{i + 1:02}"
        if title == UNOPERATED_PROCEDURE:
            b.plant(
                "plan-or-procedure-without-records",
                (doc,),
                "minor",
                "The competence and training procedure has no record of operation in the audit period.",
            )
            continue
        day = PERIOD_START if title == "Service request process" else dt.date(2025, 2, 3)  # near-miss: first day
        _record(b, f"RUN-{i + 1:02}", "operational_log", f"Operating: {title}", day, doc)


def _service_planning(b: _Builder, people: dict[str, str], services: dict[str, str], in_scope: list[str]) -> None:
    owner, approver = people["P02"], people["P01"]
    for i, name in enumerate(in_scope, start=1):
        sid = services[name]
        kind = "transition_plan" if name == NO_REQUIREMENTS else "service_requirements"  # near-miss: another kind
        doc = _document(b, f"SRQ-{i:02}", kind, f"{name} requirements", dt.date(2024, 3, 1), owner, approver)
        b.edge("PLANS", doc, sid, "documents")
        if name == NO_REQUIREMENTS:
            b.plant("service-without-requirements", (sid,), "minor", f"{name} has no service requirements document.")
        halves = [(dt.date(2024, 7, 1), dt.date(2024, 12, 31)), (dt.date(2025, 1, 1), dt.date(2025, 6, 30))]
        if name == NO_BUDGET:  # near-miss for both budget checks: ends the day before the period, unaccounted
            halves = [(dt.date(2023, 7, 1), dt.date(2024, 6, 30))]
            b.plant("service-without-budget", (sid,), "minor", f"{name} has no budget for the audit period.")
        for k, (start, end) in enumerate(halves):
            accounted = not (name == UNACCOUNTED and k == 0) and name != NO_BUDGET
            budget = b.node(
                "Budget",
                f"BUD-{i:02}-{start:%Y%m}",
                "budgets",
                title=f"{name} {start:%Y-%m}",
                period_start=start.isoformat(),
                period_end=end.isoformat(),
                budget_amount=float(10_000 + 500 * i),
                actual_amount=float(9_800 + 510 * i) if accounted else None,
            )
            b.edge("BUDGETS", budget, sid, "budgets")
            if name == UNACCOUNTED and not accounted:
                b.plant(
                    "budget-without-actual-cost", (budget,), "minor", f"{name}'s 2024 H2 budget has no actual cost."
                )
    plan = _document(b, "CAP-1", "capacity_plan", "Capacity plan", dt.date(2024, 8, 1), owner, approver)
    storage = _document(b, "CAP-2", "capacity_plan", "Storage capacity plan", dt.date(2024, 8, 1), owner, approver)
    b.edge("ADDRESSES", plan, "Clause:8.4.3", "documents")
    for m in range(12):
        day = dt.date(2024 + (6 + m) // 12, (6 + m) % 12 + 1, 5)
        _record(b, f"CAPREV-{m:02}", "capacity_review", f"Capacity review {day:%Y-%m}", day, plan)
    _record(b, "CAPREV-S", "capacity_review", "Storage capacity review", dt.date(2025, 3, 20), storage)
    b.plant(
        "capacity-plan-not-monitored", (storage,), "minor", "The storage capacity plan was last reviewed on 2025-03-20."
    )
    _record(b, "DEM-2023", "demand_review", "Demand forecast 2023", dt.date(2023, 6, 10), "Clause:8.4.2")
    _record(b, "DEM-2024", "demand_review", "Demand forecast 2024", dt.date(2024, 6, 14), "Clause:8.4.2")
    b.plant(
        "demand-not-analysed",
        ("Clause:8.4.2",),
        "minor",
        "The last demand analysis was on 2024-06-14, more than 12 months before the as-of date.",
    )


def _cmdb(
    b: _Builder,
    people: dict[str, str],
    services: dict[str, str],
    in_scope: list[str],
    changes: list[tuple[str, str, dt.datetime]],
) -> None:
    # the last change of each service that ended in the period: the one its CIs were last modified under
    last_change: dict[str, tuple[str, dt.datetime]] = {}
    for change, sid, end in changes:
        if PERIOD_START <= end.date() <= AS_OF - dt.timedelta(days=5):
            last_change[sid] = (change, end)
    for i, name in enumerate(in_scope, start=1):
        sid = services[name]
        if name == NO_CI:
            b.plant("service-without-ci", (sid,), "minor", f"{name} has no configuration item recorded.")
            continue
        for k in range(2):
            change, end = last_change[sid]
            modified = end - dt.timedelta(minutes=30)
            if name == "Email" and k == 1:  # near-miss: the CI record updated a day after the change ended
                modified = end + dt.timedelta(days=1)
            ci = b.node(
                "ConfigurationItem",
                f"CI-{i:02}-{k}",
                "cis",
                name=f"{name.lower().replace(' ', '-')}-{k + 1:02}",
                kind="server" if k else "application",
                status="live",
                modified_at=modified.isoformat(),
            )
            b.edge("PART_OF", ci, sid, "cis")
            b.edge("AFFECTS", change, ci, "cis")
            if name == "Email" and k == 0:
                b.plant("asset-without-owner", (ci, sid), "minor", f"The application CI of {name} has no owner.")
            else:  # near-miss: a CI owned by a role
                b.edge("OWNED_BY", ci, "Role:service-owner" if k else people["P04"], "cis")
    san = f"ConfigurationItem:CI-{in_scope.index('Data warehouse') + 1:02}-1"
    b.edge("DEPENDS_ON", services["Backup"], san, "cis")  # near-miss: a service whose CI is another's
    orphan = b.node("ConfigurationItem", "CI-TEST-17", "cis", name="test-vm-17", kind="server", status="live")
    b.plant("ci-without-service", (orphan,), "minor", "A live test VM is linked to no service.")
    b.node("ConfigurationItem", "CI-OLD-MX", "cis", name="old-mx", kind="server", status="retired")  # near-miss
    rogue = b.node(
        "ConfigurationItem",
        "CI-FW-01",
        "cis",
        name="firewall-01",
        kind="network",
        status="live",
        modified_at="2025-04-12T03:00:00",
    )
    b.edge("PART_OF", rogue, services["Network"], "cis")
    b.edge("OWNED_BY", rogue, people["P06"], "cis")
    b.plant(
        "ci-modified-without-change", (rogue,), "minor", "firewall-01 was modified on 2025-04-12 with no change record."
    )


def _relationships(b: _Builder, people: dict[str, str], services: dict[str, str]) -> None:
    customers = [f"Customer:CUST-{i}" for i in range(1, 6)]
    for i, customer in enumerate(customers):
        day = dt.date(2024, 6, 20) if i == UNSURVEYED else dt.date(2025, 3, 15)
        _record(b, f"SAT-{i + 1}", "satisfaction_survey", "Customer satisfaction survey", day, customer)
    for i, name in enumerate([*SERVICES, NOT_CATALOGUED], start=1):  # the numbering of _portfolio
        if i % len(customers) == UNSURVEYED:
            b.plant(
                "customer-satisfaction-not-measured",
                (customers[UNSURVEYED], services[name]),
                "minor",
                "Marketing's satisfaction was last measured on 2024-06-20.",
            )
    for i, (status, raised, closed) in enumerate(
        [
            ("closed", dt.date(2024, 9, 2), dt.date(2024, 9, 20)),
            ("closed", dt.date(2025, 1, 14), dt.date(2025, 2, 1)),
            ("escalated", dt.date(2025, 2, 1), None),
            ("investigating", dt.date(2025, 3, 3), None),  # planted: open for four months
            ("open", dt.date(2025, 6, 10), None),  # near-miss: twenty days old
        ],
        start=1,
    ):
        complaint = b.node(
            "Complaint",
            f"CMP-{i}",
            "complaints",
            title=f"Complaint {i}",
            status=status,
            raised_on=raised.isoformat(),
            closed_on=closed.isoformat() if closed else None,
        )
        b.edge("LODGED_BY", complaint, customers[i % len(customers)], "complaints")
        b.edge("AFFECTS", complaint, services[SERVICES[i]], "complaints")
        b.edge("OWNED_BY", complaint, people["P02"], "complaints")
        if status == "investigating":
            b.plant("complaint-not-closed", (complaint,), "minor", "A complaint of 2025-03-03 is still open.")
    for i, (name, service, ola_end) in enumerate(
        [("Group network team", "Network", dt.date(2026, 12, 31)), ("Facilities IT", "Printing", dt.date(2025, 3, 31))],
        start=1,
    ):
        sup = b.node("Supplier", f"INT-{i}", "suppliers", name=name, kind="internal", criticality="medium")
        b.edge("SUPPORTS", sup, services[service], "suppliers")
        _record(b, f"SREV-INT-{i}", "supplier_review", f"{name} review", dt.date(2025, 2, 20), sup)
        ola = b.node(
            "Contract",
            f"OLA-{i}",
            "contracts",
            kind="ola",
            title=f"{name} OLA",
            valid_from="2023-01-01",
            valid_to=ola_end.isoformat(),
            approved_on="2022-12-15",
        )
        b.edge("SIGNED_WITH", ola, sup, "contracts")
        b.edge("UNDERPINS", ola, services[service], "contracts")
        if ola_end < AS_OF:  # in force in part of the period (8.3.4.1's test), not on the as-of date
            b.plant(
                "internal-supplier-without-agreement",
                (sup, services[service]),
                "minor",
                f"The OLA with {name} expired on {ola_end}.",
            )
            b.plant(  # the same agreement, seen as any supplier's contract (8.3.4.1)
                "contract-expired-in-use",
                (ola, sup, services[service]),
                "minor",
                f"The OLA with {name} expired on {ola_end} while it still supports {service}.",
            )
    # another party operates a process: controlled (owner, agreement, review), and one that is not
    capacity = "Document:DOC-21"
    b.edge("OPERATED_BY", capacity, "Supplier:SUP-1", "documents", row=21)
    printing = _document(
        b, "DOC-PRN", "process", "Print management process", dt.date(2024, 8, 1), people["P02"], people["P01"]
    )
    b.edge("ADDRESSES", printing, "Clause:8.2.3", "documents")
    b.edge("OPERATED_BY", printing, "Supplier:SUP-6", "documents")
    _record(b, "OPS-PRN", "operational_log", "Print management log", dt.date(2025, 2, 3), printing)
    b.plant(
        "other-party-process-uncontrolled",
        (printing, "Supplier:SUP-6"),
        "minor",
        "QuickPrint Ltd operates the print management process with no agreement in force.",
    )


def _transition_and_resolution(b: _Builder, people: dict[str, str], services: dict[str, str]) -> None:
    owner, approver = people["P02"], people["P01"]
    for k, (day, plan_days, test_days) in enumerate(
        [
            (dt.date(2024, 10, 7), 10, 2),
            (dt.date(2025, 2, 17), 0, 0),  # near-miss: planned and tested on the day it started
            (dt.date(2025, 4, 14), None, 3),  # planted: no transition plan
            (dt.date(2025, 5, 19), 14, -1),  # planted: tested the day after it started
        ],
        start=1,
    ):
        start = dt.datetime.combine(day, dt.time(20))
        change = b.node(
            "Change",
            f"CHG-M{k}",
            "changes",
            number=f"CHG-M{k}",
            category="normal",
            emergency=False,
            cab_required=True,
            major_impact=True,
            risk="high",
            opened_at=(start - dt.timedelta(days=20)).isoformat(),
            actual_start=start.isoformat(),
            actual_end=(start + dt.timedelta(hours=3)).isoformat(),
            closed_at=(start + dt.timedelta(days=2)).isoformat(),
            status="closed",
        )
        b.edge("AFFECTS", change, services[SERVICES[k + 4]], "changes")
        approval = b.node(
            "Approval",
            f"APR-M{k}",
            "approvals",
            decision="approved",
            decided_at=(start - dt.timedelta(days=3)).isoformat(),
        )
        b.edge("APPROVES", approval, change, "approvals")
        if plan_days is None:
            b.plant("major-change-without-transition-plan", (change,), "minor", f"CHG-M{k} had no transition plan.")
        else:
            plan = _document(
                b,
                f"TRP-{k}",
                "transition_plan",
                f"Transition plan CHG-M{k}",
                day - dt.timedelta(days=plan_days),
                owner,
                approver,
            )
            b.edge("PLANS", plan, change, "documents")
        _record(
            b, f"UAT-{k}", "acceptance_test", f"Acceptance test CHG-M{k}", day - dt.timedelta(days=test_days), change
        )
        if test_days < 0:
            b.plant(
                "major-change-without-acceptance-test",
                (change,),
                "minor",
                f"CHG-M{k} was accepted the day after it was implemented.",
            )
    majors = sorted(
        n
        for n in b.g.nodes("Incident")
        if b.g.node(n).get("priority") == 1 and PERIOD_START.isoformat() <= b.g.node(n)["opened_at"] < AS_OF.isoformat()
    )
    for k, inc in enumerate(majors):
        if k == len(majors) // 2:
            b.plant("major-incident-without-review", (inc,), "minor", f"{inc} has no major-incident review.")
            continue
        resolved = dt.datetime.fromisoformat(b.g.node(inc)["resolved_at"])
        _record(
            b, f"MIR-{k:03}", "major_incident_review", f"Review of {inc}", resolved.date() + dt.timedelta(days=3), inc
        )
    for k, opened in enumerate((dt.datetime(2025, 3, 3, 10), dt.datetime(2025, 6, 20, 10)), start=1):
        req = b.node(
            "ServiceRequest",
            f"REQ-OPEN-{k}",
            "requests",
            number=f"REQ-OPEN-{k}",
            priority=4,
            opened_at=opened.isoformat(),
        )
        b.edge("AFFECTS", req, services["HR portal"], "requests")
        if k == 1:  # the other is twenty days old: a near-miss
            b.plant("service-request-not-fulfilled", (req,), "minor", "A request of 2025-03-03 is still open.")
    for k, (opened, closed) in enumerate(
        [
            (dt.datetime(2024, 11, 4, 9), dt.datetime(2024, 11, 5, 9)),
            (dt.datetime(2025, 5, 2, 9), None),  # planted: open for two months
            (dt.datetime(2025, 6, 20, 9), None),  # near-miss: ten days old
        ],
        start=1,
    ):
        inc = b.node(
            "Incident",
            f"SEC-{k}",
            "incidents",
            number=f"SEC-{k}",
            priority=2,
            category="security",
            status="closed" if closed else "in_progress",
            information_security=True,
            opened_at=opened.isoformat(),
            resolved_at=closed.isoformat() if closed else None,
            closed_at=closed.isoformat() if closed else None,
        )
        b.edge("AFFECTS", inc, services["Identity and access"], "incidents")
        if k == 2:
            b.plant(
                "infosec-incident-not-resolved", (inc,), "minor", "A security incident of 2025-05-02 is unresolved."
            )
    _record(
        b, "ISRA-2023", "infosec_risk_assessment", "IS risk assessment 2023", dt.date(2023, 11, 10), "Clause:8.7.3.2"
    )
    _record(
        b, "ISRA-2024", "infosec_risk_assessment", "IS risk assessment 2024", dt.date(2024, 11, 12), "Clause:8.7.3.2"
    )
    inc = b.node(
        "Incident",
        "INC-OLD-MAINFRAME-2",
        "incidents",
        number="INC-MF-2",
        priority=3,
        category="software",
        status="closed",
        opened_at="2025-02-03T10:00:00",
        resolved_at="2025-02-03T12:00:00",
        closed_at="2025-02-04T10:00:00",
    )
    b.edge("AFFECTS", inc, services["Mainframe batch"], "incidents")
    b.plant(
        "retired-service-still-delivered",
        (services["Mainframe batch"],),
        "minor",
        "An incident was raised on the retired Mainframe batch service in 2025.",
    )
    b.plant(
        "service-delivered-not-in-catalogue",
        (services["Mainframe batch"],),
        "major",
        "The retired Mainframe batch service, delivered in 2025, has no catalogue entry.",
    )


def _evaluation_and_improvement(b: _Builder, people: dict[str, str]) -> None:
    auditor = b.node("Person", "P07", "people", name="Ken Thompson")
    for audit in ("IA-05", "IA-06", "IA-08"):
        b.edge("AUDITED_BY", f"InternalAudit:{audit}", auditor, "audits")
    b.edge("AUDITED_BY", "InternalAudit:IA-03", people["P02"], "audits")  # near-miss: before the period
    b.edge("AUDITED_BY", "InternalAudit:IA-07", people["P02"], "audits")
    b.plant(
        "auditor-not-independent",
        ("InternalAudit:IA-07",),
        "minor",
        "The SMS manager audited clause 9 processes whose documents she owns.",
    )
    for i, (outputs, attendees) in enumerate(
        [
            (["decisions"], ["P01", "P02"]),  # near-miss: decisions only
            (["improvement_opportunities"], ["P01", "P02"]),  # planted: no decision or action
            (["decisions", "actions", "resource_needs"], ["P02", "P03"]),  # planted: no top management
        ],
        start=1,
    ):
        review = f"ManagementReview:MR-{i}"
        b.g.add_node("ManagementReview", f"MR-{i}", {"outputs": outputs}, source_file="example/reviews.csv")
        for pid in attendees:
            b.edge("ATTENDED_BY", review, people[pid], "reviews", row=i)
        if "P01" not in attendees:
            b.plant(
                "management-review-without-top-management", (review,), "minor", f"MR-{i} had no top manager present."
            )
        if not {"decisions", "actions"} & set(outputs):
            b.plant("management-review-without-outputs", (review,), "minor", f"MR-{i} recorded no decision or action.")
    for i, (raised, evaluated) in enumerate(
        [
            (dt.date(2024, 9, 10), dt.date(2024, 10, 1)),
            (dt.date(2025, 1, 20), dt.date(2025, 2, 14)),
            (dt.date(2025, 2, 10), None),  # planted: four months without an evaluation
            (dt.date(2025, 6, 1), None),  # near-miss: a month old
        ],
        start=1,
    ):
        opportunity = b.node(
            "Improvement",
            f"OFI-{i}",
            "improvements",
            title=f"Improvement opportunity {i}",
            status="evaluated" if evaluated else "proposed",
            raised_on=raised.isoformat(),
            evaluated_on=evaluated.isoformat() if evaluated else None,
        )
        b.edge("OWNED_BY", opportunity, people["P02"], "improvements")
        if evaluated is None and raised < dt.date(2025, 5, 1):
            b.plant(
                "improvement-not-evaluated",
                (opportunity,),
                "minor",
                "An opportunity of 2025-02-10 was never evaluated.",
            )

"""What the audit judges with besides the query results: the facts of each failing record, read once from the graph.

A nonconformity's objective evidence names each record (its name, dates and source file and row), the services and
teams it touches (the spread of a failure), the major incidents it is linked to (its impact), the nonconformities
the organisation raised itself per clause, and who owns each clause's process. They are gathered when the check
runs, so the verdicts, the plan and every rendering read plain data and need no engine.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from itsms_graph.graph.store import SMSGraph
from itsms_graph.ontology import schema
from itsms_graph.queries.plan import PLACEHOLDER_FLAG, AuditPeriod
from itsms_graph.queries.results import QueryResult

#: Dates that look forward (when something is due, planned or valid until): not when a record was made, so never
#: the data's cut-off. Every other date or datetime property says when something happened or was recorded.
FORWARD_DATES = frozenset(
    {"review_due", "due_on", "planned_start", "planned_end", "planned_on", "valid_from", "valid_to", "period_end"}
)
#: Statuses of a nonconformity the organisation has closed.
CLOSED = frozenset({"closed", "cancelled", "resolved"})
#: The priority that marks a major incident, unless the check's parameters say otherwise (major_incident_priority, which the rules register may set).
MAJOR_PRIORITY = 1


@dataclass(frozen=True)
class Record:
    """One record as objective evidence: what it is called, when things happened to it, where it came from."""

    id: str
    label: str
    name: str = ""
    dates: tuple[tuple[str, str], ...] = ()
    source: str = ""
    services: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    #: major incidents linked to the record (caused by it, or it is one)
    major_incidents: tuple[str, ...] = ()

    def describe(self) -> str:
        """``Change:C7 "Patch DB" (actual_start 2025-02-01T10:00:00; source changes.csv:8)``."""
        facts = [f"{k} {v}" for k, v in self.dates]
        if self.source:
            facts.append(f"source {self.source}")
        name = f' "{self.name}"' if self.name else ""
        return f"{self.id}{name}" + (f" ({'; '.join(facts)})" if facts else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "name": self.name,
            "dates": dict(self.dates),
            "source": self.source,
            "services": list(self.services),
            "teams": list(self.teams),
            "major_incidents": list(self.major_incidents),
        }


@dataclass(frozen=True)
class RaisedNonconformity:
    """A nonconformity the organisation raised itself (its own audit, review or complaint), against a clause."""

    id: str
    clause: str
    raised_on: str


@dataclass
class Facts:
    """The facts a check gathered for the audit: records by id, own nonconformities by clause, clause owners,
    and the data's cut-off (the latest date on which the inputs record something)."""

    records: dict[str, Record] = field(default_factory=dict)
    raised: dict[str, list[RaisedNonconformity]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    cut_off: dt.date | None = None

    def record(self, nid: str) -> Record:
        """The record's facts, or its id and label alone when the check gathered none (a bare result)."""
        return self.records.get(nid) or Record(nid, nid.split(":", 1)[0])

    def raised_against(self, clause: str) -> list[RaisedNonconformity]:
        """Own nonconformities against *clause*, a clause above it, or one of its sub-clauses."""
        return [nc for number, ncs in sorted(self.raised.items()) if _related(number, clause) for nc in ncs]

    def owner_of(self, clause: str) -> str:
        """Who holds the process of *clause* (or of the nearest clause above it), or ""."""
        parts = clause.split(".")
        for n in range(len(parts), 0, -1):
            owner = self.owners.get(".".join(parts[:n]))
            if owner:
                return owner
        return ""


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _record_dates() -> list[str]:
    sch = schema()
    return [p for p, d in sch.properties.items() if d.type in ("date", "datetime") and p not in FORWARD_DATES]


def data_cut_off(graph: SMSGraph | Any) -> dt.date | None:
    """The latest date on which an imported record says something happened: the day the data ends. Forward-looking
    dates (review due, valid to, planned) and placeholders do not count; None when no record is dated. *graph* is
    the graph, or the graph tables of a columnar import (anything with their DuckDB connection, ``con``)."""
    if not isinstance(graph, SMSGraph):
        return _tables_cut_off(graph.con)
    sch = schema()
    keys = _record_dates()
    days = (
        value[:10]
        for label in graph.labels_present() - sch.tool_labels - {"Clause"}
        for nid in graph.nodes(label)
        if not graph.attrs(nid).get(PLACEHOLDER_FLAG)
        for key in keys
        if isinstance(value := graph.attrs(nid).get(key), str)
    )
    latest = max(days, default=None)
    return dt.date.fromisoformat(latest) if latest else None


def _tables_cut_off(con: Any) -> dt.date | None:
    from itsms_graph.graph.tables import NODES, property_columns, quote

    present = set(property_columns())
    keys = [k for k in _record_dates() if k in present]
    if not keys:
        return None
    skip = sorted(schema().tool_labels | {"Clause"})
    # the latest value's day: ISO text orders as its days do, so the day of the largest value is the largest day
    # (cutting every value to its day first took 0.19 s of CPU on BPIC 2014's tables, this 0.12 s)
    latest = ", ".join(f"substr(max({quote(k)}), 1, 10)" for k in keys)
    marks = ", ".join("?" for _ in skip)
    row = con.execute(
        f"SELECT greatest({latest}) FROM {NODES} "  # names from the ontology, quoted; values as parameters
        f"WHERE label NOT IN ({marks}) AND coalesce({quote(PLACEHOLDER_FLAG)}, false) = false",
        skip,
    ).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def _name(attrs: dict[str, Any]) -> str:
    for key in ("name", "title", "number"):
        if attrs.get(key):
            return str(attrs[key])
    return ""


def _record(graph: SMSGraph, nid: str, major_priority: int) -> Record:
    attrs = graph.attrs(nid)
    label = str(attrs.get("label", nid.split(":", 1)[0]))
    sch = schema()
    dates = tuple(
        (k, str(v))
        for k, v in sorted(attrs.items())
        if k in sch.properties and sch.properties[k].type in ("date", "datetime") and v is not None
    )
    source = str(attrs.get("source_file", ""))
    where = attrs.get("source_row", attrs.get("source_path"))
    if source and where is not None:
        source = f"{source}:{where}"
    services = tuple(_name(graph.attrs(s)) or s for s in graph.services_of(nid))
    owners = graph.neighbours(nid, "OWNED_BY", "out")
    teams = sorted({_name(graph.attrs(u)) or u for o in owners for u in graph.neighbours(o, "MEMBER_OF", "out")})
    linked = {nid} | {other for _rel, other in graph.neighbours_any(nid, "in")}
    linked |= {other for _rel, other in graph.neighbours_any(nid, "out")}
    majors = sorted(
        i
        for i in linked
        if graph.attrs(i).get("label") == "Incident" and graph.attrs(i).get("priority") == major_priority
    )
    return Record(nid, label, _name(attrs), dates, source, services, tuple(teams), tuple(majors))


def major_priority_of(parameters: dict[str, Any] | None) -> int:
    """The priority that marks a major incident: the check's parameter (which the rules register may set), else
    :data:`MAJOR_PRIORITY`."""
    return int((parameters or {}).get("major_incident_priority", MAJOR_PRIORITY))


def gather(
    graph: SMSGraph,
    results: Iterable[QueryResult],
    period: AuditPeriod,
    parameters: dict[str, Any] | None = None,
    *,
    cut_off: dt.date | None,
) -> Facts:
    """The facts of every record a finding names, the organisation's own open nonconformities raised in the audit
    period, the holders of each clause's process, and the data's *cut_off* (:func:`data_cut_off`, computed once by
    the caller, which needs it first to set the period)."""
    major_priority = major_priority_of(parameters)
    ids = sorted({nid for r in results for f in r.findings for nid in f.subjects if nid in graph})
    records = {nid: _record(graph, nid, major_priority) for nid in ids}
    raised: dict[str, list[RaisedNonconformity]] = defaultdict(list)
    for nc in sorted(graph.nodes("Nonconformity")):
        attrs = graph.attrs(nc)
        day = str(attrs.get("raised_on") or "")
        if attrs.get(PLACEHOLDER_FLAG) or not period.start.isoformat() <= day <= period.as_of.isoformat():
            continue  # raised outside the audit period, or undated: no credit
        if attrs.get("status") in CLOSED:
            continue  # closed: if the failure persists, the correction did not work, which earns no credit
        for clause in graph.neighbours(nc, "AGAINST", "out"):
            number = str(graph.attrs(clause).get("number") or clause.split(":", 1)[1])
            raised[number].append(RaisedNonconformity(nc, number, day))
    return Facts(records, dict(raised), _owners(graph), cut_off)


#: What :func:`gather` walks beyond a finding's records (:func:`_record`): the relationships it follows out of a
#: record besides those by which it names its services (its owner), then one step further from those (an item's
#: services, an owner's team); and the labels it reads whole with what they reach (own nonconformities and their
#: clauses, documents, their owners, the owners' holders, the clauses they address)
_OUT = ("OWNED_BY",)
_FURTHER = ("PART_OF", "MEMBER_OF")
_WHOLE = {"Nonconformity": ("AGAINST",), "Document": ("OWNED_BY", "ADDRESSES")}


def facts_graph(graph: Any, results: Iterable[QueryResult], parameters: dict[str, Any] | None = None) -> SMSGraph:
    """The graph :func:`gather` reads for *results* (with *parameters*): *graph* itself when it is a Python graph
    (or graph tables whose graph is built already); for graph tables, only the part gather walks, fetched by SQL
    (the records the findings name, what they name and who owns them, their major incidents, what gather follows
    from them, the labels it reads whole), so that the facts of a large import or snapshot come without building
    its whole graph. Of a record's other neighbours gather reads nothing: a service a finding names brought its
    every change and incident (213,341 nodes for 51 records on the generated million)."""
    if isinstance(graph, SMSGraph):
        return graph
    if getattr(graph, "built", None) is not None:
        return graph.built
    from itsms_graph.graph.store import service_steps
    from itsms_graph.graph.tables import EDGES, NODES

    ids = sorted({nid for r in results for f in r.findings for nid in f.subjects})
    whole = sorted(_WHOLE)
    reached = sorted({rel for rels in _WHOLE.values() for rel in rels})
    out = sorted({*service_steps(graph.schema)[0], *_OUT})
    major = f"SELECT id FROM {NODES} WHERE label = 'Incident' AND priority = ?"
    graph.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE itsms_facts_keep AS
        WITH seed AS (SELECT unnest(?::VARCHAR[]) AS id),
        near AS (SELECT dst AS id FROM {EDGES} WHERE src IN (SELECT id FROM seed)
                   AND (type IN (SELECT unnest(?::VARCHAR[])) OR dst IN ({major}))
                 UNION SELECT src FROM {EDGES} WHERE dst IN (SELECT id FROM seed) AND src IN ({major})),
        far AS (SELECT dst AS id FROM {EDGES} WHERE type IN (SELECT unnest(?::VARCHAR[]))
                AND src IN (SELECT id FROM near)),
        whole AS (SELECT id FROM {NODES} WHERE label IN (SELECT unnest(?::VARCHAR[]))),
        owned AS (SELECT dst AS id FROM {EDGES} WHERE type IN (SELECT unnest(?::VARCHAR[]))
                  AND src IN (SELECT id FROM whole)),
        holders AS (SELECT src AS id FROM {EDGES} WHERE type = 'HOLDS_ROLE' AND dst IN (SELECT id FROM owned))
        SELECT DISTINCT id FROM (SELECT id FROM seed UNION ALL SELECT id FROM near UNION ALL SELECT id FROM far
            UNION ALL SELECT id FROM whole UNION ALL SELECT id FROM owned UNION ALL SELECT id FROM holders)
        SEMI JOIN {NODES} USING (id)
        """,
        [ids, out, major_priority_of(parameters), major_priority_of(parameters), list(_FURTHER), whole, reached],
    )
    from itsms_graph.graph.tables import to_graph

    try:
        return to_graph(graph.con, graph.schema, keep="itsms_facts_keep")
    finally:
        graph.con.execute("DROP TABLE itsms_facts_keep")


def _owners(graph: SMSGraph) -> dict[str, str]:
    """Clause number -> who holds it: the owner of a current document addressing the clause (a role's holders
    by name), the first such document by id."""
    out: dict[str, str] = {}
    for doc in sorted(graph.nodes("Document")):
        attrs = graph.attrs(doc)
        if attrs.get(PLACEHOLDER_FLAG) or attrs.get("status") in ("draft", "superseded", "retired"):
            continue
        names = []
        for owner in graph.neighbours(doc, "OWNED_BY", "out"):
            if graph.attrs(owner).get("label") == "Role":
                holders = graph.neighbours(owner, "HOLDS_ROLE", "in")
                role = _name(graph.attrs(owner)) or owner
                names += [f"{_name(graph.attrs(h)) or h} ({role})" for h in sorted(holders)] or [role]
            else:
                names.append(_name(graph.attrs(owner)) or owner)
        if not names:
            continue
        for clause in graph.neighbours(doc, "ADDRESSES", "out"):
            number = str(graph.attrs(clause).get("number") or clause.split(":", 1)[1])
            out.setdefault(number, ", ".join(names))
    return out

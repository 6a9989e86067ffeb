"""A made-up ITSM event log: incidents, the problems behind some of them, and their histories, drawn from a seed.

Written as XES, as OCEL 2.0 (XML and JSON), and as the CSV tables each flattens to (``events.csv`` for XES;
``ocel-objects.csv``, ``ocel-events.csv``, ``ocel-event-objects.csv``, ``ocel-object-objects.csv`` for OCEL), so
that the same log can be imported every way and the graphs compared. The fixtures of the event-log tests, the
100k-event log of ``benchmarks/xes_readers.py`` and the worked example of ``docs/importing.md`` come from it;
no public log is copied. Timestamps are Europe/Amsterdam local time with their offset, and the log spans the
change to summer time (2024-03-31), as exports of one system do.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import random
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

_ZONE = zoneinfo.ZoneInfo("Europe/Amsterdam")
_START = dt.datetime(2024, 3, 29, 8, 0, tzinfo=_ZONE)
_RESOURCES = ("ann", "bob", "chen", "dara", "eli", "fay")
_INCIDENT_FLOW = ("Open", "Assign", "Resolve", "Close")
_PROBLEM_FLOW = ("Open", "Root cause found", "Resolve", "Close")


@dataclass
class Event:
    eid: str
    activity: str
    time: dt.datetime
    resource: str

    @property
    def timestamp(self) -> str:
        """As XES writers put a date: milliseconds and the local offset (``2024-03-31T03:10:00.000+02:00``)."""
        return self.time.isoformat(timespec="milliseconds")


@dataclass
class Ticket:
    oid: str
    kind: str  # Incident or Problem
    priority: str
    events: list[Event] = field(default_factory=list)
    problem: str | None = None  # an incident's problem


def make_log(incidents: int, *, seed: int = 7) -> list[Ticket]:
    """*incidents* incidents (about five events each) and one problem per ten, problems first."""
    rng = random.Random(seed)
    problems = [Ticket(f"P{i + 1}", "Problem", rng.choice("1234")) for i in range(max(1, incidents // 10))]
    tickets = list(problems)
    counter = 0

    def history(ticket: Ticket, flow: tuple[str, ...], at: dt.datetime) -> None:
        nonlocal counter
        steps = list(flow)
        if ticket.kind == "Incident" and rng.random() < 0.15:  # reopened once: resolved twice
            steps[-1:-1] = ["Reopen", "Resolve"]
        for activity in steps:
            at = at + dt.timedelta(minutes=rng.randint(5, 600))
            counter += 1
            # local wall time in Amsterdam: the offset is +01:00 before 2024-03-31 02:00, +02:00 after
            local = dt.datetime.fromtimestamp(at.timestamp(), _ZONE)
            ticket.events.append(Event(f"e{counter}", activity, local, rng.choice(_RESOURCES)))

    for problem in problems:
        history(problem, _PROBLEM_FLOW, _START + dt.timedelta(minutes=rng.randint(0, 4000)))
    for i in range(incidents):
        incident = Ticket(f"I{i + 1}", "Incident", rng.choice("1234"))
        if rng.random() < 0.3:
            incident.problem = rng.choice(problems).oid
        history(incident, _INCIDENT_FLOW, _START + dt.timedelta(minutes=rng.randint(0, 4000)))
        tickets.append(incident)
    return tickets


def _open(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8", newline="")
    return path.open("w", encoding="utf-8", newline="")


def _incidents(log: list[Ticket]) -> Iterator[Ticket]:
    return (t for t in log if t.kind == "Incident")


# -- XES and its CSV -------------------------------------------------------------------------------------------------

XES_COLUMNS = (
    "case:concept:name",
    "case:priority",
    "case:problem",
    "concept:name",
    "time:timestamp",
    "org:resource",
    "lifecycle:transition",
)


def write_xes(log: list[Ticket], path: Path) -> Path:
    """The incidents as an XES log: a trace per incident, its priority (and problem) as trace attributes."""
    with _open(path) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            '<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n'
        )
        out.write('  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n')
        out.write('  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n')
        out.write('  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>\n')
        out.write('  <string key="concept:name" value="itsms-graph example incidents"/>\n')
        for ticket in _incidents(log):
            out.write(f'  <trace>\n    <string key="concept:name" value={quoteattr(ticket.oid)}/>\n')
            out.write(f'    <string key="priority" value={quoteattr(ticket.priority)}>')
            out.write('<string key="meta" value="a nested attribute, not a column"/></string>\n')
            if ticket.problem:
                out.write(f'    <string key="problem" value={quoteattr(ticket.problem)}/>\n')
            for event in ticket.events:
                out.write(
                    f'    <event><string key="concept:name" value={quoteattr(event.activity)}/>'
                    f'<date key="time:timestamp" value="{event.timestamp}"/>'
                    f'<string key="org:resource" value={quoteattr(event.resource)}/>'
                    '<string key="lifecycle:transition" value="complete"/></event>\n'
                )
            out.write("  </trace>\n")
        out.write("</log>\n")
    return path


def write_xes_csv(log: list[Ticket], path: Path) -> Path:
    """The XES log flattened to one CSV row per event (trace attributes as ``case:KEY``), as pm4py writes it."""
    with _open(path) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(XES_COLUMNS)
        for t in _incidents(log):
            for e in t.events:
                row = (t.oid, t.priority, t.problem or "", e.activity, e.timestamp, e.resource, "complete")
                writer.writerow(row)
    return path


# -- OCEL 2.0 and its CSV tables -------------------------------------------------------------------------------------

_EPOCH = "1970-01-01T00:00:00Z"


def _relationships(log: list[Ticket]) -> Iterator[tuple[Ticket, str, str]]:
    """(object, related object, qualifier): an incident's problem."""
    for t in _incidents(log):
        if t.problem:
            yield t, t.problem, "caused by"


def _event_objects(ticket: Ticket, event: Event) -> list[tuple[str, str]]:
    """The objects an event concerns, with the qualifier: its ticket, and the problem an incident's opening links."""
    objects = [(ticket.oid, "ticket")]
    if ticket.problem and event.activity == "Open":
        objects.append((ticket.problem, "linked problem"))
    return objects


def _events(log: list[Ticket]) -> list[tuple[Ticket, Event]]:
    return sorted(((t, e) for t in log for e in t.events), key=lambda te: (te[1].time, int(te[1].eid[1:])))


def write_ocel_json(log: list[Ticket], path: Path) -> Path:
    """The tickets as an OCEL 2.0 JSON log: incidents and problems as objects (priority an attribute with its
    time), events related to their objects, an incident related to its problem."""
    links: dict[str, list[dict[str, str]]] = {}
    for t, target, qualifier in _relationships(log):
        links.setdefault(t.oid, []).append({"objectId": target, "qualifier": qualifier})
    data = {
        "objectTypes": [
            {"name": kind, "attributes": [{"name": "priority", "type": "string"}]} for kind in ("Incident", "Problem")
        ],
        "eventTypes": [
            {"name": a, "attributes": [{"name": "resource", "type": "string"}]}
            for a in sorted({e.activity for t in log for e in t.events})
        ],
        "objects": [
            {
                "id": t.oid,
                "type": t.kind,
                "attributes": [
                    {"name": "priority", "time": _EPOCH, "value": "4"},
                    {"name": "priority", "time": t.events[0].timestamp, "value": t.priority},
                ],
                "relationships": links.get(t.oid, []),
            }
            for t in log
        ],
        "events": [
            {
                "id": e.eid,
                "type": e.activity,
                "time": e.timestamp,
                "attributes": [{"name": "resource", "value": e.resource}],
                "relationships": [{"objectId": o, "qualifier": q} for o, q in _event_objects(t, e)],
            }
            for t, e in _events(log)
        ],
    }
    with _open(path) as out:
        json.dump(data, out, indent=1)
    return path


def write_ocel_xml(log: list[Ticket], path: Path) -> Path:
    """The same OCEL 2.0 log in its XML syntax."""
    links: dict[str, list[tuple[str, str]]] = {}
    for t, target, qualifier in _relationships(log):
        links.setdefault(t.oid, []).append((target, qualifier))
    with _open(path) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<log>\n  <object-types>\n')
        for kind in ("Incident", "Problem"):
            out.write(f'    <object-type name="{kind}"><attributes>')
            out.write('<attribute name="priority" type="string"/></attributes></object-type>\n')
        out.write("  </object-types>\n  <event-types>\n")
        for activity in sorted({e.activity for t in log for e in t.events}):
            out.write(f"    <event-type name={quoteattr(activity)}><attributes>")
            out.write('<attribute name="resource" type="string"/></attributes></event-type>\n')
        out.write("  </event-types>\n  <objects>\n")
        for t in log:
            out.write(f"    <object id={quoteattr(t.oid)} type={quoteattr(t.kind)}><attributes>")
            out.write(f'<attribute name="priority" time="{_EPOCH}">4</attribute>')
            out.write(f'<attribute name="priority" time="{t.events[0].timestamp}">{escape(t.priority)}</attribute>')
            out.write("</attributes><objects>")
            for target, qualifier in links.get(t.oid, []):
                out.write(f"<relationship object-id={quoteattr(target)} qualifier={quoteattr(qualifier)}/>")
            out.write("</objects></object>\n")
        out.write("  </objects>\n  <events>\n")
        for t, e in _events(log):
            out.write(f'    <event id={quoteattr(e.eid)} type={quoteattr(e.activity)} time="{e.timestamp}">')
            out.write(f'<attributes><attribute name="resource">{escape(e.resource)}</attribute></attributes><objects>')
            for o, q in _event_objects(t, e):
                out.write(f"<relationship object-id={quoteattr(o)} qualifier={quoteattr(q)}/>")
            out.write("</objects></event>\n")
        out.write("  </events>\n</log>\n")
    return path


def write_ocel_csv(log: list[Ticket], folder: Path) -> list[Path]:
    """The OCEL log's four tables as CSV files, with the columns the OCEL reader gives them."""
    folder.mkdir(parents=True, exist_ok=True)
    kinds = {t.oid: t.kind for t in log}
    tables: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
        "ocel-objects.csv": (("ocel:oid", "ocel:type", "priority"), [(t.oid, t.kind, t.priority) for t in log]),
        "ocel-events.csv": (
            ("ocel:eid", "ocel:activity", "ocel:timestamp", "resource"),
            [(e.eid, e.activity, e.timestamp, e.resource) for _, e in _events(log)],
        ),
        "ocel-event-objects.csv": (
            ("ocel:eid", "ocel:activity", "ocel:timestamp", "ocel:oid", "ocel:type", "ocel:qualifier"),
            [
                (e.eid, e.activity, e.timestamp, o, kinds[o], q)
                for t, e in _events(log)
                for o, q in _event_objects(t, e)
            ],
        ),
        "ocel-object-objects.csv": (
            ("ocel:oid", "ocel:type", "ocel:oid_2", "ocel:type_2", "ocel:qualifier"),
            [(t.oid, t.kind, o, kinds[o], q) for t, o, q in _relationships(log)],
        ),
    }
    written = []
    for name, (header, rows) in tables.items():
        with _open(folder / name) as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        written.append(folder / name)
    return written

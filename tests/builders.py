"""Small builders for fixture graphs that read like the feature.

graph_with(service("S1", in_scope=True, catalogued=True), change("C1", started="2025-03-01T10:00:00"))
"""

from __future__ import annotations

from collections.abc import Callable

from itsms_graph.graph.store import SMSGraph

Part = Callable[[SMSGraph], None]
SRC = "fixture.csv"


def graph_with(*parts: Part, declared: tuple[str, ...] = ()) -> SMSGraph:
    graph = SMSGraph()
    for part in parts:
        part(graph)
    graph.declared_labels.update(declared)
    return graph


def _row(graph: SMSGraph) -> int:
    return graph.number_of_nodes() + 1


def scope(scope_id: str = "SMS") -> Part:
    def add(g: SMSGraph) -> None:
        g.add_node("Scope", scope_id, {"name": "SMS scope"}, source_file=SRC, source_row=_row(g))

    return add


def service(sid: str, *, in_scope: bool = False, catalogued: bool = False, status: str = "live") -> Part:
    def add(g: SMSGraph) -> None:
        node = g.add_node("Service", sid, {"name": sid, "status": status}, source_file=SRC, source_row=_row(g))
        if in_scope:
            scope()(g)
            g.add_edge("INCLUDES", "Scope:SMS", node, source_file=SRC)
        if catalogued:
            entry = g.add_node("CatalogueEntry", f"E-{sid}", {"title": sid}, source_file=SRC, source_row=_row(g))
            g.add_edge("DESCRIBES", entry, node, source_file=SRC)

    return add


def change(
    cid: str,
    *,
    started: str | None = None,
    approval: str | None = None,
    affects: tuple[str, ...] = (),
    category: str | None = "normal",
) -> Part:
    """A change (a normal one unless *category* says otherwise); *approval* is the decision of an Approval that
    approves it (none when None)."""

    def add(g: SMSGraph) -> None:
        props = {"actual_start": started, "category": category}
        node = g.add_node("Change", cid, props, source_file=SRC, source_row=_row(g))
        if approval is not None:
            decided = {"decision": approval, "decided_at": started}  # at the start: in time
            a = g.add_node("Approval", f"A-{cid}", decided, source_file=SRC, source_row=_row(g))
            g.add_edge("APPROVES", a, node, source_file=SRC)
        for sid in affects:
            g.add_edge("AFFECTS", node, f"Service:{sid}", source_file=SRC)

    return add


def incident(iid: str, *, opened: str, caused_by: tuple[str, ...] = (), affects: tuple[str, ...] = ()) -> Part:
    def add(g: SMSGraph) -> None:
        node = g.add_node("Incident", iid, {"opened_at": opened, "priority": 2}, source_file=SRC, source_row=_row(g))
        for cid in caused_by:
            g.add_edge("CAUSED_BY", node, f"Change:{cid}", source_file=SRC)
        for sid in affects:
            g.add_edge("AFFECTS", node, f"Service:{sid}", source_file=SRC)

    return add


def document(did: str, kind: str, *, approved_on: str | None = None) -> Part:
    def add(g: SMSGraph) -> None:
        g.add_node(
            "Document",
            did,
            {"kind": kind, "title": did, "approved_on": approved_on},
            source_file=SRC,
            source_row=_row(g),
        )

    return add


def record(rid: str, kind: str, *, recorded_on: str, evidences: tuple[str, ...] = ()) -> Part:
    def add(g: SMSGraph) -> None:
        node = g.add_node(
            "Record", rid, {"kind": kind, "recorded_on": recorded_on}, source_file=SRC, source_row=_row(g)
        )
        for target in evidences:
            g.add_edge("EVIDENCES", node, target, source_file=SRC)

    return add


def audit(aid: str, *, completed_on: str | None, status: str = "completed") -> Part:
    def add(g: SMSGraph) -> None:
        g.add_node(
            "InternalAudit", aid, {"status": status, "completed_on": completed_on}, source_file=SRC, source_row=_row(g)
        )

    return add


def review(mid: str, *, held_on: str) -> Part:
    def add(g: SMSGraph) -> None:
        g.add_node("ManagementReview", mid, {"held_on": held_on}, source_file=SRC, source_row=_row(g))

    return add


def edge(rel: str, source: str, target: str) -> Part:
    def add(g: SMSGraph) -> None:
        g.add_edge(rel, source, target, source_file=SRC)

    return add

"""The embedded engine: canned queries evaluated in Python on the in-memory SMSGraph (the reference engine)."""

from __future__ import annotations

from dataclasses import dataclass

from itsms_graph.engines.networkx.compiler import evaluate, has_row
from itsms_graph.graph.store import SMSGraph
from itsms_graph.queries.plan import BoundQuery


@dataclass
class EmbeddedEngine:
    graph: SMSGraph
    name: str = "networkx"

    def label_count(self, label: str) -> int:
        """Records of a label, placeholders for unresolved references not counted (they are not records)."""
        attrs = self.graph.attrs
        return sum(1 for n in self.graph.nodes(label) if "unresolved" not in attrs(n))

    def property_present(self, label: str, key: str) -> bool:
        return self.graph.has_property(label, key)

    def rows(self, bound: BoundQuery) -> list[tuple[str, ...]]:
        return evaluate(self.graph, bound)

    def exists(self, bound: BoundQuery) -> bool:
        return has_row(self.graph, bound)

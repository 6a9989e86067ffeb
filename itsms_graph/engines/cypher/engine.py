"""What FalkorDB and Neo4j share: answering the engine protocol with compiled Cypher statements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from itsms_graph.engines.cypher.compiler import (
    compile_query,
    exists_statement,
    label_count_statement,
    property_present_statement,
)
from itsms_graph.engines.cypher.load import load_batches
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
from itsms_graph.queries.plan import BoundQuery


class CypherEngine(ABC):
    name = "cypher"

    @abstractmethod
    def run(self, statement: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        """Run one statement; return its result rows as lists."""

    @abstractmethod
    def prepare(self, labels: list[str]) -> None:
        """Create what lookups by id need (indexes, uniqueness constraints) for *labels*."""

    def load(
        self,
        graph: SMSGraph | GraphTables,
        batch_size: int = 10_000,
        progress: Callable[[int, int], None] | None = None,
        *,
        tag: str | None = None,
        extra_labels: tuple[str, ...] = (),
    ) -> None:
        """Write *graph* (the Python graph, or the graph tables streamed a batch at a time) with the shared UNWIND
        ... MERGE statements (idempotent); every node marked ``pushed_by`` = *tag* when given. *extra_labels*: the
        labels of nodes the caller writes afterwards, prepared too."""
        self.prepare(sorted(graph.labels_present() | set(extra_labels)))
        total = graph.number_of_nodes() + graph.edge_count()
        done = 0
        for statement, rows in load_batches(graph, batch_size, tag=tag):
            self.run(statement, {"rows": rows})
            done += len(rows)
            if progress:
                progress(done, total)

    def label_count(self, label: str) -> int:
        return int(self.run(label_count_statement(label))[0][0])

    def property_present(self, label: str, key: str) -> bool:
        return bool(self.run(property_present_statement(label, key))[0][0])

    def exists(self, bound: BoundQuery) -> bool:
        return bool(self.run(exists_statement(bound), bound.cypher_params))

    def rows(self, bound: BoundQuery) -> list[tuple[str, ...]]:
        result = self.run(compile_query(bound), bound.cypher_params)
        return sorted(tuple(str(v) for v in row) for row in result)

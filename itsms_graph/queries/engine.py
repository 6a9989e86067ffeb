"""The engine protocol: what the query runner asks of every engine (networkx, FalkorDB, Neo4j, DuckDB).

It lives beside the query language it speaks (bound queries): the engines implement it, the runner and the
verdicts use it, and the query layer never imports an engine.
"""

from __future__ import annotations

from typing import Protocol

from itsms_graph.queries.plan import BoundQuery


class Engine(Protocol):
    name: str

    def label_count(self, label: str) -> int: ...

    def property_present(self, label: str, key: str) -> bool: ...

    def rows(self, bound: BoundQuery) -> list[tuple[str, ...]]: ...

    def exists(self, bound: BoundQuery) -> bool:
        """Whether *bound* has a row at all, without computing them all."""
        ...

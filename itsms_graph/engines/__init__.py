"""Where canned queries run: the embedded networkx engine (default), FalkorDB and Neo4j (Cypher engines), and
DuckDB (SQL over the graph tables).

Every engine answers the same three questions (how many nodes of a label, is a property present, which id
tuples does a bound query return), so the query runner and the parity tests treat them alike. The names are
loaded on first use, so that :mod:`itsms_graph.engines.registry` stays cheap to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itsms_graph.engines.base import Engine
    from itsms_graph.engines.embedded import EmbeddedEngine

__all__ = ["EmbeddedEngine", "Engine"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from itsms_graph.engines.base import Engine

        return Engine
    if name == "EmbeddedEngine":
        from itsms_graph.engines.embedded import EmbeddedEngine

        return EmbeddedEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Where canned queries run: the embedded networkx engine (default), FalkorDB and Neo4j (Cypher engines), and
DuckDB (SQL over the graph tables).

Every engine answers the same questions (:class:`itsms_graph.queries.engine.Engine`: how many nodes of a label,
is a property present, which id tuples does a bound query return), so the query runner and the parity tests treat
them alike. ``registry`` names them; the engines themselves load on first use, so that naming them stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itsms_graph.engines.embedded import EmbeddedEngine

__all__ = ["EmbeddedEngine"]


def __getattr__(name: str) -> Any:
    if name == "EmbeddedEngine":  # the reference engine, imported by name by the tests and the examples
        from itsms_graph.engines.embedded import EmbeddedEngine

        return EmbeddedEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

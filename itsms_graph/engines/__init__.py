"""Where canned queries run, one package per backend, each holding its compiler and its engine(s):

- ``networkx/``: the reference, a bound query evaluated in Python on the in-memory SMSGraph;
- ``duckdb/``: SQL over the graph tables, in process (the default, ``itsms_graph.registry.DEFAULT_BACKEND``);
- ``cypher/``: one Cypher statement per query and the load statements, run on FalkorDB (embedded) or Neo4j.

Every engine answers the same questions (:class:`itsms_graph.queries.engine.Engine`: how many nodes of a label,
is a property present, which id tuples does a bound query return), so the query runner and the parity tests treat
them alike. ``itsms_graph.registry`` names them; the engines themselves load on first use, so that naming them stays
cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itsms_graph.engines.networkx.engine import EmbeddedEngine

__all__ = ["EmbeddedEngine"]


def __getattr__(name: str) -> Any:
    if name == "EmbeddedEngine":  # the reference engine, imported by name by the tests and the examples
        from itsms_graph.engines.networkx.engine import EmbeddedEngine

        return EmbeddedEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

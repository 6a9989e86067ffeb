"""Where canned queries run: the embedded networkx engine (default), FalkorDB and Neo4j (Cypher engines), and
DuckDB (SQL over the graph tables).

Every engine answers the same three questions (how many nodes of a label, is a property present, which id
tuples does a bound query return), so the query runner and the parity tests treat them alike.
"""

from itsms_graph.engines.base import Engine
from itsms_graph.engines.embedded import EmbeddedEngine

__all__ = ["EmbeddedEngine", "Engine"]

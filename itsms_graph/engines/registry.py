"""The engines a query can run on, by name: what the ``--backend`` options offer and the tests walk.

Kept apart from the engines themselves (and from this package's heavy modules: duckdb, falkordb, neo4j) so that
the command line can list them without importing any.
"""

from __future__ import annotations

#: Every engine, in the order ``--backend`` lists them; networkx is the reference the others are held equal to.
BACKENDS = ("networkx", "falkordb", "neo4j", "duckdb")
#: The engine a command runs the queries on unless told otherwise: SQL over the graph tables a snapshot or an
#: import holds, without building the Python graph (networkx, the reference the others are tested against, with
#: ``--backend networkx``)
DEFAULT_BACKEND = "duckdb"
#: The engines that need a server (``--uri``): the rest run in process.
SERVER_BACKENDS = ("neo4j",)

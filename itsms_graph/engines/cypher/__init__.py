"""The Cypher backends, FalkorDB (embedded) and Neo4j (a server): one compiled statement per query, run on either.

``compiler.py`` writes a bound query as Cypher in the subset both databases share; ``load.py`` writes the
statements that put a graph into them (also used by the exports); ``engine.py`` is what the two engines share,
``falkordb.py`` and ``neo4j.py`` the engines. Held equal to networkx by tests/test_parity.py and
tests/test_query_cases.py (FalkorDB), tests/test_cypher_lint.py (Neo4j's linter) and tests/test_neo4j_live.py.
"""

"""The DuckDB backend (the default): a bound query compiled to one SQL statement over the graph tables.

``compiler.py`` writes the statement (values as parameters, column names only from the ontology); ``engine.py``
runs it on a DuckDB connection that holds the graph tables. Held equal to networkx by tests/test_parity.py,
tests/test_query_cases.py and tests/test_duckdb.py. ``import duckdb`` in these modules is the library (imports are
absolute), not this package.
"""

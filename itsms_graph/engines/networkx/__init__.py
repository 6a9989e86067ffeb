"""The networkx backend, the reference: a bound query evaluated in Python on the in-memory SMSGraph.

``compiler.py`` turns a bound query into its rows by walking the store's typed indexes (the reference semantics
the other backends are held to); ``engine.py`` answers the engine protocol with it. Its parity tests are the
others': every engine's answers must equal these (tests/test_parity.py, tests/test_query_cases.py).
"""

"""Exports: the graph into Neo4j (push, Cypher script, neo4j-admin CSV), RDF, and the Neo4j Browser style and
guide, all generated from the ontology and the query folder."""

#: Rows per UNWIND statement (a transaction each) a push writes: into FalkorDB at 1M records (one A/B run),
#: 50,000 took 12 % less of the server's CPU than 10,000 (fewer statements to plan) and 54k rows/s against 50k;
#: within the 10k-100k updates a transaction Neo4j's documentation advises.
PUSH_BATCH = 50_000

"""Exports: the graph into Neo4j (push, Cypher script, neo4j-admin CSV), RDF, and the Neo4j Browser style and
guide, all generated from the ontology and the query folder."""

"""Neo4j through the official driver: the server engine for graphs that outgrow one machine.

It loads with the same UNWIND ... MERGE statements as FalkorDB (after uniqueness constraints on every label's
id) and answers canned queries with the same compiled Cypher. The password is never logged.
"""

from __future__ import annotations

from typing import Any

from itsms_graph.engines.cypher import CypherEngine
from itsms_graph.engines.cypher_load import constraint_statement
from itsms_graph.errors import EngineUnavailable


class Neo4jEngine(CypherEngine):
    name = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str | None = None) -> None:
        import neo4j

        try:
            self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
            self._driver.verify_connectivity()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, ValueError) as exc:
            said = " ".join(str(exc).split())  # the driver's messages span lines; an error here is one line
            raise EngineUnavailable(f"cannot reach Neo4j at {uri}: {type(exc).__name__}: {said}") from None
        self._database = database

    def run(self, statement: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        records, _, _ = self._driver.execute_query(statement, params or {}, database_=self._database)
        return [list(r.values()) for r in records]

    def prepare(self, labels: list[str]) -> None:
        for label in labels:
            self.run(constraint_statement(label))

    def close(self) -> None:
        self._driver.close()

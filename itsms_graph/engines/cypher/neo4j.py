"""Neo4j through the official driver: the server engine for graphs that outgrow one machine.

It loads with the same UNWIND statements as FalkorDB (``load.py``) (after uniqueness constraints on every label's
id) and answers canned queries with the same compiled Cypher. The password is never logged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from itsms_graph.engines.cypher.engine import CypherEngine
from itsms_graph.engines.cypher.load import constraint_statement
from itsms_graph.errors import EngineUnavailable


def redacted(uri: str) -> str:
    """*uri* with any user and password in it replaced by ``***`` (for a message)."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def refuse_credentials(uri: str) -> None:
    """Refuse a URI that carries a user or password: it would be echoed, logged and kept in shell history."""
    try:
        parts = urlsplit(uri)
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:
        raise EngineUnavailable("--uri is not a URI (bolt://host:7687, neo4j+s://host)") from None
    if has_credentials:
        raise EngineUnavailable(
            f"--uri {redacted(uri)} carries credentials: give the user with --user and the password in "
            "NEO4J_PASSWORD (or at the prompt), never in the URI"
        )


class Neo4jEngine(CypherEngine):
    name = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str | None = None) -> None:
        import neo4j

        refuse_credentials(uri)
        try:
            self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
            self._driver.verify_connectivity()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, ValueError) as exc:
            said = " ".join(str(exc).split())  # the driver's messages span lines; an error here is one line
            raise EngineUnavailable(f"cannot reach Neo4j at {uri}: {type(exc).__name__}: {said}") from None
        self._database = database

    def run(self, statement: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        import neo4j

        try:
            records, _, _ = self._driver.execute_query(statement, params or {}, database_=self._database)
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:  # after login: the server said no
            said = " ".join(str(exc).split())
            raise EngineUnavailable(f"Neo4j refused a statement: {type(exc).__name__}: {said}") from None
        return [list(r.values()) for r in records]

    def prepare(self, labels: list[str]) -> None:
        for label in labels:
            self.run(constraint_statement(label))

    def close(self) -> None:
        self._driver.close()

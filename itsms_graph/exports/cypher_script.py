"""A Cypher script that loads a snapshot: an index or constraint per label, then literal UNWIND ... MERGE batches.

Two dialects: ``neo4j`` (Neo4j 5 uniqueness constraints, for cypher-shell) and ``falkordb`` (FalkorDB has no
such constraints, so an index on each label's id instead: without it every MERGE scans its label). Values are
written as Cypher literals, quoted by :func:`literal` (strings escaped, never interpolated into code); labels,
relationship types and keys come from the ontology.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from itsms_graph.engines.cypher_load import constraint_statement, index_statement, load_batches
from itsms_graph.graph.store import SMSGraph

_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def literal(value: Any) -> str:
    """A Cypher literal for *value*: strings single-quoted with escapes, lists, maps with backticked keys."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no Cypher literal")
        return repr(value)
    if isinstance(value, str):
        out = "".join(_ESCAPES.get(ch, ch if ch.isprintable() or ch == " " else f"\\u{ord(ch):04x}") for ch in value)
        return "'" + out + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join("`" + str(k).replace("`", "``") + "`: " + literal(v) for k, v in value.items()) + "}"
    raise ValueError(f"{type(value).__name__} has no Cypher literal")


#: The databases a script is written for, and the statement that makes each label's id fast to MERGE on.
DIALECTS = {"neo4j": constraint_statement, "falkordb": index_statement}


def script_lines(graph: SMSGraph, batch_size: int = 500, dialect: str = "neo4j") -> Iterator[str]:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (one of {', '.join(DIALECTS)})")
    how = "cypher-shell -f graph.cypher" if dialect == "neo4j" else "FalkorDB: one GRAPH.QUERY per statement"
    yield f"// itsms-graph load script ({dialect}): run with  {how}"
    for label in sorted(graph.labels_present()):
        yield DIALECTS[dialect](label, graph.schema) + ";"
    for statement, rows in load_batches(graph, batch_size):
        yield statement.replace("UNWIND $rows AS row", "UNWIND " + literal(rows) + " AS row", 1) + ";"


def write_script(graph: SMSGraph, path: Path, batch_size: int = 500, dialect: str = "neo4j") -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for line in script_lines(graph, batch_size, dialect):
            fh.write(line + "\n")
    return path

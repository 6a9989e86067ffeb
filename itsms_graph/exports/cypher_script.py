"""A Cypher script that loads a snapshot: an index or constraint per label, then literal UNWIND ... MERGE batches.

Two dialects: ``neo4j`` (Neo4j 5 uniqueness constraints, for cypher-shell) and ``falkordb`` (FalkorDB has no
such constraints, so an index on each label's id instead: without it every MERGE scans its label). The rows are
streamed from the graph tables a snapshot opens to (or a Python graph), a batch at a time; with the findings, the
graph is written as ``neo4j push`` writes it (:mod:`itsms_graph.exports.findings`). Values are written as Cypher
literals, quoted by :func:`literal` (strings escaped, never interpolated into code); labels, relationship types
and keys come from the ontology.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from itsms_graph.engines.cypher.load import constraint_statement, index_statement, load_batches
from itsms_graph.escaping import cypher_string
from itsms_graph.exports.findings import DEFAULT_TAG, added_rows
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
from itsms_graph.outputs import atomic_output
from itsms_graph.queries.results import Finding


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
        return cypher_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join("`" + str(k).replace("`", "``") + "`: " + literal(v) for k, v in value.items()) + "}"
    raise ValueError(f"{type(value).__name__} has no Cypher literal")


#: The databases a script is written for, and the statement that makes each label's id fast to MERGE on.
DIALECTS = {"neo4j": constraint_statement, "falkordb": index_statement}


def script_lines(
    graph: SMSGraph | GraphTables,
    batch_size: int = 500,
    dialect: str = "neo4j",
    findings: list[Finding] | None = None,
    tag: str = DEFAULT_TAG,
) -> Iterator[str]:
    """The script's lines: an index or constraint per label, then the graph's rows (from a Python graph or the
    graph tables, a batch at a time), literally. With *findings*, the graph as a push writes it: every node
    marked ``pushed_by`` = *tag*, then the Snapshot node and the findings with their FLAGS."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (one of {', '.join(DIALECTS)})")
    how = "cypher-shell -f graph.cypher" if dialect == "neo4j" else "FalkorDB: one GRAPH.QUERY per statement"
    yield f"// itsms-graph load script ({dialect}): run with  {how}"
    extra = None if findings is None else added_rows(graph, findings, tag)
    labels = set(graph.labels_present()) | {label for label, batch in (extra.nodes if extra else {}).items() if batch}
    for label in sorted(labels):
        yield DIALECTS[dialect](label, graph.schema) + ";"
    for statement, batch in load_batches(graph, batch_size, tag=None if extra is None else tag):
        yield _literally(statement, batch)
    if extra is not None:
        for statement, batch in extra.statements(graph.schema):
            for i in range(0, len(batch), batch_size):
                yield _literally(statement, batch[i : i + batch_size])


def _literally(statement: str, batch: list[list[Any]]) -> str:
    return statement.replace("UNWIND $rows AS row", "UNWIND " + literal(batch) + " AS row", 1) + ";"


def write_script(
    graph: SMSGraph | GraphTables,
    path: Path,
    batch_size: int = 500,
    dialect: str = "neo4j",
    findings: list[Finding] | None = None,
    tag: str = DEFAULT_TAG,
) -> Path:
    with atomic_output(path, text=True) as fh:
        for line in script_lines(graph, batch_size, dialect, findings, tag):
            fh.write(line + "\n")
    return path

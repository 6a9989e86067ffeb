"""A Cypher script that cypher-shell runs to load a snapshot: constraints, then literal UNWIND ... MERGE batches.

Values are written as Cypher literals, quoted by :func:`literal` (strings escaped, never interpolated into
code); labels, relationship types and keys come from the ontology.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from itsms_graph.engines.cypher_load import constraint_statement, load_batches
from itsms_graph.escaping import cypher_string
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
from itsms_graph.outputs import atomic_output


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


def script_lines(graph: SMSGraph | GraphTables, batch_size: int = 500) -> Iterator[str]:
    yield "// itsms-graph load script: run with  cypher-shell -f graph.cypher"
    for label in sorted(graph.labels_present()):
        yield constraint_statement(label) + ";"
    for statement, rows in load_batches(graph, batch_size):
        yield statement.replace("UNWIND $rows AS row", "UNWIND " + literal(rows) + " AS row", 1) + ";"


def write_script(graph: SMSGraph | GraphTables, path: Path, batch_size: int = 500) -> Path:
    with atomic_output(path, text=True) as fh:
        for line in script_lines(graph, batch_size):
            fh.write(line + "\n")
    return path

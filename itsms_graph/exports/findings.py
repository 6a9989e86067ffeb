"""What a push writes besides the graph, and what an export writes with it, so that a loaded graph holds what the
checks found: a ``Snapshot`` node (tool version, declared labels, the inputs with their SHA-256), each finding as
``(:Finding {id, query, grade, clause, title})`` and its ``FLAGS`` to the subjects the graph holds, every node
marked ``pushed_by`` (so that ``neo4j push --replace`` with the same tag removes exactly them).

``neo4j push`` runs these rows as parameters; ``export cypher`` writes them as literals and ``export neo4j-admin``
as CSV files, after the graph's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsms_graph import __version__
from itsms_graph.engines.cypher.load import edge_statement, node_statement
from itsms_graph.errors import ItsmsError
from itsms_graph.graph import rows
from itsms_graph.graph.store import SMSGraph, node_id
from itsms_graph.graph.tables import GraphTables
from itsms_graph.ontology import Schema
from itsms_graph.queries.results import Finding

#: The tag a push (and an export) marks every node it writes with, unless told otherwise.
DEFAULT_TAG = "itsms-graph"


@dataclass
class Added:
    """What a push writes besides the graph, and what an export writes with it: the Snapshot node, the findings
    (a finding id once, as the graph would merge it) and their FLAGS to the subjects the graph holds."""

    #: label (Snapshot, Finding) -> (node id, properties) rows
    nodes: dict[str, list[tuple[str, dict[str, Any]]]]
    #: the label of the flagged subject -> (finding id, subject id, properties) rows
    flags: dict[str, list[tuple[str, str, dict[str, Any]]]]

    def counts(self) -> dict[str, int]:
        """Nodes per label and FLAGS relationships, as the graph's counts read them."""
        out = {label: len(batch) for label, batch in self.nodes.items() if batch}
        flagged = sum(len(batch) for batch in self.flags.values())
        return {**out, **({"FLAGS": flagged} if flagged else {})}

    def statements(self, sch: Schema) -> list[tuple[str, list[list[Any]]]]:
        """The load statements (``UNWIND $rows ... MERGE``) and their rows, nodes first."""
        written: list[tuple[str, list[list[Any]]]] = [
            (node_statement(label, sch), [[nid, props] for nid, props in batch])
            for label, batch in self.nodes.items()
            if batch
        ]
        for label in sorted(self.flags):
            written.append(
                (edge_statement("FLAGS", "Finding", label, sch), [[f, s, props] for f, s, props in self.flags[label]])
            )
        return written


def added_rows(graph: SMSGraph | GraphTables, findings: list[Finding], tag: str = DEFAULT_TAG) -> Added:
    """The Snapshot node (tool version, declared labels, inputs), the *findings* and their FLAGS to subjects
    *graph* holds, every node marked ``pushed_by`` = *tag*."""
    sch = graph.schema
    source = "itsms-graph:push"
    snapshot = {
        "tool_version": __version__,
        "declared_labels": sorted(graph.declared_labels),
        "input_files": [f"{i.path} {i.sha256}" for i in graph.inputs],
        "source_file": source,
        "pushed_by": tag,
    }
    found: dict[str, dict[str, Any]] = {}
    for f in findings:  # a finding id once, as the graph would merge it
        found.setdefault(
            node_id("Finding", f.id),
            {
                "query": f.query,
                "grade": f.grade,
                "clause": " ".join(f.clauses),
                "title": f.title,
                "source_file": source,
                "pushed_by": tag,
            },
        )
    held = rows.existing(graph, sorted({s for f in findings for s in f.subjects}))
    flags: dict[tuple[str, str], None] = {}
    for f in findings:
        for subject in f.subjects:
            if subject in held:
                flags[(node_id("Finding", f.id), subject)] = None
    by_label: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for nid, subject in flags:
        label = subject.split(":", 1)[0]  # a node id is Label:local-id
        if not sch.relationships["FLAGS"].allows("Finding", label):
            raise ItsmsError(f"the ontology does not allow (Finding)-[:FLAGS]->({label})")
        by_label.setdefault(label, []).append((nid, subject, {"source_file": source}))
    nodes = {"Snapshot": [(node_id("Snapshot", tag), snapshot)], "Finding": list(found.items())}
    return Added(nodes, by_label)

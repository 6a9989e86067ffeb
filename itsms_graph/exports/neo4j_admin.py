"""CSV files in the header format of ``neo4j-admin database import full``, for bulk loads of millions of records.

One node file per label and one relationship file per type, typed header columns (``id:ID``, ``:LABEL``,
``source_row:long``, ``inputs:string[]``), ids global (they are already namespaced by label), and the exact
command line to load them. Temporal values stay strings: the canned queries compare ISO strings everywhere. The
rows are streamed from the graph tables a snapshot opens to (or a Python graph); with the findings, the files hold
the graph as ``neo4j push`` writes it (:mod:`itsms_graph.exports.findings`).
"""

from __future__ import annotations

import csv
import shlex
from collections.abc import Iterable, Iterator
from pathlib import Path

from itsms_graph.errors import ItsmsError
from itsms_graph.exports.findings import DEFAULT_TAG, added_rows
from itsms_graph.graph import rows
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
from itsms_graph.outputs import atomic_output, make_folder, write_text
from itsms_graph.queries.results import Finding

ARRAY_DELIMITER = "|"
#: Rows read and written at a time
_BATCH = 65_536
_TYPES = {
    "string": "string",
    "integer": "long",
    "float": "double",
    "boolean": "boolean",
    "date": "string",
    "datetime": "string",
}


def _tagged(batches: Iterable[list[rows.NodeRow]], tag: str) -> Iterator[list[rows.NodeRow]]:
    for batch in batches:
        yield [(nid, {**attrs, "pushed_by": tag}) for nid, attrs in batch]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(str(v) for v in value)
    return str(value)


def write_import_files(
    graph: SMSGraph | GraphTables,
    folder: Path,
    database: str = "neo4j",
    findings: list[Finding] | None = None,
    tag: str = DEFAULT_TAG,
) -> tuple[list[Path], str]:
    """Write the CSV files of *graph* (the Python graph or the graph tables) into *folder*; return them and the
    neo4j-admin command line that loads them. With *findings*, the graph as ``neo4j push`` writes it: every node
    marked ``pushed_by`` = *tag*, and the Snapshot node and the findings with their FLAGS in files of their own."""
    make_folder(folder)
    written: list[Path] = []
    args = [
        "neo4j-admin",
        "database",
        "import",
        "full",
        f"--array-delimiter={ARRAY_DELIMITER}",
        "--multiline-fields=true",  # imported text holds line breaks, which the CSV writer keeps inside quotes
        "--overwrite-destination=true",
    ]
    sch = graph.schema
    extra = None if findings is None else added_rows(graph, findings, tag)
    labels = rows.labels(graph)
    if extra is not None and set(labels) & set(extra.nodes):
        raise ItsmsError(f"the graph already holds {', '.join(sorted(set(labels) & set(extra.nodes)))} nodes")

    def node_file(label: str, keys: list[str], batches: Iterable[list[rows.NodeRow]]) -> None:
        header = ["id:ID", ":LABEL"]
        for k in keys:
            prop = sch.properties[k]
            header.append(f"{k}:{_TYPES[prop.type]}{'[]' if prop.multi_valued else ''}")
        path = folder / f"nodes_{label}.csv"
        with atomic_output(path, text=True, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for batch in batches:
                writer.writerows([nid, label, *(_cell(attrs.get(k)) for k in keys)] for nid, attrs in batch)
        written.append(path)
        args.append(f"--nodes={path.name}")

    def relationship_file(rel: str, keys: list[str], parts: Iterable[list[rows.EdgeRow]], name: str) -> None:
        path = folder / f"relationships_{name}.csv"
        with atomic_output(path, text=True, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([":START_ID", ":END_ID", ":TYPE", *(f"{k}:{_TYPES[sch.properties[k].type]}" for k in keys)])
            for part in parts:
                writer.writerows([s, t, rel, *(_cell(attrs.get(k)) for k in keys)] for s, t, attrs in part)
        written.append(path)
        args.append(f"--relationships={path.name}")

    # a batch at a time: from the graph tables a snapshot opens to, nothing is held for the whole graph
    present = rows.node_keys_by_label(graph)
    for label in labels:
        keys = present.get(label, [])
        if extra is None:
            node_file(label, keys, rows.node_rows(graph, label, _BATCH, keys))
        else:
            marked = [*(k for k in keys if k != "pushed_by"), "pushed_by"]
            node_file(label, marked, _tagged(rows.node_rows(graph, label, _BATCH, keys), tag))
    for rel in rows.rel_types(graph):
        relationship_file(rel, rows.edge_keys(graph, rel), rows.edge_rows(graph, rel, _BATCH), rel)
    if extra is not None:  # what a push adds: the Snapshot node, the findings and their FLAGS
        for label, batch in extra.nodes.items():
            if batch:
                keys = sorted({k for _, props in batch for k in props})
                node_file(label, keys, [batch])
        flags = [row for label in sorted(extra.flags) for row in extra.flags[label]]
        if flags and "FLAGS" in rows.rel_types(graph):
            raise ItsmsError("the graph already holds FLAGS relationships")
        if flags:
            relationship_file("FLAGS", ["source_file"], [flags], "FLAGS")
    args.append(database)
    command = shlex.join(args)  # pasted into a shell: "|" (the array delimiter) must not become a pipe
    write_text(
        folder / "import-command.txt",
        f"# run from this folder, with the database stopped (Neo4j 5 / 2025.x)\n{command}\n",
    )
    return written, command

"""CSV files in the header format of ``neo4j-admin database import full``, for bulk loads of millions of records.

One node file per label and one relationship file per type, typed header columns (``id:ID``, ``:LABEL``,
``source_row:long``, ``inputs:string[]``), ids global (they are already namespaced by label), and the exact
command line to load them. Temporal values stay strings: the canned queries compare ISO strings everywhere.
"""

from __future__ import annotations

import csv
import shlex
from pathlib import Path

from itsms_graph.graph import rows
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import GraphTables
from itsms_graph.outputs import atomic_output, make_folder, write_text

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


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(str(v) for v in value)
    return str(value)


def write_import_files(graph: SMSGraph | GraphTables, folder: Path, database: str = "neo4j") -> tuple[list[Path], str]:
    """Write the CSV files of *graph* (the Python graph or the graph tables) into *folder*; return them and the
    neo4j-admin command line that loads them."""
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
    # a batch at a time: from the graph tables a snapshot opens to, nothing is held for the whole graph
    for label in rows.labels(graph):
        keys = rows.node_keys(graph, label)
        header = ["id:ID", ":LABEL"]
        for k in keys:
            prop = sch.properties[k]
            header.append(f"{k}:{_TYPES[prop.type]}{'[]' if prop.multi_valued else ''}")
        path = folder / f"nodes_{label}.csv"
        with atomic_output(path, text=True, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for batch in rows.node_rows(graph, label, _BATCH):
                writer.writerows([nid, label, *(_cell(attrs.get(k)) for k in keys)] for nid, attrs in batch)
        written.append(path)
        args.append(f"--nodes={path.name}")
    for rel in rows.rel_types(graph):
        keys = rows.edge_keys(graph, rel)
        path = folder / f"relationships_{rel}.csv"
        with atomic_output(path, text=True, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([":START_ID", ":END_ID", ":TYPE", *(f"{k}:{_TYPES[sch.properties[k].type]}" for k in keys)])
            for part in rows.edge_rows(graph, rel, _BATCH):
                writer.writerows([s, t, rel, *(_cell(attrs.get(k)) for k in keys)] for s, t, attrs in part)
        written.append(path)
        args.append(f"--relationships={path.name}")
    args.append(database)
    command = shlex.join(args)  # pasted into a shell: "|" (the array delimiter) must not become a pipe
    write_text(
        folder / "import-command.txt",
        f"# run from this folder, with the database stopped (Neo4j 5 / 2025.x)\n{command}\n",
    )
    return written, command

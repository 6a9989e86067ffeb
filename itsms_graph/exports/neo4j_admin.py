"""CSV files in the header format of ``neo4j-admin database import full``, for bulk loads of millions of records.

One node file per label and one relationship file per type, typed header columns (``id:ID``, ``:LABEL``,
``source_row:long``, ``inputs:string[]``), ids global (they are already namespaced by label), and the exact
command line to load them. Temporal values stay strings: the canned queries compare ISO strings everywhere.
"""

from __future__ import annotations

import csv
import shlex
from pathlib import Path

from itsms_graph.graph.store import SMSGraph
from itsms_graph.outputs import atomic_output, make_folder, write_text

ARRAY_DELIMITER = "|"
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


def write_import_files(graph: SMSGraph, folder: Path, database: str = "neo4j") -> tuple[list[Path], str]:
    """Write the CSV files into *folder*; return them and the neo4j-admin command line that loads them."""
    make_folder(folder)
    written: list[Path] = []
    args = [
        "neo4j-admin",
        "database",
        "import",
        "full",
        f"--array-delimiter={ARRAY_DELIMITER}",
        "--overwrite-destination=true",
    ]
    sch = graph.schema
    for label in sorted(graph.labels_present()):
        ids = list(graph.nodes(label))
        keys = sorted({k for n in ids for k in graph.attrs(n) if k not in ("label", "id")})
        header = ["id:ID", ":LABEL"]
        for k in keys:
            prop = sch.properties[k]
            header.append(f"{k}:{_TYPES[prop.type]}{'[]' if prop.multi_valued else ''}")
        path = folder / f"nodes_{label}.csv"
        with atomic_output(path, text=True, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for nid in ids:
                attrs = graph.attrs(nid)
                writer.writerow([nid, label, *(_cell(attrs.get(k)) for k in keys)])
        written.append(path)
        args.append(f"--nodes={path.name}")
    for rel in sorted(graph.rel_types_present()):
        pairs = list(graph.edges(rel))
        keys = sorted({k for s, t in pairs for k in graph.edge_attrs(s, t, rel)})
        path = folder / f"relationships_{rel}.csv"
        with atomic_output(path, text=True, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([":START_ID", ":END_ID", ":TYPE", *(f"{k}:{_TYPES[sch.properties[k].type]}" for k in keys)])
            for s, t in pairs:
                attrs = graph.edge_attrs(s, t, rel)
                writer.writerow([s, t, rel, *(_cell(attrs.get(k)) for k in keys)])
        written.append(path)
        args.append(f"--relationships={path.name}")
    args.append(database)
    command = shlex.join(args)  # pasted into a shell: "|" (the array delimiter) must not become a pipe
    write_text(
        folder / "import-command.txt",
        f"# run from this folder, with the database stopped (Neo4j 5 / 2025.x)\n{command}\n",
    )
    return written, command

"""The version-1 snapshot writer (JSON members), kept as the specification of the format that version 2 replaced:
snapshots written by earlier itsms-graph releases must still open (tests/test_snapshot.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import orjson

from itsms_graph import __version__
from itsms_graph.graph.store import SMSGraph
from itsms_graph.ontology import PROVENANCE_KEYS

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _write(zf: zipfile.ZipFile, name: str, payload: Any) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, orjson.dumps(payload, option=orjson.OPT_SORT_KEYS), compresslevel=1)


def save_v1(graph: SMSGraph, path: Path) -> Path:
    """*graph* as a version-1 snapshot, as itsms-graph 0.1 wrote it."""
    with zipfile.ZipFile(path, "w") as zf:
        _write(
            zf,
            "manifest.json",
            {
                "format": "itsms-graph-snapshot",
                "format_version": 1,
                "tool_version": __version__,
                "inputs": [vars(i) for i in graph.inputs],
                "declared_labels": sorted(graph.declared_labels),
                "counts": graph.counts(),
            },
        )
        for label in sorted(graph.labels_present()):
            ids = list(graph.nodes(label))
            attrs = [graph.attrs(n) for n in ids]
            keys = sorted({k for a in attrs for k in a if k != "label"})
            _write(zf, f"nodes/{label}.json", {"ids": ids, "columns": {k: [a.get(k) for a in attrs] for k in keys}})
        for rel_type in sorted(graph.rel_types_present()):
            pairs = list(graph.edges(rel_type))
            edges = graph.edge_provenance(rel_type)
            provs = [edges[pair] for pair in pairs]
            columns = {k: [p[i] for p in provs] for i, k in enumerate(PROVENANCE_KEYS)}
            _write(
                zf,
                f"edges/{rel_type}.json",
                {
                    "source": [s for s, _ in pairs],
                    "target": [t for _, t in pairs],
                    "columns": {k: v for k, v in columns.items() if any(x is not None for x in v)},
                },
            )
    return path

"""The graph: an ontology-checked networkx MultiDiGraph with typed indexes, provenance and snapshots."""

from itsms_graph.graph.snapshot import open_snapshot, save_snapshot
from itsms_graph.graph.store import InputFile, SMSGraph

__all__ = ["InputFile", "SMSGraph", "open_snapshot", "save_snapshot"]

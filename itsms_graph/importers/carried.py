"""Which relationships the imported sources can carry: the references their profiles' tables map.

A query that asks for a link no imported source has a column for (BPIC 2014's incident log names no problem)
cannot be answered from the data: the absence of that link is no evidence of absence. The snapshot names each
input's profile and table (``bpic2014:incidents``), so the links are read back from the shipped profiles.
"""

from __future__ import annotations

from collections.abc import Iterable

from itsms_graph.graph.store import InputFile
from itsms_graph.importers.profile import Profile, Table

#: (relationship type, source label, target label)
Link = tuple[str, str, str]


def table_links(table: Table) -> set[Link]:
    """The links a table's references make, each oriented as stored."""
    ends = {ref.column: ref.labels for ref in table.references}
    out: set[Link] = set()
    for ref in table.references:
        sources = ends.get(ref.source, (table.record.label,)) if ref.source else (table.record.label,)
        for label, direction in zip(ref.labels, ref.directions, strict=True):
            for source in sources:
                out.add((ref.rel, source, label) if direction == "out" else (ref.rel, label, source))
    return out


def carried_links(inputs: Iterable[InputFile], profiles: dict[str, Profile]) -> frozenset[Link] | None:
    """The links the *inputs* can carry, read from their profiles' tables (*profiles* by id); None when an input
    came from no known profile table (generated data, a profile file of the user's): then nothing is ruled out."""
    out: set[Link] = set()
    items = list(inputs)
    if not items:
        return None
    for item in items:
        profile_id, _, table_name = item.profile.partition(":")
        profile = profiles.get(profile_id)
        table = next((t for t in profile.tables if t.name == table_name), None) if profile else None
        if table is None:
            return None
        out |= table_links(table)
    return frozenset(out)

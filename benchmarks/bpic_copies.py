"""BPIC 2014 made N times larger: the four files with every record written N times, each copy's ids suffixed
(``C00000003`` -> ``C00000003-2``), so that a copy is another organisation's records, not duplicates that merge.

Every column that holds an id (records, their references, configuration items, service components, knowledge
articles) is suffixed in the same way, so that the copies' references resolve within their copy; ``#MULTIVALUE``
and empty cells stay as they are. The files are gzip CSV with the original delimiters and headers.

Run: python benchmarks/bpic_copies.py 4 /tmp/bpic-x4   (a folder made once and reused by the benchmarks)
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "bpic2014"
#: The columns that hold ids, by the start of their header (the four files spell them differently)
ID_COLUMNS = (
    "CI Name",
    "Service Comp",
    "Change ID",
    "Incident ID",
    "Interaction ID",
    "Related Incident",
    "Related Change",
    "Related Interaction",
    "KM number",
)
NOT_IDS = ("", "#MULTIVALUE")


def copy_file(source: Path, target: Path, copies: int) -> int:
    """Write *source* *copies* times into *target*, ids suffixed per copy; return the rows written."""
    delimiter = "," if "Activity" in source.name else ";"
    with gzip.open(source, "rt", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=delimiter))
    header, body = rows[0], rows[1:]
    ids = [i for i, name in enumerate(header) if name.startswith(ID_COLUMNS)]
    written = 0
    with gzip.open(target, "wt", encoding="utf-8", newline="", compresslevel=1) as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        for copy in range(1, copies + 1):
            suffix = f"-{copy}"
            for row in body:
                row = list(row)
                for i in ids:
                    if i < len(row) and row[i] not in NOT_IDS:
                        row[i] += suffix
                writer.writerow(row)
                written += 1
    return written


def make(copies: int, folder: Path) -> Path:
    """The copied export in *folder* (made once: kept when its files are there)."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(DATA.glob("*.csv.gz")):
        target = folder / source.name
        if not target.exists():
            partial = target.with_suffix(".part")
            copy_file(source, partial, copies)
            partial.rename(target)
    return folder


if __name__ == "__main__":
    print(make(int(sys.argv[1]), Path(sys.argv[2])))

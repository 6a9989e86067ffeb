"""How the real-data excerpts in this folder were cut from ../shared/data (run from the repository root).

The excerpts keep the originals' bytes per line (separator, quoting, CRLF, trailing empty columns) so the
importers meet the real quirks; rows are chosen so that references between the files resolve.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "shared" / "data"
DST = Path(__file__).resolve().parent


def lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as fh:
        return fh.read().splitlines(keepends=True)


def field(line: bytes, index: int, sep: str) -> str:
    text = line.decode("utf-8-sig", errors="replace")
    return next(csv.reader(io.StringIO(text), delimiter=sep))[index] if text.strip() else ""


def _ts(text: str) -> tuple[int, ...] | None:
    """Day-first 'd-m-yyyy h:mm' as a sortable tuple (year, month, day, hour, minute)."""
    if not text:
        return None
    day, time = text.split(" ")
    d, m, y = (int(x) for x in day.split("-"))
    hh, mm = (int(x) for x in time.split(":"))
    return (y, m, d, hh, mm)


def write(path: Path, rows: list[bytes]) -> None:
    with gzip.GzipFile(path, "wb", mtime=0) as fh:
        fh.write(b"".join(rows))


def bpic() -> None:
    src = SRC / "bpic2014"
    change = lines(src / "Detail_Change.csv.gz")
    ids = []
    for line in change[1:]:
        cid = field(line, 4, ";")
        if cid not in ids:
            ids.append(cid)
        if len(ids) == 60:
            break
    emergency = [field(ln, 4, ";") for ln in change[1:] if field(ln, 7, ";") == "Y" and field(ln, 8, ";") == "N"]
    early = [
        field(ln, 4, ";")
        for ln in change[1:]
        if _ts(field(ln, 13, ";")) and _ts(field(ln, 16, ";")) and _ts(field(ln, 13, ";")) < _ts(field(ln, 16, ";"))
    ]
    chosen_changes = set(ids) | set(emergency[:3]) | set(early[:3])
    write(
        DST / "bpic2014" / "Detail_Change.csv.gz",
        [change[0]] + [ln for ln in change[1:] if field(ln, 4, ";") in chosen_changes],
    )
    incident = lines(src / "Detail_Incident.csv.gz")
    picked = incident[1:151]
    picked += [ln for ln in incident[151:] if field(ln, 23, ";") in chosen_changes][:30]
    picked += [ln for ln in incident[151:] if field(ln, 23, ";") == "#MULTIVALUE"][:5]
    blank = [ln for ln in incident if not ln.strip(b";\r\n")][:3]
    write(DST / "bpic2014" / "Detail_Incident.csv.gz", [incident[0], *picked, *blank])
    incident_ids = {field(ln, 4, ";") for ln in picked}
    interaction = lines(src / "Detail_Interaction.csv.gz")
    related = [ln for ln in interaction[1:] if field(ln, 16, ";") in incident_ids][:200]
    write(DST / "bpic2014" / "Detail_Interaction.csv.gz", [interaction[0], *interaction[1:51], *related])
    activity = lines(src / "Detail_Incident_Activity_JOINED_derived.csv.gz")
    acts = [ln for ln in activity[1:] if field(ln, 0, ",") in incident_ids][:300]
    write(DST / "bpic2014" / "Detail_Incident_Activity_JOINED_derived.csv.gz", [activity[0], *acts, activity[1]])


def uci() -> None:
    log = lines(SRC / "uci-servicenow-incidents" / "incident_event_log.csv.gz")
    numbers: list[str] = []
    rows = []
    for line in log[1:]:
        number = field(line, 0, ",")
        if number not in numbers:
            if len(numbers) == 80:
                break
            numbers.append(number)
        rows.append(line)
    extra = [ln for ln in log[1:] if field(ln, 28, ",") != "?" or field(ln, 31, ",") != "?"][:40]
    write(DST / "uci-servicenow" / "incident_event_log.csv.gz", [log[0], *rows, *extra])


if __name__ == "__main__":
    bpic()
    uci()

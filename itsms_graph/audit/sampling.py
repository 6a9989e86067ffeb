"""Audit sampling in the manner of ISO 19011 (A.6): a defined population, a stated method and size, a seed.

The same snapshot, population, filters, method and seed always draw the same sample. A label's population is
its records dated in the audit period (changes implemented in it, not every change ever recorded) unless the whole
history is asked for. Without a size, the size is the hypergeometric zero-failure size (itsms_graph.audit.attributes:
95 % confidence that the deviation rate is below 10 % by default), and the report says so. The worksheet has one
row per sampled record with its linked evidence and empty columns for the auditor; a filled worksheet read back
turns "no evidence" and "nonconformity" verdicts into findings and concludes: the deviations found, the upper
deviation limit at the stated confidence, and whether the control operates at the tolerable rate.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itsms_graph.audit.attributes import CONFIDENCE, TOLERABLE_RATE, upper_deviation_limit, zero_failure_size
from itsms_graph.audit.columns import Column
from itsms_graph.audit.report import csv_table
from itsms_graph.errors import InputError, ItsmsError
from itsms_graph.escaping import from_spreadsheet_cell
from itsms_graph.graph.store import NO_SERVICE, SMSGraph, service_steps
from itsms_graph.limits import read_text
from itsms_graph.ontology import schema
from itsms_graph.outputs import write_text
from itsms_graph.queries.definition import QueryDefinition
from itsms_graph.queries.engine import Engine
from itsms_graph.queries.plan import PLACEHOLDER_FLAG, AuditPeriod, bind

if TYPE_CHECKING:
    from itsms_graph.graph.tables import GraphTables

VERDICTS = ("conforms", "nonconformity", "no evidence")
AUDITOR_COLUMNS = ["verdict", "auditor_note"]
#: Temporal properties tried, in order, to put a record in a month (stratify by month): the ontology's
#: itsms:datingOrder.
DATE_KEYS = schema().dating_keys


@dataclass
class Sample:
    population_name: str
    population: list[str]
    drawn: list[str]
    method: str
    seed: int
    size_rule: str
    strata: dict[str, str]

    def describe(self) -> str:
        return (
            f"population {self.population_name}: {len(self.population)} records; method {self.method}, "
            f"seed {self.seed}; {len(self.drawn)} drawn ({self.size_rule})"
        )


def population_of(
    graph: SMSGraph,
    name: str,
    catalogue: dict[str, QueryDefinition],
    period: AuditPeriod,
    filters: dict[str, str],
    *,
    whole_history: bool = False,
    records: Sequence[str] | None = None,
) -> list[str]:
    """The ids of a population: a label's records dated in the audit period (by their first date of
    ``DATE_KEYS``; all of them with *whole_history*, or when the label's records carry none of those dates), or
    the records a canned query applies to (:func:`applicable`; *records* when they were found already, the graph
    then being a part holding them, :func:`population_from_tables`). A placeholder for a reference no input
    resolves is no record, so it is never drawn."""
    if name in catalogue:
        if records is None:
            from itsms_graph.engines.networkx.engine import EmbeddedEngine  # the audit layer imports no engine up front

            records = applicable(EmbeddedEngine(graph), catalogue[name], period)
        ids = sorted(records)
    elif name in graph.schema.labels:
        ids = sorted(n for n in graph.nodes(name) if not graph.attrs(n).get(PLACEHOLDER_FLAG))
        if not whole_history and any(_date(graph, i) for i in ids):
            start, end = period.start.isoformat(), period.as_of.isoformat()
            ids = [i for i in ids if start <= _date(graph, i)[:10] <= end]
    else:
        raise ItsmsError(f"--population {name!r} is neither a canned query id nor a label")
    for key, value in filters.items():
        ids = [i for i in ids if _equals(graph.attrs(i).get(key), value)]
    return ids


def applicable(engine: Engine, query: QueryDefinition, period: AuditPeriod) -> list[str]:
    """The records a canned query applies to in *period* (its first variable, under its applicability
    conditions), found by *engine*, sorted."""
    bare = query.population_query()
    column = bare.columns.index(query.group_variable)
    return sorted({row[column] for row in engine.rows(bind(bare, period))})


def population_from_tables(
    tables: GraphTables,
    name: str,
    catalogue: dict[str, QueryDefinition],
    period: AuditPeriod,
    filters: dict[str, str],
    *,
    whole_history: bool = False,
    by: str | None = None,
) -> tuple[list[str], SMSGraph]:
    """:func:`population_of` on graph tables without building their graph: a canned query's records found by
    DuckDB on the tables, and the part of the graph that population_of and :func:`draw` read, fetched by SQL (those
    records, or the label's nodes; with what services_of walks from them when drawn *by* service). Returns the
    population and that part."""
    from itsms_graph.engines.duckdb.engine import DuckDBEngine  # the audit layer imports no engine up front

    records = (
        applicable(DuckDBEngine(tables.con, tables.schema), catalogue[name], period) if name in catalogue else None
    )
    labels = [name] if records is None and name in tables.schema.labels else []
    follow = service_steps(tables.schema) if by == "service" else ()
    part = tables.part(records or (), labels=labels, follow=follow)
    return population_of(part, name, catalogue, period, filters, whole_history=whole_history, records=records), part


def _date(graph: SMSGraph, nid: str) -> str:
    """The record's first date of ``DATE_KEYS`` (when it happened), or ""."""
    attrs = graph.attrs(nid)
    return next((str(attrs[k]) for k in DATE_KEYS if isinstance(attrs.get(k), str)), "")


def _equals(value: Any, wanted: str) -> bool:
    """A --filter value against a property: booleans in any case (``true``, ``True``), the rest as text."""
    if isinstance(value, bool):
        return wanted.strip().lower() == str(value).lower()
    return str(value) == wanted


def _stratum(graph: SMSGraph, nid: str, by: str) -> str:
    if by == "month":
        attrs = graph.attrs(nid)
        for key in DATE_KEYS:
            if isinstance(attrs.get(key), str):
                return str(attrs[key])[:7]
        return "(no date)"
    services = graph.services_of(nid)
    return services[0] if services else NO_SERVICE


def draw(
    graph: SMSGraph,
    population: list[str],
    *,
    name: str,
    method: str,
    seed: int,
    size: int | None = None,
    by: str | None = None,
    confidence: float = CONFIDENCE,
    tolerable: float = TOLERABLE_RATE,
) -> Sample:
    """Draw a reproducible sample from *population* (sorted ids)."""
    ids = sorted(population)
    if size is None:
        n = zero_failure_size(len(ids), confidence, tolerable)
        rule = (
            f"size {n} from the hypergeometric zero-failure rule: {confidence:.0%} confidence, tolerable "
            f"deviation {tolerable:.0%}, population {len(ids)}"
        )
    else:
        n = min(size, len(ids))
        rule = f"size {n} as requested"
    if by is not None and method != "stratified":
        raise ItsmsError(f"--by {by} goes with --method stratified, not {method}")
    rng = random.Random(seed)
    strata: dict[str, str] = {}
    if method == "random":
        drawn = sorted(rng.sample(ids, n))
    elif method == "systematic":
        if n == 0:
            drawn = []
        else:
            step = len(ids) / n
            start = rng.random() * step
            drawn = [ids[int(start + i * step)] for i in range(n)]
    elif method == "stratified":
        if by not in ("service", "month"):
            raise ItsmsError("--method stratified needs --by service or --by month")
        groups: dict[str, list[str]] = defaultdict(list)
        for nid in ids:
            groups[_stratum(graph, nid, by)].append(nid)
        allocation = {k: max(1, round(n * len(v) / len(ids))) for k, v in sorted(groups.items())} if ids else {}
        drawn = []
        for key in sorted(groups):
            chosen = sorted(rng.sample(groups[key], min(allocation[key], len(groups[key]))))
            drawn += chosen
            strata.update(dict.fromkeys(chosen, key))
        rule += f"; allocated proportionally over {len(groups)} {by} strata, at least one each"
        if len(drawn) > n:
            rule += f" (so {len(drawn)}, not {n})"
    else:
        raise ItsmsError(f"--method {method!r}: random, systematic or stratified")
    return Sample(name, ids, drawn, method, seed, rule, strata)


def _facts(attrs: dict[str, Any]) -> str:
    skip = {"label", "source_file", "source_row", "source_path"}
    return "; ".join(f"{k}={v}" for k, v in sorted(attrs.items()) if k not in skip)


def _evidence(graph: SMSGraph, nid: str) -> str:
    links = [
        f"-[:{rel}]-> {other}" if direction == "out" else f"<-[:{rel}]- {other}"
        for rel, direction, other in graph.adjacent(nid)
    ]
    return "; ".join(sorted(links))


#: The worksheet's columns as the workbook lays them out: the auditor's verdict is a drop-down of VERDICTS.
WORKSHEET_LAYOUT = (
    Column("sample_no", 10, kind="integer", about="The record's place in the draw."),
    Column("record", 26, about="The record's id in the graph (label:id)."),
    Column("label", 16, about="What kind of record it is."),
    Column("stratum", 16, about="The stratum it was drawn from (a service or a month), if stratified."),
    Column("facts", 50, wrap=True, about="The record's properties."),
    Column("linked_evidence", 50, wrap=True, about="The records linked to it (approvals, incidents, ...)."),
    Column("source", 28, wrap=True, about="The source file and row it was imported from."),
    Column("verdict", 16, choices=VERDICTS, about="To fill: the auditor's verdict on the record."),
    Column("auditor_note", 50, wrap=True, about="To fill: what the auditor saw."),
)
WORKSHEET_COLUMNS = [c.name for c in WORKSHEET_LAYOUT]


def worksheet_rows(graph: SMSGraph, sample: Sample) -> list[list[str]]:
    rows = []
    for i, nid in enumerate(sample.drawn, start=1):
        attrs = graph.node(nid)
        source = f"{attrs.get('source_file', '')}:{attrs.get('source_row', attrs.get('source_path', ''))}"
        rows.append(
            [
                str(i),
                nid,
                str(attrs["label"]),
                sample.strata.get(nid, ""),
                _facts(attrs),
                _evidence(graph, nid),
                source,
                "",
                "",
            ]
        )
    return rows


def write_worksheet(graph: SMSGraph, sample: Sample, path: Path, about: Sequence[str] = ()) -> Path:
    """The worksheet, with how the sample was drawn and *about* (tool version, period, inputs with SHA-256):
    "# " lines before a CSV's header, or an XLSX sheet "about"."""
    rows = worksheet_rows(graph, sample)
    if path.suffix.lower() == ".xlsx":
        from itsms_graph.audit.workbook import write_table

        return write_table(path, "sample", WORKSHEET_LAYOUT, rows, [sample.describe(), *about])
    if path.suffix.lower() != ".csv":
        raise ItsmsError(f"{path}: the worksheet is written as .csv or .xlsx")
    write_text(path, csv_table(WORKSHEET_COLUMNS, rows, [sample.describe(), *about]))
    return path


@dataclass(frozen=True)
class SampleFinding:
    id: str
    record: str
    verdict: str
    note: str
    row: int


@dataclass(frozen=True)
class Conclusion:
    """What a tested sample says about its population: deviations found, the upper deviation limit at the stated
    confidence, and whether the control operates at the tolerable rate (the limit does not exceed it)."""

    population: int
    sample: int
    deviations: int
    confidence: float
    tolerable: float

    @property
    def upper_limit(self) -> float:
        return upper_deviation_limit(self.population, self.sample, self.deviations, self.confidence)

    @property
    def accept(self) -> bool:
        return self.upper_limit <= self.tolerable

    def describe(self) -> str:
        verdict = (
            "the control operates at the tolerable rate (accept)"
            if self.accept
            else "the control does not operate at the tolerable rate (reject)"
        )
        return (
            f"{self.deviations} deviation(s) in {self.sample} sampled of {self.population}: upper deviation limit "
            f"{self.upper_limit:.1%} at {self.confidence:.0%} confidence against a tolerable {self.tolerable:.0%}: "
            + verdict
        )

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "upper_deviation_limit": self.upper_limit, "accept": self.accept}


@dataclass(frozen=True)
class Judged:
    """A worksheet read back: the findings its verdicts give, the records still without a verdict, and how many
    records the sample was drawn from (read from the worksheet's own description line)."""

    findings: list[SampleFinding]
    unjudged: list[str]
    population: int | None = None
    drawn: int = 0

    def conclude(self, confidence: float = CONFIDENCE, tolerable: float = TOLERABLE_RATE) -> Conclusion | None:
        """The conclusion, once every sampled record has a verdict and the population is known; else None."""
        if self.unjudged or self.population is None or not self.drawn:
            return None
        deviations = len({f.record for f in self.findings})
        return Conclusion(self.population, self.drawn, deviations, confidence, tolerable)


#: The description line a worksheet carries (Sample.describe): how many records the sample was drawn from.
_DESCRIBED = re.compile(r"^population .+: (\d+) records; method .+; (\d+) drawn")


def read_worksheet(path: Path) -> Judged:
    """Read a filled worksheet; every 'nonconformity' or 'no evidence' verdict becomes a finding."""
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                raw = [["" if v is None else str(v) for v in r] for r in book.worksheets[0].iter_rows(values_only=True)]
                about = (
                    [str(r[0]) for r in book["about"].iter_rows(values_only=True)] if "about" in book.sheetnames else []
                )
            finally:
                book.close()
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise InputError(f"not a readable XLSX workbook: {type(exc).__name__}: {exc}", file=path.name) from None
        offset = 1
    else:
        lines = read_text(path).splitlines()
        skip = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
        raw = list(csv.reader(lines[skip:]))  # the # lines (how it was drawn, from what) are text, not CSV
        about = [line[2:] for line in lines[:skip]]
        offset = skip + 1
    described = next((m for m in map(_DESCRIBED.match, about) if m), None)
    if not raw or raw[0][: len(WORKSHEET_COLUMNS)] != WORKSHEET_COLUMNS:
        raise InputError("not an itsms-graph sample worksheet (header differs)", file=path.name, row=offset)
    header = raw[0]
    out, unjudged = [], []
    for n, values in enumerate(raw[1:], start=offset + 1):
        row = dict(zip(header, (from_spreadsheet_cell(v) for v in values), strict=False))
        verdict = row.get("verdict", "").strip().lower()
        if not verdict:
            unjudged.append(row.get("record", ""))
            continue
        if verdict not in VERDICTS:
            raise InputError(
                f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}", file=path.name, row=n, column="verdict"
            )
        if verdict != "conforms":
            digest = hashlib.sha256(f"{row['record']}\x1f{verdict}".encode()).hexdigest()[:12]
            out.append(SampleFinding(f"sample:{digest}", row["record"], verdict, row.get("auditor_note", ""), n))
    population = int(described.group(1)) if described else None
    return Judged(out, unjudged, population, len(raw) - 1)

"""The Python API: what ``import itsms_graph`` offers a notebook or a script, the command line's work as functions.

A graph comes from exports (:func:`import_exports`), a snapshot (:func:`open_snapshot`) or the example SMS
(:func:`example_sms`); :func:`run_checks` runs the canned queries on it; :func:`stage1` and :func:`stage2` give the
verdicts, :func:`sample` an auditor's sample, :func:`render` a report in any format of the command line, and
:func:`figures` the report's plotly figures. Each is a thin front on the library function named in its docstring,
so that the command line and a Python user get the same results.

On the example SMS (its planted defects are what the checks find):

>>> import itsms_graph as ig
>>> graph = ig.example_sms()
>>> report = ig.run_checks(graph, as_of="2025-06-30")
>>> sorted({r.status.value for r in report.results})
['fail', 'not assessable', 'pass']
>>> ig.stage1(report).outcome
'Not ready'
>>> len(ig.stage2(report).nonconformities) > 0
True
>>> drawn = ig.sample(graph, "Change", method="random", seed=7, size=5, as_of="2025-06-30")
>>> len(drawn.drawn)
5
>>> ig.render(report, "csv").splitlines()[0]
'# itsms-graph 0.1.0'
>>> sorted(ig.figures(graph, report))
['coverage', 'traceability', 'volume']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itsms_graph.audit.report import CheckReport
    from itsms_graph.audit.sampling import Sample
    from itsms_graph.audit.verdict import Stage1Verdict, Stage2Verdict
    from itsms_graph.graph.store import SMSGraph
    from itsms_graph.importers.report import ImportReport
    from itsms_graph.queries.plan import AuditPeriod

__all__ = [
    "example_sms",
    "figures",
    "import_exports",
    "open_snapshot",
    "period",
    "render",
    "run_checks",
    "sample",
    "save_snapshot",
    "stage1",
    "stage2",
]


def example_sms(size: int = 1, seed: int = 20250630) -> SMSGraph:
    """The example SMS of ``itsms-graph demo``, with its planted defects (:func:`itsms_graph.example.generate`)."""
    from itsms_graph.example import generate

    return generate(size, seed).graph


def import_exports(
    sources: Iterable[tuple[str | Path, str | Path]], *, keep_going: bool = False
) -> tuple[SMSGraph, ImportReport]:
    """Import exports into one graph, as ``itsms-graph import`` does: each source is (profile, folder or file),
    the profile a built-in name or a profile file (:func:`itsms_graph.importers.import_sources`)."""
    from itsms_graph.importers import import_sources, resolve_profile

    return import_sources([(resolve_profile(str(p)), Path(path)) for p, path in sources], keep_going=keep_going)


def open_snapshot(path: str | Path) -> SMSGraph:
    """A graph saved by ``itsms-graph import`` or :func:`save_snapshot` (:func:`itsms_graph.graph.open_snapshot`)."""
    from itsms_graph.graph.snapshot import open_snapshot as open_

    return open_(Path(path))


def save_snapshot(graph: SMSGraph, path: str | Path) -> Path:
    """Save *graph* as a snapshot file (:func:`itsms_graph.graph.save_snapshot`)."""
    from itsms_graph.graph.snapshot import save_snapshot as save

    return save(graph, Path(path))


def period(as_of: str | dt.date | None = None, length: str = "12M") -> AuditPeriod:
    """The audit period *length* (12M, 90D, 1Y) ending on *as_of* (default today), both days included."""
    from itsms_graph.queries.plan import AuditPeriod

    return AuditPeriod.parse(as_of, length)


def run_checks(
    graph: SMSGraph,
    *,
    as_of: str | dt.date | None = None,
    length: str = "12M",
    allow_after_cutoff: bool = False,
    backend: str = "networkx",
    queries: Iterable[str | Path] = (),
    only: Iterable[str] | None = None,
    parameters: dict[str, Any] | None = None,
) -> CheckReport:
    """Run the canned queries (and those in the folders *queries*; only the ids *only*, when given) on *graph*, as
    ``itsms-graph check`` does (:func:`itsms_graph.check.check_graph`): the audit period *length* ends on *as_of*,
    by default the data's cut-off (an as-of date past it is refused unless *allow_after_cutoff*)."""
    from itsms_graph.check import check_graph
    from itsms_graph.queries.plan import audit_period

    return check_graph(
        graph,
        period=lambda cut_off: audit_period(as_of, length, cut_off, allow_after_cutoff=allow_after_cutoff),
        query_dirs=[Path(q) for q in queries],
        query_ids=only,
        parameters=parameters,
        backend=backend,
        fail_on="none",
    )


def stage1(report: CheckReport) -> Stage1Verdict:
    """Stage 1 readiness from a check report (:func:`itsms_graph.audit.verdict.stage1`)."""
    from itsms_graph.audit.verdict import stage1 as decide

    return decide(report)


def stage2(report: CheckReport, **rules: Any) -> Stage2Verdict:
    """Stage 2 nonconformities per requirement, from a check report; *rules* are the grading's settings
    (``escalation``, ``confidence``, ``tolerable``: :func:`itsms_graph.audit.verdict.stage2`)."""
    from itsms_graph.audit.verdict import stage2 as decide

    return decide(report, **rules)


def sample(
    graph: SMSGraph,
    population: str,
    *,
    method: str,
    seed: int,
    size: int | None = None,
    by: str | None = None,
    as_of: str | dt.date | None = None,
    length: str = "12M",
    filters: dict[str, str] | None = None,
) -> Sample:
    """A reproducible audit sample of a label's records or of the records a canned query examines in the audit
    period, as ``itsms-graph sample`` draws it (:func:`itsms_graph.audit.sampling.draw`)."""
    from itsms_graph.audit.sampling import draw, population_of
    from itsms_graph.queries.catalogue import load_catalogue

    ids = population_of(graph, population, load_catalogue(), period(as_of, length), filters or {})
    return draw(graph, ids, name=population, method=method, seed=seed, size=size, by=by)


def render(report: CheckReport, fmt: str = "table") -> str:
    """A check report as text in a format of ``check --format`` (:data:`itsms_graph.registry.FORMATS`); "table" is
    the terminal's table, at a fixed width (:func:`itsms_graph.registry.render`)."""
    from itsms_graph.registry import render as render_

    return render_(report, fmt)


def figures(graph: SMSGraph, report: CheckReport) -> dict[str, Any]:
    """The HTML report's plotly figures, by name (:mod:`itsms_graph.reports.traceability` and
    :mod:`itsms_graph.reports.figures`; the coverage counts from the report's roll-up of its Stage 1 and Stage 2
    verdicts, as the report's heatmap does); ``fig.show()`` in a notebook."""
    from itsms_graph.reports.figures import coverage_figure, volume_figure
    from itsms_graph.reports.rollup import rollup_of
    from itsms_graph.reports.traceability import nonconformity_grades, traceability_figure

    return {
        "traceability": traceability_figure(graph, report, grades=nonconformity_grades(stage2(report))),
        "coverage": coverage_figure(rollup_of(report, stage1(report), stage2(report), graph)),
        "volume": volume_figure(graph, report.period),
    }

"""itsms-graph: prove from the records whether an ISO/IEC 20000-1:2018 service management system is real.

Data flows importers -> graph -> queries -> audit -> reports/exports; each stage is a subpackage of the same name
(docs/architecture.md). The package itself offers the Python API (:mod:`itsms_graph.api`): a graph from exports,
a snapshot or the example SMS, the checks, the Stage 1 and Stage 2 verdicts, a sample, a report in any format and
the report's figures. The names load on first use, so that importing the package (and ``itsms-graph --help``)
stays fast.

>>> import itsms_graph
>>> sorted(itsms_graph.__all__)[:4]
['example_sms', 'figures', 'import_exports', 'open_snapshot']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from itsms_graph.api import (
        example_sms,
        figures,
        import_exports,
        open_snapshot,
        period,
        render,
        run_checks,
        sample,
        save_snapshot,
        stage1,
        stage2,
    )

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


def __getattr__(name: str) -> Any:
    if name in __all__:
        from itsms_graph import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

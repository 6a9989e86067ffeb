"""Where findings are drawn: the check report and its renderings (terminal, JSON, CSV, Markdown, JUnit, HTML)."""

from itsms_graph.audit.report import CheckReport, build_report

__all__ = ["CheckReport", "build_report"]

"""The check report's old home: the report type is the audit layer's (itsms_graph.audit.report), re-exported here
for code written against this module."""

from itsms_graph.audit.report import CheckReport, build_report, comment_lines, csv_table, provenance_lines

__all__ = ["CheckReport", "build_report", "comment_lines", "csv_table", "provenance_lines"]

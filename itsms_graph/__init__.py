"""itsms-graph: prove from the records whether an ISO/IEC 20000-1:2018 service management system is real.

Data flows importers -> graph -> queries -> reports/exports; each stage is a subpackage of the same name.
"""

__version__ = "0.1.0"

"""The values a query runs with, and where each came from: the query's default, the configuration file's
``[parameters]``, the organisation's rules register (the ``Rule`` records of the graph), or an explicit
``--param``, each later source overriding the earlier ones.

The organisation sets much of what is audited against (ISO/IEC 20000-1 lets it define its change categories,
planned intervals, reporting periods and major incident criteria): its register states those rules as data, and
they win over a configuration file, which is the auditor's general setting; a ``--param`` given for one run wins
over both. Every result records the value and the source of each parameter, so a reader can tell a finding
against the organisation's own rule from one against the tool's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from itsms_graph.errors import ItsmsError
from itsms_graph.queries.definition import QueryDefinition

RULE_LABEL = "Rule"


class Source(StrEnum):
    DEFAULT = "default"
    CONFIG = "config"
    REGISTER = "rules register"
    PARAM = "--param"


@dataclass(frozen=True)
class RuleRecord:
    """One row of the rules register: the parameter it sets, its value as written, and where it was read."""

    parameter: str
    value: str
    node: str  # the Rule's node id
    where: str  # source file and row, for messages

    def origin(self) -> str:
        return f"{self.node} ({self.where})" if self.where else self.node


@dataclass(frozen=True)
class UsedParameter:
    """A parameter as a query used it: its value, the source that set it and, for a rule, the rule."""

    name: str
    value: Any
    source: Source
    origin: str = ""  # the rule (node id and source row) or the configuration file

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "source": self.source.value, "origin": self.origin}


@dataclass(frozen=True)
class ParameterSources:
    """Every source of parameter values but the queries' defaults, in increasing precedence."""

    config: Mapping[str, Any] = field(default_factory=dict)
    register: Mapping[str, RuleRecord] = field(default_factory=dict)
    given: Mapping[str, Any] = field(default_factory=dict)
    config_file: str = ""

    @classmethod
    def of(cls, overrides: ParameterSources | Mapping[str, Any] | None) -> ParameterSources:
        """*overrides* as sources: a plain mapping is what the caller gave explicitly (``--param``)."""
        if isinstance(overrides, ParameterSources):
            return overrides
        return cls(given=dict(overrides or {}))

    def with_register(self, rules: Iterable[RuleRecord]) -> ParameterSources:
        """These sources with the rules register *rules* (one rule per parameter: a second is an error)."""
        register: dict[str, RuleRecord] = {}
        for rule in rules:
            if rule.parameter in register:
                first = register[rule.parameter]
                raise ItsmsError(
                    f"{rule.where or rule.node}: the rules register sets {rule.parameter} twice (also {first.origin()})"
                )
            register[rule.parameter] = rule
        return ParameterSources(self.config, register, self.given, self.config_file)

    def merged(self) -> dict[str, Any]:
        """Every value these sources set, by name, the highest precedence winning (for code that binds a query
        without running it through :func:`itsms_graph.queries.run.run_queries`)."""
        return {**self.config, **{name: rule.value for name, rule in self.register.items()}, **self.given}

    def names(self) -> set[str]:
        return {*self.config, *self.register, *self.given}

    def check_known(self, queries: Iterable[QueryDefinition]) -> None:
        """A parameter no query declares would leave a default in force without a word: name it, and where it
        was set."""
        known = {name for q in queries for name in q.parameters}
        for rule in sorted(self.register.values(), key=lambda r: r.node):
            if rule.parameter not in known:
                raise ItsmsError(
                    f"{rule.where or rule.node}: the rules register sets {rule.parameter!r}, which no query has "
                    f"(the parameters are: {', '.join(sorted(known))})"
                )
        for where, values in (("the configuration's [parameters]", self.config), ("--param", self.given)):
            unknown = sorted(set(values) - known)
            if unknown:
                raise ItsmsError(
                    f"no query has a parameter {unknown[0]!r} (from {where}); "
                    f"the parameters are: {', '.join(sorted(known))}"
                )

    def resolve(self, query: QueryDefinition) -> dict[str, UsedParameter]:
        """The value and source of each parameter *query* declares (raw values: ``bind`` coerces them)."""
        used: dict[str, UsedParameter] = {}
        for name, spec in query.parameters.items():
            if name in self.given:
                used[name] = UsedParameter(name, self.given[name], Source.PARAM)
            elif name in self.register:
                rule = self.register[name]
                used[name] = UsedParameter(name, rule.value, Source.REGISTER, rule.origin())
            elif name in self.config:
                used[name] = UsedParameter(name, self.config[name], Source.CONFIG, self.config_file)
            else:
                used[name] = UsedParameter(name, spec.default, Source.DEFAULT)
        return used

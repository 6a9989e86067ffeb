"""YAML as itsms-graph reads it (query files, profiles): the safe loader only, in C where PyYAML has libyaml.

The pure-Python loader took a third of a second for the 52 shipped query files, on every command that reads the
catalogue; libyaml's parser with the safe constructor builds the same plain values (str, int, float, bool, None,
dates, lists, dicts) and never a Python object.

>>> load("id: x\\nclauses: ['8.5.1']\\nstage: 2")
{'id': 'x', 'clauses': ['8.5.1'], 'stage': 2}
"""

from __future__ import annotations

from typing import Any

import yaml

#: The safe loader in C when PyYAML was built with libyaml, else the pure-Python one (same values, slower).
Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """The one document in *text* as plain values; a syntax error raises :class:`yaml.YAMLError`."""
    return yaml.load(text, Loader=Loader)  # a safe loader (SafeConstructor): never builds a Python object

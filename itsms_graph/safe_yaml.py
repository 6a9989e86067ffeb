"""YAML as itsms-graph reads it (query files, profiles, YAML exports): the safe loader only, in C where PyYAML has
libyaml, within limits on what an untrusted file may hold.

The pure-Python loader took a third of a second for the 52 shipped query files, on every command that reads the
catalogue; libyaml's parser with the safe constructor builds the same plain values (str, int, float, bool, None,
dates, lists, dicts) and never a Python object.

Before a document becomes values, its node tree is measured without expanding it: how deep it nests and how many
values it holds once every alias is expanded (a file of aliases of aliases, the "billion laughs", shows a few
hundred bytes and holds billions of values, which whatever walks it then expands). Past ``limits.max_nesting()`` or
``limits.max_yaml_values()`` it is refused, naming the environment variable that raises the limit. A date the
calendar lacks (2024-02-30) stays the text it is, for a profile's conversion to reject by its row and column.

>>> load("id: x\\nclauses: ['8.5.1']\\nstage: 2")
{'id': 'x', 'clauses': ['8.5.1'], 'stage': 2}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from itsms_graph.errors import InputError
from itsms_graph.limits import max_nesting, max_yaml_values, read_text

#: The safe loader in C when PyYAML was built with libyaml, else the pure-Python one (same values, slower).
_Base: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_Base):  # type: ignore[valid-type,misc]
    """The safe loader, reading a timestamp the calendar lacks as text."""


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def measure(root: yaml.Node) -> tuple[int, int]:
    """(values with every alias expanded, nesting depth) of a node tree, each node visited once (no recursion:
    aliases share nodes, so the tree is a DAG)."""
    sizes: dict[int, tuple[int, int]] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        if ready or not children:
            measured = [sizes[id(c)] for c in children]
            sizes[id(node)] = (1 + sum(m[0] for m in measured), 1 + max((m[1] for m in measured), default=0))
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def load(text: str, name: str = "") -> Any:
    """The one document in *text* as plain values; a syntax error raises :class:`yaml.YAMLError`, a document past
    the limits an InputError naming *name*."""
    loader = Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # the pure-Python composer recurses per level
            raise InputError(f"nested more than {max_nesting()} levels deep", file=name or None) from None
        if node is None:
            return None
        values, depth = measure(node)
        if depth > max_nesting():
            raise InputError(
                f"nested {depth} levels deep, more than {max_nesting()}; raise ITSMS_GRAPH_MAX_NESTING if the file "
                "is genuine",
                file=name or None,
            )
        if values > max_yaml_values():
            raise InputError(
                f"holds {values:,} values once its aliases are expanded, more than {max_yaml_values():,} (an alias "
                "bomb?); raise ITSMS_GRAPH_MAX_YAML_VALUES if the file is genuine",
                file=name or None,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_file(path: Path) -> Any:
    """A user's YAML file (profile, query): UTF-8, safe, within the nesting and alias limits; an InputError names
    the file."""
    text = read_text(path)
    try:
        return load(text, str(path))
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=str(path)) from None

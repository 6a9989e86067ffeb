"""The registry (itsms_graph/registry.py) is the one list of formats and engines: the command line offers exactly
its names, every format renders, and the parity suite runs every in-process engine against the reference."""

from __future__ import annotations

import click
import pytest

from itsms_graph.cli import cli
from itsms_graph.registry import BACKENDS, FORMATS, RENDERERS, SERVER_BACKENDS, TABLE, renderer
from tests.conftest import OTHER_ENGINES


def _choices(path: list[str], option: str) -> list[str]:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    [param] = [p for p in command.params if option in getattr(p, "opts", ())]
    assert isinstance(param.type, click.Choice)
    return list(param.type.choices)


def test_check_offers_every_format_and_engine():
    assert _choices(["check"], "--format") == list(FORMATS)
    assert _choices(["check"], "--backend") == list(BACKENDS)
    assert _choices(["query", "run"], "--format") == list(FORMATS)


def test_commands_without_a_server_offer_the_in_process_engines():
    in_process = [b for b in BACKENDS if b not in SERVER_BACKENDS]
    assert _choices(["query", "run"], "--backend") == in_process
    assert _choices(["demo"], "--backend") == in_process


@pytest.mark.parametrize("fmt", RENDERERS)
def test_every_text_format_has_a_renderer(fmt: str):
    assert callable(renderer(fmt))


def test_the_parity_suite_covers_every_in_process_engine():
    """networkx is the reference; every other engine that runs in process is held equal to it."""
    others = {p.values[0] if hasattr(p, "values") else p for p in OTHER_ENGINES}
    assert {"networkx", *others} == {b for b in BACKENDS if b not in SERVER_BACKENDS}


def test_table_is_a_format():
    assert TABLE in FORMATS and TABLE not in RENDERERS


def _engine_classes() -> dict[str, type]:
    """Every class of a backend package (itsms_graph/engines/<backend>/) that answers the engine protocol, by its
    ``name``: found by walking the packages, not from a list."""
    import importlib
    import inspect
    import pkgutil

    import itsms_graph.engines as engines

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(engines.__path__, f"{engines.__name__}."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if (
                inspect.isclass(cls)
                and cls.__module__ == module.__name__
                and isinstance(getattr(cls, "name", None), str)
                and all(callable(getattr(cls, m, None)) for m in ("label_count", "property_present", "rows", "exists"))
            ):
                found[cls.name] = cls
    return found


def test_every_backend_has_its_engine_in_a_backend_package():
    """Each name ``--backend`` offers is an engine class of the same name in a package under engines/."""
    classes = _engine_classes()
    assert {"networkx", "duckdb"} <= set(classes)  # the walk finds what it guards
    missing = [b for b in BACKENDS if b not in classes]
    assert not missing, f"backends without an engine class of that name under itsms_graph/engines/: {missing}"

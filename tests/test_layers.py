"""The package's layers run one way (#20.3): no import cycle between itsms_graph's subpackages, nor between two of
its modules.

The imports are read from the source (every ``import`` and ``from ... import``, at module level, inside a
function, or under ``if TYPE_CHECKING``), so an import a function defers to keep start-up fast still counts: a
deferred import hides a cycle from Python, not from the design. A failure names each import of the cycle with its
file and line, so the import to cut is plain.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "itsms_graph"
ROOT = PACKAGE.name

#: Cycles being cut by their owners as this test lands (each, once cut, fails
#: test_known_cycles_are_still_there: then delete it here, so that it cannot come back).
KNOWN_PACKAGE_CYCLES: set[frozenset[str]] = set()  # audit <-> reports was cut: the workbook writer is audit/workbook.py
KNOWN_PRIVATE_USERS: set[str] = set()  # the graph tables' loader and the import's resolve use the bulk API now
KNOWN_MODULE_CYCLES: set[frozenset[str]] = set()  # graph/snapshot.py <-> graph/tables.py: cut by scale


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    line: int
    scope: str  # "module", "function" or "type-checking"

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line}, {self.scope})"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> Iterator[Import]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def target_of(module: str, imported: str | None) -> str | None:
        """The itsms_graph module an import names: ``from a import b`` is module a.b when that exists. The
        version is metadata, not a layer: ``from itsms_graph import __version__`` depends on no module."""
        if imported is not None and f"{module}.{imported}" in known:
            return f"{module}.{imported}"
        if module == ROOT and imported == "__version__":
            return None
        return module if module in known else None

    def walk(node: ast.AST, scope: str) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                inner = "type-checking"
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and scope == "module":
                inner = "function"
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = target_of(alias.name, None)
                    if target:
                        yield Import(name, target, child.lineno, scope)
            elif isinstance(child, ast.ImportFrom):
                module = child.module or ""
                if child.level:  # relative: from the package, up level - 1
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    module = ".".join([*base, module] if module else base)
                for alias in child.names:
                    target = target_of(module, alias.name)
                    if target:
                        yield Import(name, target, child.lineno, scope)
            yield from walk(child, inner)

    yield from walk(ast.parse(path.read_text(encoding="utf-8")), "module")


def all_imports() -> list[Import]:
    """Every import of one itsms_graph module by another, once per line (a module importing its own package's
    ``__init__`` on the way to a sibling is left out: that is how Python imports, not a dependency)."""
    modules = _modules()
    known = set(modules)
    found = {
        imp
        for name, path in modules.items()
        for imp in _imports(name, path, known)
        if imp.target != imp.source and not imp.source.startswith(imp.target + ".")
    }
    return sorted(found, key=lambda i: (i.source, i.line, i.target))


def subpackage(module: str) -> str:
    """The layer a module belongs to: its subpackage (itsms_graph.queries.plan -> queries), or itself for a
    top-level module (itsms_graph.check -> check)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def cycles(edges: dict[tuple[str, str], list[Import]]) -> dict[frozenset[str], list[Import]]:
    """Each strongly connected group of more than one node, with the imports inside it."""
    graph = nx.DiGraph(list(edges))
    out = {}
    for group in nx.strongly_connected_components(graph):
        if len(group) > 1:
            out[frozenset(group)] = [imp for (a, b), imps in edges.items() if a in group and b in group for imp in imps]
    return out


def package_edges() -> dict[tuple[str, str], list[Import]]:
    edges: dict[tuple[str, str], list[Import]] = {}
    for imp in all_imports():
        a, b = subpackage(imp.source), subpackage(imp.target)
        if a != b:
            edges.setdefault((a, b), []).append(imp)
    return edges


def module_edges() -> dict[tuple[str, str], list[Import]]:
    edges: dict[tuple[str, str], list[Import]] = {}
    for imp in all_imports():
        edges.setdefault((imp.source, imp.target), []).append(imp)
    return edges


def _describe(found: dict[frozenset[str], list[Import]]) -> str:
    return "\n".join(
        f"cycle {' <-> '.join(sorted(group))}:\n" + "\n".join(f"  {imp}" for imp in imps)
        for group, imps in found.items()
    )


def test_no_cycle_between_subpackages():
    found = {g: imps for g, imps in cycles(package_edges()).items() if g not in KNOWN_PACKAGE_CYCLES}
    assert not found, "import cycles between subpackages:\n" + _describe(found)


def test_no_cycle_between_modules():
    found = {g: imps for g, imps in cycles(module_edges()).items() if g not in KNOWN_MODULE_CYCLES}
    assert not found, "import cycles between modules:\n" + _describe(found)


@pytest.mark.parametrize(
    ("known", "edges"),
    [(KNOWN_PACKAGE_CYCLES, package_edges), (KNOWN_MODULE_CYCLES, module_edges)],
    ids=["subpackages", "modules"],
)
def test_known_cycles_are_still_there(known, edges):
    """A known cycle that was cut comes off the list, so that it cannot come back unnoticed."""
    present = set(cycles(edges()))
    gone = [sorted(g) for g in known if g not in present]
    assert not gone, f"these cycles are cut: delete them from the known list in {Path(__file__).name}: {gone}"


def test_the_walk_sees_deferred_and_type_checking_imports(tmp_path, monkeypatch):
    """The reader itself: an import inside a function or under TYPE_CHECKING is an edge, and a cycle made only
    of such imports is still found."""
    pkg = tmp_path / "itsms_graph"
    (pkg / "a").mkdir(parents=True)
    (pkg / "b").mkdir()
    for folder in (pkg, pkg / "a", pkg / "b"):
        (folder / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("def f():\n    from itsms_graph.b.y import g\n")
    (pkg / "b" / "y.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from itsms_graph.a import x\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", pkg)
    scopes = {(i.source, i.target): i.scope for i in all_imports()}
    assert scopes == {
        ("itsms_graph.a.x", "itsms_graph.b.y"): "function",
        ("itsms_graph.b.y", "itsms_graph.a.x"): "type-checking",
    }
    assert set(cycles(package_edges())) == {frozenset({"a", "b"})}


def _private_names_of_the_store() -> set[str]:
    from itsms_graph.graph.store import SMSGraph

    fields = {f.name for f in dataclasses.fields(SMSGraph)}
    return {n for n in fields | set(vars(SMSGraph)) if n.startswith("_") and not n.startswith("__")}


def _private_uses() -> dict[str, list[str]]:
    """Module -> its uses of the store's private fields (a module's own ``self._x`` is its own business)."""
    private = _private_names_of_the_store()
    assert {"_nodes", "_by_label", "_marked"} <= private  # the reader finds what it guards
    found: dict[str, list[str]] = {}
    for name, path in _modules().items():
        if name == "itsms_graph.graph.store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                found.setdefault(name, []).append(f"line {node.lineno}: .{node.attr}")
    return found


def test_only_the_store_touches_its_private_fields():
    """The graph's indexes are the store's to keep consistent: a loader uses its bulk API (bulk_add_nodes,
    bulk_add_edges, attrs_of), never ``graph._nodes``."""
    found = {name: uses for name, uses in _private_uses().items() if name not in KNOWN_PRIVATE_USERS}
    assert not found, f"private fields of SMSGraph used outside graph/store.py: {found}"


def test_known_private_users_still_are():
    """A module that no longer reaches into the store comes off the list, so that it cannot start again."""
    gone = sorted(KNOWN_PRIVATE_USERS - set(_private_uses()))
    assert not gone, f"delete from KNOWN_PRIVATE_USERS in {Path(__file__).name}: {gone}"


#: The size past which a module states, in its docstring, why it is one module (#20: "no module over ~500 lines
#: without a stated reason").
LONG_MODULE = 500


def test_a_long_module_states_why_it_is_one():
    """A module over LONG_MODULE lines says why in its docstring ("Why one module of this length: ..."), so that
    growing past it is a decision someone wrote down, not drift."""
    unstated = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > LONG_MODULE and "Why one module of this length:" not in (
            ast.get_docstring(ast.parse(text)) or ""
        ):
            unstated.append(f"{name} ({text.count(chr(10))} lines)")
    assert not unstated, f"modules over {LONG_MODULE} lines without a stated reason in their docstring: {unstated}"


def test_a_backend_is_one_package_with_its_compiler_and_engine():
    """The engines are grouped by backend (#20.3): each package under engines/ holds its compiler and its
    engine(s), nothing else sits in engines/, and the query language imports no backend (its compilers live with
    their engines, not in queries/)."""
    engines = PACKAGE / "engines"
    loose = sorted(p.name for p in engines.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules directly in engines/ (each belongs in its backend's package): {loose}"
    backends = sorted(p for p in engines.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert backends, "no backend package under engines/"
    missing = {
        folder.name: absent
        for folder in backends
        if (absent := [m for m in ("__init__.py", "compiler.py", "engine.py") if not (folder / m).is_file()])
    }
    assert not missing, f"backend packages without their compiler or engine: {missing}"
    reached = [str(i) for i in all_imports() if subpackage(i.source) == "queries" and subpackage(i.target) == "engines"]
    assert not reached, "the query language imports a backend:\n" + "\n".join(reached)

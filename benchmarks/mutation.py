"""Mutation testing of the audit rules (#14): does mutating any comparison in itsms_graph/audit/ fail a test?

Every comparison operator (< <= > >= == != in, not in, is, is not) of the chosen modules gives one mutant (< and <=
swap, > and >=, == and !=, in and not in, is and is not), every `not` one (the `not` dropped) and every boolean
`and` / `or` that is a condition one (the operator swapped; an `x or default` that picks a value is no condition and
is left alone). Each mutant is written into a private copy of the repository (the working tree is never written;
the script checks at the end that `git status` of itsms_graph/ is what it was), the chosen tests run against the
copy (PYTHONPATH is the copy) with ``-x -q -p no:cacheprovider``, and a mutant is killed when they fail (or time
out), survived when they pass. One pytest at a time unless --jobs says otherwise.

A survivor is either equivalent (no input can tell it from the original: ``EQUIVALENT`` below says why, keyed by
the mutated line) or a missing test; the script exits 1 when a survivor is not known equivalent.

Run: python benchmarks/mutation.py [--files itsms_graph/audit/verdict.py ...] [--limit N] [--python PY]
     [--tests tests/test_verdict_rules.py ...] [--jobs 1] [--list] [--out benchmarks/RESULTS-mutation.md]
"""

from __future__ import annotations

import argparse
import ast
import compileall
import copy
import datetime as dt
import os
import platform
import py_compile
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "itsms_graph" / "audit").glob("*.py"))
#: The fast tests of the audit layer: the verdict rules first (they kill most mutants, and -x stops there).
DEFAULT_TESTS = [
    "tests/test_verdict_rules.py",
    "tests/test_audit.py",
    "tests/test_audit_facts.py",
    "tests/test_goldens.py",
    "itsms_graph/audit",  # the modules' doctests (pyproject's addopts has --doctest-modules)
]
PYTEST_FLAGS = ["-x", "-q", "-p", "no:cacheprovider"]
#: What the private copy leaves out: history, environments, caches, outputs.
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "out", ".wip"
)

#: Survivors that no input can tell from the original, with why: (file, original line, mutated line) -> reason.
#: The lines are stripped of their indentation, so the key survives code moving around the file.
EQUIVALENT: dict[tuple[str, str, str], str] = {}

#: The survivors of the first full run (2026-12-06, 146 mutants, 12 survivors, none equivalent: commit d2c3c71),
#: with the boundary each missed; the results show what each gives now (the tests added for them kill them).
FIRST_RUN_SURVIVORS: dict[tuple[str, str, str], str] = {
    (
        "itsms_graph/audit/diff.py",
        'if scope not in ("new", "any") or grade not in GRADE_ORDER:',
        'if scope not in ("new", "any") and grade not in GRADE_ORDER:',
    ): "a --fail-on rule with one half right (new-critical, all-major)",
    (
        "itsms_graph/audit/facts.py",
        "return dt.date.fromisoformat(row[0]) if row and row[0] else None",
        "return dt.date.fromisoformat(row[0]) if row or row[0] else None",
    ): "graph tables with no dated record",
    (
        "itsms_graph/audit/facts.py",
        "if source and where is not None:",
        "if source or where is not None:",
    ): "a record with a row but no source file",
    (
        "itsms_graph/audit/nonconformity.py",
        'if self.evidence and self.evidence[0].record.label == "Clause":',
        'if self.evidence or self.evidence[0].record.label == "Clause":',
    ): "a requirement's records without a population",
    (
        "itsms_graph/audit/sampling.py",
        "if not whole_history and any(_date(graph, i) for i in ids):",
        "if not whole_history or any(_date(graph, i) for i in ids):",
    ): "a label population of undated records",
    (
        "itsms_graph/audit/sampling.py",
        "if not whole_history and any(_date(graph, i) for i in ids):",
        "if whole_history and any(_date(graph, i) for i in ids):",
    ): "a population with records outside the period, and --whole-history",
    (
        "itsms_graph/audit/sampling.py",
        "ids = [i for i in ids if start <= _date(graph, i)[:10] <= end]",
        "ids = [i for i in ids if start < _date(graph, i)[:10] <= end]",
    ): "a record dated on the period's first day",
    (
        "itsms_graph/audit/sampling.py",
        "if len(drawn) > n:",
        "if len(drawn) >= n:",
    ): "strata that need exactly the size",
    (
        "itsms_graph/audit/sampling.py",
        'return "; ".join(f"{k}={v}" for k, v in sorted(attrs.items()) if k not in skip)',
        'return "; ".join(f"{k}={v}" for k, v in sorted(attrs.items()) if k in skip)',
    ): "a worksheet row's facts column",
    (
        "itsms_graph/audit/sampling.py",
        'f"-[:{rel}]-> {other}" if direction == "out" else f"<-[:{rel}]- {other}"',
        'f"-[:{rel}]-> {other}" if direction != "out" else f"<-[:{rel}]- {other}"',
    ): "a worksheet row's links, in and out",
    (
        "itsms_graph/audit/sampling.py",
        "if not raw or raw[0][: len(WORKSHEET_COLUMNS)] != WORKSHEET_COLUMNS:",
        "if not raw and raw[0][: len(WORKSHEET_COLUMNS)] != WORKSHEET_COLUMNS:",
    ): "an empty file, or one with another header, read as a worksheet",
    (
        "itsms_graph/audit/verdict.py",
        "na += [r for r in deciding if r.status is Status.NOT_ASSESSABLE and r not in na]",
        "na += [r for r in deciding if r.status is Status.NOT_ASSESSABLE and r in na]",
    ): "a not-assessable readiness check of either stage, listed once",
}

SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
SYMBOL = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
#: How each operator is found in the text between its two operands (a bare < is not the start of <=).
PATTERN = {
    ast.Lt: r"<(?!=)",
    ast.LtE: r"<=",
    ast.Gt: r">(?!=)",
    ast.GtE: r">=",
    ast.Eq: r"==",
    ast.NotEq: r"!=",
    ast.In: r"(?<!\w)in(?!\w)",
    ast.NotIn: r"(?<!\w)not\s+in(?!\w)",
    ast.Is: r"(?<!\w)is(?!\w)",
    ast.IsNot: r"(?<!\w)is\s+not(?!\w)",
}


@dataclass
class Mutant:
    file: str  # relative to the repository
    line: int
    kind: str  # "compare", "boolean" or "not"
    change: str  # e.g. "<= -> <"
    original: str  # the original source line(s), stripped
    mutated: str  # the mutated line(s), stripped
    source: str  # the whole mutated module
    status: str = "pending"  # killed, survived, timeout, error
    seconds: float = 0.0
    detail: str = ""  # the first failing test, or why it errored

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.file, self.original, self.mutated)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


# ----------------------------------------------------------------------------------------------------- mutants


def _offsets(text: str) -> list[int]:
    """Byte offset of each line's start (ast positions are UTF-8 byte columns), 1-based lines."""
    starts, pos = [0, 0], 0
    for line in text.encode().splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def _is_condition(node: ast.BoolOp, parents: dict[ast.AST, ast.AST]) -> bool:
    """An and/or that decides something (a test, or an operand that is itself a comparison or a `not`), not
    ``x or default`` picking a value."""
    if any(isinstance(v, ast.Compare | ast.BoolOp) or _is_not(v) for v in node.values):
        return True
    parent = parents.get(node)
    if isinstance(parent, ast.If | ast.While | ast.IfExp | ast.Assert) and parent.test is node:
        return True
    if isinstance(parent, ast.comprehension) and node in parent.ifs:
        return True
    return _is_not(parent) or (isinstance(parent, ast.BoolOp) and _is_condition(parent, parents))


def _is_not(node: ast.AST | None) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)


def _sites(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(node index in ast.walk order, operator index, kind) of every mutation site."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    out = []
    for index, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare):
            out += [(index, i, "compare") for i in range(len(node.ops))]
        elif isinstance(node, ast.BoolOp) and _is_condition(node, parents):
            out.append((index, 0, "boolean"))
        elif _is_not(node):
            out.append((index, 0, "not"))
    return out


def value_picks(path: Path) -> list[str]:
    """The and/or left alone (``x or default``: they pick a value, they decide nothing), as FILE:LINE."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    rel = path.relative_to(ROOT)
    return [
        f"{rel}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.BoolOp) and not _is_condition(node, parents)
    ]


def _mutate_tree(tree: ast.AST, index: int, op: int, kind: str) -> tuple[ast.AST, ast.AST, ast.AST, str]:
    """A copy of *tree* with the site mutated: (the copy, the original node, the mutated node, the change)."""
    mutated = copy.deepcopy(tree)
    node = next(n for i, n in enumerate(ast.walk(mutated)) if i == index)
    original = copy.deepcopy(node)
    if kind == "compare":
        assert isinstance(node, ast.Compare)
        old = type(node.ops[op])
        node.ops[op] = SWAP[old]()
        return mutated, original, node, f"{SYMBOL[old]} -> {SYMBOL[SWAP[old]]}"
    if kind == "boolean":
        assert isinstance(node, ast.BoolOp)
        new = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        change = "and -> or" if isinstance(node.op, ast.And) else "or -> and"
        node.op = new
        return mutated, original, node, change
    # kind == "not": the operand takes the `not`'s place in its parent
    assert isinstance(node, ast.UnaryOp)
    for parent in ast.walk(mutated):
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, node.operand)
            elif isinstance(value, list):
                value[:] = [node.operand if v is node else v for v in value]
    return mutated, original, node.operand, "not x -> x"


def _span(node: ast.AST, starts: list[int]) -> tuple[int, int]:
    return (
        starts[node.lineno] + node.col_offset,  # type: ignore[attr-defined]
        starts[node.end_lineno] + node.end_col_offset,  # type: ignore[attr-defined]
    )


def _textual(raw: bytes, starts: list[int], node: ast.AST, op: int, kind: str) -> bytes | None:
    """The smallest edit: the operator's own text replaced (or the `not` removed), or None when it is not found."""
    if kind == "compare":
        assert isinstance(node, ast.Compare)
        left = node.left if op == 0 else node.comparators[op - 1]
        lo, hi = _span(left, starts)[1], _span(node.comparators[op], starts)[0]
        old = type(node.ops[op])
        match = re.search(PATTERN[old].encode(), raw[lo:hi])
        if match is None:
            return None
        return raw[: lo + match.start()] + SYMBOL[SWAP[old]].encode() + raw[lo + match.end() :]
    if kind == "boolean":
        assert isinstance(node, ast.BoolOp)
        word, other = (b"and", b"or") if isinstance(node.op, ast.And) else (b"or", b"and")
        out, last = b"", 0
        for a, b in zip(node.values, node.values[1:], strict=False):
            lo, hi = _span(a, starts)[1], _span(b, starts)[0]
            match = re.search(rb"(?<!\w)" + word + rb"(?!\w)", raw[lo:hi])
            if match is None:
                return None
            out += raw[last : lo + match.start()] + other
            last = lo + match.end()
        return out + raw[last:]
    assert isinstance(node, ast.UnaryOp)
    lo, hi = _span(node, starts)[0], _span(node.operand, starts)[0]
    match = re.match(rb"not\s*", raw[lo:hi])
    if match is None:
        return None
    return raw[:lo] + raw[lo + match.end() :]


def _same(text: str, expected: ast.AST) -> bool:
    try:
        return ast.dump(ast.parse(text)) == ast.dump(expected)
    except SyntaxError:
        return False


def _lines(text: str, first: int, last: int) -> str:
    return " / ".join(line.strip() for line in text.splitlines()[first - 1 : last])


def mutants_of(path: Path) -> list[Mutant]:
    """Every mutant of one module, each checked: the mutated text parses to exactly the mutated tree."""
    text = path.read_text(encoding="utf-8")
    raw, starts = text.encode(), _offsets(text)
    tree = ast.parse(text)
    rel = str(path.relative_to(ROOT))
    out = []
    for index, op, kind in _sites(tree):
        expected, before, after, change = _mutate_tree(tree, index, op, kind)
        edited = _textual(raw, starts, next(n for i, n in enumerate(ast.walk(tree)) if i == index), op, kind)
        source = edited.decode() if edited is not None else ""
        if not _same(source, expected):  # operator precedence or layout: the whole node, parenthesised
            lo, hi = _span(before, starts)
            source = (raw[:lo] + f"({ast.unparse(after)})".encode() + raw[hi:]).decode()
            if not _same(source, expected):
                raise RuntimeError(f"{rel}:{before.lineno}: cannot write the mutant {change}")  # type: ignore[attr-defined]
        first, last = before.lineno, before.end_lineno  # type: ignore[attr-defined]
        shift = source.count("\n") - text.count("\n")
        out.append(
            Mutant(
                rel,
                first,
                kind,
                change,
                _lines(text, first, last),
                _lines(source, first, last + shift),
                source,
            )
        )
    return sorted(out, key=lambda m: (m.file, m.line, m.change))


# ----------------------------------------------------------------------------------------------------- running


class Workspace:
    """A private copy of the repository, the tests run in it; mutants are written into it and restored."""

    def __init__(self, python: str, tests: list[str]) -> None:
        self.python, self.tests = python, tests
        self.tmp = Path(tempfile.mkdtemp(prefix="itsms-mutation-"))
        self.root = self.tmp / "repo"
        shutil.copytree(ROOT, self.root, ignore=IGNORE)
        # checked-hash bytecode: the unmutated modules load fast, a mutated one is recompiled from its text
        # (a timestamp pyc could be taken for a same-size mutant written within the same second)
        compileall.compile_dir(
            self.root / "itsms_graph", quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
        )
        self.env = {**os.environ, "PYTHONPATH": str(self.root), "PYTHONDONTWRITEBYTECODE": "1"}
        self.env.pop("CI", None)  # a missing tier skips here, whatever the caller's CI says

    def pytest(self, timeout: float | None) -> tuple[int | None, str, float]:
        """(exit code or None on timeout, the last lines of output, seconds)."""
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [self.python, "-m", "pytest", *PYTEST_FLAGS, *self.tests],
                cwd=self.root,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return None, "", time.perf_counter() - start
        return done.returncode, done.stdout[-4000:] + done.stderr[-2000:], time.perf_counter() - start

    def run(self, mutant: Mutant, timeout: float) -> None:
        target = self.root / mutant.file
        original = target.read_text(encoding="utf-8")
        try:
            target.write_text(mutant.source, encoding="utf-8")
            code, output, mutant.seconds = self.pytest(timeout)
        finally:
            target.write_text(original, encoding="utf-8")
        if code is None:
            mutant.status, mutant.detail = "timeout", f"no result in {timeout:.0f} s"
        elif code == 0:
            mutant.status = "survived"
        elif code == 1:
            mutant.status, mutant.detail = "killed", _first_failure(output)
        else:  # 2-5: interrupted, internal error, usage error, no tests: the mutant broke the collection
            mutant.status, mutant.detail = "killed", f"pytest exit {code}: {_first_failure(output)}"

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0].split(" ", 1)[1]
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


def _where_key(where: str) -> tuple[str, int]:
    file, _, line = where.rpartition(":")
    return file, int(line)


def _git_state() -> str:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--", "itsms_graph"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


# ----------------------------------------------------------------------------------------------------- results


def _cell(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def write_results(path: Path, mutants: list[Mutant], meta: dict[str, str]) -> None:
    """The results as Markdown, written atomically (a temporary file beside it, then os.replace)."""
    done = [m for m in mutants if m.status != "pending"]
    killed = [m for m in done if m.status in ("killed", "timeout")]
    survived = [m for m in done if m.status == "survived"]
    equivalent = [m for m in survived if m.key in EQUIVALENT]
    missing = [m for m in survived if m.key not in EQUIVALENT]
    seconds = [m.seconds for m in done]
    lines = [
        "# Mutation testing of the audit rules",
        "",
        "`python benchmarks/mutation.py` (`make mutation`): every comparison operator of the modules below swapped "
        "(`<`/`<=`, `>`/`>=`, `==`/`!=`, `in`/`not in`, `is`/`is not`), every `not` dropped, every `and`/`or` that "
        "is a condition swapped, one mutant each, in a private copy of the repository; a mutant is killed when "
        "the tests fail. The machine is shared: the seconds are indicative.",
        "",
        *(f"- {k}: {v}" for k, v in meta.items()),
        "",
        "## Totals",
        "",
        "| mutants | killed | survived | of which equivalent | of which a missing test |",
        "|---|---|---|---|---|",
        f"| {len(done)} | {len(killed)} | {len(survived)} | {len(equivalent)} | {len(missing)} |",
        "",
    ]
    if seconds:
        lines += [
            f"Per mutant: median {statistics.median(seconds):.1f} s, mean {statistics.mean(seconds):.1f} s, "
            f"max {max(seconds):.1f} s; {sum(seconds) / 60:.1f} min in all. "
            f"Timeouts (counted as killed): {sum(m.status == 'timeout' for m in done)}.",
            "",
        ]
    lines += ["## Per module", "", "| module | mutants | killed | survived |", "|---|---|---|---|"]
    for file in sorted({m.file for m in done}):
        ms = [m for m in done if m.file == file]
        lines.append(
            f"| {file} | {len(ms)} | {sum(m.status != 'survived' for m in ms)} | "
            f"{sum(m.status == 'survived' for m in ms)} |"
        )
    lines += ["", "## Survivors", ""]
    if survived:
        lines += ["| where | mutation | mutated line | why it survives |", "|---|---|---|---|"]
        for m in survived:
            why = f"equivalent: {EQUIVALENT[m.key]}" if m.key in EQUIVALENT else "missing test: no test kills it"
            lines.append(f"| {m.where} | {_cell(m.change)} | {_cell(m.mutated)} | {why} |")
    else:
        lines.append("None: every mutant is killed, so none is equivalent (`EQUIVALENT` in the script is empty).")
    past = [m for m in done if m.key in FIRST_RUN_SURVIVORS]
    if past:
        lines += [
            "",
            "## The first run's survivors, now",
            "",
            "The first full run (commit d2c3c71) left 12 survivors, none equivalent: each was a boundary no test "
            "sat on. The tests added for them (tests/test_verdict_rules.py, tests/test_audit_facts.py, "
            "tests/test_audit.py) give:",
            "",
            "| where | mutation | the boundary it missed | now |",
            "|---|---|---|---|",
        ]
        for m in past:
            now = m.status + (f": {m.detail}" if m.detail else "")
            lines.append(f"| {m.where} | {_cell(m.change)} | {FIRST_RUN_SURVIVORS[m.key]} | {now} |")
    lines += ["", "## Every mutant", "", "| where | mutation | mutated line | result | s |", "|---|---|---|---|---|"]
    for m in done:
        result = m.status + (f": {m.detail}" if m.detail else "")
        lines.append(f"| {m.where} | {_cell(m.change)} | {_cell(m.mutated)} | {result} | {m.seconds:.1f} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=DEFAULT_FILES, help="modules to mutate (repository paths)")
    parser.add_argument("--tests", nargs="+", default=DEFAULT_TESTS, help="the tests to run per mutant")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs pytest")
    parser.add_argument("--limit", type=int, help="only the first N mutants (in file and line order)")
    parser.add_argument("--lines", nargs="+", default=[], help="only the mutants at FILE:LINE")
    parser.add_argument("--jobs", type=int, default=1, help="pytest runs at once (default 1)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS-mutation.md")
    parser.add_argument("--note", action="append", default=[], help="a line for the results' header")
    args = parser.parse_args(argv)

    mutants = [m for f in args.files for m in mutants_of((ROOT / f).resolve())]
    if args.lines:
        mutants = [m for m in mutants if m.where in args.lines]
    if args.limit is not None:
        mutants = mutants[: args.limit]
    if args.list:
        for m in mutants:
            print(f"{m.where}\t{m.kind}\t{m.change}\t{m.mutated}")
        print(f"{len(mutants)} mutants", file=sys.stderr)
        return 0

    picks = sorted((p for f in args.files for p in value_picks((ROOT / f).resolve())), key=_where_key)
    before = _git_state()
    started = time.perf_counter()
    spaces = [Workspace(args.python, args.tests) for _ in range(max(1, args.jobs))]
    try:
        code, output, baseline = spaces[0].pytest(None)
        if code != 0:
            print(output, file=sys.stderr)
            sys.exit("the tests fail without any mutant: fix them first")
        timeout = max(60.0, 5 * baseline)
        print(f"baseline: the tests pass in {baseline:.1f} s; {len(mutants)} mutants, timeout {timeout:.0f} s")
        meta = {
            "date": dt.date.today().isoformat(),
            "python": f"{args.python} ({platform.python_version()} here)",
            "modules": ", ".join(args.files),
            "tests": "`pytest " + " ".join([*PYTEST_FLAGS, *args.tests]) + "`",
            "baseline (unmutated, every test run)": f"{baseline:.1f} s",
            "and/or left alone (they pick a value: `x or default`)": ", ".join(picks) or "none",
            **{f"note {i + 1}": n for i, n in enumerate(args.note)},
        }
        free = list(spaces)

        def one(m: Mutant) -> Mutant:
            space = free.pop()
            try:
                space.run(m, timeout)
            finally:
                free.append(space)
            return m

        with ThreadPoolExecutor(max_workers=len(spaces)) as pool:
            for n, m in enumerate(pool.map(one, mutants), start=1):
                print(f"[{n}/{len(mutants)}] {m.where} {m.change}: {m.status} ({m.seconds:.1f} s) {m.detail}")
                if n % 10 == 0:
                    write_results(args.out, mutants, meta)
        meta["wall time"] = f"{(time.perf_counter() - started) / 60:.1f} min"
        write_results(args.out, mutants, meta)
    finally:
        for space in spaces:
            space.close()
    if _git_state() != before:
        sys.exit("the working tree's itsms_graph/ changed during the run: it must not (check git diff)")
    unexplained = [m for m in mutants if m.status == "survived" and m.key not in EQUIVALENT]
    print(f"{len(unexplained)} survivor(s) not known equivalent; results in {args.out}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())

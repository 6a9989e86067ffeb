"""Neo4j's own Cypher front end as a checker: every statement itsms-graph ships is linted against the ontology.

The npm package @neo4j-cypher/language-support (pinned in tools/cypher-lint/package.json) parses each statement
with Neo4j's grammar and checks labels, relationship types, property keys and parameters against a schema that
is built here from the ontology alone; each statement is linted with the parameters it is run with.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsms_graph.ontology import Schema, schema

LINTER_DIR = Path(__file__).resolve().parents[1] / "tools" / "cypher-lint"
#: fewer statements than this per node process are not worth its start-up (about half a second)
_MIN_CHUNK = 100


@dataclass(frozen=True)
class Statement:
    name: str
    text: str
    parameters: dict[str, Any]
    console: bool = False  # Neo4j Browser commands (:params) allowed


def linter_available() -> bool:
    return (
        shutil.which("node") is not None
        and (LINTER_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir()
    )


def linter_version() -> str:
    package = LINTER_DIR / "node_modules" / "@neo4j-cypher" / "language-support" / "package.json"
    return str(json.loads(package.read_text())["version"])


def linter_schema(sch: Schema | None = None) -> dict[str, Any]:
    """The linter's DbSchema, from the ontology only: labels, relationship types, property keys, and the
    allowed (source label, type, target label) triples, so a pattern the ontology forbids is reported too."""
    sch = sch or schema()
    return {
        "labels": sorted(sch.labels),
        "relationshipTypes": sorted(sch.relationships),
        "propertyKeys": sorted(sch.properties),
        "graphSchema": graph_schema(sch),
    }


def graph_schema(sch: Schema) -> list[dict[str, str]]:
    """Every relationship the ontology allows, as the linter's {from, to, relType} triples."""
    return [
        {"from": s, "to": t, "relType": rel.type}
        for rel in sorted(sch.relationships.values(), key=lambda r: r.type)
        for s in sorted(rel.sources or sch.labels)
        for t in sorted(rel.targets or sch.labels)
    ]


def shipped_statements() -> list[Statement]:
    """Every Cypher statement the project ships, each with the parameters it runs with."""
    from itsms_graph.engines.cypher.compiler import (
        compile_query,
        exists_statement,
        label_count_statement,
        property_present_statement,
    )
    from itsms_graph.engines.cypher.load import all_load_statements
    from itsms_graph.exports import push
    from itsms_graph.exports.browser import guide
    from itsms_graph.exports.cypher_script import script_lines
    from itsms_graph.graph.store import SMSGraph
    from itsms_graph.queries.catalogue import load_catalogue
    from itsms_graph.queries.plan import AuditPeriod, bind
    from itsms_graph.queries.run import period_probes

    sch = schema()
    period = AuditPeriod.parse("2025-06-30", "12M")
    out: list[Statement] = []
    catalogue = load_catalogue()
    for query in catalogue.values():
        bound = bind(query, period)
        out.append(Statement(f"query {query.id}", compile_query(bound), bound.cypher_params))
        for label, prop, probe in period_probes(query):
            probed = bind(probe, period)
            out.append(
                Statement(f"period probe {query.id} {label}.{prop}", exists_statement(probed), probed.cypher_params)
            )
    for label in sorted(sch.labels):
        out.append(Statement(f"count {label}", label_count_statement(label), {}))
        for key in sorted(sch.properties_of(label)):
            out.append(Statement(f"present {label}.{key}", property_present_statement(label, key), {}))
    for i, text in enumerate(all_load_statements()):
        out.append(Statement(f"load {i}: {text[:60]}", text, {"rows": [["x", "y", {}]]}))
    for i, text in enumerate(push.STATEMENTS):
        out.append(Statement(f"push {i}", text, {"tag": "itsms-graph", "limit": 1}))
    sample = SMSGraph()
    for i, line in enumerate(script_lines(sample, batch_size=50)):
        if not line.startswith("//"):
            out.append(Statement(f"script line {i}", line, {}))
    # the guide's blocks as a reader runs them: each query after the :params block that sets its parameters
    params_of = {}
    for query in catalogue.values():
        bound = bind(query, period)
        params_of[compile_query(bound)] = bound.cypher_params
    from itsms_graph.exports.browser import WALK, WALK_PARAMS

    params_of[WALK] = WALK_PARAMS
    blocks = re.findall(r'<pre class="pre-scrollable code runnable">(.*?)</pre>', guide(catalogue, period), re.S)
    for i, block in enumerate(blocks):
        text = html.unescape(block)
        out.append(Statement(f"guide block {i}", text, params_of.get(text, {}), console=text.startswith(":")))
    return out


def lint(statements: list[Statement], sch: Schema | None = None) -> list[list[dict[str, Any]]]:
    """Diagnostics per statement, from the Neo4j linter (raises RuntimeError if it cannot run).

    Neo4j's semantic analysis costs some 30 ms a statement, so the statements are linted in one node process
    per CPU, each on a contiguous share; the result is in the order of *statements*.
    """
    node = shutil.which("node")
    if node is None or not linter_available():
        raise RuntimeError("the Neo4j Cypher linter is not installed (npm ci --prefix tools/cypher-lint)")
    db_schema = linter_schema(sch)

    def run(chunk: list[Statement]) -> list[list[dict[str, Any]]]:
        payload = {
            "schema": db_schema,
            "statements": [{"statement": s.text, "parameters": s.parameters, "console": s.console} for s in chunk],
        }
        done = subprocess.run(
            [node, str(LINTER_DIR / "lint.mjs")],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the linter failed: {done.stderr.strip()[:500]}")
        result = list(json.loads(done.stdout))
        if len(result) != len(chunk):
            raise RuntimeError(f"the linter answered {len(result)} results for {len(chunk)} statements")
        return result

    if not statements:
        return []
    jobs = max(1, min(os.cpu_count() or 1, len(statements) // _MIN_CHUNK))
    size = -(-len(statements) // jobs)
    chunks = [statements[i : i + size] for i in range(0, len(statements), size)]
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        return [diagnostics for part in pool.map(run, chunks) for diagnostics in part]


def failures(statements: list[Statement], diagnostics: list[list[dict[str, Any]]]) -> list[str]:
    """What fails the tier: every diagnostic, whatever its severity, as ``name: severity: message``.

    Errors (syntax, semantics, undefined parameters) and warnings (a label, relationship type or property key
    the ontology does not have; deprecations) alike: no diagnostic on a shipped statement has been found
    spurious, so none is filtered out.
    """
    return [
        f"{s.name}: {d['severity']}: {d['message']}" for s, ds in zip(statements, diagnostics, strict=True) for d in ds
    ]

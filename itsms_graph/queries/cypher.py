"""Compiling a bound canned query to one Cypher statement, in the subset FalkorDB and Neo4j share.

Conditions become ``OPTIONAL MATCH ... WITH ..., count(x) AS n WHERE n = 0`` (anchored on the matched node,
filtered before counting): on FalkorDB this shape is several times faster than a pattern predicate, and it is
plain Cypher everywhere. Labels and relationship types come from the validated definition (hence from the
ontology); every value is a ``$parameter``.
"""

from __future__ import annotations

from itsms_graph.ontology import schema
from itsms_graph.queries.definition import ANY, MatchNode, MatchRel, QueryDefinition, Step
from itsms_graph.queries.plan import BoundFilter, BoundQuery

_OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _key(prop: str) -> str:
    if prop not in schema().properties:
        raise ValueError(f"{prop!r} is not an ontology property")
    return prop


def _label(var: str, label: str) -> str:
    """``(var:Label)``, or ``(var)`` for any label."""
    return "(" + var + ("" if label == ANY else ":" + _name("label", label)) + ")"


def _name(kind: str, value: str) -> str:
    """Check that a label or relationship type is the ontology's before it enters a statement."""
    sch = schema()
    known = sch.labels if kind == "label" else sch.relationships
    if value not in known:
        raise ValueError(f"{value!r} is not an ontology {kind}")
    return value


def _rel(rel_type: str, direction: str, var: str = "") -> str:
    body = "-[" + var + ("" if rel_type == ANY else ":" + _name("type", rel_type)) + "]-"
    return {"out": body + ">", "in": "<" + body}.get(direction, body)


def _distinct_relationships(rels: list[tuple[str, str]]) -> list[str]:
    """``r0 <> r1`` for every two relationships of one type in a pattern.

    Neo4j never binds one relationship twice within a pattern; FalkorDB does (found by the parity tests), so
    the statement says it explicitly and every engine returns the same rows.
    """
    return [a + " <> " + b for i, (a, type_a) in enumerate(rels) for b, type_b in rels[i + 1 :] if type_a == type_b]


def _predicate(var: str, f: BoundFilter) -> str:
    ref = var + "." + _key(f.prop)
    if f.other is not None:
        return ref + " " + _OPS[f.op] + " " + var + "." + _key(f.other)
    if f.op == "is_null":
        return ref + " IS NULL"
    if f.op == "not_null":
        return ref + " IS NOT NULL"
    if f.op == "in":
        return ref + " IN $" + str(f.param)
    if f.op == "not_in":
        return "NOT " + ref + " IN $" + str(f.param)
    return ref + " " + _OPS[f.op] + " $" + str(f.param)


def _where(parts: list[str]) -> str:
    return " WHERE " + " AND ".join(parts) if parts else ""


def compile_query(bound: BoundQuery) -> str:
    """The Cypher statement returning one row per finding subject tuple (ids, sorted)."""
    query: QueryDefinition = bound.query
    variables = query.variables
    pattern = ""
    preds: list[str] = []
    rels: list[tuple[str, str]] = []
    captured: dict[str, str] = {}
    for i, item in enumerate(query.match):
        if isinstance(item, MatchNode):
            pattern += _label(item.node, item.label)
            preds += [_predicate(item.node, f) for f in bound.filters[(0, i)]]
        else:
            assert isinstance(item, MatchRel)
            var = f"r{len(rels)}"
            pattern += _rel(item.rel, item.dir, var)
            rels.append((var, item.rel))
            if item.rel == ANY:
                captured[f"rel{i}"] = "type(" + var + ")"
    lines = ["MATCH " + pattern + _where(preds + _distinct_relationships(rels))]
    carried = ", ".join(variables + list(captured))
    if captured:
        lines.append("WITH " + ", ".join(variables + [expr + " AS " + name for name, expr in captured.items()]))
    for ci, cond in enumerate(query.conditions):
        counts: list[str] = []
        for ai, path in enumerate(cond.spec.alternatives):
            count_var = f"n{ci}_{ai}"
            lines.append(_optional(bound, ci, ai, cond.spec.from_, path))
            last = f"x{ci}_{ai}_{len(path) - 1}"
            lines.append("WITH " + carried + ", " + ", ".join([*counts, f"count({last}) AS {count_var}"]))
            counts.append(count_var)
        total = " + ".join(counts)
        lines.append("WITH " + carried + (" WHERE " + total + (" = 0" if cond.negated else " > 0")))
    returned = ", ".join(c + ".id AS " + c if c in variables else c for c in query.columns)
    lines.append("RETURN DISTINCT " + returned + " ORDER BY " + ", ".join(query.columns))
    return "\n".join(lines)


def _optional(bound: BoundQuery, ci: int, ai: int, start: str, path: tuple[Step, ...]) -> str:
    pattern = "(" + start + ")"
    preds: list[str] = []
    rels: list[tuple[str, str]] = []
    for si, step in enumerate(path):
        var = f"x{ci}_{ai}_{si}"
        rel_var = f"y{ci}_{ai}_{si}" if len(path) > 1 else ""
        pattern += _rel(step.rel, step.dir, rel_var) + _label(var, step.label)
        preds += [_predicate(var, f) for f in bound.filters[(1, ci, ai, si)]]
        rels.append((rel_var, step.rel))
    return "OPTIONAL MATCH " + pattern + _where(preds + _distinct_relationships(rels))


def label_count_statement(label: str) -> str:
    return "MATCH (n:" + _name("label", label) + ") RETURN count(n) AS n"


def property_present_statement(label: str, key: str) -> str:
    if key not in schema().properties_of(label):
        raise ValueError(f"{label} has no property {key!r} in the ontology")
    return "MATCH (n:" + _name("label", label) + ") WHERE n." + key + " IS NOT NULL RETURN count(n) > 0 AS present"

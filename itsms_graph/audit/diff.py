"""Between two audit cycles: which findings are new, resolved or persisting (finding ids are stable)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from itsms_graph.errors import ItsmsError
from itsms_graph.queries.definition import GRADE_ORDER


@dataclass(frozen=True)
class FindingRef:
    id: str
    query: str
    grade: str
    clauses: tuple[str, ...]
    subjects: tuple[str, ...]
    missing: str


@dataclass
class CycleDiff:
    new: list[FindingRef]
    resolved: list[FindingRef]
    persisting: list[FindingRef]

    def to_dict(self) -> dict[str, Any]:
        def dump(items: list[FindingRef]) -> list[dict[str, Any]]:
            return [
                {
                    "id": f.id,
                    "query": f.query,
                    "grade": f.grade,
                    "clauses": list(f.clauses),
                    "subjects": list(f.subjects),
                    "missing": f.missing,
                }
                for f in items
            ]

        return {
            "new": dump(self.new),
            "resolved": dump(self.resolved),
            "persisting": dump(self.persisting),
            "counts": {"new": len(self.new), "resolved": len(self.resolved), "persisting": len(self.persisting)},
        }

    def gate(self, rule: str) -> bool:
        """True when the rule fails the gate: 'new-major', 'new-minor' (at or above), 'any-major', 'none'."""
        if rule == "none":
            return False
        scope, _, grade = rule.partition("-")
        if scope not in ("new", "any") or grade not in GRADE_ORDER:
            raise ItsmsError(f"--fail-on {rule!r}: use new-<grade>, any-<grade> or none")
        pool = self.new if scope == "new" else self.new + self.persisting
        return any(GRADE_ORDER[f.grade] >= GRADE_ORDER[grade] for f in pool)


def findings_of_report(data: dict[str, Any]) -> dict[str, FindingRef]:
    out = {}
    for r in data.get("results", []):
        for f in r.get("findings", []):
            out[f["id"]] = FindingRef(
                f["id"], r["query"], r["grade"], tuple(r["clauses"]), tuple(f["subjects"]), f["missing"]
            )
    return out


def load_report(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ItsmsError(f"{path}: not a JSON check report ({exc})") from None
    if not isinstance(data, dict) or data.get("tool", {}).get("name") != "itsms-graph":
        raise ItsmsError(f"{path}: not an itsms-graph JSON check report (itsms-graph check --format json)")
    return data


def diff_findings(old: dict[str, FindingRef], new: dict[str, FindingRef]) -> CycleDiff:
    def order(ids: set[str], pool: dict[str, FindingRef]) -> list[FindingRef]:
        return sorted((pool[i] for i in ids), key=lambda f: (-GRADE_ORDER[f.grade], f.query, f.subjects))

    return CycleDiff(
        new=order(set(new) - set(old), new),
        resolved=order(set(old) - set(new), old),
        persisting=order(set(new) & set(old), new),
    )

"""Benchmark: loading the example SMS (findings included) into an embedded FalkorDB from `export cypher`'s script,
as the neo4j dialect wrote it before (uniqueness constraints, which FalkorDB refuses, so no index at all) and as
the falkordb dialect writes it (an index on each label's id first).

Writes benchmarks/RESULTS-falkordb-load.md. Each load runs in a fresh database, statement by statement, as a
client sending the script would; a refused statement is counted and skipped.

    .venv/bin/python benchmarks/falkordb_load.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "RESULTS-falkordb-load.md"
ROUNDS = 2


def load(lines: list[str]) -> tuple[float, int, int]:
    """Seconds to run *lines* in a fresh embedded FalkorDB, statements refused, nodes loaded."""
    from itsms_graph.engines.cypher.falkordb import FalkorDBEngine

    engine = FalkorDBEngine()
    refused = 0
    t0 = time.perf_counter()
    for line in lines:
        try:
            engine.run(line.rstrip(";"))
        except Exception:  # a refused statement is what is measured here, not an error
            refused += 1
    seconds = time.perf_counter() - t0
    [[nodes]] = engine.run("MATCH (n) RETURN count(n)")
    engine.close()
    return seconds, refused, nodes


def main() -> None:
    from itsms_graph.check import check_graph
    from itsms_graph.example import generate
    from itsms_graph.exports.cypher_script import script_lines
    from itsms_graph.exports.findings import added_rows
    from itsms_graph.queries.plan import AuditPeriod

    example = generate()
    graph = example.graph
    report = check_graph(graph, period=AuditPeriod.parse(example.as_of, example.period), fail_on="none")
    added = added_rows(graph, report.findings).counts()  # the Snapshot node, the findings and their FLAGS
    nodes_written = graph.number_of_nodes() + added.get("Snapshot", 0) + added.get("Finding", 0)
    edges_written = graph.edge_count() + added.get("FLAGS", 0)
    rows = []
    for dialect, said in (
        ("neo4j", "before: the Neo4j script (constraints refused, no index)"),
        ("falkordb", "after: --dialect falkordb (an index per label)"),
    ):
        lines = [line for line in script_lines(graph, 500, dialect, report.findings) if not line.startswith("//")]
        times = []
        for _ in range(ROUNDS):
            seconds, refused, nodes = load(lines)
            times.append(seconds)
        rows.append(
            f"| {said} | {len(lines):,} | {refused} | {nodes:,} | " + " / ".join(f"{t:.1f} s" for t in times) + " |"
        )
    text = "\n".join(
        [
            "# Loading the example SMS into FalkorDB from `itsms-graph export cypher`",
            "",
            f"The example SMS with its {len(report.findings)} findings: {nodes_written:,} nodes, "
            f"{edges_written:,} relationships, in batches of 500 rows. Each load is a fresh embedded FalkorDB "
            f"(falkordblite), statement by statement; {ROUNDS} rounds each.",
            "",
            "| script | statements | refused | nodes loaded | load time (rounds) |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Measured by `python benchmarks/falkordb_load.py` on a machine of {os.cpu_count()} cores shared with "
            "other jobs: compare the two rows, not the absolute times.",
            "",
        ]
    )
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

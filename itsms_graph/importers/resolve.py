"""The import's second stage: what the rows of every file make together, resolved with SQL in duckdb.

Every file's records, defined targets and references are staged in the import's duckdb (``file_rows.py``); here
they become the graph tables (``itsms_graph.graph.tables``): records of the same node merge by the table's rule
(latest by a timestamp, else the later row; min, max, first), a row that only names a node fills what it lacks, a
reference resolves to the record of the first of its labels that an input holds, else to a placeholder flagged
``unresolved``, and each relationship keeps the provenance of the row that made it first (one made as its row was
read before one made at the end). The outcome of each row is counted here, where it happens.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb
import pyarrow as pa

from itsms_graph.errors import InputError, SchemaViolation
from itsms_graph.graph.store import SMSGraph
from itsms_graph.graph.tables import NODE_ROWS, arrow_type, hold_columns, load_graph, quote
from itsms_graph.importers.cells import ROW_ID, row_id_stem
from itsms_graph.importers.file_rows import _PART_BITS, _SUB_BITS
from itsms_graph.importers.profile import Table
from itsms_graph.importers.report import ImportReport
from itsms_graph.memory import release_arrow_memory

#: Relationship makings folded at a time (into one relationship each) when folding them all at once ran out of
#: duckdb's memory: a million a part ran out of the default 400 MB at BPIC 2014 x4 on an idle machine (the fold
#: of the fifth part of seven, 381 of 381 MiB pinned), half a million fitted
_FOLD_ROWS = 500_000


class Resolution:
    """The Importer's stage across files (a part of ``Importer``, which holds the state named here)."""

    graph: SMSGraph
    report: ImportReport
    _tables: list[Table]
    _files: list[str]
    _label_lists: dict[tuple[tuple[str, bool], ...], int]
    _several: set[tuple[int, int]]
    _row_ids: dict[int, str]
    _record_keys: set[str]
    _define_keys: set[str]

    def _resolve(self, con: duckdb.DuckDBPyConnection) -> None:
        """Fill the graph tables on *con* with everything read (``itsms_graph.graph.tables``)."""
        graph, sch = self.graph, self.graph.schema
        load_graph(con, graph)  # what the graph held before the import: the clauses
        keys = sorted(self._record_keys | self._define_keys)
        # how a label's records merge each property: one rule per (label, property), the same in every table
        modes: dict[tuple[str, str], set[str]] = {}
        for table in self._tables:
            for key, col in table.properties.items():
                modes.setdefault((table.record.label, key), set()).add(col.aggregate)
        mixed = sorted(k for k, m in modes.items() if len(m) > 1)
        if mixed:
            label, key = mixed[0]
            raise InputError(
                f"the tables that import {label} merge {key} by different rules ({sorted(modes[label, key])})"
            )
        latest = {tno: t.record.latest_by for tno, t in enumerate(self._tables) if t.record.latest_by}
        okey = (
            "CASE tno " + " ".join(f"WHEN {tno} THEN {quote(key)}" for tno, key in latest.items()) + " END"
            if latest
            else "NULL"
        )
        con.register(
            "files_in",
            pa.table(
                {
                    "fno": pa.array(range(len(self._files)), pa.int32()),
                    "file": pa.array(self._files, pa.string()),
                    "row_ids": pa.array([self._row_ids.get(fno) for fno in range(len(self._files))], pa.string()),
                }
            ),
        )
        # the records, each with its node's id: a table without ids staged none, its row's id being its file's and
        # its row's (``Label:file#row``), written here as it is read
        con.execute(f"CREATE TEMP VIEW records AS {_with_row_ids('records_in', 'nid')}")
        # the nodes the graph held before (the clauses, in the graph tables already) that a row writes too
        touched = [
            nid
            for (nid,) in con.execute(
                "SELECT DISTINCT nid FROM (SELECT nid FROM records UNION ALL SELECT nid FROM defines_in) "
                "SEMI JOIN nodes ON nodes.id = nid ORDER BY nid"
            ).fetchall()
        ]
        held = graph.attrs_of(touched)
        con.register(
            "pre_in",
            pa.table(
                {
                    "nid": pa.array(touched, pa.string()),
                    "label": pa.array([a["label"] for a in held], pa.string()),
                    **{
                        k: pa.array(
                            [a.get(k) for a in held],
                            arrow_type(sch.properties[k]),
                        )
                        for k in keys
                    },
                }
            ),
        )
        cols = ", ".join(quote(k) for k in keys)
        rec_cols = ", ".join(quote(k) if k in self._record_keys else f"NULL AS {quote(k)}" for k in keys)
        def_cols = ", ".join(quote(k) if k in self._define_keys else f"NULL AS {quote(k)}" for k in keys)
        sep = ", " if keys else ""
        # the records a node several events write may be among: not those of a file whose rows' nodes no other row
        # writes (BPIC 2014's activity log, 466,660 of the 680,000 records), unless a node the graph held (the file
        # numbers are the import's own integers)
        named = sorted({label for labels in self._label_lists for label, _ in labels})
        once = self._written_once(named)
        held_too = " OR nid IN (SELECT nid FROM pre_in)" if touched else ""
        shared = f"WHERE fno NOT IN ({', '.join(str(int(f)) for f in once)}){held_too}" if once else ""

        def events(records: str = "") -> str:
            """Every event that writes a node (of the records, those *records* keeps), in order: records (sub 0),
            defined targets, and the nodes the graph had (read where they are: a node one event writes is copied
            once, to merged)."""
            return f"""(
                SELECT nid, label, (gseq << {_SUB_BITS}) AS ord, fno, rn, true AS is_rec, {okey} AS okey{sep}{rec_cols}
                  FROM records {records}
                UNION ALL
                SELECT nid, label, (gseq << {_SUB_BITS}) + sub, fno, rn, false, NULL{sep}{def_cols} FROM defines_in
                UNION ALL
                SELECT nid, label, -1, NULL, NULL, false, NULL{sep}{cols} FROM pre_in)
            """

        ev, ev_shared = events(), events(shared)
        con.execute(f"CREATE TEMP TABLE many AS SELECT nid FROM {ev_shared} GROUP BY nid HAVING count(*) > 1")
        # a node one event writes is that event; the others fold their events by the merge rules, label by label
        # over the properties the label's events write (into folded). merged, every node, is a view: the events
        # stay where they were staged until the nodes are inserted (a copy of every node's columns cost BPIC 2014
        # 0.27 s of a 0.55 s insert)
        as_nodes = f"SELECT nid, label, ord AS first_ord, fno, rn, is_rec AS by_record{sep}{cols} FROM {ev}"
        con.execute(f"CREATE TEMP TABLE folded AS {as_nodes} LIMIT 0")
        con.execute(f"""
            CREATE TEMP VIEW merged AS
            {as_nodes} ANTI JOIN many USING (nid) UNION ALL BY NAME SELECT * FROM folded
        """)
        if latest:  # a record is newer when its latest_by value is at least every earlier record's
            con.execute(f"""
                CREATE TEMP TABLE multi AS SELECT *, (okey IS NULL OR prev IS NULL OR okey >= prev) AS newer FROM (
                    SELECT *, max(okey) OVER (PARTITION BY nid ORDER BY ord
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
                    FROM {ev_shared} SEMI JOIN many USING (nid))
            """)
        else:  # without latest_by, the later record always wins
            con.execute(
                f"CREATE TEMP TABLE multi AS SELECT *, true AS newer FROM {ev_shared} SEMI JOIN many USING (nid)"
            )
        written = ", ".join(f"count({quote(k)})" for k in keys)
        for label, *counts in con.execute(
            f"SELECT label{sep}{written} FROM multi GROUP BY label ORDER BY label"
        ).fetchall():
            finals = [
                f"{_merge_rule(k, next(iter(modes.get((label, k), {'last'}))))} AS {quote(k)}"
                for k, n in zip(keys, counts, strict=True)
                if n
            ]
            con.execute(
                f"""
                INSERT INTO folded BY NAME
                SELECT nid, any_value(label) AS label, min(ord) AS first_ord,
                    arg_min(fno, ord) FILTER (WHERE ord >= 0) AS fno, arg_min(rn, ord) FILTER (WHERE ord >= 0) AS rn,
                    arg_min(is_rec, ord) AS by_record{"".join(", " + f for f in finals)}
                FROM multi WHERE label = ? GROUP BY nid
                """,
                [label],
            )
        # merged, counted where it happens: a record folded into a node an earlier event made (every record of a
        # node after its first event; the first one, when a record, is the node's accepted record, counted below)
        folded = dict(
            con.execute(
                "SELECT fno, count(*) FROM (SELECT fno, is_rec, row_number() OVER (PARTITION BY nid ORDER BY ord) AS k "
                "FROM multi) WHERE is_rec AND k > 1 GROUP BY fno"
            ).fetchall()
        )
        # every node is in merged now: the events folded go, so that duckdb's memory holds what comes next
        con.execute("DROP TABLE multi")
        # accepted: a record that made its node; merged: every other record
        made = dict(
            con.execute("SELECT fno, count(*) FROM merged WHERE by_record AND first_ord >= 0 GROUP BY fno").fetchall()
        )
        for fno, report in enumerate(self.report.files):
            report.accepted, report.merged = made.get(fno, 0), folded.get(fno, 0)
            report.check_balance()  # against the rows its reader read: a row lost or made twice stops the import

        con.execute(
            "CREATE TEMP TABLE unnamed AS SELECT nid, list_sort(list_distinct(list(marker))) AS markers "
            f"FROM ({_with_row_ids('unnamed_in', 'nid')}) GROUP BY nid"
        )
        marker = quote("unnamed_references")
        hold_columns(con, [*keys, "unnamed_references"], sch)
        if touched:  # nodes the graph held (all the table holds yet) that rows wrote too: updated in place
            sets = ", ".join(
                [*(f"{quote(k)} = m.{quote(k)}" for k in keys), f"{marker} = coalesce(u.markers, {NODE_ROWS}.{marker})"]
            )
            con.execute(f"""
                UPDATE {NODE_ROWS} SET {sets} FROM merged m LEFT JOIN unnamed u USING (nid)
                WHERE {NODE_ROWS}.id = m.nid AND m.first_ord < 0
            """)
        # a new node's place: after the graph's (seq 0 .. its count), by the event that made it
        con.execute(f"""
            INSERT INTO {NODE_ROWS} BY NAME
            SELECT {
            ", ".join(
                [
                    "m.nid AS id",
                    "m.label",
                    f"m.first_ord + {graph.number_of_nodes()} AS seq",
                    "f.file AS source_file",
                    "m.rn AS source_row",
                    *(f"m.{quote(k)}" for k in keys),
                    f"u.markers AS {marker}",
                ]
            )
        }
            FROM merged m LEFT JOIN files_in f USING (fno) LEFT JOIN unnamed u USING (nid)
            WHERE m.first_ord >= 0
        """)
        # when each node came to be: a relationship to a node that existed when its row was read is made then
        # (the graph's own nodes, seq below its count, were there before any row). Only the nodes a reference may
        # name: the labels of its label lists (BPIC 2014's 466,660 activities, which no reference names, are
        # left out: the lookup's hash table is a third of every node's)
        con.execute(
            f"""
            CREATE TEMP TABLE known AS
            SELECT nid, first_ord >> {_SUB_BITS} AS born FROM merged
              WHERE first_ord >= 0 AND label IN (SELECT unnest(?::VARCHAR[]))
            UNION ALL SELECT id, -1 FROM nodes
              WHERE seq < {graph.number_of_nodes()} AND label IN (SELECT unnest(?::VARCHAR[]))
        """,
            [named, named],
        )
        # the nodes are in the graph tables: what was staged to make them goes
        con.execute("DROP VIEW merged")
        con.execute("DROP VIEW records")
        for name in ("folded", "many", "records_in", "defines_in", "unnamed", "unnamed_in"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        con.unregister("pre_in")
        self._resolve_links(con, named)
        con.execute("DROP TABLE known")
        for name in ("lbl", "late_in", "placeholders_in", "files_in"):
            con.unregister(name)
        release_arrow_memory()

    def _resolve_links(self, con: duckdb.DuckDBPyConnection, named: list[str]) -> None:
        """Every reference as a relationship: to the record of the first of its labels that one input holds, else
        to a placeholder flagged unresolved; each relationship with the provenance of the row that made it first
        (*named*: the labels a reference may name)."""
        unresolved = self.report.unresolved
        lists = sorted(self._label_lists.items(), key=lambda kv: kv[1])
        con.register(
            "lbl",
            pa.table(
                {
                    "lid": pa.array([lid for labels, lid in lists for _ in labels], pa.int32()),
                    "pos": pa.array([p for labels, _ in lists for p in range(len(labels))], pa.int32()),
                    "lab": pa.array([lab for labels, _ in lists for lab, _ in labels], pa.string()),
                    "out": pa.array([out for labels, _ in lists for _, out in labels], pa.bool_()),
                }
            ),
        )
        # every reference as a making of a relationship, its target looked up once: to the record of its first
        # label, made as its row was read if that record existed then; a reference whose first label has no
        # record keeps what the Python below needs to find its target (its label list, lid; a the source, b the
        # target's local id, k its row and place) and leaves the makings once read. A table, which duckdb
        # spills beyond its memory limit: a second join of every reference, for the few without a record, was
        # the import's third largest statement
        # (a relationship made more than once keeps its first making: made as its row was read before made at
        # the end, then by row and place in the row; one key: a pending flag, the row, the place; lsub < 2^24)
        key = "(CAST(NOT immediate AS BIGINT) << 62) | (gseq << 24) | lsub"
        # whether the making is one that no other making repeats (its file and reference, fno << 8 | ref_no, in
        # _made_once: it needs no fold); its end that is its row's own node is kept null, as staged, until the
        # relationship is written (BPIC 2014's 933,320 event ids of 58 characters: a third of what the makings hold)
        once = f"list_contains(?::BIGINT[], (CAST(fno AS BIGINT) << {_PART_BITS}) | (lsub >> {2 * _PART_BITS}))"
        made_once = [fno << _PART_BITS | ref_no for fno, ref_no in self._made_once(named)]
        con.execute(
            f"""
            CREATE TEMP TABLE made AS
            SELECT rel, CASE WHEN missing THEN src WHEN out THEN kept ELSE target END AS a,
                   CASE WHEN missing THEN tlocal WHEN out THEN target ELSE kept END AS b, fno, rn,
                   CASE WHEN missing THEN (gseq << 24) | lsub ELSE {key} END AS k,
                   CASE WHEN missing THEN lid END AS lid, once
            FROM (SELECT l.*, lbl.lab || ':' || l.tlocal AS target, lbl.out, k.born <= l.gseq AS immediate,
                         k.nid IS NULL AS missing, CASE WHEN once THEN staged ELSE src END AS kept
                  FROM (SELECT *, {once} AS once FROM ({_with_row_ids("links_in", "src", "staged")})) l
                  JOIN lbl ON lbl.lid = l.lid AND lbl.pos = 0
                  LEFT JOIN known k ON k.nid = lbl.lab || ':' || l.tlocal)
        """,
            [made_once],
        )
        con.execute("DROP TABLE links_in")
        # references whose first label has no record: another label's record, else a placeholder, in order
        rest = con.execute("""
            SELECT k >> 24, k & 16777215, fno, rn, rel, a, b, lid,
                (SELECT min(p.pos) FROM lbl p JOIN known n ON n.nid = p.lab || ':' || m.b WHERE p.lid = m.lid)
            FROM made m WHERE lid IS NOT NULL ORDER BY k
        """).fetchall()
        con.execute("DELETE FROM made WHERE lid IS NOT NULL")
        label_lists = [labels for labels, _ in lists]
        placeholders: dict[str, tuple[str, int, int]] = {}  # id -> label, fno, row
        late: list[tuple[Any, ...]] = []
        seen: set[tuple[str, str, str]] = set()
        for gseq, lsub, fno, rn, rel, src, tlocal, lid, real_pos in rest:
            labels = label_lists[lid]
            target, out = next(
                (
                    (f"{lab}:{tlocal}", out)
                    for pos, (lab, out) in enumerate(labels)
                    if pos == real_pos or f"{lab}:{tlocal}" in placeholders
                ),
                ("", labels[0][1]),
            )
            first = labels[0][0]
            if not target:
                if not tlocal:
                    raise SchemaViolation(f"a {first} node needs a non-empty id")
                target = f"{first}:{tlocal}"
                placeholders[target] = (first, fno, rn)
            a, b = (src, target) if out else (target, src)
            if target in placeholders and (rel, a, b) not in seen:
                seen.add((rel, a, b))
                unresolved[(rel, first)] += 1
            late.append((gseq, lsub, fno, rn, rel, a, b))
        con.register(
            "placeholders_in",
            pa.table(
                {
                    "id": pa.array(list(placeholders), pa.string()),
                    "label": pa.array([p[0] for p in placeholders.values()], pa.string()),
                    "fno": pa.array([p[1] for p in placeholders.values()], pa.int32()),
                    "source_row": pa.array([p[2] for p in placeholders.values()], pa.int64()),
                    "seq": pa.array(range(len(placeholders)), pa.int64()),
                }
            ),
        )
        if placeholders:  # (a column no node holds is not stored)
            hold_columns(con, ["unresolved"], self.graph.schema)
            con.execute(f"""
                INSERT INTO {NODE_ROWS} BY NAME
                SELECT id, label, (SELECT coalesce(max(seq), -1) FROM {NODE_ROWS}) + 1 + seq AS seq, f.file AS source_file, source_row,
                    true AS unresolved
                FROM placeholders_in LEFT JOIN files_in f USING (fno)
            """)
        columns: list[Any] = list(zip(*late, strict=True)) if late else [[]] * 7
        con.register(
            "late_in",
            pa.table(
                {
                    name: pa.array(list(values), kind)
                    for name, kind, values in zip(
                        ("gseq", "lsub", "fno", "rn", "rel", "a", "b"),
                        (pa.int64(), pa.int64(), pa.int32(), pa.int64(), pa.string(), pa.string(), pa.string()),
                        columns,
                        strict=True,
                    )
                }
            ),
        )
        # its place among its type's: after the graph's (seq 0 .. their count), by that key
        held = self.graph.edge_count()
        held_types = sorted(self.graph.rel_types_present())
        # the makings read at the end join the others; then one relationship each, its first making
        con.execute(
            f"INSERT INTO made BY NAME SELECT rel, a, b, fno, rn, {key.replace('NOT immediate', 'true')} AS k, "
            f"{once} AS once FROM late_in",
            [made_once],
        )
        ((made,),) = con.execute("SELECT count(*) FROM made").fetchall()
        # folded at once: duckdb's grouping spills what passes its memory limit. Where it still runs out, the
        # relationships folded so far go and the fold runs again in parts, each holding the relationships of
        # the sources that hash to it, whole (each part reads every making, so parts cost time: folded in half
        # a million makings a part, BPIC 2014 x4 spent 37 s of CPU folding, at once 8 s)
        parts = 1
        while True:
            try:
                self._fold(con, parts, held, held_types)
                break
            except duckdb.OutOfMemoryException:
                if parts >= -(-made // _FOLD_ROWS):
                    raise
                con.execute(f"DELETE FROM edges WHERE seq >= {held}")
                parts = -(-made // _FOLD_ROWS)
        con.execute("DROP TABLE made")

    def _made_once(self, named: list[str]) -> list[tuple[int, int]]:
        """(fno, reference number) of the references each of whose relationships the file's rows make once: from a
        row's own node that no other row writes (:meth:`_written_once`) to a target it names once (no other
        reference of the table has its type, and no cell of the file named several targets). No other making can
        repeat such a relationship, so it needs no fold."""
        once = []
        for fno in self._written_once(named):
            types = [ref.rel for ref in self._tables[fno].references]
            once += [
                (fno, ref_no)
                for ref_no, ref in enumerate(self._tables[fno].references)
                if ref.source is None and types.count(ref.rel) == 1 and (fno, ref_no) not in self._several
            ]
        return once

    def _written_once(self, named: list[str]) -> list[int]:
        """The files (fno) each of whose rows' nodes no other row writes: a table whose rows are each a record
        (``@row``), of a label that no reference names and only such tables record, in a file whose name no other
        of them has (an event's id is its file's name and row)."""
        stems = Counter(
            (t.record.label, row_id_stem(t, file) if t.record.id == ROW_ID else None)
            for t, file in zip(self._tables, self._files, strict=True)
        )
        by_id = {label for label, stem in stems if stem is None}
        return [
            fno
            for fno, (table, file) in enumerate(zip(self._tables, self._files, strict=True))
            if table.record.id == ROW_ID
            and table.record.label not in named
            and table.record.label not in by_id
            and stems[table.record.label, row_id_stem(table, file)] == 1
        ]

    def _fold(self, con: duckdb.DuckDBPyConnection, parts: int, held: int, held_types: list[str]) -> None:
        """Each relationship of the makings, once, with its first making, into the relationships table: in
        *parts* parts, a part holding the relationships of the sources that hash to it, whole."""
        # a relationship the graph held before (the clauses' PART_OF) is not made again: only a type the graph
        # holds can repeat one, so only those rows are looked up (an anti-join over every relationship was the
        # import's largest statement, and the one that ran out of memory on BPIC 2014 x4)
        again = (
            "WHERE NOT (e.rel IN (SELECT unnest(?::VARCHAR[])) "
            "AND EXISTS (SELECT 1 FROM edges x WHERE x.type = e.rel AND x.src = e.a AND x.dst = e.b))"
            if held_types
            else ""
        )
        for part in range(parts):
            only = f"AND hash(a) % {parts} = {part}" if parts > 1 else ""
            con.execute(
                f"""
                INSERT INTO edges BY NAME
                SELECT rel AS type, a AS src, b AS dst, k + {held} AS seq, f.file AS source_file, rn AS source_row
                FROM (SELECT rel, {_row_id("m", "a")} AS a, {_row_id("m", "b")} AS b, k, fno, rn
                      FROM made m LEFT JOIN files_in f USING (fno) WHERE once {only}
                      UNION ALL
                      SELECT rel, a, b, min(k) AS k, arg_min(fno, k) AS fno, arg_min(rn, k) AS rn FROM made
                      WHERE NOT once {only} GROUP BY rel, a, b) e
                LEFT JOIN files_in f USING (fno)
                {again}
            """,
                [held_types] if held_types else [],
            )


def _with_row_ids(staged: str, column: str, as_staged: str | None = None) -> str:
    """The rows of the staged table *staged*, with the id in *column* written where a table without ids left it
    null: its row's node, whose id is its file's and its row's (``files_in.row_ids`` and the row); with
    *as_staged*, the column as staged too, under that name."""
    kept = f", s.{column} AS {as_staged}" if as_staged else ""
    return f"SELECT s.* REPLACE ({_row_id('s', column)} AS {column}){kept} FROM {staged} s LEFT JOIN files_in f USING (fno)"


def _row_id(rows: str, column: str) -> str:
    """The id in *column* of *rows*, else the id of its row's node in a table without ids (its file's start of
    ids, ``f.row_ids``, and its row)."""
    return f"coalesce({rows}.{column}, f.row_ids || CAST({rows}.rn AS VARCHAR))"


def _merge_rule(key: str, mode: str) -> str:
    """The value a node ends with for *key*, over its events (ord: their order; is_rec: a record, not a row that
    only names the node; newer: a record at least as late as every earlier one by the table's latest_by). As the
    row importer folds them: the first value set stays unless a newer record (last), a smaller or larger one (min,
    max) replaces it; a row that only names the node fills a property the node lacks, never more."""
    qk = quote(key)
    first = f"arg_min({qk}, ord) FILTER (WHERE {qk} IS NOT NULL)"
    if mode == "first":
        return first
    if mode in ("min", "max"):
        return f"{'least' if mode == 'min' else 'greatest'}({first}, {mode}({qk}) FILTER (WHERE is_rec))"
    newer = f"is_rec AND newer AND {qk} IS NOT NULL"
    return (
        f"CASE WHEN max(ord) FILTER (WHERE {newer}) > min(ord) FILTER (WHERE {qk} IS NOT NULL) "
        f"THEN arg_max({qk}, ord) FILTER (WHERE {newer}) ELSE {first} END"
    )

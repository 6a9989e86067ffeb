"""A second computation of every check a BPIC 2014 export can be assessed on, straight from the raw CSVs with
duckdb SQL: the five data-quality checks of references and change dates, the stray dates of changes and
incidents, and the incidents naming no configuration item (as of 2014-03-31, the audit period the year before).

It shares no code with the importer or the query engine: it reads the files as text, applies the profile's
documented rules (one change per Change ID; earliest actual start and open time; the last row's flags;
#MULTIVALUE is no id; references to ids no file contains are unresolved), and returns the rows each canned
query must return. It is also the duckdb peer of the whole-command benchmarks (``benchmarks/commands.py``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

CHANGE_TS = "%d-%m-%Y %H:%M"
INCIDENT_TS = "%d/%m/%Y %H:%M:%S"
#: the cells a profile reads as empty (the profile's default)
NULLS = ("", "NULL", "null", "?", "-", "N/A")


def _table(con: duckdb.DuckDBPyConnection, name: str, path: Path, delim: str) -> None:
    con.execute(
        f"CREATE TABLE {name} AS SELECT row_number() OVER () AS rn, * FROM read_csv(?, delim = ?, header = true, "
        "all_varchar = true, quote = '\"', null_padding = true, ignore_errors = false)",
        [str(path), delim],
    )


def bpic_expected(folder: Path) -> dict[str, set[tuple[str, ...]]]:
    con = duckdb.connect()
    files = {p.name.split(".")[0]: p for p in folder.iterdir() if p.name.endswith(".csv.gz")}
    _table(con, "ch", files["Detail_Change"], ";")
    _table(con, "inc", files["Detail_Incident"], ";")
    _table(con, "itr", files["Detail_Interaction"], ";")
    _table(con, "act", files["Detail_Incident_Activity_JOINED_derived"], ",")
    out: dict[str, set[tuple[str, ...]]] = {}

    def rows(sql: str) -> set[tuple[str, ...]]:
        return {tuple(str(v) for v in r) for r in con.execute(sql).fetchall()}

    con.execute(f"""
        CREATE TABLE changes AS SELECT "Change ID" AS id,
            arg_max("Emergency Change", rn) FILTER (WHERE "Emergency Change" IS NOT NULL) AS emergency,
            arg_max("CAB-approval needed", rn) FILTER (WHERE "CAB-approval needed" IS NOT NULL) AS cab,
            min(strptime("Actual Start", '{CHANGE_TS}')) AS actual_start,
            max(strptime("Actual End", '{CHANGE_TS}')) AS actual_end,
            min(strptime("Change record Open Time", '{CHANGE_TS}')) AS opened,
            max(strptime("Change record Close Time", '{CHANGE_TS}')) AS closed
        FROM ch GROUP BY "Change ID"
    """)
    out["change-emergency-without-cab"] = rows(
        "SELECT 'Change:' || id FROM changes WHERE emergency = 'Y' AND cab = 'N'"
    )
    out["change-implemented-before-recorded"] = rows("SELECT 'Change:' || id FROM changes WHERE actual_start < opened")
    out["change-closed-without-actual-end"] = rows(
        "SELECT 'Change:' || id FROM changes WHERE closed IS NOT NULL AND actual_end IS NULL"
    )
    incidents = 'SELECT "Incident ID" FROM inc WHERE "Incident ID" IS NOT NULL'
    out["unresolved-reference"] = rows(f"""
        SELECT DISTINCT 'Change:' || "Related Change", 'RELATED_TO', 'Incident:' || "Incident ID" FROM inc
          WHERE "Related Change" IS NOT NULL AND "Related Change" <> '#MULTIVALUE'
            AND "Related Change" NOT IN (SELECT "Change ID" FROM ch)
        UNION SELECT DISTINCT 'Interaction:' || "Related Interaction", 'RELATED_TO', 'Incident:' || "Incident ID"
          FROM inc WHERE "Related Interaction" IS NOT NULL AND "Related Interaction" <> '#MULTIVALUE'
            AND "Related Interaction" NOT IN (SELECT "Interaction ID" FROM itr)
        UNION SELECT DISTINCT 'Incident:' || "Related Incident", 'RELATED_TO', 'Interaction:' || "Interaction ID"
          FROM itr WHERE "Related Incident" IS NOT NULL AND "Related Incident" <> '#MULTIVALUE'
            AND "Related Incident" NOT IN ({incidents})
        UNION SELECT DISTINCT 'Incident:' || "Incident ID", 'EVENT_OF',
            'TicketEvent:Detail_Incident_Activity_JOINED_derived#' || CAST(rn + 1 AS VARCHAR)
          FROM act WHERE "Incident ID" NOT IN ({incidents})
    """)
    out["multi-reference-unnamed"] = rows("""
        SELECT DISTINCT 'Incident:' || "Incident ID" FROM inc
          WHERE '#MULTIVALUE' IN ("Related Change", "Related Interaction", "CI Name (aff)", "CI Name (CBy)",
                                  "Service Component WBS (aff)", "ServiceComp WBS (CBy)")
        UNION SELECT DISTINCT 'Interaction:' || "Interaction ID" FROM itr
          WHERE '#MULTIVALUE' IN ("Related Incident", "CI Name (aff)", "Service Comp WBS (aff)")
        UNION SELECT DISTINCT 'Change:' || "Change ID" FROM ch
          WHERE '#MULTIVALUE' IN ("CI Name (aff)", "Service Component WBS (aff)")
    """)
    # the audit period of --as-of 2014-03-31 (12 months: 2013-04-01 .. 2014-03-31), a stray date five years
    # (60 months) before its first day or after its last; a datetime compared with a date by its day
    first, last, stray_before, stray_after = "2013-04-01", "2014-03-31", "2008-04-01", "2019-03-31"
    out["change-dated-far-outside-period"] = rows(f"""
        SELECT 'Change:' || id FROM changes
          WHERE CAST(actual_start AS DATE) < DATE '{stray_before}' OR CAST(actual_start AS DATE) > DATE '{stray_after}'
    """)
    opened = f"CAST(strptime(\"Open Time\", '{INCIDENT_TS}') AS DATE)"
    out["incident-dated-far-outside-period"] = rows(f"""
        SELECT DISTINCT 'Incident:' || "Incident ID" FROM inc
          WHERE {opened} < DATE '{stray_before}' OR {opened} > DATE '{stray_after}'
    """)
    # an incident opened in the period naming no affected configuration item (#MULTIVALUE names none); the
    # profile makes an incident's AFFECTS from its CI Name (aff) alone
    nulls = ", ".join(f"'{v}'" for v in NULLS)
    out["incident-without-service-or-ci"] = rows(f"""
        SELECT DISTINCT 'Incident:' || "Incident ID" FROM inc
          WHERE "Incident ID" IS NOT NULL AND {opened} BETWEEN DATE '{first}' AND DATE '{last}'
            AND (trim(coalesce("CI Name (aff)", '')) IN ({nulls}) OR trim("CI Name (aff)") = '#MULTIVALUE')
    """)
    out["_rows"] = {
        (name, str(n))
        for name, n in con.execute(
            "SELECT 'changes', count(*) FROM ch UNION ALL SELECT 'incidents', count(*) FROM inc "
            "UNION ALL SELECT 'interactions', count(*) FROM itr UNION ALL SELECT 'activities', count(*) FROM act"
        ).fetchall()
    }
    out["_change_ids"] = rows('SELECT count(DISTINCT "Change ID") FROM ch')
    return out


def uci_incidents_naming_no_ci(folder: Path, start: str, end: str) -> set[str]:
    """The UCI log's incidents first opened in [start, end) whose every event leaves cmdb_ci empty ('?')."""
    path = next(p for p in folder.iterdir() if p.name.startswith("incident_event_log.csv"))
    rows = (
        duckdb.connect()
        .execute(
            """
        WITH t AS (SELECT number, strptime(opened_at, '%d/%m/%Y %H:%M') AS opened, cmdb_ci
                   FROM read_csv(?, all_varchar = true, header = true))
        SELECT number FROM t GROUP BY number
        HAVING bool_and(cmdb_ci = '?' OR cmdb_ci IS NULL) AND min(opened) >= CAST(? AS TIMESTAMP)
           AND min(opened) < CAST(? AS TIMESTAMP)
        """,
            [str(path), start, end],
        )
        .fetchall()
    )
    return {"Incident:" + " ".join(number.split()) for (number,) in rows}

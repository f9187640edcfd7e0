"""The SQL of the response-time report: each incident judged once, then counted per group.

One statement per answer over the incidents' own columns (the timeline is not read: the first
dispatch, the crews sent and the cause are kept on the incident), so that a month of a large
utility, tens of thousands of incidents, is aggregated where the rows are: ``percentile_cont`` in
PostgreSQL, not Python.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from sqlalchemy import Connection

from dispatch.core.db import text

#: The group key and its label for each ``group_by``. Codes sort bytewise (no collation needed to
#: group); a calendar period is keyed by its first local day (``local``: the first report's local
#: time), which the caller names.
GROUPS = {
    "zone": ("coalesce(zone_code, '') COLLATE \"C\"", "coalesce(zone_name, zone_code, '')"),
    "zone_class": ("zone_class COLLATE \"C\"", "zone_class"),
    "crew": ("coalesce(crew_code, '') COLLATE \"C\"", "coalesce(crew_name, crew_code, '')"),
    "depot": ("coalesce(depot_code, '') COLLATE \"C\"", "coalesce(depot_name, depot_code, '')"),
    "cause": ("coalesce(cause, '') COLLATE \"C\"", "''"),
    "day": ("CAST(local AS date)", "''"),
    "week": ("CAST(date_trunc('week', local) AS date)", "''"),
    "month": ("CAST(date_trunc('month', local) AS date)", "''"),
}

#: Each count of the report: the flag of the incidents counted in it (``judged`` sets them).
MEASURES = ("incidents", "arrival_met", "arrival_missed", "regulator_arrival_met", "regulator_arrival_missed",
            "restoration_met", "restoration_missed", "open_at_end", "unverified_arrivals", "reassignments", "calls",
            "merged_calls")

# The incidents first reported in the period, with what the report groups them by, each judged
# once. Merged incidents are counted in the one they joined (their calls moved there); cancelled
# ones (a false alarm, a duplicate) have no service level. A fault on the customer's side has the
# time agreed with the customer as its deadline, and no regulator's limit (that is for emergency
# repair). An arrival or restoration not yet made is missed once its deadline has passed (:now).
JUDGED = """
WITH scoped AS (
    SELECT i.id, i.status, i.zone_class, z.code AS zone_code, z.name AS zone_name, c.code AS crew_code,
           c.name AS crew_name, d.code AS depot_code, d.name AS depot_name, i.cause,
           i.first_report_at AT TIME ZONE :tz AS local, i.first_report_at, i.arrival_deadline, i.on_site_at,
           i.restore_deadline, i.restored_at, i.arrival_unverified, i.report_count AS calls, i.crews_assigned,
           extract(epoch FROM i.on_site_at - i.first_report_at) / 60.0 AS arrival_min,
           extract(epoch FROM i.restored_at - i.on_site_at) / 60.0 AS restoration_min,
           extract(epoch FROM i.dispatched_at - i.first_report_at) / 60.0 AS dispatch_min,
           CASE WHEN i.customer_side IS NULL THEN i.first_report_at + interval '1 minute' * CASE i.zone_class
               WHEN 'urban' THEN CAST(:regulator_urban AS float8) WHEN 'rural' THEN CAST(:regulator_rural AS float8)
               ELSE CAST(:regulator_remote AS float8) END END AS regulator_limit
    FROM incidents i
    LEFT JOIN zones z ON z.id = i.zone_id
    LEFT JOIN crews c ON c.id = i.crew_id
    LEFT JOIN depots d ON d.id = c.depot_id
    WHERE i.first_report_at >= :start AND i.first_report_at < :end AND i.status NOT IN ('merged', 'cancelled')
), judged AS (
    SELECT *, true AS incidents,
           coalesce(on_site_at <= arrival_deadline, false) AS arrival_met,
           coalesce(on_site_at > arrival_deadline OR (on_site_at IS NULL AND arrival_deadline < :now), false)
               AS arrival_missed,
           coalesce(on_site_at <= regulator_limit, false) AS regulator_arrival_met,
           coalesce(on_site_at > regulator_limit OR (on_site_at IS NULL AND regulator_limit < :now), false)
               AS regulator_arrival_missed,
           coalesce(restored_at <= restore_deadline, false) AS restoration_met,
           coalesce(restored_at > restore_deadline OR (restored_at IS NULL AND restore_deadline < :now), false)
               AS restoration_missed,
           (restored_at IS NULL OR restored_at >= :end) AS open_at_end,
           (on_site_at IS NOT NULL AND arrival_unverified) AS unverified_arrivals,
           crews_assigned > 1 AS reassignments
    FROM scoped
)
"""
FIGURES = ", ".join([
    *(f"count(*) FILTER (WHERE {name}) AS {name}" for name in MEASURES if name not in ("calls", "merged_calls")),
    "avg(arrival_min) AS arrival_avg_min",
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY arrival_min) AS arrival_p50_min",
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY arrival_min) AS arrival_p90_min",
    "avg(restoration_min) AS restoration_avg_min",
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY restoration_min) AS restoration_p50_min",
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY restoration_min) AS restoration_p90_min",
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY dispatch_min) AS dispatch_p50_min",
    "coalesce(sum(calls), 0) AS calls",
    "coalesce(sum(greatest(calls - 1, 0)), 0) AS merged_calls",
])
#: The condition of a drill-down's measure (calls: incidents with calls; merged: with more than one).
CONDITION = {**{name: name for name in MEASURES}, "calls": "calls > 0", "merged_calls": "calls > 1"}


def _parameters(start: datetime, end: datetime, now: datetime, timezone: str,
                regulator: Mapping[str, float]) -> dict[str, Any]:
    return {"start": start, "end": end, "now": now, "tz": timezone, "regulator_urban": regulator["urban"],
            "regulator_rural": regulator["rural"], "regulator_remote": regulator["remote"]}


def _without_jit(connection: Connection) -> None:
    """For this transaction: the planner's cost estimate of these aggregates calls for JIT
    compilation, which takes seconds, far longer than the query over a month's rows."""
    connection.execute(text("SET LOCAL jit = off"))


def service_level_rows(connection: Connection, group_by: str, start: datetime, end: datetime, now: datetime,
                       timezone: str, regulator: Mapping[str, float]) -> list[dict[str, Any]]:
    """One row per group (``group`` key, ``label``, the counts, averages and percentiles in minutes),
    and the all-groups row last with ``group`` None."""
    key, label = GROUPS[group_by]
    _without_jit(connection)
    rows = connection.execute(text(
        f"{JUDGED} SELECT CASE WHEN grouping({key}) = 0 THEN {key} END AS \"group\", "
        f"CASE WHEN grouping({key}) = 0 THEN min({label}) END AS label, {FIGURES} "
        f"FROM judged GROUP BY GROUPING SETS (({key}), ()) ORDER BY grouping({key}), 1"
    ), _parameters(start, end, now, timezone, regulator))
    return [dict(row) for row in rows.mappings()]


def incidents_counted(connection: Connection, group_by: str, group: str | date | None, measure: str, start: datetime,
                      end: datetime, now: datetime, timezone: str,
                      regulator: Mapping[str, float]) -> list[dict[str, Any]]:
    """The incidents behind one number of the report (of one group, or of all when ``group`` is None;
    a calendar period's group is its first day)."""
    key, _ = GROUPS[group_by]
    _without_jit(connection)
    rows = connection.execute(text(
        f"{JUDGED} SELECT id, zone_code AS zone, zone_class, crew_code AS crew, cause, "
        "first_report_at AS received_at, on_site_at, restored_at, round(CAST(arrival_min AS numeric), 1) AS "
        f"arrival_min, round(CAST(restoration_min AS numeric), 1) AS restoration_min, status FROM judged "
        f"WHERE {CONDITION[measure]} "
        f"{'' if group is None else f'AND {key} = :group '}ORDER BY first_report_at, id"
    ), {**_parameters(start, end, now, timezone, regulator), "group": group})
    return [dict(row) for row in rows.mappings()]

"""SQL over customer interruptions: totals from their tallies, set-based aggregates per customer,
rows for the lists.

Every reader of the rows filters by ``started_at`` first (the index that carries the aggregated columns): an
interruption belongs to the day and the period it began in (IEEE 1366 accrues an interruption that
spans midnight to the day it began).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.gis.zoning import belongs_to

#: The four views of every index: all interruptions, and without major event days, planned ones, or both.
VARIANTS = {
    "all": "true",
    "without_major_events": "NOT med",
    "without_planned": "NOT planned",
    "without_both": "NOT med AND NOT planned",
}
IN_SCOPE = ("started_at >= :start AND started_at < :end "
            "AND (CAST(:zone AS text) IS NULL OR zone_code = CAST(:zone AS text))")
#: The same scope in the tallies (dispatch/reporting/tallies.py): ``start`` and ``end`` are local
#: midnights, on quarter hours, so a quarter is in the period exactly when its interruptions are.
TALLIES_IN_SCOPE = ("quarter >= :start AND quarter < :end "
                    "AND (CAST(:zone AS text) IS NULL OR zone_code = CAST(:zone AS text))")
#: Seconds off supply as float8 (``date_part``): ``extract`` gives numeric, several times slower
#: to sum over millions of rows.
SECONDS = "date_part('epoch', restored_at - started_at)"
#: Memory for one report's hash aggregates: a year of a million customers groups ~600,000 accounts,
#: which spills to disk at the default 4 MB (ten times slower). Reports are read-only and few.
REPORT_WORK_MEM = "256MB"
#: Whether an interruption began on one of the major event days ``:med`` (local days of ``:tz``).
MED_DAY = "(started_at AT TIME ZONE :tz)::date = ANY(CAST(:med AS date[]))"


def _report_memory(connection: Connection) -> None:
    connection.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


def customers_served(connection: Connection, zone: str | None) -> int:
    """The customers in scope now: all, or those whose service point belongs to ``zone``."""
    if zone is None:
        return connection.execute(text("SELECT count(*) FROM customers")).scalar_one()
    return connection.execute(text(
        f"SELECT count(*) FROM zones y JOIN customers c ON {belongs_to('c.geom', 'y')} WHERE y.code = :zone"),
        {"zone": zone}).scalar_one()


def zone_exists(connection: Connection, zone: str) -> bool:
    return connection.execute(text("SELECT EXISTS (SELECT 1 FROM zones WHERE code = :zone)"),
                              {"zone": zone}).scalar_one()


def daily_customer_minutes(connection: Connection, start: datetime, end: datetime, zone: str | None,
                           timezone: str, momentary_s: float) -> dict[date, float]:
    """Customer minutes of sustained unplanned interruptions per local day that has any (from the
    tallies: five years are a few tens of thousands of rows)."""
    rows = connection.execute(text(
        f"SELECT quarter, sum(seconds * interruptions) / 60 FROM interruption_tallies WHERE {TALLIES_IN_SCOPE} "
        "AND NOT planned AND seconds > :momentary GROUP BY 1"),
        {"start": start, "end": end, "zone": zone, "momentary": momentary_s})
    local = ZoneInfo(timezone)
    minutes_per_day: dict[date, float] = {}
    for quarter, minutes in rows:
        day = quarter.astimezone(local).date()
        minutes_per_day[day] = minutes_per_day.get(day, 0.0) + minutes
    return minutes_per_day


def period_categories(connection: Connection, start: datetime, end: datetime, zone: str | None, timezone: str,
                      momentary_s: float, short_s: float, rs3_excluded_causes: list[str]) -> list[dict[str, Any]]:
    """The period's interruptions counted and summed per local day and kind (planned, sustained,
    longer than ``short_s``, of a cause RS-3 leaves out): a few thousand rows from which every
    index total and the period's daily SAIDI follow, whatever is left out. Read from the tallies,
    whose quarter hours become local days here."""
    rows = connection.execute(text(
        "SELECT quarter, planned, seconds > :momentary AS sustained, seconds > :short AS longer_than_short, "
        "coalesce(cause = ANY(CAST(:rs3 AS text[])), false) AS rs3_out, sum(interruptions) AS interruptions, "
        f"sum(seconds * interruptions) AS seconds FROM interruption_tallies WHERE {TALLIES_IN_SCOPE} "
        "GROUP BY 1, 2, 3, 4, 5"),
        {"start": start, "end": end, "zone": zone, "momentary": momentary_s, "short": short_s,
         "rs3": rs3_excluded_causes})
    local = ZoneInfo(timezone)
    by_day: dict[tuple, dict[str, Any]] = {}
    for row in rows.mappings():
        day = row["quarter"].astimezone(local).date()
        kind = (day, row["planned"], row["sustained"], row["longer_than_short"], row["rs3_out"])
        counted = by_day.setdefault(kind, {"day": day, "planned": row["planned"], "sustained": row["sustained"],
                                           "longer_than_short": row["longer_than_short"], "rs3_out": row["rs3_out"],
                                           "interruptions": 0, "seconds": 0.0})
        counted["interruptions"] += row["interruptions"]
        counted["seconds"] += row["seconds"]
    return list(by_day.values())


def customers_interrupted(connection: Connection, start: datetime, end: datetime, zone: str | None, timezone: str,
                          major_event_days: list[date], momentary_s: float, cemi_n: int) -> dict[str, tuple[int, int]]:
    """For each of :data:`VARIANTS`: the customers with at least one sustained interruption, and
    with more than ``cemi_n`` (the sustained rows grouped by account, four counters each)."""
    _report_memory(connection)
    per_customer = [f"count(*) FILTER (WHERE {condition}) AS n_{name}" for name, condition in VARIANTS.items()]
    counted = [f"count(*) FILTER (WHERE n_{name} > 0), count(*) FILTER (WHERE n_{name} > :cemi_n)" for name in VARIANTS]
    row = connection.execute(text(
        f"SELECT {', '.join(counted)} FROM (SELECT {', '.join(per_customer)} FROM ("
        # Without major event days there is no day to find (most periods): skip the local date.
        f"SELECT account_no, planned, {MED_DAY if major_event_days else 'false'} AS med "
        f"FROM customer_interruptions WHERE {IN_SCOPE} AND {SECONDS} > :momentary OFFSET 0) ci "
        "GROUP BY account_no) per"),
        {"start": start, "end": end, "zone": zone, "tz": timezone, "med": major_event_days,
         "momentary": momentary_s, "cemi_n": cemi_n}).one()
    return {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(VARIANTS)}


def frequently_interrupted(connection: Connection, start: datetime, end: datetime, zone: str | None,
                           momentary_s: float, least: int, limit: int) -> list[dict[str, Any]]:
    """Customers with ``least`` or more sustained interruptions that began in the period, the most
    interrupted first, with their minutes off supply, last restoration and where they are."""
    _report_memory(connection)
    rows = connection.execute(text(
        f"WITH per AS (SELECT account_no, count(*) AS interruptions, sum({SECONDS}) / 60 AS minutes, "
        "max(restored_at) AS last_restored_at, max(zone_code) AS zone "
        f"FROM customer_interruptions WHERE {IN_SCOPE} AND {SECONDS} > :momentary "
        "GROUP BY account_no HAVING count(*) >= :least "
        f"ORDER BY count(*) DESC, sum({SECONDS}) DESC, account_no LIMIT :limit) "
        "SELECT per.*, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat FROM per "
        "LEFT JOIN customers c ON c.account_no = per.account_no "
        "ORDER BY per.interruptions DESC, per.minutes DESC, per.account_no"),
        {"start": start, "end": end, "zone": zone, "momentary": momentary_s, "least": least, "limit": limit})
    return [dict(r) for r in rows.mappings()]

"""Reliability indices over customer interruptions: IEEE 1366 and China's DL/T 836.

IEEE 1366 (N_T customers served, N_i customers interrupted by sustained interruption i of r_i
minutes, CN customers with at least one sustained interruption, momentary: at most
RELIABILITY_MOMENTARY_S long):

* SAIFI  = sum N_i / N_T                      interruptions per customer served
* SAIDI  = sum r_i N_i / N_T                  minutes per customer served
* CAIDI  = SAIDI / SAIFI                      minutes per interruption
* CTAIDI = sum r_i N_i / CN                   minutes per customer interrupted
* CAIFI  = sum N_i / CN                       interruptions per customer interrupted
* ASAI   = 1 - sum r_i N_i / (N_T x minutes in the period)             share of time on supply
* MAIFI  = momentary customer interruptions / N_T                      per customer served
* CEMI-n = customers with more than n sustained interruptions / N_T   share of customers

Major event days (the 2.5 beta method): T_MED is fixed for a reporting year (a calendar year of
local days), from the five years before it: the daily SAIDI of every day of those years that had
any (sustained, unplanned) interruption; alpha and beta are the mean and the sample standard
deviation of their natural logarithms; T_MED = exp(alpha + 2.5 beta). A day whose SAIDI exceeds
its year's T_MED is a major event day; a period across several years uses each year's own.

DL/T 836 (interruptions longer than RELIABILITY_SHORT_S, planned and fault alike):

* RS-1   = 1 - customer outage hours / (N_T x hours in the period)   share
* RS-3   = the same without the interruptions due to limited supply from the system (causes
           RELIABILITY_RS3_EXCLUDED_CAUSES)
* AIHC-1 = customer outage hours / N_T                                hours per customer
* AITC-1 = customer outages / N_T                                     outages per customer
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from dispatch.core.config import Settings
from dispatch.core.errors import FieldProblem, NotFound
from dispatch.reporting import interruptions_store as store
from dispatch.reporting.local_days import Period, local_midnight
from dispatch.reporting.served import ServedCounts, served_counts

#: How far back the major-event threshold looks (IEEE 1366: five years of daily SAIDI).
HISTORY_YEARS = 5
BETA_MULTIPLE = 2.5
EXCLUSIONS = ("major_events", "planned")


@dataclass(frozen=True)
class ReliabilityRules:
    """The settings the indices depend on (dispatch/core/config.py, RELIABILITY_*)."""

    momentary_s: float = 300.0
    short_s: float = 180.0
    cemi_n: int = 3
    rs3_excluded_causes: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> "ReliabilityRules":
        """The RELIABILITY_* settings (the API and the monthly review pack read them alike)."""
        causes = tuple(c.strip() for c in settings.reliability_rs3_excluded_causes.split(",") if c.strip())
        return cls(settings.reliability_momentary_s, settings.reliability_short_s, settings.reliability_cemi_n, causes)


def major_event_threshold(daily_saidi: list[float]) -> float | None:
    """T_MED in minutes from the daily SAIDI of the days that had interruptions; None with fewer
    than two such days (no spread to measure)."""
    logs = [math.log(value) for value in daily_saidi if value > 0]
    if len(logs) < 2:
        return None
    alpha = sum(logs) / len(logs)
    beta = math.sqrt(sum((x - alpha) ** 2 for x in logs) / (len(logs) - 1))
    return math.exp(alpha + BETA_MULTIPLE * beta)


def _years_before(first: date, years: int) -> date:
    try:
        return first.replace(year=first.year - years)
    except ValueError:  # 29 February
        return first.replace(year=first.year - years, day=28)


@dataclass(frozen=True)
class ReportingYear:
    """The part of a period in one reporting year, and the threshold of that year."""

    year: int
    first: date
    last: date
    threshold_min: float | None


def reporting_years(period: Period) -> list[tuple[int, date, date]]:
    """The calendar years the period touches, each with the period's first and last day in it."""
    return [(year, max(period.first, date(year, 1, 1)), min(period.last, date(year, 12, 31)))
            for year in range(period.first.year, period.last.year + 1)]


def major_event_days(connection: Connection, period: Period, zone: str | None,
                     served: ServedCounts, momentary_s: float,
                     categories: list[dict[str, Any]]) -> tuple[list[ReportingYear], list[date]]:
    """Each reporting year's T_MED (from the five years before it) and the period's days above it;
    each day's SAIDI divides by the customers served that day."""
    daily_minutes: dict[date, float] = {}
    for row in categories:
        if row["sustained"] and not row["planned"]:
            daily_minutes[row["day"]] = daily_minutes.get(row["day"], 0.0) + row["seconds"] / 60
    years, med_days = [], []
    for year, first, last in reporting_years(period):
        threshold = None
        start = date(year, 1, 1)
        before = local_midnight(_years_before(start, HISTORY_YEARS), period.timezone)
        end = local_midnight(start, period.timezone)
        daily = store.daily_customer_minutes(connection, before, end, zone, period.timezone, momentary_s)
        threshold = major_event_threshold([minutes / served.on(day) for day, minutes in daily.items()
                                           if served.on(day)])
        years.append(ReportingYear(year, first, last, threshold))
        if threshold is not None:
            med_days += [day for day, minutes in daily_minutes.items()
                         if first <= day <= last and served.on(day) and minutes / served.on(day) > threshold]
    return years, sorted(med_days)


def _sums(categories: list[dict[str, Any]], med_days: list[date],
          customers: dict[str, tuple[int, int]]) -> dict[str, dict[str, float]]:
    """The totals every index is a ratio of, for each view (all, without major event days,
    without planned, without both), from the period's interruptions per day and kind."""
    med = set(med_days)
    keeps = {"all": lambda m, p: True, "without_major_events": lambda m, p: not m,
             "without_planned": lambda m, p: not p, "without_both": lambda m, p: not m and not p}
    sums = {}
    for name, keep in keeps.items():
        total = dict.fromkeys(("sustained", "sustained_minutes", "momentary", "outages", "outage_hours", "rs3_hours"), 0.0)
        for row in categories:
            if not keep(row["day"] in med, row["planned"]):
                continue
            n, seconds = row["interruptions"], row["seconds"]
            if row["sustained"]:
                total["sustained"] += n
                total["sustained_minutes"] += seconds / 60
            else:
                total["momentary"] += n
            if row["longer_than_short"]:
                total["outages"] += n
                total["outage_hours"] += seconds / 3600
                if not row["rs3_out"]:
                    total["rs3_hours"] += seconds / 3600
        total["interrupted"], total["multiple"] = customers[name]
        sums[name] = total
    return sums


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _indices(sums: dict[str, float], customers: int, hours: float, cemi_n: int) -> dict[str, float | None]:
    saifi = _ratio(sums["sustained"], customers)
    saidi = _ratio(sums["sustained_minutes"], customers)
    served_hours = customers * hours
    return {
        "SAIFI": saifi,
        "SAIDI": saidi,
        "CAIDI": _ratio(sums["sustained_minutes"], sums["sustained"]),
        "CTAIDI": _ratio(sums["sustained_minutes"], sums["interrupted"]),
        "CAIFI": _ratio(sums["sustained"], sums["interrupted"]),
        "ASAI": None if served_hours == 0 else 1 - sums["sustained_minutes"] / 60 / served_hours,
        "MAIFI": _ratio(sums["momentary"], customers),
        f"CEMI-{cemi_n}": _ratio(sums["multiple"], customers),
        "RS-1": None if served_hours == 0 else 1 - sums["outage_hours"] / served_hours,
        "RS-3": None if served_hours == 0 else 1 - sums["rs3_hours"] / served_hours,
        "AIHC-1": _ratio(sums["outage_hours"], customers),
        "AITC-1": _ratio(sums["outages"], customers),
    }


UNITS = {
    "SAIFI": ("interruptions/customer", 4), "SAIDI": ("min/customer", 4), "CAIDI": ("min/interruption", 2),
    "CTAIDI": ("min/customer interrupted", 2), "CAIFI": ("interruptions/customer interrupted", 4),
    "ASAI": ("share", 8), "MAIFI": ("momentary interruptions/customer", 4), "CEMI": ("share", 6),
    "RS-1": ("share", 8), "RS-3": ("share", 8), "AIHC-1": ("h/customer", 4), "AITC-1": ("outages/customer", 4),
}


def _rounded(index: str, value: float | None) -> float | None:
    return None if value is None else round(value, UNITS[index.split("-")[0] if index.startswith("CEMI") else index][1])


def _threshold(year: ReportingYear) -> float | None:
    return None if year.threshold_min is None else round(year.threshold_min, 4)


def _basis(served: ServedCounts, last: date) -> str:
    given = served.given_on(last)
    if given is None:
        return "customers in scope now (low-voltage service points)"
    return f"customers served as imported, the count holding from {given.isoformat()}"


def reliability_report(connection: Connection, period: Period, zone: str | None, exclude: tuple[str, ...],
                       rules: ReliabilityRules) -> dict[str, Any]:
    """Every index for the period (and zone), with and without major event days and planned
    interruptions; ``value`` leaves out what ``exclude`` names."""
    if zone is not None and not store.zone_exists(connection, zone):
        raise NotFound(f"there is no zone {zone!r}", [FieldProblem("zone", "not a zone code")])
    served = served_counts(connection, zone, store.customers_served(connection, zone))
    customers = served.on(period.last)
    categories = store.period_categories(connection, period.start, period.end, zone, period.timezone,
                                         rules.momentary_s, rules.short_s, list(rules.rs3_excluded_causes))
    years, med_days = major_event_days(connection, period, zone, served, rules.momentary_s, categories)
    interrupted = store.customers_interrupted(connection, period.start, period.end, zone, period.timezone, med_days,
                                              rules.momentary_s, rules.cemi_n)
    sums = _sums(categories, med_days, interrupted)
    by_variant = {name: _indices(values, customers, period.hours, rules.cemi_n) for name, values in sums.items()}
    headline = {(): "all", ("major_events",): "without_major_events", ("planned",): "without_planned",
                ("major_events", "planned"): "without_both"}[tuple(sorted(set(exclude)))]
    rows = []
    for index in by_variant["all"]:
        unit = UNITS["CEMI" if index.startswith("CEMI") else index][0]
        rows.append({"index": index, "value": _rounded(index, by_variant[headline][index]), "unit": unit,
                     **{f"value_{name}": _rounded(index, by_variant[name][index])
                        for name in ("without_major_events", "without_planned", "without_both")}})
    return {
        "from": period.first, "to": period.last, "zone": zone, "timezone": period.timezone,
        "hours": period.hours, "customers_served": customers,
        "basis": _basis(served, period.last),
        "excluded": sorted(set(exclude)),
        "major_event_days": med_days,
        # One reporting year: its threshold; several: each year's in major_event_thresholds.
        "major_event_threshold_min": _threshold(years[0]) if len(years) == 1 else None,
        "major_event_thresholds": [{"year": y.year, "from": y.first, "to": y.last, "threshold_min": _threshold(y)}
                                   for y in years],
        "momentary_threshold_s": rules.momentary_s, "short_threshold_s": rules.short_s,
        "rows": rows,
    }


def frequent_interruptions(connection: Connection, period: Period, zone: str | None, least: int, limit: int,
                           momentary_s: float) -> dict[str, Any]:
    """The customers out ``least`` or more times (sustained) in the period: the frequent-outage list."""
    if zone is not None and not store.zone_exists(connection, zone):
        raise NotFound(f"there is no zone {zone!r}", [FieldProblem("zone", "not a zone code")])
    rows = store.frequently_interrupted(connection, period.start, period.end, zone, momentary_s, least, limit)
    return {"from": period.first, "to": period.last, "zone": zone, "min": least, "rows": [{
        "account_no": r["account_no"], "zone": r["zone"], "interruptions": r["interruptions"],
        "minutes": round(float(r["minutes"]), 1), "last_restored_at": r["last_restored_at"],
        "location": None if r["lon"] is None else [r["lon"], r["lat"]]} for r in rows]}

"""The response-time report: arrivals and restorations against the company's commitment and the
regulator's limit, per zone, zone class, crew, depot, cause or local day / ISO week / month.

Which incidents: those first reported in the period (local calendar days, see
:mod:`dispatch.reporting.local_days`), not merged into another (their calls count in the one
they joined) and not cancelled. Each is judged by its final times, as known now:

* arrival met: on site by its deadline (the commitment, a zone's own target, or the time agreed for
  a fault on the customer's side); missed: later, or not yet on site with the deadline passed;
* regulator's arrival: the same against receipt + the regulator's limit for its zone class;
* restoration met / missed: power back by the restoration deadline (arrival + target);
* open at the end: not restored by the end of the period;
* unverified: on site reported far from the incident (the geofence flag);
* reassignments: incidents given to more than one crew;
* calls, merged calls: every call of the incidents, and those beyond each incident's first (calls
  that joined an existing incident: the merge rate managers watch).

Every count has a drill-down: :func:`incidents_behind` lists exactly the incidents counted.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from dispatch.core.config import Settings
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.incidents.causes import taxonomy
from dispatch.reporting import service_levels_store as store
from dispatch.reporting.local_days import Period, parse_period

GROUP_BY = tuple(store.GROUPS)
COUNTS = tuple(store.MEASURES)
#: The longest period one report covers (a year, with a leap day).
LONGEST_DAYS = 366
MINUTES = ("arrival_avg_min", "arrival_p50_min", "arrival_p90_min", "restoration_avg_min", "restoration_p50_min",
           "restoration_p90_min", "dispatch_p50_min")
#: The order of a row's fields (the page's and the workbook's columns).
FIELDS = ("group", "label", "incidents", "arrival_met", "arrival_missed", "arrival_on_time_share", "arrival_avg_min",
          "arrival_p50_min", "arrival_p90_min", "regulator_arrival_met", "regulator_arrival_missed",
          "restoration_met", "restoration_missed", "restoration_avg_min", "restoration_p50_min",
          "restoration_p90_min", "open_at_end", "unverified_arrivals", "reassignments", "dispatch_p50_min", "calls",
          "merged_calls", "merge_rate")
NONE_LABEL = "(none)"
CALENDAR = ("day", "week", "month")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidInput(f"unknown {name}", [FieldProblem(name, f"{value!r} is not one of {', '.join(choices)}")])


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _calendar_key(group_by: str, first_day: date) -> tuple[str, str]:
    """A day's, ISO week's or month's group name and label, from its first day."""
    if group_by == "week":
        year, week, _ = first_day.isocalendar()
        return f"{year}-W{week:02d}", first_day.isoformat()
    name = first_day.strftime("%Y-%m") if group_by == "month" else first_day.isoformat()
    return name, name


def _first_day(group_by: str, group: str) -> date:
    """The first day of the calendar period a group names (2026-03-05, 2026-W10, 2026-03), or a 422."""
    try:
        if group_by == "week":
            year, _, week = group.partition("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        if group_by == "month":
            year, _, month = group.partition("-")
            return date(int(year), int(month), 1)
        return date.fromisoformat(group)
    except ValueError:
        example = {"week": "2026-W10", "month": "2026-03"}.get(group_by, "2026-03-05")
        raise InvalidInput("unknown group", [FieldProblem("group", f"{group!r} is not a {group_by} such as "
                                                                   f"{example}")]) from None


def _row(figures: dict[str, Any], group_by: str, labels: dict[str, str]) -> dict[str, Any]:
    row = dict(figures)
    for name in MINUTES:
        row[name] = None if row[name] is None else round(float(row[name]), 1)
    row["calls"], row["merged_calls"] = int(row["calls"]), int(row["merged_calls"])
    row["arrival_on_time_share"] = _share(row["arrival_met"], row["arrival_met"] + row["arrival_missed"])
    row["merge_rate"] = _share(row["merged_calls"], row["calls"])
    if isinstance(row["group"], date):
        row["group"], row["label"] = _calendar_key(group_by, row["group"])
    elif row["group"] is not None:
        row["label"] = labels.get(row["group"], row["label"]) or NONE_LABEL
    return {name: row[name] for name in FIELDS}


def _calendar_groups(group_by: str, span: Period) -> dict[str, str]:
    """Every day, ISO week or month the period touches, key -> label (each is listed, even empty)."""
    firsts = {day - timedelta(days=day.weekday()) if group_by == "week" else day.replace(day=1)
              if group_by == "month" else day for day in span.days()}
    return dict(_calendar_key(group_by, first) for first in sorted(firsts))


def _cause_labels(settings: Settings) -> dict[str, str]:
    return {f"{category}.{code}": labels.get("en", code)
            for category, body in taxonomy(settings.cause_taxonomy_file).items()
            for code, labels in body["causes"].items()}


def _empty(group: str, label: str) -> dict[str, Any]:
    return {name: 0 for name in FIELDS} | {name: None for name in (*MINUTES, "arrival_on_time_share", "merge_rate")} \
        | {"group": group, "label": label}


def targets(settings: Settings) -> dict[str, dict[str, float]]:
    """Per zone class, the minutes each tier allows (a zone may have its own commitment)."""
    return {zone_class: {"arrival_commitment_min": settings.arrival_targets[zone_class],
                         "restoration_commitment_min": settings.restore_targets[zone_class],
                         "arrival_regulator_min": settings.regulator_arrival_limits[zone_class]}
            for zone_class in settings.arrival_targets}


def service_levels(connection: Connection, settings: Settings, first: str, last: str, group_by: str,
                   now: datetime) -> dict[str, Any]:
    """The report for local days ``first``..``last``: ``rows`` per group and their ``total``."""
    _check_choice("group_by", group_by, GROUP_BY)
    span = parse_period(first, last, settings.dispatch_timezone, LONGEST_DAYS)
    found = store.service_level_rows(connection, group_by, span.start, span.end, now, span.timezone,
                                     settings.regulator_arrival_limits)
    labels = _cause_labels(settings) if group_by == "cause" else {}
    rows = [_row(figures, group_by, labels) for figures in found if figures["group"] is not None]
    if group_by in CALENDAR:
        present = {row["group"]: row for row in rows}
        rows = [present.get(key) or _empty(key, label) for key, label in _calendar_groups(group_by, span).items()]
    total = _row(found[-1], group_by, labels)
    del total["group"], total["label"]
    return {"from": span.first.isoformat(), "to": span.last.isoformat(), "timezone": span.timezone,
            "group_by": group_by, "targets": targets(settings), "rows": rows, "total": total}


def incidents_behind(connection: Connection, settings: Settings, first: str, last: str, group_by: str,
                     group: str | None, measure: str, now: datetime) -> dict[str, Any]:
    """The incidents counted in one cell of :func:`service_levels` (a group's, or the total's when
    ``group`` is None), first reported first."""
    _check_choice("group_by", group_by, GROUP_BY)
    _check_choice("measure", measure, COUNTS)
    span = parse_period(first, last, settings.dispatch_timezone, LONGEST_DAYS)
    key = _first_day(group_by, group) if group is not None and group_by in CALENDAR else group
    incidents = store.incidents_counted(connection, group_by, key, measure, span.start, span.end, now,
                                        span.timezone, settings.regulator_arrival_limits)
    for incident in incidents:
        for name in ("arrival_min", "restoration_min"):
            incident[name] = None if incident[name] is None else float(incident[name])
    return {"group_by": group_by, "group": group, "measure": measure, "incidents": incidents}

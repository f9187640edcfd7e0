"""The monthly review pack: one workbook for a calendar month in the dispatch time zone, a
contents sheet first (the month, its dates, the time zone, when it was made, the sheets) and then
the month's reports, made by the reports' own functions through the same workbook module the
reports page uses (workbook.py):

* response times by zone, zone class and crew (both tiers, as GET /api/v1/reports/sla), and the
  incidents that missed the company's arrival commitment and the regulator's limit, one per line,
  for the review to go through;
* complaints by zone and by cause, with the complaint rate per 1,000 calls;
* repeat faults of devices, lines and transformer areas: three or more in the 90 days up to the end
  of the month (or up to now, for the month under way);
* the reliability indices of the month (IEEE 1366 and DL/T 836, with and without major event days
  and planned interruptions) and the customers out three times or more.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.gis.grid import TopologyCache
from dispatch.incidents.causes import taxonomy
from dispatch.reporting.complaint_rates import complaint_rates
from dispatch.reporting.local_days import period
from dispatch.reporting.reliability import ReliabilityRules, frequent_interruptions, reliability_report
from dispatch.reporting.repeat_faults import LEVELS, repeat_faults
from dispatch.reporting.service_levels import incidents_behind, service_levels
from dispatch.reporting.workbook import Column, Sheet, workbook

MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Month:
    """A calendar month as local dates, ``last`` inclusive (the reports' ``from`` and ``to``)."""

    first: date
    last: date

    @property
    def label(self) -> str:
        return self.first.strftime("%Y-%m")


def parse_month(text: str) -> Month:
    """``YYYY-MM`` -> the month, or InvalidInput naming the field."""
    match = MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise InvalidInput("the month is not valid", [FieldProblem("month", f"{text!r} is not YYYY-MM (e.g. 2026-11)")])
    year, month = int(match[1]), int(match[2])
    return Month(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Review:
    """What every sheet of the pack is made for: the month, where, and as of when."""

    session: Session
    topologies: TopologyCache
    settings: Settings
    month: Month
    now: datetime

    @property
    def connection(self):
        return self.session.connection()

    @property
    def month_end(self) -> datetime:
        """Local midnight after the month's last day, or now if that is still to come."""
        end = datetime.combine(self.month.last + timedelta(days=1), time(0), ZoneInfo(self.settings.dispatch_timezone))
        return min(end, self.now)

    def cause_name(self, code: str | None) -> str | None:
        """A cause code in words (the taxonomy's English label), as the page shows it."""
        if not code or "." not in code:
            return code
        category, cause = code.split(".", 1)
        labels = taxonomy(self.settings.cause_taxonomy_file).get(category, {}).get("causes", {}).get(cause)
        return labels.get("en", code) if labels else code

    def local(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row with its times in the dispatch time zone (the workbook's times are local)."""
        zone = ZoneInfo(self.settings.dispatch_timezone)
        return {key: value.astimezone(zone).replace(tzinfo=None) if isinstance(value, datetime) else value
                for key, value in row.items()}


SLA_COLUMNS = [Column("label", "Group"), Column("incidents", "Incidents", "integer"),
               Column("arrival_met", "Arrival met (commitment)", "integer"),
               Column("arrival_missed", "Arrival missed (commitment)", "integer"),
               Column("arrival_on_time_share", "Arrival on time", "percent"),
               Column("arrival_avg_min", "Arrival average (min)", "decimal"),
               Column("arrival_p50_min", "Arrival median (min)", "decimal"),
               Column("arrival_p90_min", "Arrival 90th pct. (min)", "decimal"),
               Column("regulator_arrival_met", "Arrival met (regulator limit)", "integer"),
               Column("regulator_arrival_missed", "Arrival missed (regulator limit)", "integer"),
               Column("restoration_met", "Restoration met", "integer"),
               Column("restoration_missed", "Restoration missed", "integer"),
               Column("restoration_avg_min", "Restoration average (min)", "decimal"),
               Column("restoration_p50_min", "Restoration median (min)", "decimal"),
               Column("restoration_p90_min", "Restoration 90th pct. (min)", "decimal"),
               Column("open_at_end", "Still open at the end", "integer"),
               Column("unverified_arrivals", "Arrivals not verified by GPS", "integer"),
               Column("reassignments", "Reassigned", "integer"),
               Column("dispatch_p50_min", "Median to dispatch (min)", "decimal"),
               Column("calls", "Calls", "integer"), Column("merged_calls", "Calls joined to an incident", "integer"),
               Column("merge_rate", "Merge rate", "percent")]
INCIDENT_COLUMNS = [Column("id", "Incident"), Column("zone", "Zone"), Column("zone_class", "Zone class"),
                    Column("crew", "Crew"), Column("cause", "Cause"), Column("received_at", "Reported", "datetime"),
                    Column("on_site_at", "Crew on site", "datetime"), Column("restored_at", "Restored", "datetime"),
                    Column("arrival_min", "To arrive (min)", "decimal"),
                    Column("restoration_min", "To restore (min)", "decimal"), Column("status", "Status")]
SLA_SHEETS = {"zone": "Response times by zone", "zone_class": "Response times by class", "crew": "Response times by crew"}
LATE_SHEETS = {"arrival_missed": ("Late arrivals", "missed the company's arrival commitment"),
               "regulator_arrival_missed": ("Regulator limit missed", "missed the regulator's arrival limit")}


def response_times(review: Review) -> list[Sheet]:
    """The response-time report by zone, class and crew, and the late incidents one by one."""
    first, last = review.month.first.isoformat(), review.month.last.isoformat()
    sheets = []
    for group_by, name in SLA_SHEETS.items():
        report = service_levels(review.connection, review.settings, first, last, group_by, review.now)
        sheets.append(Sheet(name=name, caption=f"{name}, {first} to {last}", columns=SLA_COLUMNS, rows=report["rows"],
                            total={"label": "Total", **report["total"]}))
    for measure, (name, what) in LATE_SHEETS.items():
        late = incidents_behind(review.connection, review.settings, first, last, "zone", None, measure, review.now)
        sheets.append(Sheet(name=name, caption=f"Incidents first reported {first} to {last} that {what}",
                            columns=INCIDENT_COLUMNS, rows=[review.local({**i, "cause": review.cause_name(i["cause"])})
                                                            for i in late["incidents"]]))
    return sheets


COMPLAINT_COLUMNS = [Column("label", "Group"), Column("complaints", "Complaints", "integer"),
                     Column("late_arrival", "Late arrival", "integer"), Column("repeat_outage", "Repeat outage", "integer"),
                     Column("no_notice", "No notice of a planned outage", "integer"), Column("other", "Other", "integer"),
                     Column("calls", "Calls", "integer"), Column("complaint_rate", "Per 1,000 calls", "decimal")]
COMPLAINT_SHEETS = {"zone": "Complaints by zone", "cause": "Complaints by cause"}


def complaints(review: Review) -> list[Sheet]:
    """Complaints by zone and by cause, with the complaint rate the supply stations are judged by."""
    first, last = review.month.first.isoformat(), review.month.last.isoformat()
    sheets = []
    for group_by, name in COMPLAINT_SHEETS.items():
        report = complaint_rates(review.connection, review.settings, first, last, group_by)
        sheets.append(Sheet(name=name, caption=f"{name}, {first} to {last} (rate: complaints per 1,000 calls)",
                            columns=COMPLAINT_COLUMNS, rows=report["rows"], total={"label": "Total", **report["total"]}))
    return sheets


REPEAT_FAULT_COLUMNS = [Column("level", "Kind"), Column("code", "Code"), Column("name", "Name"),
                        Column("faults", "Faults", "integer"), Column("severity", "Severity (0-4)", "integer"),
                        Column("last_fault_at", "Last fault", "datetime"), Column("incidents", "Incidents")]
REPEAT_FAULT_DAYS = 90
REPEAT_FAULT_LEAST = 3


def repeated_faults(review: Review) -> list[Sheet]:
    """Every device, line and transformer area with three or more faults in the 90 days to the month's end."""
    until = review.month_end
    rows = [review.local(row) for level in LEVELS for row in repeat_faults(
        review.session, review.settings, review.topologies, REPEAT_FAULT_DAYS, REPEAT_FAULT_LEAST, level, until)["rows"]]
    since = (until - timedelta(days=REPEAT_FAULT_DAYS)).astimezone(ZoneInfo(review.settings.dispatch_timezone))
    return [Sheet(name="Repeat faults", columns=REPEAT_FAULT_COLUMNS, rows=rows,
                  caption=f"{REPEAT_FAULT_LEAST} or more faults in the {REPEAT_FAULT_DAYS} days from "
                          f"{since:%Y-%m-%d %H:%M} to {until.astimezone(since.tzinfo):%Y-%m-%d %H:%M}")]


RELIABILITY_COLUMNS = [Column("index", "Index"), Column("value", "All interruptions"),
                       Column("value_without_major_events", "Without major event days"),
                       Column("value_without_planned", "Without planned"),
                       Column("value_without_both", "Without both"), Column("unit", "Unit")]
#: Customers out at least this many times are listed (the frequent-outage list), at most FREQUENT_MOST.
FREQUENT_AT_LEAST = 3
FREQUENT_MOST = 5000
MONTH_DAYS = 31
FREQUENT_COLUMNS = [Column("account_no", "Account"), Column("zone", "Zone"),
                    Column("interruptions", "Interruptions", "integer"), Column("minutes", "Minutes out", "decimal"),
                    Column("last_restored_at", "Last restored", "datetime")]


def reliability(review: Review) -> list[Sheet]:
    """The month's reliability indices, with what they rest on, and the customers out three times or more."""
    s = review.settings
    span = period(review.month.first, review.month.last, s.dispatch_timezone, MONTH_DAYS)
    report = reliability_report(review.connection, span, None, (), ReliabilityRules.of(s))
    first, last = review.month.first.isoformat(), review.month.last.isoformat()
    days = ", ".join(str(day) for day in report["major_event_days"]) or "none"
    caption = (f"Reliability indices, {first} to {last}: {report['customers_served']} customers served; "
               f"major event days: {days}; momentary: at most {report['momentary_threshold_s']} s")
    frequent = frequent_interruptions(review.connection, span, None, FREQUENT_AT_LEAST, FREQUENT_MOST,
                                      s.reliability_momentary_s)
    return [Sheet(name="Reliability", caption=caption, columns=RELIABILITY_COLUMNS, rows=report["rows"]),
            Sheet(name="Frequent interruptions", columns=FREQUENT_COLUMNS,
                  caption=f"Customers out {FREQUENT_AT_LEAST} times or more, {first} to {last}",
                  rows=[review.local(row) for row in frequent["rows"]])]


#: The reports in the pack, in the order a monthly review reads them.
SECTIONS: list[Callable[[Review], list[Sheet]]] = [response_times, complaints, repeated_faults, reliability]


def contents(review: Review, sheets: list[Sheet]) -> Sheet:
    """The first sheet: what the pack covers and what is in it."""
    month = review.month
    facts = [("Month", month.label), ("From (local date)", month.first.isoformat()),
             ("To (local date, inclusive)", month.last.isoformat()), ("Time zone", review.settings.dispatch_timezone),
             ("Made at", review.now.isoformat(timespec="seconds"))]
    facts += [("Sheet", sheet.name) for sheet in sheets]
    return Sheet(name="Contents", caption=f"Monthly review {month.label}",
                 columns=[Column("item", "Item"), Column("value", "Value")],
                 rows=[{"item": item, "value": value} for item, value in facts])


def monthly_pack(session: Session, topologies: TopologyCache, settings: Settings, month: Month,
                 now: datetime) -> bytes:
    """The month's workbook (.xlsx bytes). Reads only."""
    review = Review(session, topologies, settings, month, now)
    sheets = [sheet for section in SECTIONS for sheet in section(review)]
    return workbook([contents(review, sheets), *sheets])

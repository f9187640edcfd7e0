"""Managers' reliability reports: the IEEE 1366 and DL/T 836 indices, the customers interrupted
most often, and how close the restoration estimates customers were given came
true (the trouble-call blueprint api/reports.py shares the URL prefix, not the audience)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.access import REPORTS, allow
from api.context import session, settings
from api.openapi import operation
from api.validation import query_args
from dispatch.reporting.etr_accuracy import etr_accuracy
from dispatch.reporting.local_days import Period, period
from dispatch.reporting.reliability import EXCLUSIONS, ReliabilityRules, frequent_interruptions, reliability_report

blueprint = Blueprint("reliability", __name__, url_prefix="/api/v1/reports")

#: The longest period at once: five years (a regulator's review looks back that far).
LONGEST_DAYS = 5 * 366
#: Calendar days the reports accept (the history a utility holds, with room).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


class PeriodQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)
    first: date = Field(alias="from", ge=EARLIEST, le=LATEST,
                        description="first local calendar day (YYYY-MM-DD) in DISPATCH_TIMEZONE")
    last: date = Field(alias="to", ge=EARLIEST, le=LATEST, description="last local calendar day, included")
    zone: str | None = Field(None, min_length=1, max_length=200, description="zone code; all zones when left out")


class ReliabilityQuery(PeriodQuery):
    exclude: str | None = Field(None, description="what `value` leaves out, comma-separated: "
                                                  f"{', '.join(EXCLUSIONS)} (the other columns are fixed)")

    @field_validator("exclude")
    @classmethod
    def known_exclusions(cls, value: str | None) -> str | None:
        if value is not None and (unknown := {v.strip() for v in value.split(",")} - set(EXCLUSIONS)):
            raise ValueError(f"unknown {', '.join(sorted(unknown))}; use {', '.join(EXCLUSIONS)}")
        return value


class FrequentQuery(PeriodQuery):
    least: int = Field(3, alias="min", ge=1, le=10_000, description="at least this many sustained interruptions")
    limit: int = Field(1000, ge=1, le=5000, description="most customers listed, the most interrupted first")


def _period(query: PeriodQuery) -> Period:
    return period(query.first, query.last, settings().dispatch_timezone, LONGEST_DAYS)


@blueprint.get("/reliability")
@allow(*REPORTS)
@operation("Reliability indices (IEEE 1366 and DL/T 836) of a period, with and without major event days and "
           "planned interruptions", "reports", query=ReliabilityQuery,
           responses={200: ("{rows: [{index, value, unit, value_without_major_events, value_without_planned, "
                            "value_without_both}], customers_served, major_event_days, major_event_threshold_min, "
                            "major_event_thresholds: [{year, from, to, threshold_min}], "
                            "momentary_threshold_s, basis, ...}", {"type": "object"}),
                      404: ("No such zone", None), 422: ("Bad query or period", None)})
def reliability():
    query = query_args(ReliabilityQuery)
    exclude = tuple(v.strip() for v in query.exclude.split(",")) if query.exclude else ()
    return jsonify(reliability_report(session().connection(), _period(query), query.zone, exclude,
                                      ReliabilityRules.of(settings())))


@blueprint.get("/frequent-interruptions")
@allow(*REPORTS)
@operation("Customers with at least `min` sustained interruptions in a period (the frequent-outage list)", "reports",
           query=FrequentQuery,
           responses={200: ("{rows: [{account_no, zone, interruptions, minutes, last_restored_at, location}]}",
                            {"type": "object"}),
                      404: ("No such zone", None), 422: ("Bad query or period", None)})
def frequently_interrupted():
    query = query_args(FrequentQuery)
    return jsonify(frequent_interruptions(session().connection(), _period(query), query.zone, query.least,
                                          query.limit, settings().reliability_momentary_s))


class EtrAccuracyQuery(PeriodQuery):
    limit: int = Field(100, ge=0, le=5000, description="most incidents listed, the worst estimate first")


@blueprint.get("/etr-accuracy")
@allow(*REPORTS)
@operation("How close the estimated restoration times were: the last and the first estimate of each incident "
           "restored in a period against the actual restoration (actual - estimated, minutes)", "reports",
           query=EtrAccuracyQuery,
           responses={200: ("{last: {incidents, p10_min, median_min, p90_min, mean_absolute_min, late_share, "
                            "within_15_min, within_30_min, within_60_min}, first: {...}, incidents: [...]}",
                            {"type": "object"}),
                      404: ("No such zone", None), 422: ("Bad query or period", None)})
def restoration_estimate_accuracy():
    query = query_args(EtrAccuracyQuery)
    return jsonify(etr_accuracy(session().connection(), _period(query), query.zone, query.limit))

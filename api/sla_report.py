"""Managers' response-time report (`/api/v1/reports/sla`) and the incidents behind each number.

Beside api/reports.py, which takes trouble calls in under the same prefix."""
from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from api.access import REPORTS, allow
from api.context import session, settings
from api.openapi import operation
from api.validation import query_args
from dispatch.core import clock
from dispatch.reporting.service_levels import COUNTS, GROUP_BY, incidents_behind, service_levels

blueprint = Blueprint("sla_report", __name__, url_prefix="/api/v1/reports")

DAY = {"pattern": r"^\d{4}-\d{2}-\d{2}$"}


class SlaQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    first: str = Field(alias="from", json_schema_extra=DAY,
                       description="first local calendar day (YYYY-MM-DD) in DISPATCH_TIMEZONE")
    last: str = Field(alias="to", json_schema_extra=DAY, description="last local day, included; at most 366 days")
    group_by: Literal[GROUP_BY] = Field(description=", ".join(GROUP_BY))  # type: ignore[valid-type]


class SlaCellQuery(SlaQuery):
    group: str | None = Field(None, max_length=200, description="a row's group; left out: the total's incidents")
    measure: Literal[COUNTS] = Field(description=", ".join(COUNTS))  # type: ignore[valid-type]


@blueprint.get("/sla")
@allow(*REPORTS)
@operation("Response times against the company's commitment and the regulator's limit, per group", "managers' reports",
           query=SlaQuery, responses={
               200: ("{from, to, timezone, group_by, targets, rows: [...], total}", {"type": "object"}),
               422: ("Unknown group_by, a bad or too long period", None)})
def sla_report():
    query = query_args(SlaQuery)
    return jsonify(service_levels(session().connection(), settings(), query.first, query.last, query.group_by,
                                  clock.now()))


@blueprint.get("/sla/incidents")
@allow(*REPORTS)
@operation("The incidents counted in one number of the response-time report", "managers' reports",
           query=SlaCellQuery, responses={
               200: ("{group_by, group, measure, incidents: [...]}", {"type": "object"}),
               422: ("Unknown group_by or measure, a bad or too long period", None)})
def sla_report_incidents():
    query = query_args(SlaCellQuery)
    return jsonify(incidents_behind(session().connection(), settings(), query.first, query.last, query.group_by,
                                    query.group, query.measure, clock.now()))

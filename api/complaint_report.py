"""Managers' complaints report (`/api/v1/reports/complaints`): complaints per zone or cause and
the complaint rate."""
from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from api.access import REPORTS, allow
from api.context import session, settings
from api.openapi import operation
from api.sla_report import DAY
from api.validation import query_args
from dispatch.reporting.complaint_rates import GROUP_BY, complaint_rates

blueprint = Blueprint("complaint_report", __name__, url_prefix="/api/v1/reports")


class ComplaintsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    first: str = Field(alias="from", json_schema_extra=DAY,
                       description="first local calendar day (YYYY-MM-DD) in DISPATCH_TIMEZONE")
    last: str = Field(alias="to", json_schema_extra=DAY, description="last local day, included; at most 366 days")
    group_by: Literal[GROUP_BY] = Field(description=", ".join(GROUP_BY))  # type: ignore[valid-type]


@blueprint.get("/complaints")
@allow(*REPORTS)
@operation("Complaints per zone or fault cause, by kind, and complaints per 1,000 fault calls", "managers' reports",
           query=ComplaintsQuery, responses={
               200: ("{from, to, timezone, group_by, rate_per, rows: [...], total}", {"type": "object"}),
               422: ("Unknown group_by, a bad or too long period", None)})
def complaints_report():
    query = query_args(ComplaintsQuery)
    return jsonify(complaint_rates(session().connection(), settings(), query.first, query.last, query.group_by))

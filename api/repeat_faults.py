"""Managers' repeat-fault list (`/api/v1/reports/repeat-faults`): places that failed again and again."""
from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.access import REPORTS, allow
from api.context import session, settings, topologies
from api.openapi import operation
from api.validation import query_args
from dispatch.core import clock
from dispatch.reporting.repeat_faults import LEVELS, WINDOWS_DAYS, repeat_faults

blueprint = Blueprint("repeat_faults", __name__, url_prefix="/api/v1/reports")


class RepeatFaultQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    days: int = Field(30, json_schema_extra={"enum": list(WINDOWS_DAYS)},
                      description="the window, counted back from now: 30 or 90 days")
    least: int = Field(3, alias="min", ge=1, le=10_000, description="faults needed to be listed (default 3)")
    level: Literal[LEVELS] = Field("device", description=", ".join(LEVELS))  # type: ignore[valid-type]

    @field_validator("days")
    @classmethod
    def a_window(cls, value: int) -> int:
        if value not in WINDOWS_DAYS:
            raise ValueError(f"must be one of {', '.join(map(str, WINDOWS_DAYS))}")
        return value


@blueprint.get("/repeat-faults")
@allow(*REPORTS)
@operation("Devices, lines or transformer areas with min or more faults in the last 30 or 90 days", "managers' reports",
           query=RepeatFaultQuery, responses={200: ("{level, days, min, since, rows: [...]}", {"type": "object"}),
                                              422: ("Bad days, min or level", None)})
def repeat_fault_list():
    query = query_args(RepeatFaultQuery)
    return jsonify(repeat_faults(session(), settings(), topologies(), query.days, query.least, query.level,
                                 clock.now()))

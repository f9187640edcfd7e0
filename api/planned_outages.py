"""Planned outages: supervisors plan work on a switch for a window; the desk reads them
(dispatch/customers/planned.py)."""
from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from api.access import DESK, MANAGERS, actor, allow
from api.context import session, settings, topologies
from api.idempotency import idempotent
from api.openapi import operation
from api.times import coming, recent
from api.validation import MAX_ID, json_body, non_null, query_args
from dispatch.core import clock
from dispatch.customers import planned
from dispatch.customers.models import PLANNED_STATES
from dispatch.reporting.planned_interruptions import record_planned

blueprint = Blueprint("planned_outages", __name__, url_prefix="/api/v1/planned-outages")
ID = {"outage_id": {"type": "integer"}}


class PlannedOutageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    switch: str = Field(min_length=1, max_length=64, description="the switch opened for the work")
    switching: dict[str, StrictBool] = Field(
        default_factory=dict, max_length=50,
        description="other switching planned with it, {switch code: is open} (a tie closed to back-feed)")
    window_start: AwareDatetime = Field(description="when the work begins: in the future, within a year")
    window_end: AwareDatetime = Field(description="when supply is back at the latest: after window_start")
    reason: str = Field(min_length=1, max_length=500, description="what the work is (customers are told)")
    zone: str | None = Field(None, min_length=1, max_length=64, json_schema_extra=non_null,
                             description="the zone whose service person customers call; default: the switch's")

    _times = field_validator("window_start", "window_end")(coming)

    @model_validator(mode="after")
    def ends_after_start(self) -> "PlannedOutageIn":
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        if any(not code or len(code) > 64 for code in self.switching):
            raise ValueError("switching: switch codes of 1 to 64 characters")
        return self


@blueprint.post("")
@idempotent
@allow(*MANAGERS)
@operation("Plan an outage: the switch opened for the work and other switching for a window; the customers "
           "off supply come from the topology", "planned outages", body=PlannedOutageIn,
           responses={201: ("The planned outage, with its customers' count and transformers", {"type": "object"}),
                      422: ("Unknown switch or zone, a window in the past or ending before it starts", None)})
def create_planned_outage():
    body = json_body(PlannedOutageIn)
    db = session()
    outage_id = planned.plan(db, topologies(), planned.Plan(body.switch, body.window_start, body.window_end,
                                                            body.reason, body.switching, body.zone),
                             actor(), clock.now())
    db.commit()
    return jsonify(planned.view(db.connection(), outage_id)), 201


class PlannedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal[PLANNED_STATES] | None = Field(None, description="only outages in this state")  # type: ignore[valid-type]
    from_: AwareDatetime | None = Field(None, alias="from", description="windows ending after this time")
    to: AwareDatetime | None = Field(None, description="windows beginning before this time")
    limit: int = Field(100, ge=1, le=500)


@blueprint.get("")
@allow(*DESK)
@operation("Planned outages (by state, by a time range their window meets), soonest first", "planned outages",
           query=PlannedQuery, responses={200: ("{planned_outages: [...]}", {"type": "object"}),
                                          422: ("Bad query", None)})
def list_planned_outages():
    query = query_args(PlannedQuery)
    return jsonify(planned_outages=planned.listing(session().connection(), query.state, query.from_, query.to,
                                                   query.limit))


@blueprint.get("/<int:outage_id>")
@allow(*DESK)
@operation("One planned outage: window, state, customers off supply, transformers, calls joined", "planned outages",
           path_params=ID, responses={200: ("The planned outage", {"type": "object"}),
                                      404: ("No such planned outage", None)})
def show_planned_outage(outage_id: int):
    return jsonify(planned.view(session().connection(), min(outage_id, MAX_ID)))


class WindowChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "anyOf": [{"required": ["window_start"]}, {"required": ["window_end"]}]})
    window_start: AwareDatetime | None = Field(None, json_schema_extra=non_null)
    window_end: AwareDatetime | None = Field(None, json_schema_extra=non_null)

    _times = field_validator("window_start", "window_end")(coming)

    @model_validator(mode="after")
    def something(self) -> "WindowChange":
        if self.window_start is None and self.window_end is None:
            raise ValueError("give window_start or window_end")
        return self


@blueprint.patch("/<int:outage_id>")
@allow(*MANAGERS)
@operation("Change a planned outage's window (one under way: its end); customers told before are told again",
           "planned outages", path_params=ID, body=WindowChange,
           responses={200: ("The planned outage", {"type": "object"}), 404: ("No such planned outage", None),
                      409: ("Restored or cancelled", None), 422: ("A window that cannot be kept", None)})
def change_planned_window(outage_id: int):
    change = json_body(WindowChange)
    db = session()
    outage_id = min(outage_id, MAX_ID)
    planned.change_window(db.connection(), settings(), outage_id, change.window_start, change.window_end, clock.now())
    db.commit()
    return jsonify(planned.view(db.connection(), outage_id))


@blueprint.post("/<int:outage_id>/cancel")
@idempotent
@allow(*MANAGERS)
@operation("Cancel an upcoming planned outage; customers told before are told it is off", "planned outages",
           path_params=ID, responses={200: ("The planned outage", {"type": "object"}),
                                      404: ("No such planned outage", None), 409: ("It began already", None)})
def cancel_planned_outage(outage_id: int):
    db = session()
    outage_id = min(outage_id, MAX_ID)
    planned.cancel(db.connection(), settings(), outage_id, clock.now())
    db.commit()
    return jsonify(planned.view(db.connection(), outage_id))


class Moment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: AwareDatetime | None = Field(None, json_schema_extra=non_null,
                                     description="when it happened (at most 7 days ago); default: now")

    _at = field_validator("at")(recent)


@blueprint.post("/<int:outage_id>/start")
@idempotent
@allow(*MANAGERS)
@operation("Record that the planned work began (the switch was opened)", "planned outages", path_params=ID,
           body=Moment, responses={200: ("The planned outage", {"type": "object"}),
                                   404: ("No such planned outage", None), 409: ("Not upcoming", None)})
def start_planned_outage(outage_id: int):
    at = json_body(Moment).at or clock.now()
    db = session()
    outage_id = min(outage_id, MAX_ID)
    planned.start(db.connection(), outage_id, at, actor())
    db.commit()
    return jsonify(planned.view(db.connection(), outage_id))


@blueprint.post("/<int:outage_id>/finish")
@idempotent
@allow(*MANAGERS)
@operation("Record that supply is back: the customers' interruptions are recorded as planned", "planned outages",
           path_params=ID, body=Moment, responses={200: ("The planned outage", {"type": "object"}),
                                                   404: ("No such planned outage", None),
                                                   409: ("Not under way", None),
                                                   422: ("Before it began", None)})
def finish_planned_outage(outage_id: int):
    at = json_body(Moment).at or clock.now()
    db = session()
    outage_id = min(outage_id, MAX_ID)
    planned.finish(db.connection(), settings(), outage_id, at, actor())
    record_planned(db.connection(), outage_id)
    db.commit()
    return jsonify(planned.view(db.connection(), outage_id))

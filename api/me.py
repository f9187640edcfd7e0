"""The crew phone's API: my jobs, my GPS positions, and lifecycle events on my own jobs."""
from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.access import CREW, allow, identity
from api.context import dispatcher, session, settings, topologies
from api.crews import PositionBatch, position_rows
from api.idempotency import header_key
from api.openapi import operation
from api.times import recent
from api.validation import MAX_ID, Point, json_body
from api.work_orders import ClosingReport, closing_report_of
from dispatch.core import clock
from dispatch.crews.jobs import CREW_EVENTS, jobs, record_crew_event
from dispatch.crews.roster import record_positions
from dispatch.reporting.interruptions import record_restoration

blueprint = Blueprint("me", __name__, url_prefix="/api/v1/me")


@blueprint.get("/jobs")
@allow(*CREW)
@operation("My crew's job at work: place, customers out, deadline, the route there, what to press next", "crew",
           responses={200: ("{crew, jobs: [...]}", {"type": "object"})})
def my_jobs():
    return jsonify(jobs(session(), dispatcher(), identity().crew, clock.now()))


@blueprint.post("/positions")
@allow(*CREW)
@operation("A batch of my phone's GPS positions (a replayed batch is stored once)", "crew", body=PositionBatch,
           responses={202: ("{stored: how many were new}", {"type": "object"})})
def my_positions():
    batch = json_body(PositionBatch)
    me = identity()
    crew = {"id": me.crew_id, "code": me.crew}
    stored = record_positions(session(), crew, position_rows(batch),
                              arrival_radius_m=settings().arrival_radius_m,
                              position_max_age_s=settings().crew_position_max_age_s)
    return jsonify(stored=stored), 202


class CrewEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    type: Literal[CREW_EVENTS]  # type: ignore[valid-type]
    at: AwareDatetime = Field(description="when the crew pressed it, by the phone's clock")
    location: Point | None = Field(None, description="where the phone was (checked for on_site)")
    note: str | None = Field(None, max_length=4000)
    cause: str | None = Field(None, max_length=200, description=(
        "for restored: free text kept on the event; the order's cause is the closing report's (GET /api/v1/causes)"))

    _at = field_validator("at")(recent)


@blueprint.post("/jobs/<int:incident_id>/events")
@allow(*CREW)
@operation("Record accepted, en_route, on_site or restored on my job, with the phone's time; safe to replay "
           "(Idempotency-Key), late or out of order", "crew", body=CrewEvent,
           path_params={"incident_id": {"type": "integer"}},
           responses={201: ("{incident, status, allowed_next, event}", {"type": "object"}),
                      200: ("The same event again: the first answer (Idempotent-Replayed: true)", {"type": "object"}),
                      403: ("Not my crew's job", None), 404: ("No such incident", None),
                      422: ("Bad event, time or Idempotency-Key", None)})
def my_event(incident_id: int):
    key = header_key(required=True)
    event = json_body(CrewEvent)
    s = settings()
    answer, replayed = record_crew_event(
        session(), dispatcher(), identity(), min(incident_id, MAX_ID), event.type, event.at, key,
        position=event.location and (event.location.lon, event.location.lat), note=event.note, cause=event.cause,
        now=clock.now(), arrival_radius_m=s.arrival_radius_m,
        position_max_age_s=s.crew_position_max_age_s,
        on_restored=lambda restored: record_restoration(session(), topologies(), restored))
    response = jsonify(answer)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
        return response, 200
    return response, 201


@blueprint.post("/jobs/<int:incident_id>/closing-report")
@allow(*CREW)
@operation("My closing report on a restored job: cause, equipment owner, times, work done; safe to replay "
           "(Idempotency-Key)", "crew", body=ClosingReport, path_params={"incident_id": {"type": "integer"}},
           responses={201: ("The report, pending the desk's review", {"type": "object"}),
                      404: ("Not my crew's job", None), 409: ("Not restored yet, or a report waits for review", None),
                      422: ("Unknown cause, times out of order, or no Idempotency-Key", None)})
def my_closing_report(incident_id: int):
    key = header_key(required=True)
    return jsonify(closing_report_of(incident_id, crew_id=identity().crew_id, key=key)), 201

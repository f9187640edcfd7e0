"""Customer fault reports (trouble calls) from the hotline, apps, messaging and smart meters."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from api.access import CHANNELS, DESK, actor, allow, channel_client
from api.context import dispatcher, session, settings, topologies
from api.idempotency import idempotent
from api.openapi import operation
from api.times import recent
from api.validation import MAX_ID, Point, json_body, non_null
from dispatch.core import clock
from dispatch.core.errors import FieldProblem, Forbidden, InvalidInput
from dispatch.customers.notify_templates import planned_reference
from dispatch.customers.planned import JoinedCall, join_call
from dispatch.gis.service_area import refuse_outside_service_area
from dispatch.gis.skills import skill_rules
from dispatch.incidents.corrections import move_call
from dispatch.incidents.intake import NewReport, ReportIntake
from dispatch.incidents.locating import Locators
from dispatch.incidents.models import REPORT_CHANNELS, REPORT_KINDS

blueprint = Blueprint("reports", __name__, url_prefix="/api/v1/reports")


class ReportIn(BaseModel):
    """A trouble call. At least one locator: account_no, phone, location or address."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "anyOf": [{"required": [locator]} for locator in ("account_no", "phone", "location", "address")]})
    channel: Literal[REPORT_CHANNELS] | None = Field(  # type: ignore[valid-type]
        None, json_schema_extra=non_null,
        description="where the call came from: required from the desk; a machine channel's key says it "
                    "(a channel may repeat its own, never name another)")
    received_at: AwareDatetime | None = Field(
        None, json_schema_extra=non_null,
        description="ISO 8601 with offset, at most 7 days ago and at most 5 minutes ahead; default: now")
    account_no: str | None = Field(None, min_length=1, max_length=64, json_schema_extra=non_null)
    phone: str | None = Field(None, min_length=1, max_length=32, json_schema_extra=non_null)
    location: Point | None = Field(None, json_schema_extra=non_null,
                                   description="where the caller is; refused far outside the area served")
    address: str | None = Field(None, min_length=1, max_length=500, json_schema_extra=non_null)
    kind: Literal[REPORT_KINDS] = "no_power"  # type: ignore[valid-type]
    hazard: bool = Field(False, strict=True)
    description: str | None = Field(None, max_length=4000)
    external_id: str | None = Field(None, min_length=1, max_length=128,
                                    description="the sending system's id; a repeat from the same sender (machine "
                                                "client, or the desk) returns the first report")

    _received_at = field_validator("received_at")(recent)

    @model_validator(mode="after")
    def needs_a_locator(self) -> "ReportIn":
        if not (self.account_no or self.phone or self.location or self.address):
            raise ValueError("give at least one of account_no, phone, location or address")
        return self


class DeviceOut(BaseModel):
    kind: str
    code: str | None


class IncidentBrief(BaseModel):
    id: int
    status: str
    device: DeviceOut
    customers_affected: int
    report_count: int
    arrival_deadline: datetime
    hazard: bool
    unlocated: bool
    crew: str | None = Field(description="the crew sent, if one was free")
    eta_s: float | None = Field(description="its driving time when sent")


class PlannedBrief(BaseModel):
    reference: str = Field(description="P and its number, as customers are told")
    id: int
    state: str
    window_start: datetime
    window_end: datetime
    etr: datetime = Field(description="the window's end: when supply is back at the latest")
    reason: str


class ReportAccepted(BaseModel):
    id: int = Field(description="the report's id; inside a planned outage: the id of the call kept with it")
    located: dict | None = Field(description="method, account_no, bus, transformer, source, feeder, "
                                             "zone {code, class, defaulted}, distance_m, location; a "
                                             "channel client gets the method only (so does a call inside "
                                             "a planned outage)")
    incident: IncidentBrief | None = Field(description="null for a call inside a planned outage")
    planned_outage: PlannedBrief | None = Field(
        None, description="the planned outage the caller is inside of: the call joined it, no incident was opened")


def planned_answer(joined: JoinedCall) -> dict:
    """The answer to a call that joined a planned outage: what to tell the caller."""
    outage = joined.outage
    return {"id": joined.call_id, "located": {"method": joined.located_method}, "incident": None,
            "planned_outage": {"reference": planned_reference(outage["id"]), "id": outage["id"],
                               "state": outage["state"], "window_start": outage["window_start"].isoformat(),
                               "window_end": outage["window_end"].isoformat(),
                               "etr": outage["window_end"].isoformat(), "reason": outage["reason"]}}


def report_channel(claimed: str | None) -> tuple[str, int | None]:
    """The report's channel and machine client: a channel client's own (it cannot claim another),
    else the one the desk names."""
    client = channel_client()
    if client is None:
        if claimed is None:
            raise InvalidInput("say which channel the call came from", [FieldProblem("channel", "required")])
        return claimed, None
    if claimed not in (None, client.channel):
        raise Forbidden(f"channel client {client.name} reports for the {client.channel} channel, not {claimed}")
    return client.channel, client.id


@blueprint.post("")
@idempotent
@allow(*DESK, CHANNELS)
@operation("Take in a customer fault report: locate it and attach it to an incident (the desk, or a machine "
           "channel with its key)", "reports",
           body=ReportIn, responses={201: ("Stored, with its incident (or the planned outage it joined)", ReportAccepted),
                                     200: ("This external_id was reported before: the first report", ReportAccepted),
                                     403: ("A channel client naming another channel", None),
                                     422: ("Invalid report; nothing stored", None),
                                     429: ("A channel client over its rate (Retry-After)", None)})
def submit_report():
    report = json_body(ReportIn)
    channel, client_id = report_channel(report.channel)
    now = clock.now()
    point = report.location
    if point is not None:
        refuse_outside_service_area(session().connection(), settings(), point.lon, point.lat)
    call = NewReport(
        channel=channel, received_at=report.received_at or now,
        locators=Locators(report.account_no, report.phone, report.address,
                          point.lon if point else None, point.lat if point else None),
        kind=report.kind, hazard=report.hazard, description=report.description,
        external_id=report.external_id, channel_client_id=client_id)
    joined = join_call(session(), topologies(), settings(), call)
    if joined is not None:
        return jsonify(planned_answer(joined)), 201 if joined.created else 200
    intake = ReportIntake(session(), settings(), topologies(), dispatcher()).submit(call)
    incident = intake.incident
    body = {
        "id": intake.report_id,
        "located": intake.located,
        "incident": {
            "id": incident["id"], "status": incident["status"],
            "device": {"kind": incident["device_kind"], "code": incident["device_code"]},
            "customers_affected": incident["customers_affected"], "report_count": incident["report_count"],
            "arrival_deadline": incident["arrival_deadline"].isoformat(), "hazard": incident["hazard"],
            "unlocated": incident["unlocated"], "crew": incident["crew"], "eta_s": incident["eta_s"],
        },
    }
    if client_id is not None:
        # A channel faces the public (a WeChat account, an app): it learns its report's reference and
        # where the incident stands, not whose account a phone number is, nor where that customer lives.
        body["located"] = None if intake.located is None else {"method": intake.located.get("method")}
    return jsonify(body), 201 if intake.created else 200


class CallMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    incident: int | None = Field(strict=True, ge=1, le=MAX_ID,
                                 description="the incident the call belongs to; null: a new incident of its own")


@blueprint.post("/<int:report_id>/move")
@idempotent
@allow(*DESK)
@operation("Move a call that inference grouped with the wrong fault (kept in both timelines)", "reports",
           path_params={"report_id": {"type": "integer"}}, body=CallMove,
           responses={200: ("{report, incident, from}", {"type": "object"}), 404: ("No such report or incident", None),
                      409: ("An incident that is no longer open", None)})
def move_report(report_id: int):
    move = json_body(CallMove)
    return jsonify(move_call(session(), topologies(), dispatcher(), skill_rules(settings().skill_rules_file),
                             min(report_id, MAX_ID), move.incident, clock.now(), actor()))

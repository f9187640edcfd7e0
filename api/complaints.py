"""Complaints taken at the hotline: calls about the service that send no crew (see
dispatch/incidents/complaints.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.access import DESK, allow
from api.context import session, settings, topologies
from api.idempotency import idempotent
from api.openapi import operation
from api.times import recent
from api.validation import MAX_ID, json_body, non_null
from dispatch.core import clock
from dispatch.incidents.complaints import NewComplaint, take_complaint
from dispatch.incidents.models import COMPLAINT_KINDS, REPORT_CHANNELS

blueprint = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints")


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    channel: Literal[REPORT_CHANNELS]  # type: ignore[valid-type]
    kind: Literal[COMPLAINT_KINDS] = Field(  # type: ignore[valid-type]
        description="late_arrival, repeat_outage, no_notice (of a planned outage) or other")
    received_at: AwareDatetime | None = Field(
        None, json_schema_extra=non_null, description="ISO 8601 with offset, at most 7 days ago; default: now")
    account_no: str | None = Field(None, min_length=1, max_length=64, json_schema_extra=non_null,
                                   description="the customer complaining (must exist)")
    phone: str | None = Field(None, min_length=1, max_length=32, json_schema_extra=non_null)
    incident: int | None = Field(None, strict=True, ge=1, le=MAX_ID, json_schema_extra=non_null,
                                 description="the incident it is about; default: the customer's open or recent one")
    description: str | None = Field(None, max_length=4000)
    external_id: str | None = Field(None, min_length=1, max_length=128,
                                    description="the calling system's id; a repeat returns the first complaint")

    _received_at = field_validator("received_at")(recent)


class ComplaintOut(BaseModel):
    id: int
    kind: str
    channel: str
    received_at: datetime
    account_no: str | None
    zone: str | None = Field(description="the customer's zone, else the incident's")
    incident: int | None = Field(description="the incident it is about, if one was found")


@blueprint.post("")
@idempotent
@allow(*DESK)
@operation("Take in a complaint: linked to the incident it is about; no crew is sent, no incident opened",
           "complaints", body=ComplaintIn,
           responses={201: ("Stored", ComplaintOut), 200: ("This external_id was received before", ComplaintOut),
                      422: ("Invalid complaint, an unknown account or incident; nothing stored", None)})
def submit_complaint():
    complaint = json_body(ComplaintIn)
    answer, created = take_complaint(session(), settings(), topologies(), NewComplaint(
        channel=complaint.channel, received_at=complaint.received_at or clock.now(), kind=complaint.kind,
        account_no=complaint.account_no, phone=complaint.phone, incident_id=complaint.incident,
        description=complaint.description, external_id=complaint.external_id))
    return jsonify(answer), 201 if created else 200

"""Evidence beyond calls: smart-meter events from the AMI head-end and device operations from
SCADA or feeder terminals, each a batch of events.

Each event is checked on its own: one that is wrong is skipped and listed by its row
(``rejected``), the others are taken in, since head-ends and gateways resend whole batches and a
refused batch would come back with the same bad event for ever. A batch with no good event at all
is refused (422, nothing changes). Events seen before are counted as duplicates, never twice.
"""
from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from api.access import AMI_CHANNEL, SCADA_CHANNEL, allow, channel_client
from api.context import dispatcher, session, settings, topologies
from api.openapi import operation
from api.times import recent
from api.validation import json_body
from dispatch.core.errors import FieldProblem, Forbidden, InvalidInput
from dispatch.customers.planned import join_call, switched_for_work
from dispatch.incidents.device_events import DeviceEvents, DeviceOperation
from dispatch.incidents.evidence_store import switches_named
from dispatch.incidents.messages import record_incidents
from dispatch.incidents.meter_events import MeterEvent, take_meter_events
from dispatch.incidents.models import DEVICE_OPERATIONS, METER_EVENT_KINDS
from dispatch.reporting.interruptions import record_restoration

blueprint = Blueprint("evidence", __name__, url_prefix="/api/v1")


class MeterEventIn(BaseModel):
    """One meter event: the meter (or the customer's account) and its kind and time; the
    head-end's event id when it has one (else meter, kind and time make it unique)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: str | None = Field(None, min_length=1, max_length=128)
    meter: str | None = Field(None, min_length=1, max_length=64)
    account_no: str | None = Field(None, min_length=1, max_length=64)
    kind: Literal[METER_EVENT_KINDS]  # type: ignore[valid-type]
    at: AwareDatetime = Field(description="when the meter lost or regained power (ISO 8601 with offset)")

    _at = field_validator("at")(recent)

    @model_validator(mode="after")
    def names_a_customer(self) -> "MeterEventIn":
        if (self.meter is None) == (self.account_no is None):
            raise ValueError("give the meter or the account_no (one of them)")
        return self


class DeviceEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: str = Field(min_length=1, max_length=128, description="SCADA's id of the event (resent: counted once)")
    device: str = Field(min_length=1, max_length=100, description="the switch's code")
    operation: Literal[DEVICE_OPERATIONS]  # type: ignore[valid-type]
    at: AwareDatetime

    _at = field_validator("at")(recent)


class MeterBatchIn(BaseModel):
    events: list[MeterEventIn] = Field(description="up to EVIDENCE_BATCH_MAX (default 1000) events")


class DeviceBatchIn(BaseModel):
    events: list[DeviceEventIn] = Field(description="up to EVIDENCE_BATCH_MAX (default 1000) events")


class RawBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[Any]


def _checked(model: type[BaseModel]) -> tuple[list[tuple[int, Any]], list[FieldProblem]]:
    """The batch's events that are valid (with their row), and the problems of the others."""
    raw = json_body(RawBatch).events
    if not raw:
        raise InvalidInput("the batch has no events", [FieldProblem("events", "give at least one event")])
    if len(raw) > settings().evidence_batch_max:
        raise InvalidInput("the batch is too large", [FieldProblem(
            "events", f"at most {settings().evidence_batch_max} events per request, not {len(raw)}")])
    valid, problems = [], []
    for row, item in enumerate(raw):
        try:
            valid.append((row, model.model_validate(item)))
        except ValidationError as why:
            problems += [FieldProblem(".".join([f"events[{row}]", *(str(p) for p in e["loc"])]), e["msg"])
                         for e in why.errors(include_url=False)]
    if not valid:
        raise InvalidInput("no event of the batch is valid; nothing was stored", problems)
    return valid, problems


@blueprint.post("/meter-events")
@allow(*AMI_CHANNEL)
@operation("Smart-meter last gasps and power-restored from the AMI head-end, in batches: a last gasp is a "
           "certain outage report (channel ami), a power-restored a certain 'on'", "evidence", body=MeterBatchIn,
           responses={200: ("{accepted, duplicates, momentary, incidents: [ids], rejected: [{field, message}]}",
                            {"type": "object"}),
                      422: ("No valid event in the batch, or too many; nothing stored", None)})
def post_meter_events():
    client = channel_client()
    if client is not None and client.channel != "ami":
        raise Forbidden(f"meter events come from the AMI head-end (channel ami), not from a {client.channel} channel")
    valid, problems = _checked(MeterEventIn)
    events = [MeterEvent(row, e.kind, e.at, e.event_id, e.meter, e.account_no) for row, e in valid]
    batch = take_meter_events(session(), settings(), topologies(), dispatcher(), events, problems,
                              client.id if client is not None else None,
                              lambda report: join_call(session(), topologies(), settings(), report) is not None)
    return jsonify(batch.as_dict())


@blueprint.post("/device-events")
@allow(*SCADA_CHANNEL)
@operation("Breaker and recloser operations from SCADA or a feeder terminal: open or lockout not switched by the "
           "desk opens an incident on the device at once; closed records it closed again", "evidence",
           body=DeviceBatchIn,
           responses={200: ("{events: [{row, event_id, effect, incident}], rejected: [{field, message}]}",
                            {"type": "object"}),
                      422: ("No valid event in the batch, or too many; nothing stored", None)})
def post_device_events():
    valid, problems = _checked(DeviceEventIn)
    known = switches_named(session().connection(), sorted({e.device for _, e in valid}))
    problems += [FieldProblem(f"events[{row}].device", f"there is no switch {e.device!r}")
                 for row, e in valid if e.device not in known]
    problems.sort(key=lambda problem: int(problem.field.split("[")[1].split("]")[0]))  # by row
    valid = [(row, e) for row, e in valid if e.device in known]
    if not valid:
        raise InvalidInput("no event of the batch names a known device; nothing was stored", problems)
    taker = DeviceEvents(session(), settings(), topologies(), dispatcher(),
                         rehomed=lambda ids: record_incidents(session().connection(), ids),
                         on_restored=lambda restored: record_restoration(session(), topologies(), restored),
                         planned=lambda code, at: switched_for_work(session().connection(), code, at))
    done = [taker.take(DeviceOperation(row, e.event_id, e.device, e.operation, e.at))
            for row, e in sorted(valid, key=lambda v: (v[1].at, v[0]))]
    return jsonify(events=sorted(done, key=lambda d: d["row"]), rejected=[p.as_dict() for p in problems])

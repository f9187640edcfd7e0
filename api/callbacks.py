"""Call-backs after restoration: the hotline agents' list, and the customers' answers from the desk
or a channel (dispatch/customers/callbacks.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.access import CHANNELS, DESK, REPORTS, actor, allow, channel_client
from api.context import dispatcher, session, settings, topologies
from api.idempotency import idempotent
from api.openapi import operation
from api.sla_report import DAY
from api.validation import MAX_ID, json_body, non_null, query_args
from dispatch.customers.callbacks import ANSWERS, STATES, Answer, answer, answer_for, listing, outcomes
from dispatch.reporting.local_days import parse_period

blueprint = Blueprint("callbacks", __name__, url_prefix="/api/v1")
#: The longest period of the managers' figures.
LONGEST_DAYS = 366


class CallbackQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal[tuple(STATES)] = Field(  # type: ignore[valid-type]
        "open", description="open (pending), overdue (pending past due), power_back, still_out, unreachable, "
                            "answered (any of the last three)")
    incident: int | None = Field(None, ge=1, le=MAX_ID, json_schema_extra=non_null,
                                 description="the restored incident's call-backs only")
    limit: int = Field(200, ge=1, le=1000)


class CallbackOut(BaseModel):
    id: int
    incident: int = Field(description="the restored incident the customer called about")
    status: Literal["pending", "power_back", "still_out", "unreachable"]
    due_at: datetime = Field(description="the restoration plus CALLBACK_WITHIN_H")
    overdue: bool
    attempts: int = Field(description="calls that went unanswered")
    account_no: str | None
    name: str | None
    address: str | None
    phone: str | None = Field(description="the number to call")
    channel: str = Field(description="how the customer reached us (their latest call)")
    device: str | None
    restored_at: datetime | None
    answered_at: datetime | None
    answered_by: str | None
    note: str | None
    new_incident: int | None = Field(description="the incident a 'still out' opened or joined")


class CallbackList(BaseModel):
    callbacks: list[CallbackOut] = Field(description="the overdue first, then by due time")
    counts: dict[str, int] = Field(description="{pending, overdue}: every call-back, whatever the filter")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    answer: Literal[ANSWERS] = Field(  # type: ignore[valid-type]
        description="power_back; still_out (opens a nested incident); no_answer (after CALLBACK_ATTEMPTS: "
                    "unreachable)")
    note: str | None = Field(None, max_length=2000, json_schema_extra=non_null)


class AnswerFor(AnswerIn):
    """Exactly one of account_no and phone."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "oneOf": [{"required": ["account_no"]}, {"required": ["phone"]}]})
    incident: int = Field(strict=True, ge=1, le=MAX_ID, description="the reference quoted in the restored notice")
    account_no: str | None = Field(None, min_length=1, max_length=64, json_schema_extra=non_null)
    phone: str | None = Field(None, min_length=1, max_length=32, json_schema_extra=non_null)

    @model_validator(mode="after")
    def one_of_them(self) -> "AnswerFor":
        if (self.account_no is None) == (self.phone is None):
            raise ValueError("give either account_no or phone")
        return self


class AnswerOut(BaseModel):
    id: int | None = Field(description="the call-back; null: the customer had not called (the restored notice asks "
                                       "everyone downstream), so there is none to close")
    incident: int
    status: Literal["pending", "power_back", "still_out", "unreachable"]
    attempts: int
    new_incident: int | None = Field(description="still_out: the incident opened (nested in the restored one) or joined")


ANSWER_RESPONSES = {200: ("The call-back's state (the same answer again: the same, nothing changed)", AnswerOut),
                    404: ("No such call-back (nor, answering by incident, a customer downstream of it restored)", None),
                    409: ("The call-back is closed with another answer", None), 422: ("Bad body", None),
                    429: ("A channel client over its rate (Retry-After)", None)}


def _given(body: AnswerIn) -> Answer:
    client = channel_client()
    return Answer(body.answer, actor(), body.note, client and client.id, client and client.channel)


@blueprint.get("/callbacks")
@allow(*DESK)
@operation("Call-backs after restoration, for the hotline's agents: the overdue first (names and phones: the "
           "desk only)", "callbacks", query=CallbackQuery,
           responses={200: ("The call-backs and the pending counts", CallbackList), 422: ("Bad query", None)})
def list_callbacks():
    query = query_args(CallbackQuery)
    return jsonify(listing(session(), query.state, query.incident, query.limit))


@blueprint.post("/callbacks/<int:callback_id>/answer")
@idempotent
@allow(*DESK)
@operation("Record a customer's answer to a call-back (an agent at the desk; a channel answers by the incident and "
           "the customer, POST /api/v1/callbacks/answer, since it cannot list call-backs)", "callbacks",
           path_params={"callback_id": {"type": "integer"}}, body=AnswerIn, responses=ANSWER_RESPONSES)
def answer_callback(callback_id: int):
    body = json_body(AnswerIn)
    return jsonify(answer(session(), settings(), topologies(), dispatcher(), min(callback_id, MAX_ID), _given(body)))


@blueprint.post("/callbacks/answer")
@idempotent
@allow(*DESK, CHANNELS)
@operation("Record a customer's answer by the incident's reference and their account or phone (what an IVR, "
           "WeChat or the app knows)", "callbacks", body=AnswerFor, responses=ANSWER_RESPONSES)
def answer_callback_for():
    body = json_body(AnswerFor)
    return jsonify(answer_for(session(), settings(), topologies(), dispatcher(), body.incident, body.account_no,
                              body.phone, _given(body)))


class OutcomesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    first: str = Field(alias="from", json_schema_extra=DAY,
                       description="first local calendar day (YYYY-MM-DD) in DISPATCH_TIMEZONE of the restorations")
    last: str = Field(alias="to", json_schema_extra=DAY,
                      description=f"last local day, included; at most {LONGEST_DAYS} days")


@blueprint.get("/reports/callbacks")
@allow(*REPORTS)
@operation("Call-backs of the restorations of a period, per zone: power back, still out, unreachable, pending, "
           "overdue, answered late", "managers' reports", query=OutcomesQuery,
           responses={200: ("{from, to, timezone, rows: [{zone, callbacks, power_back, still_out, unreachable, "
                            "pending, overdue, answered_late}], total}", {"type": "object"}),
                      422: ("A bad or too long period", None)})
def callback_outcomes():
    query = query_args(OutcomesQuery)
    span = parse_period(query.first, query.last, settings().dispatch_timezone, LONGEST_DAYS)
    return jsonify({"from": span.first.isoformat(), "to": span.last.isoformat(), "timezone": span.timezone,
                    **outcomes(session(), span.start, span.end)})

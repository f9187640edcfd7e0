"""The work order at the desk: its stamped steps, faults on the customer's side, the crew's closing
report and its review, and the fault-cause taxonomy the reports use."""
from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from api.access import DESK, READERS, SIGNED_IN, actor, allow
from api.context import dispatcher, session, settings, topologies
from api.idempotency import idempotent
from api.openapi import operation
from api.times import recent
from api.validation import MAX_ID, json_body
from dispatch.core import clock
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.incidents.causes import cause_codes, taxonomy
from dispatch.incidents.work_order import (
    closing_report,
    mark_customer_side,
    review_closing_report,
    steps,
    submit_closing_report,
)
from dispatch.reporting.interruptions import record_restoration

blueprint = Blueprint("work_orders", __name__, url_prefix="/api/v1")
ID = {"incident_id": {"type": "integer"}}


@blueprint.get("/causes")
@allow(*SIGNED_IN)
@operation("The fault-cause taxonomy of closing reports: categories, causes, labels in en and zh-CN", "work orders",
           responses={200: ("{category: {label, causes: {cause: labels}}}", {"type": "object"})})
def causes():
    return jsonify(taxonomy(settings().cause_taxonomy_file))


@blueprint.get("/incidents/<int:incident_id>/work-order")
@allow(*READERS)
@operation("The work order: when each step happened, and the closing report with its review", "work orders",
           path_params=ID, responses={200: ("{steps: {...}, closing_report}", {"type": "object"}),
                                      404: ("No such incident", None)})
def work_order(incident_id: int):
    incident_id = min(incident_id, MAX_ID)
    return jsonify(steps=steps(session(), incident_id), closing_report=closing_report(session(), incident_id))


class CustomerSide(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(description="one of CUSTOMER_SIDE_REASONS (default behind_meter, arrears, customer_equipment)")
    agreed_arrival: AwareDatetime = Field(description="the arrival time agreed with the customer")


@blueprint.post("/incidents/<int:incident_id>/customer-side")
@idempotent
@allow(*DESK)
@operation("The fault is on the customer's side: a time agreed with the customer replaces the emergency target",
           "work orders", path_params=ID, body=CustomerSide,
           responses={200: ("{id, customer_side, arrival_deadline}", {"type": "object"}),
                      404: ("No such incident", None), 409: ("The crew is there already, or it is over", None)})
def customer_side(incident_id: int):
    body = json_body(CustomerSide)
    reasons = [r for r in settings().customer_side_reasons.split(",") if r]
    if body.reason not in reasons:
        raise InvalidInput("unknown reason", [FieldProblem("reason", f"must be one of {', '.join(reasons)}")])
    return jsonify(mark_customer_side(session(), min(incident_id, MAX_ID), body.reason,
                                      body.agreed_arrival, clock.now(), actor()))


class ClosingReport(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    cause: str = Field(max_length=200, description="category.cause from GET /api/v1/causes")
    equipment_owner: Literal["utility", "customer"] = Field(description="who owns what failed")
    work_done: str = Field(min_length=1, max_length=4000)
    result: Literal["restored", "temporary", "not_restored"] = Field(
        "restored", description="power back for good, by a temporary fix, or not (another order follows)")
    workers: list[str] = Field([], max_length=20, description="who did the work")
    departed_at: AwareDatetime | None = Field(None, description="default: the order's set-out step")
    arrived_at: AwareDatetime | None = Field(None, description="default: the order's arrival")
    restored_at: AwareDatetime | None = Field(None, description="default: the order's restoration")

    _times = field_validator("departed_at", "arrived_at", "restored_at")(recent)

    @model_validator(mode="after")
    def named_workers(self):
        if any(not w.strip() or len(w) > 100 for w in self.workers):
            raise ValueError("workers are names of 1 to 100 characters")
        return self


def closing_report_of(incident_id: int, crew_id: int | None = None, key: str | None = None):
    """Shared by the desk's route and the crew phone's (api/me.py)."""
    body = json_body(ClosingReport).model_dump(exclude_none=True)
    return submit_closing_report(session(), min(incident_id, MAX_ID), body,
                                 cause_codes(settings().cause_taxonomy_file), clock.now(), actor(),
                                 crew_id=crew_id, key=key,
                                 on_reported=lambda reported: record_restoration(session(), topologies(), reported))


@blueprint.post("/incidents/<int:incident_id>/closing-report")
@idempotent
@allow(*DESK)
@operation("The closing report, entered at the desk for a crew without a phone", "work orders", path_params=ID,
           body=ClosingReport, responses={201: ("The report, pending review", {"type": "object"}),
                                          409: ("Not restored yet, or a report waits for review", None),
                                          422: ("Unknown cause, or times out of order", None)})
def desk_closing_report(incident_id: int):
    return jsonify(closing_report_of(incident_id)), 201


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    accept: bool = Field(strict=True, description="true: archive the order; false: send the report back")
    reason: str | None = Field(None, min_length=1, max_length=2000, description="why it goes back (required then)")

    @model_validator(mode="after")
    def reason_to_return(self):
        if not self.accept and not self.reason:
            raise ValueError("a report sent back needs a reason")
        return self


@blueprint.post("/incidents/<int:incident_id>/closing-report/review")
@idempotent
@allow(*DESK)
@operation("Accept the closing report (the order is archived) or send it back with a reason", "work orders",
           path_params=ID, body=Review, responses={200: ("The report with its review", {"type": "object"}),
                                                   409: ("No report waits for review", None)})
def review(incident_id: int):
    body = json_body(Review)
    return jsonify(review_closing_report(session(), dispatcher(), min(incident_id, MAX_ID), body.accept,
                                         body.reason, clock.now(), actor()))

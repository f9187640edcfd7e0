"""The outage lookup for customers' channels (IVR, WeChat, app, hotline): by account or phone."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.access import CHANNELS, DESK, allow
from api.context import session, settings, topologies
from api.openapi import operation
from api.validation import non_null, query_args
from dispatch.customers.outage_lookup import MAX_ACCOUNTS_PER_PHONE, STAGES, Lookup, look_up_outages

blueprint = Blueprint("outages", __name__, url_prefix="/api/v1/outages")


class LookupQuery(BaseModel):
    """Exactly one of account and phone."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "oneOf": [{"required": ["account"]}, {"required": ["phone"]}]})
    account: str | None = Field(None, min_length=1, max_length=64, json_schema_extra=non_null,
                                description="the customer's account number")
    phone: str | None = Field(None, min_length=1, max_length=32, json_schema_extra=non_null,
                              description=f"the phone on record: every account of it (at most "
                                          f"{MAX_ACCOUNTS_PER_PHONE}); spaces and dashes are ignored")

    @model_validator(mode="after")
    def one_of_them(self) -> "LookupQuery":
        if (self.account is None) == (self.phone is None):
            raise ValueError("give either account or phone")
        return self


class Cause(BaseModel):
    code: str = Field(description="from the cause taxonomy (GET /api/v1/causes), e.g. weather.lightning")
    label: dict[str, str] | None = Field(description="per language (en, zh-CN); null for a code it does not know")


class Window(BaseModel):
    start: datetime
    end: datetime


class Outage(BaseModel):
    reference: int | str = Field(description="the incident's number, or a planned outage's \"P\" and number, "
                                             "to quote to the hotline")
    since: datetime = Field(description="its first report (planned: when the work began, or its window's start)")
    planned: bool = Field(description="planned work (the window's end is the estimated restoration)")
    cause: Cause | None = Field(description="null until the crew has found it (and for planned work)")
    stage: Literal[(*dict.fromkeys(STAGES.values()), "planned_work")] = Field(  # type: ignore[valid-type]
        description="reported (no crew yet), assigned, on_the_way, on_site; planned_work for a planned outage")
    window: Window | None = Field(None, description="a planned outage's window")
    reported_by_customer: bool = Field(description="this customer's own call is on it (else: a known outage "
                                                   "upstream of their supply)")
    etr: datetime | None = Field(description="estimated restoration time; null while none is known")


class CustomerOutage(BaseModel):
    account_no: str
    in_outage: bool
    outage: Outage | None


class LookupAnswer(BaseModel):
    customers: list[CustomerOutage] = Field(description="the account asked for, or every account of the phone")


@blueprint.get("/lookup")
@allow(*DESK, CHANNELS)
@operation("Is this customer's supply out: since when, planned or not, cause, the crew's stage, estimated "
           "restoration (a channel's key, or the desk)", "outages", query=LookupQuery,
           responses={200: ("One entry per account; nothing about other customers", LookupAnswer),
                      404: ("No customer with this account or phone", None), 422: ("Bad query", None),
                      429: ("A channel client over its rate (Retry-After)", None)})
def outage_lookup():
    query = query_args(LookupQuery)
    answers = look_up_outages(session(), topologies(), Lookup(query.account, query.phone),
                              settings().cause_taxonomy_file)
    return jsonify(customers=answers)

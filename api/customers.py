"""Customers as the hotline's call-taker finds them: suggestions while typing, with the outage each
one is already in."""
from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from api.access import CHANNELS, DESK, allow
from api.context import session, topologies
from api.openapi import operation
from api.validation import json_body, query_args
from dispatch.core.errors import NotFound
from dispatch.customers.notify_preferences import set_opt_out
from dispatch.incidents.hotline import suggest_customers

blueprint = Blueprint("customers", __name__, url_prefix="/api/v1/customers")


class CustomerQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    q: str = Field(min_length=2, max_length=200, description="account number's start, phone digits or address words")
    limit: int = Field(10, ge=1, le=50)


@blueprint.get("")
@allow(*DESK)
@operation("Customers matching what a caller says, each with the open incident it is already in", "customers",
           query=CustomerQuery, responses={200: ("{customers: [...]}", {"type": "object"}), 422: ("Bad query", None)})
def find_customers():
    query = query_args(CustomerQuery)
    return jsonify(customers=suggest_customers(session(), topologies(), query.q, query.limit))


class NotificationChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opt_out: bool = Field(description="true: send this customer no outage notices; false: send them again")


class NotificationState(BaseModel):
    account_no: str
    opt_out: bool


@blueprint.post("/<account_no>/notifications")
@allow(*DESK, CHANNELS)
@operation("Opt a customer out of outage notices, or back in (the desk, or a channel's key)", "customers",
           body=NotificationChoice, responses={200: ("The customer's choice as recorded", NotificationState),
                                               404: ("No customer with this account", None),
                                               422: ("Bad body", None)})
def notification_choice(account_no: str):
    choice = json_body(NotificationChoice)
    db = session()
    if not set_opt_out(db.connection(), account_no[:64], choice.opt_out):
        raise NotFound(f"there is no customer with account {account_no[:64]!r}")
    db.commit()
    return jsonify(account_no=account_no, opt_out=choice.opt_out)

"""Customers as the hotline's call-taker finds them: suggestions while typing, with the outage each
one is already in."""
from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from api.access import DESK, allow
from api.context import session, topologies
from api.openapi import operation
from api.validation import query_args
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

"""Alerts on the desk: incidents at risk or past their deadline, hazards; each until acknowledged."""
from __future__ import annotations

from flask import Blueprint, jsonify

from api.access import DESK, READERS, actor, allow, identity
from api.context import session
from api.idempotency import idempotent
from api.openapi import operation
from api.validation import MAX_ID
from dispatch.core import clock
from dispatch.incidents.alerts import acknowledge, open_alerts

blueprint = Blueprint("alerts", __name__, url_prefix="/api/v1/alerts")


@blueprint.get("")
@allow(*READERS)
@operation("Alerts not yet acknowledged, of open incidents (in the user's zones), the oldest first", "alerts",
           responses={200: ("{alerts: [{id, incident, kind, at}]}", {"type": "object"})})
def list_alerts():
    return jsonify(alerts=open_alerts(session(), identity().zones))


@blueprint.post("/<int:alert_id>/acknowledge")
@idempotent
@allow(*DESK)
@operation("Acknowledge an alert (recorded in the incident's timeline; again: no change)", "alerts",
           path_params={"alert_id": {"type": "integer"}},
           responses={200: ("The alert with acknowledged_by and acknowledged_at", {"type": "object"}),
                      404: ("No such alert", None)})
def acknowledge_alert(alert_id: int):
    return jsonify(acknowledge(session(), min(alert_id, MAX_ID), clock.now(), actor()))

"""The work order (工单) as a utility runs it: received, dispatched, accepted, set out, arrived,
restored, closing report, archived; each step stamped once, from the timeline, never edited.

Two things the desk adds to the emergency workflow:
* a fault the call-taker finds on the customer's side (behind the meter, supply stopped for
  arrears) gets an arrival time agreed with the customer instead of the emergency target;
* the crew's closing report (cause from the utility's taxonomy, who owns the failed equipment,
  times, the work done) is reviewed at the desk, which archives the order or sends the report back
  with a reason. Reports and reviews are timeline events: a report sent back stays, and the next
  one is added after it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session

from dispatch.core.db import text
from dispatch.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from dispatch.incidents import store
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.lifecycle import record_event
from dispatch.incidents.messages import record_incidents
from dispatch.incidents.models import OPEN_INCIDENT_STATUSES

STEPS = ("received", "dispatched", "accepted", "set_out", "arrived", "restored", "closing_report", "archived")
REVIEW_EVENTS = ("closing_report", "closing_report_accepted", "closing_report_returned")
FIRST = "(SELECT min(e.at) FROM incident_events e WHERE e.incident_id = i.id AND e.type = '{type}')"
STAMPS = (
    "SELECT i.first_report_at AS received, " + FIRST.format(type="assigned") + " AS dispatched, "
    + FIRST.format(type="accepted") + " AS accepted, "
    + FIRST.format(type="en_route") + " AS set_out, i.on_site_at AS arrived, "
    "i.restored_at AS restored, " + FIRST.format(type="closing_report")
    + " AS closing_report, i.closed_at AS archived FROM incidents i WHERE i.id = :id"
)


def steps(session: Session, incident_id: int) -> dict[str, datetime | None]:
    """When each step of the order first happened (None: not yet)."""
    row = session.connection().execute(text(STAMPS), {"id": incident_id}).mappings().first()
    if row is None:
        raise NotFound(f"there is no incident {incident_id}")
    return {step: row[step] for step in STEPS}


def closing_report(session: Session, incident_id: int) -> dict[str, Any] | None:
    """The latest closing report with its review: pending, accepted, or returned with the reason."""
    rows = session.connection().execute(text(
        "SELECT type, at, actor, data FROM incident_events WHERE incident_id = :id AND type = ANY(:types) "
        "ORDER BY id"), {"id": incident_id, "types": list(REVIEW_EVENTS)}).mappings().all()
    reports = [i for i, row in enumerate(rows) if row["type"] == "closing_report"]
    if not reports:
        return None
    submitted = rows[reports[-1]]
    review = next(iter(rows[reports[-1] + 1:]), None)
    return {**submitted["data"], "submitted_at": submitted["at"], "submitted_by": submitted["actor"],
            "review": "pending" if review is None else review["type"].removeprefix("closing_report_"),
            "reviewed_by": review and review["actor"], "reviewed_at": review and review["at"],
            "returned_because": review and review["data"].get("reason")}


def mark_customer_side(session: Session, incident_id: int, reason: str, agreed_arrival: datetime, now: datetime,
                       actor: str) -> dict[str, Any]:
    """The fault is the customer's own: the arrival is due at the time agreed with them. Commits."""
    connection = session.connection()
    incident = store.lock_for_event(connection, incident_id)
    if incident is None:
        raise NotFound(f"there is no incident {incident_id}")
    if incident["status"] not in OPEN_INCIDENT_STATUSES or incident["on_site_at"] is not None:
        raise Conflict(f"incident {incident_id} is {incident['status']}: only a fault the crew has not reached "
                       "yet can get an agreed time")
    if agreed_arrival <= incident["first_report_at"]:
        raise InvalidInput("the agreed time is before the call", [FieldProblem(
            "agreed_arrival", f"must be after the first call at {incident['first_report_at'].isoformat()}")])
    previous = connection.execute(text("SELECT arrival_deadline FROM incidents WHERE id = :id"),
                                  {"id": incident_id}).scalar_one()
    store.update_incident(connection, incident_id, customer_side=reason, arrival_deadline=agreed_arrival)
    store.add_event(connection, incident_id, "customer_side", now,
                    {"reason": reason, "agreed_arrival": agreed_arrival.isoformat(),
                     "target_deadline": previous.isoformat()}, actor)
    record_incidents(connection, [incident_id])
    session.commit()
    return {"id": incident_id, "customer_side": reason, "arrival_deadline": agreed_arrival}


def submit_closing_report(session: Session, incident_id: int, report: dict[str, Any],
                          causes: frozenset[str], now: datetime, actor: str, crew_id: int | None = None,
                          key: str | None = None, on_reported: Callable[[int], object] | None = None) -> dict[str, Any]:
    """A crew's closing report (``crew_id``: only for its own job; a phone's report sent again with
    its Idempotency-Key ``key`` is recorded once), or the desk's for a crew without a phone. Times
    default to the order's stamps. ``on_reported(incident_id)`` runs in the same transaction once
    the report is in (its cause, times and equipment owner revise what the reports recorded at
    restoration). Commits."""
    connection = session.connection()
    if key is not None and store.event_by_key(connection, actor, key) is not None:
        return closing_report(session, incident_id)
    incident = store.lock_for_event(connection, incident_id)
    if incident is None or (crew_id is not None and incident["crew_id"] != crew_id):
        raise NotFound(f"there is no incident {incident_id}" + (" for this crew" if crew_id is not None else ""))
    if incident["status"] != "restored":
        raise Conflict(f"incident {incident_id} is {incident['status']}: the closing report follows the restoration",
                       current_status=incident["status"])
    current = closing_report(session, incident_id)
    if current is not None and current["review"] == "pending":
        raise Conflict(f"incident {incident_id}'s closing report waits for the desk's review")
    if report["cause"] not in causes:
        raise InvalidInput("unknown cause", [FieldProblem("cause", "must be a cause of the taxonomy "
                                                                   "(GET /api/v1/causes), e.g. weather.lightning")])
    stamped = steps(session, incident_id)
    times = {"departed_at": report.get("departed_at") or stamped["set_out"] or stamped["dispatched"],
             "arrived_at": report.get("arrived_at") or stamped["arrived"],
             "restored_at": report.get("restored_at") or stamped["restored"]}
    if times["arrived_at"] and times["restored_at"] and times["restored_at"] < times["arrived_at"]:
        raise InvalidInput("restored before the crew arrived", [FieldProblem(
            "restored_at", f"is before the arrival at {times['arrived_at'].isoformat()}")])
    if times["departed_at"] and times["arrived_at"] and times["arrived_at"] < times["departed_at"]:
        raise InvalidInput("arrived before setting out", [FieldProblem(
            "arrived_at", f"is before setting out at {times['departed_at'].isoformat()}")])
    data = {**report, **{k: v and v.isoformat() for k, v in times.items()}}
    store.add_event(connection, incident_id, "closing_report", now, data, actor, idempotency_key=key)
    store.record_cause(connection, incident_id, report["cause"], replace=True)
    if on_reported is not None:
        on_reported(incident_id)
    record_incidents(connection, [incident_id])
    session.commit()
    return closing_report(session, incident_id)


def review_closing_report(session: Session, dispatcher: CrewDispatch, incident_id: int, accept: bool,
                          reason: str | None, now: datetime, actor: str) -> dict[str, Any]:
    """The desk accepts the closing report (the order is archived: closed) or sends it back. Commits."""
    connection = session.connection()
    if store.lock_for_event(connection, incident_id) is None:
        raise NotFound(f"there is no incident {incident_id}")
    current = closing_report(session, incident_id)
    if current is None or current["review"] != "pending":
        raise Conflict(f"incident {incident_id} has no closing report waiting for review")
    if accept:
        store.add_event(connection, incident_id, "closing_report_accepted", now, {}, actor)
        record_event(session, dispatcher, incident_id, "closed", now, actor)  # commits, with the messages
    else:
        store.add_event(connection, incident_id, "closing_report_returned", now, {"reason": reason}, actor)
        record_incidents(connection, [incident_id])
        session.commit()
    return closing_report(session, incident_id)

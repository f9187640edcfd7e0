"""Call-backs after restoration (回访): every customer who called about an incident is asked, once
it is restored, whether their power is back.

The worker lists one call-back per caller (a customer, or a phone number not found on the grid;
not the smart meters, which answer for themselves, nor a fault on the customer's own side) for each
incident restored, due CALLBACK_WITHIN_H after the restoration. The restored notice asks the
question (notice_templates.json); the answer comes back through a channel (IVR, WeChat, app: the
channel's key) or from a hotline agent at the desk who calls the customer. "Power back" closes the
call-back; "still out" is a report on the customer's behalf, through the normal intake, that opens
a new incident nested in the restored one (dispatch/incidents/nested.py) even after
NESTED_OUTAGE_WINDOW_MIN: the answer itself is the evidence that the first repair did not cover
them. "No answer" counts a call; after CALLBACK_ATTEMPTS the customer is unreachable.

The same answer given again changes nothing and answers as the first did (an IVR that retries);
another answer to a call-back already closed is a conflict.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.core.errors import Conflict, NotFound
from dispatch.customers import callbacks_store as store
from dispatch.customers.notify_templates import planned_reference
from dispatch.customers.planned import join_call
from dispatch.gis.grid import TopologyCache
from dispatch.incidents import store as incidents
from dispatch.incidents.area import buses_downstream
from dispatch.incidents.intake import NewReport, ReportIntake
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.locating import Locators

ACTOR = "callbacks"
ANSWERS = ("power_back", "still_out", "no_answer")
#: What the managers' figures count (:func:`outcomes`).
FIGURES = ("callbacks", "power_back", "still_out", "unreachable", "pending", "overdue", "answered_late")
#: Listings by state: what each is made of.
STATES = {"open": ("pending",), "overdue": ("pending",), "power_back": ("power_back",),
          "still_out": ("still_out",), "unreachable": ("unreachable",),
          "answered": ("power_back", "still_out", "unreachable")}


@dataclass(frozen=True)
class Answer:
    answer: str
    #: A desk user's name, or ``channel:<client>``.
    actor: str
    note: str | None = None
    #: The machine client it came through and its channel; None: an agent at the desk (the hotline).
    client_id: int | None = None
    channel: str | None = None


#: How far back a restoration still gets its call-backs when it was recorded (or listed) late.
LATE_RESTORATIONS = timedelta(days=7)


def open_due(session: Session, settings: Settings, now: datetime, limit: int = 200) -> list[tuple[int, int]]:
    """List the call-backs of incidents restored within CALLBACK_WITHIN_H (or a week) that have none yet;
    return (incident, call-backs opened). Safe with several workers (one row per caller, one
    ``callbacks_opened`` event per incident). Commits."""
    connection = session.connection()
    within = timedelta(hours=settings.callback_within_h)
    opened = []
    # Restorations recorded late (a phone's replay, a worker away for a day) are asked all the same.
    for incident in store.restored_to_ask(connection, now - max(within, LATE_RESTORATIONS), limit):
        if (count := _open(connection, incident, within, now)) is not None:
            opened.append((incident["id"], count))
    session.commit()
    return opened


def _open(connection: Connection, incident: dict[str, Any], within: timedelta, now: datetime) -> int | None:
    """Open one restored incident's call-backs; how many, or None when they were open already."""
    count = store.open_callbacks(connection, incident["id"], incident["restored_at"] + within, now)
    recorded = incidents.add_event(connection, incident["id"], "callbacks_opened", now, {"customers": count}, ACTOR,
                                   idempotency_key=f"callbacks:{incident['id']}")
    return None if recorded is None else count


def answer(session: Session, settings: Settings, topologies: TopologyCache, dispatcher: CrewDispatch,
           callback_id: int, given: Answer) -> dict[str, Any]:
    """Record the customer's answer (see the module's docstring); returns the call-back's state
    and, for "still out", the incident it opened or joined. Commits."""
    connection = session.connection()
    now = clock.now()
    row = store.lock(connection, callback_id)
    if row is None:
        raise NotFound(f"there is no call-back {callback_id}")
    if row["status"] == given.answer:  # the same answer again: as the first time
        if given.answer == "still_out" and row["new_incident_id"] is None:
            _note_new_incident(session, row)
        return _outcome(session, callback_id, now)
    # A customer we could not reach who calls back later is heard: unreachable is no verdict.
    reopened = row["status"] == "unreachable" and given.answer in ("power_back", "still_out")
    if row["status"] != "pending" and not reopened:
        raise Conflict(f"call-back {callback_id} is closed already: {row['status']}",
                       callback_status=row["status"])
    answered = {"answered_at": now, "answered_by": given.actor, "answer_client_id": given.client_id,
                "note": given.note}
    if given.answer == "no_answer":
        attempts = row["attempts"] + 1
        if attempts >= settings.callback_attempts:
            store.record(connection, callback_id, attempts=attempts, status="unreachable", **answered)
        else:
            store.record(connection, callback_id, attempts=attempts)
        session.commit()
    elif given.answer == "power_back":
        store.record(connection, callback_id, status="power_back", **answered)
        session.commit()
    else:
        store.record(connection, callback_id, status="still_out", **answered)
        report = NewReport(
            channel=given.channel or "hotline", received_at=now,
            locators=Locators(account_no=row["account_no"], phone=None if row["account_no"] else row["phone"]),
            kind="no_power", description=f"call-back after incident {row['incident_id']} was restored: still no power",
            external_id=external_id(callback_id), channel_client_id=given.client_id, nested_in=row["incident_id"])
        # The report commits with the answer (the intake, or the planned outage's call, commits):
        # neither is recorded without the other. Planned work off supply there explains it: no crew.
        joined = join_call(session, topologies, settings, report)
        if joined is not None:
            return _outcome(session, callback_id, now) | {"planned_outage": planned_reference(joined.outage["id"])}
        ReportIntake(session, settings, topologies, dispatcher).submit(report)
        _note_new_incident(session, store.lock(session.connection(), callback_id))
    return _outcome(session, callback_id, now)


def answer_for(session: Session, settings: Settings, topologies: TopologyCache, dispatcher: CrewDispatch,
               incident_id: int, account_no: str | None, phone: str | None, given: Answer) -> dict[str, Any]:
    """:func:`answer` the call-back of ``incident_id`` for a customer's account or phone number
    (what a channel knows: the reference quoted in the restored notice, and who it is talking to).

    The restored notice asks everyone downstream, as soon as the restoration is recorded: a caller
    who answers before the worker has listed the incident's call-backs has them listed there and
    then, and a customer downstream who never called is heard too (:func:`_answer_uncalled`)."""
    connection = session.connection()
    digits = "".join(ch for ch in phone or "" if ch.isdigit()) or None
    callback_id = store.find(connection, incident_id, account_no, digits)
    if callback_id is None and (incident := store.restored_unlisted(connection, incident_id)) is not None:
        _open(connection, incident, timedelta(hours=settings.callback_within_h), clock.now())
        session.commit()
        callback_id = store.find(session.connection(), incident_id, account_no, digits)
    if callback_id is not None:
        return answer(session, settings, topologies, dispatcher, callback_id, given)
    if account_no is not None and given.answer != "no_answer":
        return _answer_uncalled(session, settings, topologies, dispatcher, incident_id, account_no, given)
    raise NotFound(f"incident {incident_id} has no call-back for this customer")


def _answer_uncalled(session: Session, settings: Settings, topologies: TopologyCache, dispatcher: CrewDispatch,
                     incident_id: int, account_no: str, given: Answer) -> dict[str, Any]:
    """A customer downstream of a restored incident who had not called answers its notice: "power
    back" is noted nowhere (there is nothing to call back), "still out" is their report, nested in
    the restored incident like a caller's (one per customer and incident, however often sent)."""
    connection = session.connection()
    # Only while the notice is fresh (as late restorations are asked): a channel walking old
    # incidents cannot learn from the answers where an account is on the grid.
    since = clock.now() - max(timedelta(hours=settings.callback_within_h), LATE_RESTORATIONS)
    asked = store.asked(connection, incident_id, since)
    buses = buses_downstream(session, topologies, incident_id) if asked else None
    if not buses or not store.customer_on_buses(connection, account_no, buses):
        raise NotFound(f"incident {incident_id} has no call-back for this customer")
    answered = {"id": None, "incident": incident_id, "status": given.answer, "attempts": 0, "new_incident": None}
    if given.answer == "power_back":
        return answered
    report = NewReport(
        channel=given.channel or "hotline", received_at=clock.now(), locators=Locators(account_no=account_no),
        kind="no_power", description=f"answer to the notice that incident {incident_id} was restored: still no power",
        external_id=f"restored:{incident_id}:{account_no}", channel_client_id=given.client_id, nested_in=incident_id)
    if (joined := join_call(session, topologies, settings, report)) is not None:
        return answered | {"planned_outage": planned_reference(joined.outage["id"])}
    intake = ReportIntake(session, settings, topologies, dispatcher).submit(report)
    return answered | {"new_incident": intake.incident["id"]}


def external_id(callback_id: int) -> str:
    """The id of the report a "still out" answer makes: one per call-back."""
    return f"callback:{callback_id}"


def listing(session: Session, state: str, incident_id: int | None, limit: int) -> dict[str, Any]:
    """The call-backs in ``state`` (see :data:`STATES`), overdue first, with the pending counts."""
    connection = session.connection()
    now = clock.now()
    rows = store.listing(connection, STATES[state], incident_id, state == "overdue", now, limit)
    return {"callbacks": rows, "counts": store.pending_counts(connection, now)}


def outcomes(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    """For the managers: the call-backs of the restorations in ``[start, end)``, per zone and in
    all: done (power back, still out, unreachable), pending, overdue, answered late."""
    rows = store.outcomes(session.connection(), start, end, clock.now())
    total = {key: sum(row[key] for row in rows) for key in FIGURES}
    return {"rows": rows, "total": total}


def _note_new_incident(session: Session, row: dict[str, Any]) -> None:
    """Keep on the call-back the incident its "still out" report went to. Commits."""
    connection = session.connection()
    report_id = incidents.report_by_external_id(connection, external_id(row["id"]), row["answer_client_id"])
    if report_id is not None:
        store.record(connection, row["id"], new_incident_id=incidents.report_incident(connection, report_id))
        session.commit()


def _outcome(session: Session, callback_id: int, now: datetime) -> dict[str, Any]:
    row = store.view(session.connection(), callback_id, now)
    return {key: row[key] for key in ("id", "incident", "status", "attempts", "new_incident")}

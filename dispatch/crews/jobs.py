"""A crew's own jobs as its phone sees them, and the lifecycle events the phone sends.

Phones queue what a crew presses while offline and replay it when the signal is back: late,
twice, or out of order. So a phone's event is applied by what it says, not by when it arrives:

* the incident's status only moves forward along the crew's steps (accepted -> en_route ->
  on_site -> restored); an event for a step already passed is kept in the timeline only;
* each clock (on site, restored) keeps the earliest phone time reported for its step;
* an ``Idempotency-Key`` seen before returns the first answer and writes nothing.

Whatever the delivery order, the final state and the SLA figures are those of in-order delivery.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.core.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from dispatch.crews import store as crew_store
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents import store
from dispatch.incidents.lifecycle import CLOCK_SKEW, stamp
from dispatch.incidents.work_order import closing_report


class CrewUser(Protocol):
    """Who sends a phone's event: a user acting for one crew (an accounts ``Identity`` of role crew)."""

    @property
    def username(self) -> str: ...

    @property
    def crew_id(self) -> int | None: ...

    @property
    def crew(self) -> str | None: ...


#: The steps a crew's phone reports, in the order they happen.
CREW_STEPS = ("assigned", "accepted", "en_route", "on_site", "restored")
CREW_EVENTS = CREW_STEPS[1:]


def next_steps(status: str) -> list[str]:
    """What the crew may press next: any later step (the ones between may still be on their way)."""
    if status not in CREW_STEPS:
        return []
    later = list(CREW_STEPS[CREW_STEPS.index(status) + 1:])
    return later if status == "on_site" else [step for step in later if step != "restored"]


def report_state(session: Session, incident_id: int) -> dict[str, Any]:
    """Where a restored job's closing report stands, as the crew needs it: ``review`` is ``due``
    (none filed yet), ``pending`` (the desk has it), or ``returned`` (file it again: the reason
    says why); the cause of the report filed last."""
    report = closing_report(session, incident_id)
    if report is None:
        return {"review": "due", "cause": None, "submitted_at": None, "returned_because": None,
                "reviewed_by": None, "reviewed_at": None}
    return {"review": report["review"], "cause": report["cause"], "submitted_at": report["submitted_at"],
            **{k: report[k] for k in ("returned_because", "reviewed_by", "reviewed_at")}}


def jobs(session: Session, dispatcher: Dispatcher, crew_code: str, now: datetime) -> dict[str, Any]:
    """The crew, its job at work with the route there (None when there is no way by road), then
    the jobs the dispatcher queued for it (no route yet: it depends on where the current job ends),
    then the jobs it restored whose closing report the desk has not accepted yet (with where that
    report stands: to file, waiting for review, or sent back with the reason)."""
    crew = crew_store.crew(session.connection(), crew_code)
    if crew is None:
        raise NotFound(f"there is no crew {crew_code!r}")
    listed = []
    for job in crew_store.crew_jobs(session.connection(), crew["id"]):
        queued = job["status"] == "new"
        try:
            route = dispatcher.route(job["id"], now) if job["status"] in ("assigned", "accepted", "en_route") else None
        except (Conflict, NotFound):
            route = None
        listed.append({
            "id": job["id"], "status": job["status"], "hazard": job["hazard"], "kind": job["kind"],
            "location": None if job["lon"] is None else {"lon": job["lon"], "lat": job["lat"]},
            "device": {"kind": job["device_kind"], "code": job["device_code"]},
            "address": job["address"], "address_source": job["address_source"], "callers": job["callers"] or [],
            "description": job["description"], "zone_class": job["zone_class"],
            "customers_affected": job["customers_affected"], "critical_customers": job["critical_customers"],
            **{k: job[k] for k in ("assigned_at", "arrival_deadline", "restore_deadline", "on_site_at",
                                   "restored_at", "arrival_unverified", "eta_s")},
            "queued": queued, "queued_at": job["queued_at"],
            # The deadline warning the crew is to act on (SLA_WARNING_LEVELS): the highest level reached.
            "warning": None if job["warning"] is None else {k: job["warning"][k] for k in ("percent", "clock", "deadline")},
            "allowed_next": [] if queued else next_steps(job["status"]), "route": route,
            "closing_report": report_state(session, job["id"]) if job["status"] == "restored" else None,
        })
    return {"crew": {k: crew[k] for k in ("code", "name", "status", "on_duty")}, "jobs": listed}


def _arrival(connection: Connection, crew_id: int, incident_id: int, at: datetime, position: tuple[float, float] | None,
             radius_m: float, max_age_s: float) -> dict[str, Any]:
    """Was the crew near the incident when it said "on site"? By the position sent with the event,
    else where the crew was nearest in time to it; without either it is unverified."""
    position = position or crew_store.position_near(connection, crew_id, at, max_age_s)
    if position is None:
        return {"arrival_unverified": True, "distance_m": None}
    metres = store.metres_from_incident(connection, incident_id, *position)
    return {"arrival_unverified": metres is None or metres > radius_m,
            "distance_m": None if metres is None else round(metres, 1)}


def recheck_arrivals(connection: Connection, crew_id: int, first_at: datetime, last_at: datetime, radius_m: float,
                     max_age_s: float) -> set[int]:
    """Positions that arrive after an arrival reported without a location may prove it (or not):
    check such arrivals within reach of the new positions again, as if they had come in time.
    The caller holds the crew's report lock (:func:`dispatch.crews.store.lock_crew_reports`).
    Returns the incidents checked again."""
    reach = timedelta(seconds=max_age_s)
    checked = set()
    for event in store.arrivals_without_place(connection, crew_id, first_at - reach, last_at + reach):
        store.merge_event_data(connection, event["id"], _arrival(
            connection, crew_id, event["incident_id"], event["at"], None, radius_m, max_age_s))
        store.refresh_arrival_flag(connection, event["incident_id"])
        checked.add(event["incident_id"])
    return checked


def _check_clocks(incident: dict[str, Any], event: str, at: datetime) -> None:
    """Power cannot come back before the crew arrived (the phone's clock allowed its skew)."""
    if event == "restored" and incident["on_site_at"] and at < incident["on_site_at"] - CLOCK_SKEW:
        raise InvalidInput("restored before the crew arrived", [FieldProblem(
            "at", f"{at.isoformat()} is before the arrival at {incident['on_site_at'].isoformat()}")])
    if event == "on_site" and incident["restored_at"] and at > incident["restored_at"] + CLOCK_SKEW:
        raise InvalidInput("arrived after power was restored", [FieldProblem(
            "at", f"{at.isoformat()} is after the restoration at {incident['restored_at'].isoformat()}")])


def _reached(status: str, event: str, on_site_at: datetime | None, restored_at: datetime | None) -> str:
    """The furthest step known once ``event`` is in: restored counts only once the arrival is
    known too (a phone's "restored" that overtook its "on site" waits for it)."""
    if status not in CREW_STEPS:
        return status
    reached = max(status, event, key=CREW_STEPS.index)
    if reached == "restored" and on_site_at is None:
        return status
    if reached == "on_site" and restored_at is not None:
        return "restored"
    return reached


def _answer(incident_id: int, status: str, event: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    shown = {"type": event, "at": at}
    if event == "on_site":
        shown |= {k: data.get(k) for k in ("arrival_unverified", "distance_m")}
    return {"incident": incident_id, "status": status, "allowed_next": next_steps(status), "event": shown}


def record_crew_event(session: Session, dispatcher: Dispatcher, identity: CrewUser, incident_id: int, event: str,
                      at: datetime, key: str, *, position: tuple[float, float] | None, note: str | None,
                      cause: str | None, now: datetime, arrival_radius_m: float,
                      position_max_age_s: float,
                      on_restored: Callable[[int], object] | None = None) -> tuple[dict[str, Any], bool]:
    """Apply one event from a crew's phone to its own job, with its live messages. Commits (a
    replay writes nothing: it changed nothing). ``on_restored(incident_id)`` runs in the same
    transaction when the incident becomes restored, or its restoration time moves earlier.

    Returns the answer and whether it is a replay (the key was seen: nothing written).
    """
    connection = session.connection()
    crew_store.lock_crew_reports(connection, identity.crew_id)
    seen = store.event_by_key(connection, identity.username, key)
    if seen is not None:
        if (seen["incident_id"], seen["type"], seen["at"]) != (incident_id, event, at):
            raise InvalidInput("this Idempotency-Key was used for another event", [FieldProblem(
                "Idempotency-Key", f"already used for {seen['type']} of incident {seen['incident_id']} at "
                f"{seen['at'].isoformat()}; send a new key for a new event", "header")])
        status = store.incident_summary(connection, incident_id)["status"]  # read only: nothing changes
        session.commit()
        return _answer(incident_id, status, event, at, seen["data"]), True
    dispatcher.lock()
    incident = store.lock_for_event(connection, incident_id)
    if incident is None:
        raise NotFound(f"there is no incident {incident_id}")
    if incident["crew_id"] != identity.crew_id:
        if incident["queued_crew_id"] == identity.crew_id and incident["status"] == "new":
            raise Conflict(f"incident {incident_id} is queued for crew {identity.crew}: it becomes yours when your "
                           "current job is done")
        if store.was_given_to(connection, incident_id, identity.crew):
            raise Forbidden(f"incident {incident_id} is no longer crew {identity.crew}'s job: it was given to "
                            f"{'crew ' + incident['crew'] if incident['crew'] else 'no crew now'}",
                            current_crew=incident["crew"])
        raise Forbidden(f"incident {incident_id} is not a job of crew {identity.crew}")
    if incident["assigned_at"] is not None and at < incident["assigned_at"] - CLOCK_SKEW:
        raise InvalidInput("the event happened before the job was given to the crew", [FieldProblem(
            "at", f"{at.isoformat()} is before the assignment at {incident['assigned_at'].isoformat()}")])
    _check_clocks(incident, event, at)
    status = incident["status"]
    data: dict[str, Any] = {"cause": cause} if cause else {}
    if event == "on_site":
        data |= _arrival(connection, identity.crew_id, incident_id, at, position, arrival_radius_m,
                         position_max_age_s)
    if status in CREW_STEPS or status == "closed":
        columns = stamp(incident, event, at, dispatcher.settings.restore_targets)
        reached = _reached(status, event, columns.get("on_site_at", incident["on_site_at"]),
                           columns.get("restored_at", incident["restored_at"]))
    else:  # cancelled or merged: the desk ended it; what the crew did goes to the timeline only
        columns, reached = {}, status
    if status not in CREW_STEPS or CREW_STEPS.index(event) <= CREW_STEPS.index(status):
        data["late"] = True
    if reached != status:
        columns["status"] = reached
    if columns:
        store.update_incident(connection, incident_id, **columns)
    lon, lat = position if position else (None, None)
    store.add_event(connection, incident_id, event, at, data, identity.username, lon, lat, note, key)
    if "on_site_at" in columns:
        store.refresh_arrival_flag(connection, incident_id)
    if event == "restored" and cause:
        store.record_cause(connection, incident_id, cause, replace=False)
    # The interruptions follow the restoration time: recorded when the job becomes restored, and
    # again when a late "restored" brings an earlier time to a job restored (or archived) already.
    moved = incident["restored_at"] is not None and columns.get("restored_at", incident["restored_at"]) != incident["restored_at"]
    if on_restored is not None and ((reached == "restored" and status != "restored")
                                    or (moved and reached in ("restored", "closed"))):
        on_restored(incident_id)
    if reached != status:
        dispatcher.follow_job(incident["crew_id"], reached, now)
        status = reached
    dispatcher.record_messages(now, [incident_id])
    session.commit()
    return _answer(incident_id, status, event, at, data), False

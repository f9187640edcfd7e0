"""An incident's life: new -> assigned -> accepted -> en_route -> on_site -> restored -> closed,
plus cancelled and merged. Every change is an event row; impossible changes are refused with
the ones allowed now."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dispatch.assignment import Dispatcher
from dispatch.errors import Conflict, FieldProblem, InvalidInput, NotFound
from dispatch.sla import restore_deadline
from dispatch.store import dispatching as dispatch_store
from dispatch.store import incidents as incident_store

#: For each event, the statuses it may follow.
ALLOWED_AFTER = {
    "accepted": {"assigned"},
    "en_route": {"assigned", "accepted"},
    "on_site": {"assigned", "accepted", "en_route"},
    "restored": {"on_site"},
    "closed": {"restored"},
    "cancelled": {"new", "assigned", "accepted", "en_route"},
}
EVENT_TYPES = tuple(ALLOWED_AFTER)
#: The crew's status once the event is recorded (a freed crew takes the next waiting job).
CREW_STATUS = {"accepted": "assigned", "en_route": "en_route", "on_site": "on_site"}
TIMESTAMP = {"on_site": "on_site_at", "restored": "restored_at", "closed": "closed_at"}
#: Events whose times must not go backwards (a phone's clock may lag the server's by this much).
ORDERED = "('accepted', 'en_route', 'on_site', 'restored', 'closed', 'cancelled')"
CLOCK_SKEW = timedelta(minutes=5)


def allowed_events(status: str) -> list[str]:
    return [event for event, after in ALLOWED_AFTER.items() if status in after]


def record_event(session: Session, dispatcher: Dispatcher, incident_id: int, event: str, at: datetime,
                 actor: str, lon: float | None = None, lat: float | None = None, note: str | None = None,
                 cause: str | None = None) -> dict[str, Any]:
    """Apply a lifecycle event. Commits."""
    connection = session.connection()
    row = connection.execute(text(
        "SELECT i.status, i.crew_id, i.zone_class, z.restore_target_min, greatest(i.first_report_at, "
        f"(SELECT max(e.at) FROM incident_events e WHERE e.incident_id = i.id AND e.type IN {ORDERED})) "
        "FROM incidents i LEFT JOIN zones z ON z.id = i.zone_id WHERE i.id = :id FOR UPDATE OF i"),
        {"id": incident_id}).first()
    if row is None:
        raise NotFound(f"there is no incident {incident_id}")
    status, crew_id, zone_class, restore_override, latest = row
    if at < latest - CLOCK_SKEW:
        raise InvalidInput("the event is older than what it follows", [FieldProblem(
            "at", f"{at.isoformat()} is before {latest.isoformat()}, the first report or the last event")])
    if status not in ALLOWED_AFTER[event]:
        allowed = allowed_events(status)
        raise Conflict(f"an incident that is {status} cannot become {event}; allowed now: "
                       f"{', '.join(allowed) or 'nothing'}", allowed=allowed, current_status=status)
    sets = ["status = :status", "updated_at = now()"]
    params: dict[str, Any] = {"id": incident_id, "status": event, "at": at}
    if event in TIMESTAMP:
        sets.append(f"{TIMESTAMP[event]} = :at")
    if event == "on_site":
        sets.append("restore_deadline = :restore")
        params["restore"] = restore_deadline(at, zone_class, restore_override)
    connection.execute(text(f"UPDATE incidents SET {', '.join(sets)} WHERE id = :id"), params)
    incident_store.add_event(connection, incident_id, event, at, {"cause": cause} if cause else {}, actor,
                             lon, lat, note)
    if crew_id is not None:
        if event in CREW_STATUS:
            dispatch_store.set_crew_status(connection, crew_id, CREW_STATUS[event])
        elif event in ("restored", "cancelled"):
            dispatcher.release(crew_id, at)
    session.commit()
    return {"id": incident_id, "status": event, "allowed_next": allowed_events(event)}

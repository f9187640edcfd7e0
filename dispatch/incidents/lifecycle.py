"""An incident's life: new -> assigned -> accepted -> en_route -> on_site -> restored -> closed,
plus cancelled and merged. Every change is an event row; impossible changes are refused with
the ones allowed now.

This is the dispatch desk's strict path. Crew phones, which replay late and out of order, go
through :mod:`dispatch.crews.jobs`, which shares :func:`stamp` with it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from dispatch.incidents import store as incident_store
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.sla import restore_deadline

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
TIMESTAMP = {"on_site": "on_site_at", "restored": "restored_at", "closed": "closed_at"}
#: How far a phone's clock may lag the server's: events that far before what they follow pass.
CLOCK_SKEW = timedelta(minutes=5)


def allowed_events(status: str) -> list[str]:
    return [event for event, after in ALLOWED_AFTER.items() if status in after]


def stamp(incident: dict[str, Any], event: str, at: datetime, restore_targets: Mapping[str, float]) -> dict[str, Any]:
    """The clock columns an event sets: each keeps the earliest time reported for it (so a late
    or repeated report cannot move it), and arriving on site starts the restoration clock."""
    column = TIMESTAMP.get(event)
    if column is None:
        return {}
    earliest = min(at, incident.get(column) or at)
    columns = {column: earliest}
    if event == "on_site":
        columns["restore_deadline"] = restore_deadline(earliest, incident["zone_class"],
                                                       incident["restore_target_min"], restore_targets)
    return columns


def record_event(session: Session, dispatcher: CrewDispatch, incident_id: int, event: str, at: datetime, actor: str,
                 lon: float | None = None, lat: float | None = None, note: str | None = None,
                 cause: str | None = None, on_restored: Callable[[int], object] | None = None,
                 commit: bool = True) -> dict[str, Any]:
    """Apply a lifecycle event from the desk (or SCADA's restoration), with its live messages.
    Commits, unless ``commit`` is false.

    ``on_restored(incident_id)`` runs in the same transaction when the incident becomes restored
    (the reports above incidents record who was out)."""
    connection = session.connection()
    if event != "closed":  # archiving an order changes no crew (the crew was freed at restoration)
        dispatcher.lock()
    incident = incident_store.lock_for_event(connection, incident_id)
    if incident is None:
        raise NotFound(f"there is no incident {incident_id}")
    status, latest = incident["status"], incident["latest_at"]
    if at < latest - CLOCK_SKEW:
        raise InvalidInput("the event is older than what it follows", [FieldProblem(
            "at", f"{at.isoformat()} is before {latest.isoformat()}, the first report or the last event")])
    if status not in ALLOWED_AFTER[event]:
        allowed = allowed_events(status)
        raise Conflict(f"an incident that is {status} cannot become {event}; allowed now: "
                       f"{', '.join(allowed) or 'nothing'}", allowed=allowed, current_status=status)
    # A crew's phone may have said "restored" before anyone said "on site": arriving finishes it.
    status = "restored" if event == "on_site" and incident["restored_at"] else event
    incident_store.update_incident(connection, incident_id, status=status, **stamp(incident, event, at, dispatcher.settings.restore_targets))
    incident_store.add_event(connection, incident_id, event, at, {"cause": cause} if cause else {}, actor,
                             lon, lat, note)
    if event == "on_site":
        incident_store.refresh_arrival_flag(connection, incident_id)
    if event == "restored" and cause:
        incident_store.record_cause(connection, incident_id, cause, replace=False)
    if status == "restored" and on_restored is not None:
        on_restored(incident_id)
    dispatcher.follow_job(incident["crew_id"], status, at)
    dispatcher.record_messages(clock.now(), [incident_id])
    if commit:
        session.commit()
    return {"id": incident_id, "status": status, "allowed_next": allowed_events(status)}

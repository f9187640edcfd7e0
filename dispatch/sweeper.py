"""The SLA sweeper: every open incident's clocks, checked on a timer; each at_risk, breached and
restoration_breached warning is recorded (event row) and published once, however many sweepers
run (a unique index on the event table decides)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dispatch.assignment import Dispatcher
from dispatch.events import EventPublisher
from dispatch.models.base import OPEN_INCIDENT_STATUSES
from dispatch.sla import states

OPEN = "(" + ", ".join(f"'{s}'" for s in OPEN_INCIDENT_STATUSES) + ")"


def driving_time(dispatcher: Dispatcher, incident: dict[str, Any], now: datetime) -> float | None:
    """The assigned crew's driving time, or without one the fastest qualified crew's."""
    candidates = [c for c in dispatcher.candidates(incident["id"], now) if c["eta_s"] is not None]
    if incident["crew_id"] is not None:
        return next((c["eta_s"] for c in candidates if c["id"] == incident["crew_id"]), None)
    return next((c["eta_s"] for c in candidates if c["qualified"]), None)


def current_sla(dispatcher: Dispatcher, incident: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The incident's SLA states at ``now`` and the driving time they assume (while the crew has
    not arrived)."""
    eta = driving_time(dispatcher, incident, now) if incident["on_site_at"] is None \
        and incident["status"] in ("new", "assigned", "accepted", "en_route") else None
    return states(incident, now, eta) | {"eta_s": eta}


def warning_for(incident: dict[str, Any], clocks: dict[str, str | None]) -> str | None:
    if incident["on_site_at"] is None:
        return clocks["arrival"] if clocks["arrival"] in ("at_risk", "breached") else None
    return "restoration_breached" if clocks["restoration"] == "breached" else None


def sweep(session: Session, dispatcher: Dispatcher, events: EventPublisher, now: datetime) -> list[tuple[int, str]]:
    """Check every open incident at ``now``; return the warnings recorded by this sweep. Commits."""
    connection = session.connection()
    incidents = [dict(r) for r in connection.execute(text(
        "SELECT id, status, crew_id, arrival_deadline, on_site_at, restore_deadline, restored_at FROM incidents "
        f"WHERE status IN {OPEN} ORDER BY id")).mappings()]
    recorded = []
    for incident in incidents:
        clocks = current_sla(dispatcher, incident, now)
        warning = warning_for(incident, clocks)
        if warning is None:
            continue
        inserted = connection.execute(text(
            "INSERT INTO incident_events (incident_id, type, at, actor, data) VALUES (:id, :type, :at, 'sla-sweeper', "
            "jsonb_build_object('eta_s', CAST(:eta AS float8))) ON CONFLICT DO NOTHING RETURNING id"),
            {"id": incident["id"], "type": warning, "at": now, "eta": clocks["eta_s"]}).scalar()
        if inserted is not None:
            recorded.append((incident["id"], warning))
    dispatcher.fill_free_crews(now)  # a crew left idle by a race or a lifted closure
    session.commit()
    for incident_id, warning in recorded:
        events.publish("sla", {"incident": incident_id, "type": warning, "at": now})
    return recorded

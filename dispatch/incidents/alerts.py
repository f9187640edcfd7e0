"""Alerts a dispatcher cannot miss: an incident at risk of missing its deadline or past it, a
warning level that went to the desk (SLA_WARNING_LEVELS: one for the desk, or one whose person could
not be reached, dispatch/incidents/escalation.py), and a hazard reported. Each stays on the
desk's screen until someone acknowledges it, and the acknowledgement (who, when) is kept in the
incident's timeline.

An alert is the timeline event that raised it (the sweeper's warning, the opening of a hazard
incident); acknowledging adds an ``alert_acknowledged`` event naming it. Alerts of incidents no
longer open leave the desk's list: the incident's end has answered them. Each alert, and each
acknowledgement, goes to every desk as an ``alert`` message of the live stream (the outbox), in
the transaction that records it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.core import outbox
from dispatch.core.db import id_match, text
from dispatch.core.errors import NotFound
from dispatch.incidents import store
from dispatch.incidents.models import SLA_EVENT_TYPES

#: The events that raise an alert, as the alert's kind (an opening raises one only for a hazard, a
#: warning level only when it is for the desk), with the level's percent for a warning.
ALERT = (f"(e.type IN {SLA_EVENT_TYPES} OR (e.type = 'opened' AND i.hazard) "
         "OR (e.type = 'deadline_warning' AND coalesce(e.data->>'sent_to', e.data->>'notify') = 'desk'))")
KIND = ("CASE e.type WHEN 'opened' THEN 'hazard' WHEN 'deadline_warning' THEN 'warning' ELSE e.type END AS kind, "
        "(e.data->>'percent')::int AS percent")
ACK = ("(SELECT a FROM incident_events a WHERE a.incident_id = e.incident_id AND a.type = 'alert_acknowledged' "
       "AND a.data->>'alert' = e.id::text LIMIT 1)")


def open_alerts(session: Session, scope: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Unacknowledged alerts of open incidents, the oldest first (with a ``scope`` of zones: of
    incidents in them or in no zone, as the incident list)."""
    rows = session.connection().execute(text(
        f"SELECT e.id, e.incident_id AS incident, {KIND}, e.at FROM incident_events e "
        f"JOIN incidents i ON i.id = e.incident_id WHERE i.status IN {store.OPEN} AND {ALERT} "
        "AND (cardinality(CAST(:scope AS text[])) = 0 OR i.zone_id IS NULL "
        "OR i.zone_id IN (SELECT id FROM zones WHERE code = ANY(:scope))) "
        f"AND NOT EXISTS {ACK} ORDER BY e.at, e.id"), {"scope": list(scope)})
    return [dict(r) | {"acknowledged_by": None, "acknowledged_at": None} for r in rows.mappings()]


def record_alerts(connection: Connection, event_ids: Iterable[int]) -> None:
    """Send the desk an ``alert`` message, as GET /api/v1/alerts lists it, for each of these
    timeline events that raises an alert (in id order), in one statement: the events are read and
    written to the outbox in the database (times as PostgreSQL writes them in JSON)."""
    ids = list(event_ids)
    if ids:
        match, bound = id_match("e.id", "ids", ids)
        outbox.record_query(connection, "alert", (
            "SELECT to_jsonb(a) || jsonb_build_object('acknowledged_by', NULL, 'acknowledged_at', NULL) AS payload, "
            f"CAST('{{}}' AS int[]) AS crews, a.id AS n FROM (SELECT e.id, e.incident_id AS incident, {KIND}, e.at "
            f"FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE {match} AND {ALERT}) AS a"),
            {"ids": bound})


def acknowledge(session: Session, alert_id: int, now: datetime, actor: str) -> dict[str, Any]:
    """Record that ``actor`` has seen the alert (and tell every desk); acknowledging it again
    changes nothing. Commits."""
    connection = session.connection()
    alert = connection.execute(text(
        f"SELECT e.id, e.incident_id AS incident, {KIND}, e.at, {ALERT} AS is_alert "
        "FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE e.id = :id"),
        {"id": alert_id}).mappings().first()
    if alert is None or not alert["is_alert"]:
        raise NotFound(f"there is no alert {alert_id}")
    store.lock_incident(connection, alert["incident"])  # two desks acknowledging at once: one record
    seen = connection.execute(text(
        "SELECT actor, at FROM incident_events WHERE incident_id = :incident AND type = 'alert_acknowledged' "
        "AND data->>'alert' = :alert"), {"incident": alert["incident"], "alert": str(alert_id)}).first()
    answer = {k: alert[k] for k in ("id", "incident", "kind", "percent", "at")}
    if seen is None:
        store.add_event(connection, alert["incident"], "alert_acknowledged", now,
                        {"alert": alert_id, "kind": alert["kind"]}, actor)
        seen = (actor, now)
        outbox.record(connection, "alert", answer | {"acknowledged_by": actor, "acknowledged_at": now})
    session.commit()
    return answer | {"acknowledged_by": seen[0], "acknowledged_at": seen[1]}

"""Crews on the live stream: a ``crew`` message, written to the outbox in the transaction of the
change, whenever a crew moves or its status changes. For the desk only: no member names or phones."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection

from dispatch.core import outbox
from dispatch.core.db import text

CREW_MESSAGE = (
    "SELECT c.id, c.code, c.status, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.position_at AS at, "
    "(SELECT i.id FROM incidents i WHERE i.crew_id = c.id "
    "AND i.status IN ('assigned', 'accepted', 'en_route', 'on_site') LIMIT 1) AS incident, "
    "(SELECT p.heading_deg FROM crew_positions p WHERE p.crew_id = c.id AND p.at = c.position_at) AS heading "
    "FROM crews c WHERE c.id = ANY(:ids) ORDER BY c.id"
)


def record_crews(connection: Connection, crew_ids: Iterable[int], fresh_since: datetime) -> None:
    """Write one ``crew`` message per crew, in id order: code, status, its incident at work, its
    last position with heading and time, and whether that position is older than ``fresh_since``
    (stale: the crew is placed at its depot for dispatch)."""
    ids = sorted(set(crew_ids))
    if not ids:
        return
    for crew in connection.execute(text(CREW_MESSAGE), {"ids": ids}).mappings().all():
        outbox.record(connection, "crew", {
            "code": crew["code"], "status": crew["status"], "incident": crew["incident"],
            "lon": crew["lon"], "lat": crew["lat"], "heading": crew["heading"], "at": crew["at"],
            "stale": crew["at"] is None or crew["at"] < fresh_since,
        })

"""Crews on the live stream: a ``crew`` message, written to the outbox in the transaction of the
change, whenever a crew moves or its status changes. For the desk only: no member names or phones."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection

from dispatch.core import outbox
from dispatch.core.db import id_match

#: Each crew's message (outbox.record_query's columns): code, status, its incident at work, its
#: last position with heading and time, and whether that position is older than ``fresh_since``
#: (stale: the crew is placed at its depot for dispatch). Times as PostgreSQL writes them in JSON,
#: as in the incidents' messages and the crews' trails. Ends with WHERE: the crews' condition follows.
CREW_MESSAGE = (
    "SELECT json_build_object('code', c.code, 'status', c.status, 'incident', (SELECT i.id FROM incidents i "
    "WHERE i.crew_id = c.id AND i.status IN ('assigned', 'accepted', 'en_route', 'on_site') LIMIT 1), "
    "'lon', ST_X(c.geom), 'lat', ST_Y(c.geom), 'heading', (SELECT p.heading_deg FROM crew_positions p "
    "WHERE p.crew_id = c.id AND p.at = c.position_at), 'at', c.position_at, "
    "'stale', c.position_at IS NULL OR c.position_at < :fresh_since)::jsonb AS payload, "
    "CAST('{}' AS int[]) AS crews, c.id AS n FROM crews c WHERE "
)


def record_crews(connection: Connection, crew_ids: Iterable[int], fresh_since: datetime) -> None:
    """Write one ``crew`` message per crew, in id order, in one statement (CREW_MESSAGE): the
    crews are read and written to the outbox in the database."""
    ids = list(crew_ids)
    if ids:
        match, bound = id_match("c.id", "ids", ids)
        outbox.record_query(connection, "crew", CREW_MESSAGE + match, {"ids": bound, "fresh_since": fresh_since})

"""Incidents on the live stream: each change becomes an ``incident`` message in the outbox, written
in the transaction of the change, so that the desk's list and map follow every one."""
from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import Connection

from dispatch.core import outbox
from dispatch.core.db import text
from dispatch.incidents.queries import FROM, SUMMARY


def record_incidents(connection: Connection, incident_ids: Iterable[int],
                     taken_from: Mapping[int, Iterable[int]] | None = None) -> None:
    """Write one ``incident`` message per incident, in id order: the incident exactly as one item
    of GET /api/v1/incidents (the same SQL, with its SLA state). Its crew's phone and the phone of
    the crew it is queued for get it too, and so do those of ``taken_from[id]``, crews it was just
    taken from (so that their phones drop it)."""
    ids = sorted(set(incident_ids))
    if not ids:
        return
    taken_from = taken_from or {}
    rows = connection.execute(text(
        f"SELECT i.id, {SUMMARY}::text, i.crew_id, i.queued_crew_id {FROM} WHERE i.id = ANY(:ids) ORDER BY i.id"
    ), {"ids": ids})
    outbox.record_many(connection, "incident", [
        (summary, {c for c in (crew_id, queued_crew_id) if c is not None} | set(taken_from.get(incident_id, ())))
        for incident_id, summary, crew_id, queued_crew_id in rows.all()])


"""Incidents on the live stream: each change becomes an ``incident`` message in the outbox, written
in the transaction of the change, so that the desk's list and map follow every one."""
from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import Connection

from dispatch.core import outbox
from dispatch.incidents.queries import FROM, SUMMARY


def record_incidents(connection: Connection, incident_ids: Iterable[int],
                     taken_from: Mapping[int, Iterable[int]] | None = None) -> None:
    """Write one ``incident`` message per incident, in id order: the incident exactly as one item
    of GET /api/v1/incidents (the same SQL, with its SLA state). Its crew's phone and the phone of
    the crew it is queued for get it too, and so do those of ``taken_from[id]``, crews it was just
    taken from (so that their phones drop it). One statement: the incidents are read and written
    to the outbox in the database, the payloads never come to Python."""
    ids = list(incident_ids)
    if not ids:
        return
    taken = [(incident_id, crew_id) for incident_id, crews in (taken_from or {}).items() for crew_id in crews]
    outbox.record_query(connection, "incident", (
        f"SELECT {SUMMARY}::jsonb AS payload, ARRAY[i.crew_id, i.queued_crew_id] || ARRAY(SELECT t.crew "
        "FROM unnest(CAST(:taken_incidents AS int[]), CAST(:taken_crews AS int[])) AS t(incident, crew) "
        f"WHERE t.incident = i.id) AS crews, i.id AS n {FROM} WHERE i.id = ANY(:ids)"),
        {"ids": ids, "taken_incidents": [incident for incident, _ in taken], "taken_crews": [crew for _, crew in taken]})

"""Incidents on the live stream: each change becomes an ``incident`` message in the outbox, written
in the transaction of the change, so that the desk's list and map follow every one."""
from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import Connection

from dispatch.core import outbox
from dispatch.core.db import id_match
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
    match, bound = id_match("i.id", "ids", ids)
    crews, params = "ARRAY[i.crew_id, i.queued_crew_id]", {"ids": bound}
    if taken:  # else left out: the statement stays the same, and so its plan (id_match)
        crews += (" || ARRAY(SELECT t.crew FROM unnest(CAST(:taken_incidents AS int[]), CAST(:taken_crews AS int[])) "
                  "AS t(incident, crew) WHERE t.incident = i.id)")
        params |= {"taken_incidents": [incident for incident, _ in taken], "taken_crews": [crew for _, crew in taken]}
    outbox.record_query(connection, "incident",
                        f"SELECT {SUMMARY}::jsonb AS payload, {crews} AS crews, i.id AS n {FROM} WHERE {match}", params)

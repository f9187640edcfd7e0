"""Whom a deadline warning reaches (SLA_WARNING_LEVELS names a level's person: crew, station_head,
desk...), decided when the sweeper records the level, so that the timeline says who was told:

* ``crew``: the crew at work on the incident. The warning is shown on its phone: the job in GET
  /api/v1/me/jobs carries it, and the incident's live message (written with the warning) reaches
  the crew's phone.
* ``station_head``: the zone's supply-station head (the zone's ``station_head`` and
  ``station_head_phone`` properties). The warning is a notice (``arrival_warning`` or
  ``restoration_warning``, its revision the level's percent: once per incident, clock and level)
  that the worker sends to that phone through the notification outbox.
* ``desk`` and any other name: a desk alert, until acknowledged.

A station head's level in a zone without a station head's phone escalates to the desk instead: an
alert, and the event says why (``instead_of``). A crew's level with no crew on the job yet tells
nobody (``sent_to`` "nobody"): the incident is waiting on the desk's list already, and its at-risk
alert fires when no crew can make it in time."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text

#: The notice stage of a warning for the station head, by clock.
WARNING_STAGES = {"arrival": "arrival_warning", "restoration": "restoration_warning"}


def recipient(incident: dict[str, Any], who: str) -> dict[str, Any]:
    """Where a level for ``who`` goes: ``sent_to`` (crew, station_head, desk or nobody) and the
    person's name; ``instead_of`` when the level's person could not be reached and the desk is told."""
    if who == "crew":
        if incident["crew"] is not None:
            return {"sent_to": "crew", "crew": incident["crew"]}
        # Nobody yet: an incident still waiting for a crew is the desk's already, and its at-risk
        # alert fires when no crew can make it; a desk alert at every crew level of every waiting
        # incident would bury those in a storm.
        return {"sent_to": "nobody", "because": "no_crew"}
    if who == "station_head":
        if incident["station_head_phone"]:
            return {"sent_to": "station_head", "station_head": incident["station_head"] or ""}
        return {"sent_to": "desk", "instead_of": "station_head", "because": "no_station_head_phone"}
    return {"sent_to": "desk"}


def record_station_head_notices(connection: Connection, now: datetime, events: list[dict[str, Any]]) -> None:
    """Write the notice of each warning recorded for a station head (the worker sends it)."""
    rows = [{"incident": e["incident_id"], "stage": WARNING_STAGES[e["data"]["clock"]], "percent": e["data"]["percent"]}
            for e in events if e["type"] == "deadline_warning" and e["data"].get("sent_to") == "station_head"]
    if rows:
        connection.execute(text(
            "INSERT INTO incident_notices (incident_id, stage, revision, at) VALUES (:incident, :stage, :percent, :now) "
            "ON CONFLICT DO NOTHING"), [row | {"now": now} for row in rows])

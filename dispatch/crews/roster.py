"""Repair crews: records, duty, and positions from their phones.

The newest position of each crew lives in Redis (GEO set ``dispatch:crews``, for the live map)
and on the crew's row; every position goes to the history table. Redis can be lost: the
database is the record.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import redis
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from dispatch.crews import assignment_store as dispatch_store
from dispatch.crews import store
from dispatch.crews.assignment import Dispatcher
from dispatch.crews.jobs import recheck_arrivals

log = logging.getLogger(__name__)
POSITIONS_KEY = "dispatch:crews"
POSITION_TIMES_KEY = "dispatch:crews:at"
#: Each crew's newest position, for the live map.
POSITIONS_CHANNEL = "dispatch:positions"


def _depot(session: Session, code: str) -> int:
    depot_id = store.depot_id(session.connection(), code)
    if depot_id is None:
        raise InvalidInput("unknown depot", [FieldProblem("depot", f"there is no depot {code!r}")])
    return depot_id


def crew_or_404(session: Session, code: str) -> dict[str, Any]:
    found = store.crew(session.connection(), code)
    if found is None:
        raise NotFound(f"there is no crew {code!r}")
    return found


def _members(members: list[str] | int) -> dict[str, Any]:
    """Names, or only a head count."""
    if isinstance(members, list):
        return {"members": members, "headcount": len(members)}
    return {"members": [], "headcount": members}


def create_crew(session: Session, dispatcher: Dispatcher, *, code: str, name: str, depot: str,
                members: list[str] | int, phone: str, skills: list[str], on_duty: bool) -> dict[str, Any]:
    """Create a crew; on duty, it takes the most urgent waiting incident it can. Commits."""
    depot_id = _depot(session, depot)
    created = store.insert_crew(session.connection(), code=code, name=name, depot_id=depot_id,
                                **_members(members), phone=phone, skills=skills, on_duty=on_duty)
    if created is None:
        session.rollback()
        raise Conflict(f"crew {code!r} exists already")
    if on_duty:
        dispatcher.take_waiting(created, clock.now())
    session.commit()
    return crew_or_404(session, code)


def update_crew(session: Session, dispatcher: Dispatcher, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a crew's record or duty; a crew coming on duty takes the most urgent waiting
    incident it can, one going off duty gives its queued jobs back. Commits."""
    current = crew_or_404(session, code)
    columns = {k: v for k, v in changes.items() if k in ("name", "phone", "skills")}
    if "depot" in changes:
        columns["depot_id"] = _depot(session, changes["depot"])
    if "members" in changes:
        columns |= _members(changes["members"])
    coming_on = changes.get("on_duty") is True and not current["on_duty"]
    if "on_duty" in changes and changes["on_duty"] != current["on_duty"]:
        if not changes["on_duty"] and current["incident"] is not None:
            raise Conflict(f"crew {code} is on incident {current['incident']}; finish or reassign it first")
        columns["on_duty"] = changes["on_duty"]
        columns["status"] = "available" if changes["on_duty"] else "off_duty"
    if columns:
        store.update_crew(session.connection(), current["id"], columns)
    if coming_on:
        dispatcher.take_waiting(current["id"], clock.now())
    elif changes.get("on_duty") is False and dispatch_store.unqueue_jobs(session.connection(), current["id"]):
        dispatcher.fill_free_crews(clock.now())
    session.commit()
    return crew_or_404(session, code)


def record_positions(session: Session, client: redis.Redis, crew: dict[str, Any], positions: list[dict[str, Any]],
                     *, arrival_radius_m: float, position_max_age_s: float) -> int:
    """Store a batch of positions of ``crew`` (its id and code); the newest becomes the crew's own,
    and arrivals reported without a location near these times are checked again. Commits.
    Returns how many were new (a replayed batch stores nothing twice)."""
    connection = session.connection()
    store.lock_crew_reports(connection, crew["id"])
    stored = store.add_positions(connection, crew["id"], positions)
    newest = max(positions, key=lambda p: p["at"])
    is_newest = store.set_latest_position(connection, crew["id"], newest["at"], newest["lon"], newest["lat"])
    if stored:
        recheck_arrivals(connection, crew["id"], min(p["at"] for p in positions), newest["at"], arrival_radius_m,
                         position_max_age_s)
    session.commit()
    if is_newest:
        _publish_position(client, crew["code"], newest["lon"], newest["lat"], newest["at"])
    return stored


def _publish_position(client: redis.Redis, code: str, lon: float, lat: float, at: datetime) -> None:
    try:
        pipe = client.pipeline()
        pipe.geoadd(POSITIONS_KEY, (lon, lat, code))
        pipe.hset(POSITION_TIMES_KEY, code, at.isoformat())
        pipe.publish(POSITIONS_CHANNEL, json.dumps({"crew": code, "lon": lon, "lat": lat, "at": at.isoformat()}))
        pipe.execute()
    except redis.RedisError as why:
        log.warning("live position of %s not kept in Redis: %s", code, why)

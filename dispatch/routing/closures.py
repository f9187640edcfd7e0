"""Road closures: a tree across the road, a flooded underpass. Routing avoids closed roads from
the next query on, in every worker (the road version moves on); the live map and the crews'
phones hear of each closure set or lifted (a ``closure`` message in the outbox)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session

from dispatch.core import clock, outbox
from dispatch.core.errors import FieldProblem, InvalidInput, NotFound
from dispatch.routing import store


def close_roads(session: Session, *, reason: str, until: datetime | None, road_ids: list[int] | None,
                geometry: dict[str, Any] | None, within_m: float) -> dict[str, Any]:
    """Close the given roads, or every road within ``within_m`` of ``geometry``. Commits."""
    connection = session.connection()
    geojson = json.dumps(geometry) if geometry is not None else None
    roads: list[int] = []
    if road_ids:
        roads = store.existing_roads(connection, road_ids)
        if unknown := sorted(set(road_ids) - set(roads)):
            raise InvalidInput("some roads do not exist", [FieldProblem("road_ids", f"unknown road ids {unknown}")])
    if geometry is not None:
        near = store.roads_near(connection, geojson, within_m)
        if not near:
            raise InvalidInput("no road there", [FieldProblem("geometry", f"no road within {within_m:g} m")])
        roads = sorted(set(roads) | set(near))
    closure_id = store.insert_closure(connection, roads, reason, until, geojson)
    store.bump_road_version(connection)
    outbox.record_query(connection, "closure", store.CLOSURE_MESSAGE, {"id": closure_id, "now": clock.now()})
    session.commit()
    return {"id": closure_id, "road_ids": roads, "reason": reason, "until": until}


def reopen(session: Session, closure_id: int, then: Callable[[datetime], object]) -> None:
    """Lift a closure in force, then call ``then(now)`` in the same transaction: crews that could
    not reach a waiting incident may now (dispatch, which lives above routing, passes its
    ``fill_free_crews``). Commits."""
    now = clock.now()
    if not store.reopen_closure(session.connection(), closure_id, now):
        session.rollback()
        raise NotFound(f"there is no closure {closure_id} in force")
    store.bump_road_version(session.connection())
    outbox.record_query(session.connection(), "closure", store.CLOSURE_MESSAGE, {"id": closure_id, "now": now})
    then(now)
    session.commit()

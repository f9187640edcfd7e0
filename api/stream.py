"""``GET /api/v1/stream``: live updates as server-sent events, filtered by role.

Each event is an outbox message: ``id`` (increasing), ``event`` (the topic) and ``data`` (one line
of JSON); the topics and who sees which are in the README, "Live updates". A client that
reconnects sends ``Last-Event-ID`` (or ``?last_event_id=``) and gets what it missed, in order,
or ``resync`` when the outbox no longer holds it. ``: heartbeat`` comments keep proxies open.

A stream holds a server thread for as long as it is open: gunicorn runs the app with the
``gthread`` worker class and many threads per process (scripts/run.sh; why, with the
measurements, in BENCHMARKS.md, "Live stream").
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel, ConfigDict, Field

from api.access import SIGNED_IN, allow, identity
from api.context import close_session, database, settings
from api.openapi import operation
from api.validation import MAX_ID, query_args
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.live.feed import Viewer
from dispatch.live.stream import EventStream

blueprint = Blueprint("stream", __name__, url_prefix="/api/v1")


class StreamQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    last_event_id: int | None = Field(None, ge=0, le=MAX_ID,
                                      description="the last event id seen (as the Last-Event-ID header)")


def _last_event_id(query: StreamQuery) -> int | None:
    header = request.headers.get("Last-Event-ID")
    if header is None or not header.strip():
        return query.last_event_id
    if not header.strip().isdigit() or int(header) > MAX_ID:
        raise InvalidInput("Last-Event-ID is not an event id", [FieldProblem(
            "Last-Event-ID", "the id of the last event received, a non-negative integer", "header")])
    return int(header)


@blueprint.get("/stream")
@allow(*SIGNED_IN)
@operation("Live updates (server-sent events): incidents, crews, closures, map, alerts; a crew's phone gets its "
           "own jobs and closures. Send Last-Event-ID to resume", "live", query=StreamQuery,
           responses={200: ("text/event-stream: `id`, `event` (the topic), `data` (JSON), heartbeats", None),
                      422: ("A Last-Event-ID that is not an event id", None)})
def stream() -> Response:
    last_event_id = _last_event_id(query_args(StreamQuery))
    me = identity()
    viewer = Viewer(crew_id=me.crew_id if me.role == "crew" else None)
    # The request's database connection goes back to the pool now: the stream takes one only for a
    # moment at a time, so a burst of streams opening at once cannot hold the whole pool and wait.
    close_session()
    events = EventStream(database(), current_app.extensions["hub"], viewer, last_event_id,
                         settings().stream_heartbeat_s)
    return Response(events, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

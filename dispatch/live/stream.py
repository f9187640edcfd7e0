"""One client's stream of server-sent events: what it missed, then what happens, with no gap and
no message twice.

On connection the stream subscribes to its process's hub first (``start``: the hub has handed out
everything up to there) and then reads from the table what the client missed: the messages after
its ``Last-Event-ID`` up to ``start``. Everything after ``start`` comes from the subscription;
a message at or below the last one sent is dropped, so the two never overlap.
"""
from __future__ import annotations

from typing import Iterator

from dispatch.core.db import Database
from dispatch.live.feed import Viewer, position, read
from dispatch.live.hub import Hub

HEARTBEAT = ": heartbeat\n\n"
PAGE = 500


class EventStream:
    """The events of one stream, until the client goes away (or falls too far behind: it then
    reconnects and resumes from the table). An iterable of text for the web server; ``close``
    ends it.

    * without ``last_event_id``: first an ``id:`` line alone (no event), the current position,
      which a client keeps as its last event id, so that a reconnection before the first
      message loses nothing;
    * with one the outbox still holds after: the messages after it, in order;
    * with one older than what the outbox keeps (or one it never gave): a ``resync`` event, whose
      id is the current position: reload everything, then carry on.
    """

    def __init__(self, database: Database, hub: Hub, viewer: Viewer, last_event_id: int | None,
                 heartbeat_s: float):
        self.database = database
        self.hub = hub
        self.viewer = viewer
        self.heartbeat_s = heartbeat_s
        self.subscription = hub.subscribe(viewer)
        try:
            with database.session() as session:
                where = position(session.connection())
        except Exception:
            self.close()
            raise
        self.resync = last_event_id is not None and not where.deleted_to <= last_event_id <= where.relayed_to
        self.last_event_id = last_event_id

    def __iter__(self) -> Iterator[str]:
        try:
            last_sent = yield from self._opening()
            while not self.subscription.overflowed:
                messages = self.subscription.next(self.heartbeat_s)
                if messages is None:
                    yield HEARTBEAT
                    continue
                for message in messages:
                    if message.id > last_sent:
                        yield message.as_event()
                        last_sent = message.id
        finally:
            self.close()

    def close(self) -> None:
        self.hub.unsubscribe(self.subscription)

    def _opening(self) -> Iterator[str]:
        start = self.subscription.start
        if self.last_event_id is None:
            yield f"id: {start}\n\n"
            return start
        if self.resync:
            yield f"id: {start}\nevent: resync\ndata: {{}}\n\n"
            return start
        after = self.last_event_id
        while after < start:  # a page at a time, the connection given back before a slow client reads it
            with self.database.session() as session:
                missed = read(session.connection(), after, start, limit=PAGE)
            for message in missed:
                if self.viewer.may_see(message):
                    yield message.as_event()
            after = missed[-1].id if len(missed) == PAGE else start
        return max(self.last_event_id, start)

"""Each server process's one follower of the relayed outbox, which hands every message to the
process's open streams.

One Redis subscription per process, not per stream: hundreds of open streams cost one connection
and one thread. The hub keeps ``covered_to``: every relayed message up to there has been handed
out. A batch from the relay that starts past it (one was lost: Redis was down, or its
subscription was re-made) makes the hub read the range in between from the table first. While
Redis is down, and whenever nothing came for ``poll_s``, it reads the table up to the relay's
cursor: Redis down means late, never lost.
"""
from __future__ import annotations

import logging
import queue
import threading

import orjson
import redis
from sqlalchemy.exc import SQLAlchemyError

from dispatch.core.db import Database
from dispatch.live.feed import Message, Viewer, channel, position, read, redis_without_retries

log = logging.getLogger(__name__)


class Subscription:
    """One stream's share of the hub: every message relayed after ``start`` that its viewer may see.

    A stream that cannot keep up (``limit`` batches waiting) is marked ``overflowed``: it ends,
    and its client resumes from its last event id, out of the table.
    """

    def __init__(self, viewer: Viewer, start: int, limit: int = 2000):
        self.viewer = viewer
        self.start = start
        self.overflowed = False
        self._batches: queue.Queue[list[Message]] = queue.Queue(limit)

    def offer(self, messages: list[Message]) -> None:
        mine = [m for m in messages if self.viewer.may_see(m)]
        if mine and not self.overflowed:
            try:
                self._batches.put_nowait(mine)
            except queue.Full:
                self.overflowed = True

    def next(self, timeout_s: float) -> list[Message] | None:
        """The next messages, or None after ``timeout_s`` without any."""
        try:
            return self._batches.get(timeout=timeout_s)
        except queue.Empty:
            return None


class Hub:
    def __init__(self, database: Database, redis_url: str, poll_s: float = 1.0, timeout_s: float = 2.0):
        self.database = database
        self.poll_s = poll_s
        self._client = redis_without_retries(redis_url, timeout_s, socket_timeout=poll_s + timeout_s,
                                             health_check_interval=10)
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._covered_to = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._redis_away = False

    def subscribe(self, viewer: Viewer) -> Subscription:
        """A new stream's subscription: it will get every message relayed after its ``start``."""
        with self._lock:
            if self._thread is None:  # the first stream of this process (after gunicorn forked it)
                with self.database.engine.connect() as connection:
                    self._covered_to = position(connection).relayed_to
                self._thread = threading.Thread(target=self._follow, name="outbox-hub", daemon=True)
                self._thread.start()
            subscription = Subscription(viewer, self._covered_to)
            self._subscriptions.add(subscription)
            return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def streams(self) -> int:
        return len(self._subscriptions)

    def close(self) -> None:
        """Stop following (tests; a server process just exits)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.poll_s + 5)
        self._client.close()

    def _hand_out(self, messages: list[Message], upto: int) -> None:
        with self._lock:
            fresh = [m for m in messages if m.id > self._covered_to]
            for subscription in self._subscriptions:
                subscription.offer(fresh)
            self._covered_to = max(self._covered_to, upto)

    def _catch_up(self) -> None:
        """Hand out what the relay moved past since ``covered_to``, read from the table."""
        with self.database.engine.connect() as connection:  # its own connection, never a request's
            relayed_to = position(connection).relayed_to
            while self._covered_to < relayed_to:
                messages = read(connection, self._covered_to, relayed_to)
                self._hand_out(messages, messages[-1].id if len(messages) == 1000 else relayed_to)

    def _follow(self) -> None:
        while not self._stop.is_set():
            listener = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                listener.subscribe(channel(self._client))
                if self._redis_away:
                    log.warning("live updates: Redis is back")
                    self._redis_away = False
                self._catch_up()  # what was relayed before the subscription
                while not self._stop.is_set():
                    message = listener.get_message(timeout=self.poll_s)
                    if message is None:
                        self._catch_up()  # a range relayed but not published shows here
                        continue
                    batch = orjson.loads(message["data"])
                    if batch["to"] <= self._covered_to:
                        continue
                    if batch["from"] > self._covered_to:
                        self._catch_up()  # a batch went missing: the table has it
                    self._hand_out([Message.from_dict(m) for m in batch["messages"]], batch["to"])
            except redis.RedisError as why:
                if not self._redis_away:
                    log.warning("live updates from the outbox table while Redis is away: %s", why)
                    self._redis_away = True
                self._poll_table()
            except Exception:  # the table unreadable, a message not ours: the follower must not die of it
                log.exception("live updates: following the outbox failed; trying again")
                self._stop.wait(self.poll_s)
            finally:
                listener.close()

    def _poll_table(self) -> None:
        """Redis is down: one read of the table, then a pause before trying Redis again."""
        try:
            self._catch_up()
        except SQLAlchemyError:
            log.exception("live updates: the outbox table could not be read")
        self._stop.wait(self.poll_s)

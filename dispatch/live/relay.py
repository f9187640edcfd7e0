"""The relay: committed outbox messages go to Redis pub/sub in id order, each range once.

Ids are taken when a message is written but become visible when its transaction commits, and
transactions commit in any order: message 7 can be visible while 6 is not yet (its transaction
is still running) or never will be (it rolled back). A relay that moved past 7 would skip 6 for
good; one that waited for 6 would wait for ever after a rollback.

So every writer holds an advisory lock, shared, from before it takes an id to the end of its
transaction (:data:`dispatch.core.outbox.WRITER_LOCK`), and the relay reads what is visible past
its cursor:

* the run of consecutive ids right after the cursor is final (nothing is missing below it) and
  goes out at once: the usual case, with no wait;
* at a gap (an id missing below a visible one, the highest seen being H), the relay notes which
  transactions hold the writer lock now. Only they can still commit an id below H: whoever took
  such an id took the lock first, before H was taken, and had not committed when H was seen
  (else it would have been visible); if it has ended since, it committed (visible now) or
  rolled back. Once none of the noted transactions holds the lock any more, every id up to H
  is final: the relay reads them again and sends those there are (the missing ones rolled
  back). New writers do not matter: their ids are above H.

Nothing is skipped and nothing goes out of order; a gap holds the messages after it back only
until the transactions writing at that moment have ended, which is soon, since services write
their messages just before they commit. (The other common answers fall short: a grace period
loses a message whose transaction outlives it, and the snapshot's xmin is held back by any long
transaction in the whole cluster, tests' and other databases' included.)

The cursor (``outbox_relay.relayed_to``) is in the database and moves in the transaction that
reads the messages, under the row's lock: several workers may relay at once (they take turns,
each range goes out once) and a restarted worker carries on where the last one stopped. A batch
is published as ``{"from", "to", "messages"}`` before the cursor commits; a stream whose last
message is below a batch's ``from`` reads the range in between from the table
(:mod:`dispatch.live.hub`), so a batch lost to a Redis outage, or published twice by a relay
whose commit then failed, does no harm. While Redis is down the cursor moves on all the same and
the streams read the table: live updates arrive late, never lost.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
import redis
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from dispatch.core import clock
from dispatch.core.db import Database, text
from dispatch.core.logs import Outage
from dispatch.core.outbox import WRITER_LOCK, relayed_topics_key
from dispatch.core.partitions import SCHEMA, default_name, drop_before
from dispatch.live.feed import Message, channel, read

log = logging.getLogger(__name__)
#: After a failed publish, the relay leaves Redis alone this long (the streams read the table).
REDIS_RETRY_S = 1.0
#: Outages are logged once each (and their end), not once per attempt.
REDIS_OUTAGE = Outage(log, "Redis", "live updates are not published; the streams read the outbox table")
DATABASE_OUTAGE = Outage(log, "The database (for the outbox relay)", "the relay retries every second")


@dataclass(frozen=True)
class _Gap:
    """An id missing below ``highest``, first seen while ``writers`` were writing."""

    highest: int
    writers: frozenset[str]


def writers(connection: Connection) -> frozenset[str]:
    """The transactions (virtual ids) holding the outbox writer lock now, in this database."""
    return frozenset(connection.execute(text(
        "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND classid = :k1 AND objid = :k2 AND objsubid = 2"), {"k1": WRITER_LOCK[0], "k2": WRITER_LOCK[1]}
    ).scalars().all())


class Relay:
    """Moves final outbox messages to Redis; run one or several (``flask worker``)."""

    def __init__(self, database: Database, client: redis.Redis, batch_size: int = 500):
        self.database = database
        self.client = client
        self.batch_size = batch_size
        self._gap: _Gap | None = None
        self._redis_retry_at = 0.0

    def step(self) -> int:
        """Relay the messages that are final now; returns how many went out."""
        with self.database.session() as session:
            connection = session.connection()
            cursor = connection.execute(text(
                "SELECT relayed_to FROM outbox_relay WHERE id = 1 FOR UPDATE")).scalar_one()
            seen = read(connection, cursor, limit=self.batch_size)
            ready = [m for n, m in enumerate(seen) if m.id == cursor + 1 + n]
            upto = ready[-1].id if ready else cursor
            if len(ready) < len(seen) and not ready:
                final = self._gap_final(connection, cursor, seen[-1].id)
                if final is not None:
                    ready, upto = read(connection, cursor, final, limit=self.batch_size), final
            if upto == cursor:
                return 0
            self._publish(cursor, upto, ready)
            connection.execute(text("UPDATE outbox_relay SET relayed_to = :upto WHERE id = 1"), {"upto": upto})
            session.commit()
        return len(ready)

    def _gap_final(self, connection: Connection, cursor: int, highest: int) -> int | None:
        """Up to which id everything is final, with a gap right after ``cursor`` (None: not yet)."""
        now_writing = writers(connection)
        if self._gap is None or self._gap.highest <= cursor:  # a new gap (another relay passed the old one)
            self._gap = _Gap(highest, now_writing)
            if now_writing:
                return None
        elif self._gap.writers & now_writing:
            return None
        final, self._gap = self._gap.highest, None
        return final

    def _publish(self, cursor: int, upto: int, messages: list[Message]) -> None:
        """Publish the batch, and note each topic's last id in it (caches of a topic rebuild on it)."""
        if time.monotonic() < self._redis_retry_at:
            return
        batch = {"from": cursor, "to": upto, "messages": [m.as_dict() for m in messages]}
        latest = {message.topic: message.id for message in messages}
        try:
            self.client.publish(channel(self.client), orjson.dumps(batch))
            if latest:
                db = self.client.connection_pool.connection_kwargs.get("db", 0)
                self.client.hset(relayed_topics_key(db), mapping=latest)
        except redis.RedisError as why:
            self._redis_retry_at = time.monotonic() + REDIS_RETRY_S
            REDIS_OUTAGE.down(why)
            log.debug("outbox %d-%d not published (the streams read it from the table)", cursor + 1, upto)
            return
        REDIS_OUTAGE.up()

    def clear(self, older_than: datetime) -> int:
        """Drop the outbox's days older than ``older_than`` whose messages were all relayed (a day
        goes whole: messages stay up to a day longer than asked), and delete such messages from the
        default partition; returns how many went. A client that last saw one of them gets
        ``resync``. While writers keep the table busy, the days wait for the next call."""
        gone = 0
        with self.database.session() as session:
            connection = session.connection()
            relayed_to = connection.execute(text(
                "SELECT relayed_to FROM outbox_relay WHERE id = 1 FOR UPDATE")).scalar_one()
            try:
                dropped = drop_before(connection, "outbox", older_than, ids_upto=relayed_to)
            except OperationalError as why:  # busy past the lock timeout
                log.info("old outbox days not dropped yet (%s); next time", type(why.orig).__name__)
                session.rollback()
                connection = session.connection()
                dropped = []
                relayed_to = connection.execute(text(
                    "SELECT relayed_to FROM outbox_relay WHERE id = 1 FOR UPDATE")).scalar_one()
            highest = max((d.highest_id or 0 for d in dropped), default=0)
            gone += sum(d.rows for d in dropped)
            row = connection.execute(text(
                f"WITH gone AS (DELETE FROM {SCHEMA}.{default_name('outbox')} WHERE at < :before "
                "AND id <= :relayed RETURNING id) SELECT count(*), coalesce(max(id), 0) FROM gone"),
                {"before": older_than, "relayed": relayed_to}).one()
            gone += row[0]
            connection.execute(text("UPDATE outbox_relay SET deleted_to = greatest(deleted_to, :upto) WHERE id = 1"),
                               {"upto": max(highest, row[1])})
            session.commit()
        return gone

    def run(self, stop: threading.Event, interval_s: float, retention: timedelta, clear_every_s: float = 60.0) -> None:
        """Relay until ``stop`` is set: at once while there is more, else every ``interval_s``;
        clear messages older than ``retention`` every ``clear_every_s``."""
        clear_at = 0.0
        while not stop.is_set():
            try:
                sent = self.step()
                if time.monotonic() >= clear_at:
                    self.clear(clock.now() - retention)
                    clear_at = time.monotonic() + clear_every_s
                DATABASE_OUTAGE.up()
            except Exception as why:  # the database went away, say: try again shortly
                DATABASE_OUTAGE.down(why)
                sent = 0
                stop.wait(1.0)
            if sent < self.batch_size:
                stop.wait(interval_s)

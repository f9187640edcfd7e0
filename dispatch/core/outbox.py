"""The outbox: every change a screen shows, written as a message in the same transaction as the change.

A message commits with its change or not at all. The worker relays committed messages to Redis
pub/sub in id order (:mod:`dispatch.live.relay`), and the live stream replays them from this table
to a client that was away (``GET /api/v1/stream``). Redis being down delays live updates but
loses none: the database is the record.

Packages at every level write here (an incident's intake, a crew's position, a road closure, a
switching operation), so the writer lives at the bottom; reading and relaying live in
:mod:`dispatch.live`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

import orjson
from sqlalchemy import BigInteger, Connection, DateTime, Integer, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core import clock
from dispatch.core.db import text
from dispatch.core.models import Base, one_of

#: incident: an incident as one item of GET /api/v1/incidents; crew: a crew's place and status;
#: closure: a road closure set or lifted; map: the grid tiles' version moved on; alert: an SLA
#: warning or a hazard the desk must not miss (the stream's contract: README, "Live updates").
TOPICS = ("incident", "crew", "closure", "map", "alert")
#: Every writer holds this advisory lock, shared, from before it takes a message id to the end of
#: its transaction (record_query takes it in the INSERT's own statement). Ids are taken in one
#: order and committed in another; the relay asks who holds the lock to know when an id missing
#: below a committed one can no longer appear.
WRITER_LOCK = (4, 0)


def relayed_topics_key(redis_db: int) -> str:
    """The Redis hash where the relay notes, per topic, the id of the last message it relayed:
    caches of what a topic describes (the public outage map) rebuild when it moves, without asking
    the database on every request. The Redis database number is in the name, as in the channel's."""
    return f"dispatch:outbox:{redis_db}:relayed-topics"


class OutboxMessage(Base):
    """One message of the live stream; ``id`` is the stream's event id. One partition per day
    (dispatch/core/partitions.py): retention drops whole days; the key holds ``at``, as a
    partitioned table's keys must, and each day's key serves the reads by id."""

    __tablename__ = "outbox"
    __table_args__ = (
        one_of("topic", TOPICS),
        {"postgresql_partition_by": "RANGE (at)"},
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    #: When the change was made, by the application's clock.
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    topic: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSONB)
    #: The crews whose phones get the message besides the desk (an incident's crew, the crew it is
    #: queued for, a crew it was just taken from); empty: the desk only (closures: every crew).
    crew_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), server_default="{}")


def record(connection: Connection, topic: str, payload: Mapping[str, Any], *, crew_ids: Iterable[int] = (),
           at: datetime | None = None) -> int:
    """Write one message in the caller's transaction (it is relayed once that commits); returns its id."""
    [message_id] = record_query(connection, topic, "SELECT CAST(:payload AS jsonb) AS payload, "
                                "CAST(:crews AS int[]) AS crews, 1 AS n",
                                {"payload": orjson.dumps(payload).decode(), "crews": list(crew_ids)}, at=at)
    return message_id


def record_query(connection: Connection, topic: str, rows: str, params: Mapping[str, Any], *,
                 at: datetime | None = None) -> list[int]:
    """Write the messages the SQL query ``rows`` selects, in one statement; returns their ids. Its
    columns: ``payload`` (jsonb), ``crews`` (int[]: the crew_ids, nulls and repeats dropped) and
    ``n``, the order of the ids; its bound values are ``params`` (any name but outbox_at and
    outbox_topic). A writer whose payloads are in the database passes the query that builds them:
    they need not come to Python and go back.

    The writer lock is taken by the same statement, before any id. ``writer`` is a subquery with a
    volatile function in its target list: the planner neither pulls it up into the query nor drops
    its unused column. The ids (the ``id`` default, nextval) are drawn in the projection of the
    INSERT's rows, above the join with ``writer`` (and the sort), and the join returns no row
    before it has read ``writer``'s one row, i.e. taken the lock; no row, no lock and no id.
    (EXPLAIN VERBOSE: nextval in the output of the Subquery Scan at the top, the lock in a Result
    under the join.)"""
    if topic not in TOPICS:
        raise ValueError(f"unknown outbox topic {topic!r}")
    return list(connection.execute(text(
        "INSERT INTO outbox (at, topic, payload, crew_ids) SELECT :outbox_at, :outbox_topic, m.payload, "
        "ARRAY(SELECT DISTINCT c FROM unnest(m.crews) AS c WHERE c IS NOT NULL ORDER BY c) "
        f"FROM (SELECT pg_advisory_xact_lock_shared({WRITER_LOCK[0]}, {WRITER_LOCK[1]})) AS writer, ({rows}) AS m "
        "ORDER BY m.n RETURNING id"
    ), {**params, "outbox_at": at or clock.now(), "outbox_topic": topic}).scalars())

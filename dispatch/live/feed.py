"""What the stream reads: relayed messages as server-sent events, who may see each, and where
the relayed outbox stands."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Connection

from dispatch.core.db import text


def redis_without_retries(url: str, timeout_s: float, **options: Any) -> redis.Redis:
    """A Redis client that fails at once when Redis is away (redis-py would retry with growing
    pauses for seconds): the relay and the hub have the table to fall back on, and must not stall."""
    return redis.Redis.from_url(url, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0), **options)


def channel(client: redis.Redis) -> str:
    """The channel the relay publishes batches of messages on. Pub/sub channels are shared by all
    the numbered databases of a Redis server: the number is in the name, so that deployments (and
    test suites) kept apart by number stay apart here too."""
    return f"dispatch:outbox:{client.connection_pool.connection_kwargs.get('db', 0)}"


@dataclass(frozen=True)
class Viewer:
    """Who watches a stream: the desk and viewers see everything; a crew's phone (``crew_id``)
    sees the incidents that are (or just stopped being) its own jobs, and road closures."""

    crew_id: int | None = None

    def may_see(self, message: "Message") -> bool:
        if self.crew_id is None:
            return True
        return message.topic == "closure" or message.topic == "incident" and self.crew_id in message.crew_ids


@dataclass(frozen=True)
class Message:
    """One relayed outbox message; ``data`` is its payload as one line of JSON."""

    id: int
    topic: str
    crew_ids: tuple[int, ...]
    data: str

    def as_event(self) -> str:
        """The message as a server-sent event (the id lets a client resume after it)."""
        return f"id: {self.id}\nevent: {self.topic}\ndata: {self.data}\n\n"

    def as_dict(self) -> dict:
        return {"id": self.id, "topic": self.topic, "crew_ids": list(self.crew_ids), "data": self.data}

    @classmethod
    def from_dict(cls, message: dict) -> "Message":
        return cls(message["id"], message["topic"], tuple(message["crew_ids"]), message["data"])


@dataclass(frozen=True)
class Position:
    """Where the outbox stands: every message up to ``relayed_to`` is final and relayed; every one
    up to ``deleted_to`` is gone (retention)."""

    relayed_to: int
    deleted_to: int


def position(connection: Connection) -> Position:
    row = connection.execute(text("SELECT relayed_to, deleted_to FROM outbox_relay WHERE id = 1")).one()
    return Position(row[0], row[1])


def read(connection: Connection, after: int, upto: int | None = None, limit: int = 1000) -> list[Message]:
    """Messages with ``after`` < id <= ``upto`` (no bound: all that are visible), in id order."""
    rows = connection.execute(text(
        "SELECT id, topic, crew_ids, payload::text FROM outbox WHERE id > :after "
        "AND (CAST(:upto AS bigint) IS NULL OR id <= :upto) ORDER BY id LIMIT :limit"
    ), {"after": after, "upto": upto, "limit": limit})
    return [Message(row[0], row[1], tuple(row[2]), row[3]) for row in rows]

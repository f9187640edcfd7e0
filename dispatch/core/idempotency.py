"""Idempotency keys: a client that sends a request again with the same ``Idempotency-Key`` gets the
first answer, and nothing is done twice.

A channel that timed out cannot tell "not received" from "received, answer lost", so it sends
again; without a key, the second trouble call or road closure is a second one. The key is claimed
in the transaction of the change itself (the row is inserted before the change and commits or rolls
back with it), so a key is never taken by a change that did not happen, and a second request with
the same key waits on the first one's row instead of running beside it. The answer is stored just
after the commit. Keys are per user (two users may pick the same UUID) and kept for
``IDEMPOTENCY_KEY_RETENTION_HOURS``.

The crew phone's events keep their own keys on the event rows
(:func:`dispatch.incidents.store.event_by_key`): the key is part of the event there.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, DateTime, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import text
from dispatch.core.models import Base


class IdempotencyKey(Base):
    """A request a user sent with an ``Idempotency-Key``, and the answer it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)  # retention deletes by age
    actor: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    #: A digest of the method, path, query and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The answer, once the change committed (null between the commit and storing the answer).
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Answer:
    """The first request's answer (``status`` None: it has not been stored yet)."""

    fingerprint: str
    status: int | None
    content_type: str | None
    body: str | None


def claim(connection: Connection, actor: str, key: str, fingerprint: str, at: datetime) -> Answer | None:
    """Take ``key`` for a new request in the caller's transaction (None), or return the request that
    took it first. Waits while another open transaction holds the same key, and then sees its outcome:
    its answer if it committed, the key free if it rolled back."""
    taken = connection.execute(text(
        "INSERT INTO idempotency_keys (actor, key, fingerprint, created_at) VALUES (:actor, :key, :fp, :at) "
        "ON CONFLICT (actor, key) DO NOTHING RETURNING 1"
    ), {"actor": actor, "key": key, "fp": fingerprint, "at": at}).scalar()
    return None if taken else answer_for(connection, actor, key)


def answer_for(connection: Connection, actor: str, key: str) -> Answer | None:
    """The stored request and answer for this user's ``key``, if any."""
    row = connection.execute(text(
        "SELECT fingerprint, status, content_type, body FROM idempotency_keys WHERE actor = :actor AND key = :key"
    ), {"actor": actor, "key": key}).one_or_none()
    return Answer(*row) if row else None


def remember(connection: Connection, actor: str, key: str, fingerprint: str, at: datetime, status: int,
             content_type: str | None, body: str) -> None:
    """Store the answer to the request that holds ``key`` (inserting the key if the change's own
    transaction was rolled back and retried without it, as intake does on a repeated external id)."""
    connection.execute(text(
        "INSERT INTO idempotency_keys (actor, key, fingerprint, created_at, status, content_type, body) "
        "VALUES (:actor, :key, :fp, :at, :status, :ctype, :body) "
        "ON CONFLICT (actor, key) DO UPDATE SET status = excluded.status, content_type = excluded.content_type, "
        "body = excluded.body WHERE idempotency_keys.fingerprint = excluded.fingerprint"
    ), {"actor": actor, "key": key, "fp": fingerprint, "at": at, "status": status, "ctype": content_type,
        "body": body})


def release(connection: Connection, actor: str, key: str) -> None:
    """Free a key whose request failed after its transaction committed the claim but gave no answer
    (the client will send it again)."""
    connection.execute(text(
        "DELETE FROM idempotency_keys WHERE actor = :actor AND key = :key AND status IS NULL"
    ), {"actor": actor, "key": key})


def clear(connection: Connection, before: datetime) -> int:
    """Forget keys taken before ``before``; returns how many."""
    return connection.execute(text("DELETE FROM idempotency_keys WHERE created_at < :before"),
                              {"before": before}).rowcount

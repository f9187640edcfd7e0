"""Machine clients in the database."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text

COLUMNS = "id, name, channel, key_prefix, rate_count, rate_period_s, created_at, revoked_at"


def insert_client(connection: Connection, **values: Any) -> int | None:
    """The new client's id, or None when the name is taken (revoked names stay taken: their
    reports name them)."""
    return connection.execute(text(
        "INSERT INTO channel_clients (name, channel, key_hash, key_prefix, rate_count, rate_period_s, created_at) "
        "VALUES (:name, :channel, :key_hash, :key_prefix, :rate_count, :rate_period_s, :created_at) "
        "ON CONFLICT (name) DO NOTHING RETURNING id"), values).scalar()


def live_client_by_key_hash(connection: Connection, key_hash: str) -> dict[str, Any] | None:
    """The client holding this key, unless it was revoked."""
    row = connection.execute(text(
        f"SELECT {COLUMNS} FROM channel_clients WHERE key_hash = :hash AND revoked_at IS NULL"),
        {"hash": key_hash}).mappings().first()
    return None if row is None else dict(row)


def clients(connection: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in connection.execute(text(f"SELECT {COLUMNS} FROM channel_clients ORDER BY name"))
            .mappings()]


def revoke_client(connection: Connection, name: str, at: datetime) -> str | None:
    """Revoke a client's key: 'revoked', 'already' (revoked before), or None (no such client)."""
    row = connection.execute(text(
        "UPDATE channel_clients c SET revoked_at = coalesce(old.revoked_at, :at) "
        "FROM (SELECT id, revoked_at FROM channel_clients WHERE name = :name FOR UPDATE) old "
        "WHERE c.id = old.id RETURNING old.revoked_at IS NULL AS now_revoked"), {"name": name, "at": at}).first()
    return None if row is None else ("revoked" if row.now_revoked else "already")

"""Users and their bearer tokens."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core import clock
from dispatch.core.db import text

USER = ("SELECT u.id, u.username, u.password_hash, u.role, u.active, u.crew_id, c.code AS crew, u.zones "
        "FROM users u LEFT JOIN crews c ON c.id = u.crew_id")


def user_by_name(connection: Connection, username: str) -> dict[str, Any] | None:
    row = connection.execute(text(USER + " WHERE u.username = :name"), {"name": username}).mappings().first()
    return None if row is None else dict(row)


def users(connection: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in connection.execute(text(USER + " ORDER BY u.username")).mappings()]


def insert_user(connection: Connection, username: str, password_hash: str, role: str,
                crew_id: int | None) -> int | None:
    """The new user's id, or None when the name is taken."""
    return connection.execute(text(
        "INSERT INTO users (username, password_hash, role, crew_id) VALUES (:name, :hash, :role, :crew) "
        "ON CONFLICT (username) DO NOTHING RETURNING id"
    ), {"name": username, "hash": password_hash, "role": role, "crew": crew_id}).scalar()


def update_user(connection: Connection, user_id: int, **columns: Any) -> None:
    sets = ", ".join(f"{name} = :{name}" for name in columns)
    connection.execute(text(f"UPDATE users SET {sets} WHERE id = :id"), {"id": user_id, **columns})


def insert_token(connection: Connection, token_id: str, user_id: int, expires_at: datetime) -> None:
    connection.execute(text("INSERT INTO api_tokens (id, user_id, expires_at) VALUES (:id, :user, :expires)"),
                       {"id": token_id, "user": user_id, "expires": expires_at})


def token_holder(connection: Connection, token_id: str, now: datetime) -> dict[str, Any] | None:
    """The active user holding a live (unexpired, unrevoked) token."""
    row = connection.execute(text(
        "SELECT u.id, u.username, u.role, u.crew_id, c.code AS crew, u.zones FROM api_tokens t "
        "JOIN users u ON u.id = t.user_id LEFT JOIN crews c ON c.id = u.crew_id "
        "WHERE t.id = :id AND t.revoked_at IS NULL AND t.expires_at > :now AND u.active"
    ), {"id": token_id, "now": now}).mappings().first()
    return None if row is None else dict(row)


def revoke_tokens(connection: Connection, *, token_id: str | None = None, user_id: int | None = None) -> int:
    """Revoke one token, or every live token of a user; returns how many."""
    return connection.execute(text(
        "UPDATE api_tokens SET revoked_at = :now WHERE revoked_at IS NULL "
        "AND (id = :token OR user_id = :user)"
    ), {"token": token_id, "user": user_id, "now": clock.now()}).rowcount

"""The import reports kept (table ``grid_imports``): one row per grid import applied, written in the
import's own transaction, so that a report exists exactly when its import does."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import bindparam

from dispatch.core.db import text

COLUMNS = "id, started_at, finished_at, actor, counts, warnings"


def record(connection: Connection, started_at: datetime, finished_at: datetime, actor: str,
           counts: dict[str, Any], warnings: list[dict[str, str]]) -> int:
    """Keep one import's report; returns its id."""
    statement = text(
        "INSERT INTO grid_imports (started_at, finished_at, actor, counts, warnings) "
        "VALUES (:started_at, :finished_at, :actor, :counts, :warnings) RETURNING id"
    ).bindparams(bindparam("counts", type_=JSONB), bindparam("warnings", type_=JSONB))
    return connection.execute(statement, {"started_at": started_at, "finished_at": finished_at, "actor": actor,
                                          "counts": counts, "warnings": warnings}).scalar_one()


def latest(connection: Connection, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` newest reports, newest first."""
    rows = connection.execute(text(f"SELECT {COLUMNS} FROM grid_imports ORDER BY id DESC LIMIT :limit"),
                              {"limit": limit}).mappings()
    return [dict(row) for row in rows]


def one(connection: Connection, import_id: int) -> dict[str, Any] | None:
    row = connection.execute(text(f"SELECT {COLUMNS} FROM grid_imports WHERE id = :id"),
                             {"id": import_id}).mappings().one_or_none()
    return dict(row) if row is not None else None

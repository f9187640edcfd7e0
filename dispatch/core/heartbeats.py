"""The worker's heartbeat: each worker writes one row per finished SLA sweep, so that readiness
(``/readyz``) and the metrics can tell a worker that sweeps from one that died or hangs, whichever
machine it runs on (a pid file only shows the local one)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, DateTime, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.db import text
from dispatch.core.models import Base


class WorkerHeartbeat(Base):
    """A worker and when it last finished a sweep; one row per worker name, overwritten each sweep."""

    __tablename__ = "worker_heartbeats"
    #: ``flask worker --name`` (default: the host's name): a restarted worker takes its row back.
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    host: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    last_sweep_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def beat(connection: Connection, name: str, host: str, pid: int, at: datetime) -> None:
    """Record that worker ``name`` finished a sweep ``at``, in the caller's transaction."""
    connection.execute(text(
        "INSERT INTO worker_heartbeats (name, host, pid, last_sweep_at) VALUES (:name, :host, :pid, :at) "
        "ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
        "last_sweep_at = greatest(worker_heartbeats.last_sweep_at, excluded.last_sweep_at)"
    ), {"name": name, "host": host, "pid": pid, "at": at})


def last_sweep(connection: Connection) -> dict | None:
    """The most recent sweep of any worker: {name, host, pid, last_sweep_at}, or None if none swept yet."""
    row = connection.execute(text(
        "SELECT name, host, pid, last_sweep_at FROM worker_heartbeats ORDER BY last_sweep_at DESC LIMIT 1"
    )).mappings().first()
    return dict(row) if row else None

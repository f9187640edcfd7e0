"""``flask data prune`` and the worker's daily care of the growing tables: the coming days'
partitions made ahead, the days past retention dropped (dispatch/core/partitions.py).

Crew positions go after POSITION_RETENTION_DAYS; the outbox after OUTBOX_RETENTION_HOURS, and
only once its messages were relayed (:meth:`dispatch.live.relay.Relay.clear`, which moves the
stream's ``deleted_to`` along). Running it again changes nothing: what exists is not made again
and what is gone is not looked for.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from api.context import database, settings
from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.core.db import Database
from dispatch.core.partitions import PARTITIONED, create_ahead, delete_from_default, drop_before
from dispatch.live.feed import redis_without_retries
from dispatch.live.relay import Relay

log = logging.getLogger("api.partitions")


@dataclass
class Pruned:
    """What one round did: partitions made, partitions dropped (name, rows), rows deleted from
    the default partitions, messages cleared from the outbox, and tables left for the next round."""

    made: list[str] = field(default_factory=list)
    dropped: list[tuple[str, int]] = field(default_factory=list)
    default_rows: int = 0
    outbox_messages: int = 0
    busy: list[str] = field(default_factory=list)


def prune(db: Database, relay: Relay, s: Settings, now: datetime) -> Pruned:
    """Make the partitions of today and the PARTITIONS_AHEAD_DAYS after it, and drop the days past
    retention; each table in a transaction of its own, so a busy one holds none of the others."""
    done = Pruned()
    today = now.astimezone(timezone.utc).date()
    for table in PARTITIONED:
        with db.session() as session:
            try:
                done.made += create_ahead(session.connection(), table, today, s.partitions_ahead_days)
                session.commit()
            except OperationalError:
                session.rollback()
                done.busy.append(table)
    before = now - timedelta(days=s.position_retention_days)
    with db.session() as session:
        try:
            dropped = drop_before(session.connection(), "crew_positions", before)
            done.default_rows += delete_from_default(session.connection(), "crew_positions", before)
            session.commit()
            done.dropped += [(d.partition.name, d.rows) for d in dropped]
        except OperationalError:
            session.rollback()
            done.busy.append("crew_positions")
    done.outbox_messages = relay.clear(now - timedelta(hours=s.outbox_retention_hours))
    return done


@click.command("prune")
@with_appcontext
def data_prune() -> None:
    """Make the coming days' partitions of crew positions and the outbox; drop the days past
    POSITION_RETENTION_DAYS and OUTBOX_RETENTION_HOURS. Says what it did; safe to run again."""
    s = settings()
    relay = Relay(database(), redis_without_retries(s.redis_url, s.health_timeout_s, socket_timeout=s.health_timeout_s))
    done = prune(database(), relay, s, clock.now())
    for name in done.made:
        click.echo(f"made {name}")
    for name, rows in done.dropped:
        click.echo(f"dropped {name} ({rows} rows)")
    if done.default_rows:
        click.echo(f"deleted {done.default_rows} old crew positions from the default partition")
    click.echo(f"outbox: {done.outbox_messages} relayed messages past retention cleared")
    for table in done.busy:
        click.echo(f"{table}: busy, left for the next run", err=True)
    if not (done.made or done.dropped or done.default_rows or done.outbox_messages):
        click.echo("nothing to do")

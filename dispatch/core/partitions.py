"""Tables that grow every day, split into one partition per day so that old days are dropped whole.

The crews' position history (17 million rows a day per 1,000 crews reporting every 5 s) and the
outbox of live messages are range-partitioned on ``at`` (migration 0024). Deleting a day of rows
one by one costs as much as writing them and leaves the table bloated; dropping the day's partition
costs a catalog change. Reads that name a time (a crew's last 30 minutes, a trail) touch only the
days they cover; reads by id (the live stream's ``Last-Event-ID``) probe each day's primary key.

Partitions live in the ``partitions`` schema, named ``TABLE_pYYYYMMDD`` (days in UTC), beside each
table's default partition ``TABLE_default``: a row whose day has no partition yet lands there, so
nothing is ever refused or lost, and :func:`create_ahead` moves such rows into their day's partition
when it makes it. The worker and ``flask data partitions`` make the coming days' partitions ahead
and drop the days past the retention settings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Connection

from dispatch.core.db import text

#: The time-partitioned tables and the column they are split on.
PARTITIONED = ("crew_positions", "outbox")
COLUMN = "at"
SCHEMA = "partitions"
#: Creating and dropping partitions takes a short lock on the table; waiting behind a long reader
#: would hold every writer queued behind us, so give up instead and try on the next round.
LOCK_TIMEOUT = "1s"

_BOUNDS = re.compile(r"FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    """One day's partition of ``table``: rows with ``starts`` <= at < ``ends``."""

    table: str
    name: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class Dropped:
    """A partition dropped, with how many rows it held and its highest id (None: it was empty)."""

    partition: Partition
    rows: int
    highest_id: int | None


def day_name(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def partitions(connection: Connection, table: str) -> list[Partition]:
    """The day partitions of ``table`` (not its default), oldest first."""
    _check(table)
    rows = connection.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:parent AS regclass) "
        "AND NOT pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'"), {"parent": f"public.{table}"}).all()
    found = []
    for name, bound in rows:
        match = _BOUNDS.fullmatch(bound)
        if match is None:  # a partition someone made by hand with another kind of bound: not ours
            continue
        starts, ends = connection.execute(text("SELECT CAST(:a AS timestamptz), CAST(:b AS timestamptz)"),
                                          {"a": match[1], "b": match[2]}).one()
        found.append(Partition(table, name, starts, ends))
    return sorted(found, key=lambda p: p.starts)


def create_ahead(connection: Connection, table: str, today: date, days: int) -> list[str]:
    """Make the partitions of ``today`` and the ``days`` after it that are missing; returns their
    names. Rows already in the default partition for such a day move into it, in this transaction.

    The new day is built as a table of its own and then attached: attaching locks the parent only
    against other schema changes, where ``CREATE TABLE ... PARTITION OF`` would stop its writers."""
    _check(table)
    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    # Two workers making the same day take turns here (the lock conflicts with itself, not with
    # readers or writers); the second then sees the first one's partitions.
    connection.execute(text(f"LOCK TABLE public.{table} IN SHARE UPDATE EXCLUSIVE MODE"))
    have = partitions(connection, table)
    made = []
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        starts, ends = day_start(day), day_start(day + timedelta(days=1))
        if any(p.starts < ends and starts < p.ends for p in have):  # made already (by us or by hand)
            continue
        name = day_name(table, day)
        connection.execute(text(
            f"CREATE TABLE {SCHEMA}.{name} (LIKE public.{table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
        connection.execute(text(
            f"WITH moved AS (DELETE FROM {SCHEMA}.{default_name(table)} WHERE {COLUMN} >= :starts "
            f"AND {COLUMN} < :ends RETURNING *) INSERT INTO {SCHEMA}.{name} SELECT * FROM moved"),
            {"starts": starts, "ends": ends})
        connection.execute(text(
            f"ALTER TABLE public.{table} ATTACH PARTITION {SCHEMA}.{name} "
            f"FOR VALUES FROM ('{starts.isoformat()}') TO ('{ends.isoformat()}')"))
        made.append(name)
    return made


def drop_before(connection: Connection, table: str, before: datetime, ids_upto: int | None = None) -> list[Dropped]:
    """Drop the day partitions whose every row is older than ``before``, oldest first, stopping at
    one holding an id above ``ids_upto`` when given (the outbox's messages not relayed yet); returns
    what went. Raises :class:`sqlalchemy.exc.OperationalError` if the table stays busy past
    :data:`LOCK_TIMEOUT`: the caller rolls back and tries on its next round."""
    _check(table)
    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    # Another worker pruning waits here, or gives up (the lock conflicts with itself, not with
    # readers or writers), so the days listed are still there when dropped.
    connection.execute(text(f"LOCK TABLE public.{table} IN SHARE UPDATE EXCLUSIVE MODE"))
    old = [p for p in partitions(connection, table) if p.ends <= before]
    if not old:
        return []
    # Counted before the exclusive lock: nobody writes into days this old, and a day takes a while.
    rows = {p.name: connection.execute(text(f"SELECT count(*) FROM {SCHEMA}.{p.name}")).scalar_one() for p in old}
    # The table before its partitions, as its writers lock them: the other order could deadlock.
    # After the lock, a writer's late row into an old day is committed and seen below.
    connection.execute(text(f"LOCK TABLE public.{table} IN ACCESS EXCLUSIVE MODE"))
    gone = []
    for partition in old:
        highest = connection.execute(text(f"SELECT max(id) FROM {SCHEMA}.{partition.name}")).scalar()
        if ids_upto is not None and highest is not None and highest > ids_upto:
            break
        connection.execute(text(f"DROP TABLE {SCHEMA}.{partition.name}"))
        gone.append(Dropped(partition, rows[partition.name], highest))
    return gone


def delete_from_default(connection: Connection, table: str, before: datetime) -> int:
    """Delete the rows of the default partition older than ``before`` (days that never had a
    partition of their own); returns how many. Normally there are none."""
    _check(table)
    return connection.execute(text(f"DELETE FROM {SCHEMA}.{default_name(table)} WHERE {COLUMN} < :before"),
                              {"before": before}).rowcount


def _check(table: str) -> None:
    if table not in PARTITIONED:  # names go into SQL: only ours
        raise ValueError(f"{table!r} is not a time-partitioned table")

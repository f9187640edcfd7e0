"""The growing tables' day partitions: made ahead, rows never lost (the default partition takes a
day without one, and gives its rows up when the day is made), old days dropped by ``flask data
prune``, and the reads that matter touching only the days they name, on indexes."""
from __future__ import annotations

import re
import threading
import time
from datetime import timedelta, timezone

from sqlalchemy import text

from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.core.partitions import (
    SCHEMA,
    create_ahead,
    day_name,
    day_start,
    default_name,
    drop_before,
    partitions,
)
from dispatch.crews.store import add_positions
from tests.conftest import BASE


def utc_day(at):
    return at.astimezone(timezone.utc).date()


def crew_id(connection, code: str = "CE") -> int:
    return connection.execute(text("SELECT id FROM crews WHERE code = :c"), {"c": code}).scalar_one()


def put_positions(connection, crew: int, *times) -> None:
    add_positions(connection, crew, [{"at": at.isoformat(), "lon": 51.4, "lat": 33.9} for at in times])


def rows_in(connection, partition: str) -> int:
    return connection.execute(text(f"SELECT count(*) FROM {SCHEMA}.{partition}")).scalar_one()


def test_days_are_made_ahead_once_and_take_their_rows_from_the_default_partition(connection, city):
    day = utc_day(clock.now() + timedelta(days=30))  # no partition yet, whatever the clock's shift
    crew = crew_id(connection)
    early = day_start(day) + timedelta(hours=9)
    put_positions(connection, crew, early, early + timedelta(seconds=5))
    assert rows_in(connection, default_name("crew_positions")) >= 2
    made = create_ahead(connection, "crew_positions", day, 2)
    assert made == [day_name("crew_positions", day + timedelta(days=n)) for n in range(3)]
    assert create_ahead(connection, "crew_positions", day, 2) == []  # again: nothing to make
    assert rows_in(connection, made[0]) == 2
    assert connection.execute(text(
        f"SELECT count(*) FROM {SCHEMA}.{default_name('crew_positions')} WHERE at >= :a AND at < :b"),
        {"a": day_start(day), "b": day_start(day + timedelta(days=3))}).scalar_one() == 0
    put_positions(connection, crew, early)  # the same instant again: still one per crew and instant
    put_positions(connection, crew, early + timedelta(days=1))  # straight into its day
    assert rows_in(connection, made[0]) == 2 and rows_in(connection, made[1]) == 1
    days = [p for p in partitions(connection, "crew_positions") if p.name in made]
    assert [(p.starts, p.ends - p.starts) for p in days] == [
        (day_start(day + timedelta(days=n)), timedelta(days=1)) for n in range(3)]


def test_prune_drops_the_days_past_retention_says_so_and_changes_nothing_the_second_time(cli, connection, city):
    crew = crew_id(connection)
    now = clock.now()
    old, kept = utc_day(now - timedelta(days=100)), utc_day(now - timedelta(days=10))  # retention: 90 days
    for day in (old, kept):
        create_ahead(connection, "crew_positions", day, 0)
        put_positions(connection, crew, *(day_start(day) + timedelta(hours=h) for h in (1, 2, 3)))
    stray = now - timedelta(days=200)  # a day without a partition: in the default one
    put_positions(connection, crew, stray)
    first = cli.invoke(args=["data", "prune"])
    assert first.exit_code == 0, first.output
    assert f"dropped {day_name('crew_positions', old)} (3 rows)" in first.output
    assert "deleted 1 old crew positions from the default partition" in first.output
    names = {p.name for p in partitions(connection, "crew_positions")}
    assert day_name("crew_positions", old) not in names and day_name("crew_positions", kept) in names
    for n in range(BASE.partitions_ahead_days + 1):  # today and the days ahead exist now, for both tables
        for table in ("crew_positions", "outbox"):
            assert day_name(table, utc_day(now + timedelta(days=n))) in {p.name for p in partitions(connection, table)}
    assert rows_in(connection, day_name("crew_positions", kept)) == 3
    second = cli.invoke(args=["data", "prune"])
    assert second.exit_code == 0 and "dropped" not in second.output and "made" not in second.output


def plan(connection, sql: str) -> str:
    return "\n".join(connection.execute(text(f"EXPLAIN {sql}")).scalars())


def days_read(query_plan: str, table: str) -> set[str]:
    """The partitions of ``table`` a plan reads."""
    return set(re.findall(rf"\bon ({table}_\w+)", query_plan))


def test_the_reads_that_matter_touch_only_their_days_and_use_indexes(connection, city):
    now = clock.now()
    for table in ("crew_positions", "outbox"):
        create_ahead(connection, table, utc_day(now - timedelta(days=3)), 5)
    crew = crew_id(connection)
    connection.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: does an index serve the read?
    since = now - timedelta(minutes=30)
    last_30_min = plan(connection, f"SELECT at, geom FROM crew_positions WHERE crew_id = {crew} "
                       f"AND at > '{since.isoformat()}' AND at <= '{now.isoformat()}' ORDER BY at")
    assert days_read(last_30_min, "crew_positions") == {day_name("crew_positions", utc_day(t)) for t in (since, now)}
    assert "Index" in last_30_min and "Seq Scan" not in last_30_min, last_30_min
    before = now - timedelta(minutes=10)  # the crews' position closest in time to an arrival, before it
    near = plan(connection, f"SELECT at FROM crew_positions WHERE crew_id = {crew} AND at <= '{now.isoformat()}' "
                f"AND at >= '{before.isoformat()}' ORDER BY at DESC LIMIT 1")
    assert days_read(near, "crew_positions") == {day_name("crew_positions", utc_day(t)) for t in (before, now)}
    assert "Scan Backward using" in near
    latest = plan(connection, "SELECT code, geom, position_at FROM crews WHERE on_duty")  # the latest: on the crew
    assert "crew_positions" not in latest
    after_id = plan(connection, "SELECT id, topic FROM outbox WHERE id > 12345 ORDER BY id LIMIT 1000")
    # No day can be left out by id: each one's primary key is probed (a Merge Append in id order on
    # a real outbox, BENCHMARKS.md; without statistics the planner may sort the few rows instead).
    assert "Seq Scan" not in after_id
    for name in [p.name for p in partitions(connection, "outbox")] + [default_name("outbox")]:
        assert f"{name}_pkey" in after_id
    events = plan(connection, "SELECT * FROM incident_events WHERE incident_id = 7 ORDER BY at")
    assert "ix_incident_events_incident_id_at" in events


def test_two_workers_making_and_dropping_the_same_days_take_turns(live_url):
    """Both workers keep the partitions at start and every hour: the second waits for the first
    and finds its work done, instead of failing on a table made or dropped under it."""
    database = Database(live_url)
    day = utc_day(clock.now() + timedelta(days=40))
    after = day_start(day + timedelta(days=2))
    made = [day_name("outbox", day + timedelta(days=n)) for n in range(2)]

    def meanwhile(work) -> list:
        """``work`` in another session, started while the first holds its locks."""
        result: list = []

        def run() -> None:
            with database.session() as session:
                result.append(work(session.connection()))
                session.commit()
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.3)
        return [thread, result]

    try:
        with database.session() as first:
            assert create_ahead(first.connection(), "outbox", day, 1) == made
            thread, second = meanwhile(lambda c: create_ahead(c, "outbox", day, 1))
            first.commit()
        thread.join(timeout=10)
        assert second == [[]]
        with database.session() as first:
            assert set(made) <= {d.partition.name for d in drop_before(first.connection(), "outbox", after)}
            thread, second = meanwhile(lambda c: drop_before(c, "outbox", after))
            first.commit()
        thread.join(timeout=10)
        assert second == [[]]
    finally:
        database.dispose()

"""Two writers of interruptions that began in the same quarter hour, at the same time, each in its
own transaction (a database of its own, committed for real): the tallies count both."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from alembic import command
from sqlalchemy import text

from api.cli import alembic_config
from dispatch.core.db import Database
from dispatch.reporting.tallies import quarter, retally
from tests.crews.test_concurrency import wait_for_lock_waiters
from tests.reporting.tallies import assert_tallies_match

STARTED = datetime(2024, 3, 5, 2, 7, tzinfo=timezone.utc)


def write_one(session, account: str) -> None:
    """What a restoration does: its rows, then its quarter hours tallied again."""
    connection = session.connection()
    connection.execute(text(
        "INSERT INTO customer_interruptions (account_no, started_at, restored_at, source, event_ref) "
        "VALUES (:account, :started, :started + interval '1 hour', 'imported', :account)"),
        {"account": account, "started": STARTED})
    retally(connection, [quarter(STARTED)])


def test_two_writers_in_one_quarter_hour_are_both_counted(make_database):
    url = make_database()
    command.upgrade(alembic_config(url), "head")
    database = Database(url)
    try:
        with database.session() as first, database.session() as second:
            write_one(first, "A1")  # holds the tally lock until it commits
            done = threading.Event()

            def other_writer():
                write_one(second, "A2")
                second.commit()
                done.set()

            thread = threading.Thread(target=other_writer)
            thread.start()
            wait_for_lock_waiters(database.engine, 1)
            first.commit()
            thread.join(timeout=30)
            assert done.is_set()
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT sum(interruptions) FROM interruption_tallies")).scalar_one() == 2
            assert_tallies_match(connection)
    finally:
        database.dispose()

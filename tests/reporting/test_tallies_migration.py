"""Migration 0019 tallies the interruptions already stored, as the writers would have."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from api.cli import alembic_config
from tests.reporting.tallies import assert_tallies_match


def test_the_interruptions_there_are_are_tallied(make_database):
    url = make_database()
    config = alembic_config(url)
    command.upgrade(config, "0018")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO customer_interruptions (account_no, zone_code, started_at, restored_at, planned, cause, "
                "source, event_ref) SELECT 'A' || g, CASE WHEN g % 2 = 0 THEN 'Z1' END, "
                "TIMESTAMPTZ '2024-03-05 10:07+08' + make_interval(mins => g % 3 * 20), "
                "TIMESTAMPTZ '2024-03-05 11:00+08', g % 5 = 0, 'weather.wind', 'imported', 'E' || g % 3 "
                "FROM generate_series(1, 30) AS g"))
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT sum(interruptions) FROM interruption_tallies")).scalar_one() == 30
            assert connection.execute(text("SELECT count(DISTINCT quarter) FROM interruption_tallies")).scalar_one() == 3
            assert_tallies_match(connection)
    finally:
        engine.dispose()

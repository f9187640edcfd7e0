"""Migrations: a straight line of numbered revisions that build the models' schema and undo it."""
from __future__ import annotations

from datetime import timedelta, timezone

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, text

from api.cli import alembic_config
from dispatch.core import clock
from dispatch.schema import Base


def test_revisions_are_one_numbered_line():
    scripts = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    revisions = list(reversed(list(scripts.walk_revisions())))
    assert [r.revision for r in revisions] == [f"{n:04d}" for n in range(1, len(revisions) + 1)]
    assert scripts.get_heads() == [revisions[-1].revision]


def test_upgrade_matches_models_and_downgrade_removes_everything(make_database):
    url = make_database()
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT extname FROM pg_extension WHERE extname = 'postgis'")).scalar()
            context = MigrationContext.configure(connection, opts={
                "include_object": alembic_helpers.include_object, "compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            indexes = {i["name"] for i in inspect(connection).get_indexes("customers")}
            assert "ix_customers_geom" in indexes
        command.downgrade(config, "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {"alembic_version"}
            assert connection.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")).scalar() == 0
        command.upgrade(config, "head")  # and up again from nothing
    finally:
        engine.dispose()


def test_partitioning_keeps_the_rows_both_ways(make_database):
    """0027 moves crew positions and outbox messages into day partitions and back, ids and all."""
    url = make_database()
    config = alembic_config(url)
    engine = create_engine(url)
    now = clock.now()
    try:
        command.upgrade(config, "0026")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO depots (code, name, geom) VALUES ('D', 'Depot', ST_GeomFromText('POINT(51.4 33.9)', 4326)); "
                "INSERT INTO crews (code, name, depot_id, headcount, phone) "
                "SELECT 'C', 'Crew', id, 2, '1' FROM depots"))
            for days in (40, 0):
                connection.execute(text(
                    "INSERT INTO crew_positions (crew_id, at, geom) SELECT id, :at, "
                    "ST_GeomFromText('POINT(51.4 33.9)', 4326) FROM crews"), {"at": now - timedelta(days=days)})
                connection.execute(text("INSERT INTO outbox (at, topic, payload) VALUES (:at, 'map', '{}')"),
                                   {"at": now - timedelta(days=days)})
        before = snapshot(engine)
        command.upgrade(config, "0027")
        assert snapshot(engine) == before
        with engine.begin() as connection:
            old_day = (now - timedelta(days=40)).astimezone(timezone.utc).date()
            where = connection.execute(text(
                "SELECT DISTINCT CAST(tableoid::regclass AS text) FROM crew_positions WHERE at < :a"),
                {"a": now - timedelta(days=1)}).scalars().all()
            assert where == [f"partitions.crew_positions_p{old_day:%Y%m%d}"]
            newer = connection.execute(text("INSERT INTO outbox (at, topic, payload) VALUES (:at, 'map', '{}') "
                                            "RETURNING id"), {"at": now}).scalar_one()
            assert newer > max(row[0] for row in before["outbox"])  # the same sequence: ids keep rising
            connection.execute(text("DELETE FROM outbox WHERE id = :id"), {"id": newer})
        command.downgrade(config, "0026")
        assert snapshot(engine) == before
        with engine.connect() as connection:
            assert inspect(connection).get_pk_constraint("outbox")["constrained_columns"] == ["id"]
            assert "partitions" not in inspect(connection).get_schema_names()
    finally:
        engine.dispose()


def snapshot(engine) -> dict[str, list]:
    with engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT id, at FROM {table} ORDER BY id")).all()
                for table in ("crew_positions", "outbox")}

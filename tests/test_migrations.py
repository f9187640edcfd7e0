"""Migrations: a straight line of numbered revisions that build the models' schema and undo it."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, text

from api.cli import alembic_config
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

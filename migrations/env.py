"""Alembic environment: online migrations only, GeoAlchemy2's helpers wired in so that spatial
columns and their indexes autogenerate and render correctly."""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, text

from dispatch.core.config import Settings
from dispatch.schema import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url
    engine = create_engine(url)
    with engine.connect() as connection:
        # A migration waiting on a busy table must fail fast rather than block the dispatch desk.
        connection.execute(text("SET lock_timeout = '10s'"))
        connection.commit()  # end the autobegun transaction so Alembic's own one commits
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
            include_object=alembic_helpers.include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run them against a database")
run_migrations_online()

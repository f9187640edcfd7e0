"""Shared by the benchmarks: a scratch database loaded with the demo data."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from alembic import command
from sqlalchemy import create_engine, make_url, text

from api.cli import alembic_config
from dispatch.config import Settings
from dispatch.db import Database
from dispatch.grid_import import import_grid

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


@contextlib.contextmanager
def scratch_database(name: str, with_demo: bool = True) -> Iterator[str]:
    """A fresh, migrated database (with the demo data imported), dropped afterwards; yields its URL."""
    base = make_url(Settings.from_env().database_url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        command.upgrade(alembic_config(url), "head")
        if with_demo:
            database = Database(url)
            session = database.session()
            import_grid(session, DEMO)
            session.close()
            database.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Shared by the benchmarks: a scratch database loaded with the demo data."""
from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from alembic import command
from sqlalchemy import create_engine, make_url, text

from api.cli import alembic_config
from dispatch.accounts.users import TokenSigner, create_user, issue_token
from dispatch.core.config import Settings
from dispatch.core.db import Database
from dispatch.gis.grid_import import import_grid

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
#: The key the benchmark's server signs tokens with, and the benchmark's clients are given.
SECRET_KEY = secrets.token_urlsafe(32)


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


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def bearer_headers(url: str, username: str, role: str, crew: str | None = None) -> dict[str, str]:
    """Create a user in the scratch database and return the headers its requests send."""
    database = Database(url)
    with database.session() as session:
        user_id = create_user(session, username, secrets.token_urlsafe(12), role, crew)
        token, _ = issue_token(session, TokenSigner(SECRET_KEY, 24 * 3600), user_id, datetime.now(timezone.utc))
        session.commit()
    database.dispose()
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@contextlib.contextmanager
def gunicorn(url: str, port: int, workers: int, options: Sequence[str] = (),
             environment: Mapping[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """The API under gunicorn on 127.0.0.1:``port`` against ``url`` (more gunicorn ``options`` and
    ``environment`` if given), until the block ends; yields the master process."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, **(environment or {})}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--log-level", "warning", *options, "wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait()

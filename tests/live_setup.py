"""Fixtures for tests of live updates (tests/live, the desk in a browser), a pytest plugin of
tests/conftest.py. They need what the other tests avoid: changes really committed (the relay and
the streams read them from other connections and threads), a real HTTP server serving requests
at once (a stream is a response that does not end), and a Redis of their own to stop and start.

Each test gets its own copy of one prepared database (migrated, the city grid imported, crew CL
off duty, as the ``city`` fixture), made from a template in a fraction of a second, and dropped
afterwards.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from alembic import command
from sqlalchemy import create_engine, make_url, text
from werkzeug.serving import make_server

from api import create_app
from api.cli import alembic_config
from dispatch.accounts.users import create_user, issue_token
from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.gis.grid_import import import_grid
from dispatch.live.feed import redis_without_retries
from dispatch.live.relay import Relay
from tests.conftest import BASE, signed_in
from tests.factories import dispatch_grid, write_layers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def live_template(make_database, tmp_path_factory) -> str:
    """The name of a migrated database with tests.factories.dispatch_grid imported, crew CL off duty."""
    url = make_database()
    command.upgrade(alembic_config(url), "head")
    database = Database(url)
    with database.session() as session:
        import_grid(session, write_layers(tmp_path_factory.mktemp("city"), dispatch_grid()))
        session.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CL'"))
        session.commit()
    database.dispose()
    return make_url(url).database


@pytest.fixture
def live_url(live_template):
    """A database of this test's own, copied from the template; the test commits into it."""
    admin = create_engine(make_url(BASE.database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"dispatch_live_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{live_template}"'))
    yield make_url(BASE.database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class PrivateRedis:
    """A redis-server of the test's own on a free port, that the test may stop and start again."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_app(live_url, private_redis):
    """The application on the test's database and Redis; without Redis it reads the table every
    0.2 s, and an idle stream has a heartbeat every 0.5 s."""
    app = create_app(BASE.with_overrides(database_url=live_url, redis_url=private_redis.url, stream_poll_s=0.2,
                                         stream_heartbeat_s=0.5))
    yield app
    app.extensions["hub"].close()
    app.extensions["database"].dispose()


@pytest.fixture
def server(live_app):
    """The application served over HTTP (threaded: each stream holds a thread); yields its base URL."""
    http = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="live-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def relay(live_app, private_redis):
    """The worker's relay, running in a thread as ``flask worker`` runs it."""
    relay = Relay(live_app.extensions["database"], redis_without_retries(private_redis.url, 0.5, socket_timeout=0.5))
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop, 0.02, timedelta(hours=24)), daemon=True)
    thread.start()
    yield relay
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
def user(live_app):
    """``user("dispatcher")`` or ``user("crew", crew="CW")``: a user in the test's database: its
    name, password, token and the headers of its requests."""
    database = live_app.extensions["database"]

    def make(role: str, crew: str | None = None) -> dict:
        username, password = f"{role}-{uuid.uuid4().hex[:6]}", "long enough secret"
        with database.session() as session:
            user_id = create_user(session, username, password, role, crew)
            token, _ = issue_token(session, live_app.extensions["token_signer"], user_id, clock.now())
            session.commit()
        return {"username": username, "password": password, "token": token,
                "headers": {"Authorization": f"Bearer {token}"}}
    return make


@pytest.fixture
def desk(live_app, user):
    """A test client signed in as a dispatcher: its changes commit to the test's database."""
    return signed_in(live_app.test_client(), user("dispatcher"))

"""Tests run against a real PostGIS database created for the run (migrated once) and the real Redis.

Each test runs inside an outer transaction that is rolled back; the application's sessions join
it with savepoints, so services can commit as they do in production.
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import uuid
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import pytest
import redis
from alembic import command
from sqlalchemy import create_engine, make_url, text

from api import create_app
from api.cli import alembic_config
from dispatch.accounts import store as user_store
from dispatch.accounts.users import PASSWORDS, issue_token
from dispatch.core import clock
from dispatch.core.config import Settings
from tests.factories import dispatch_grid, feeder_grid, write_layers

#: The fixtures of live updates (a database of the test's own that it commits to, a real server,
#: the relay, a Redis of the test's own): tests/live_setup.py.
pytest_plugins = ["tests.live_setup"]

BASE = Settings.from_env().with_overrides(secret_key="the tests' own key")
# The application's clock, shifted by CLOCK_SHIFT_DAYS before any test module reads it (T0, NOW):
# create_app() sets the same shift again.
clock.shift(timedelta(days=BASE.clock_shift_days))
#: The tests' own Redis database (15, or TEST_REDIS_DB) on the configured server, flushed around tests
#: that use it: two suites run at once on one machine need two numbers.
TEST_REDIS_URL = BASE.redis_url.rsplit("/", 1)[0] + "/" + os.environ.get("TEST_REDIS_DB", "15")


def _admin_engine():
    return create_engine(make_url(BASE.database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def make_database():
    """A factory of fresh, empty databases, all dropped at the end of the run."""
    admin = _admin_engine()
    created = []

    def make() -> str:
        name = f"dispatch_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(BASE.database_url).set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(make_database) -> str:
    url = make_database()
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
def app(database_url):
    application = create_app(BASE.with_overrides(database_url=database_url, redis_url=TEST_REDIS_URL))
    application.config["TESTING"] = True
    yield application
    application.extensions["hub"].close()
    application.extensions["database"].dispose()


@pytest.fixture
def connection(app):
    """The test's connection; everything done through the app is rolled back afterwards."""
    database = app.extensions["database"]
    with database.engine.connect() as conn:
        outer = conn.begin()
        database.bind_to(conn)
        yield conn
        outer.rollback()


@lru_cache
def _password_hash(password: str) -> str:
    """argon2 takes ~50 ms by design: hash each test password once per run."""
    return PASSWORDS.hash(password)


_user_numbers = itertools.count(1)


@pytest.fixture
def make_user(app, connection):
    """Create a user in the test's transaction and give it a token:
    ``make_user("crew", crew="CW")`` -> {username, password, role, crew, token, headers}."""
    def make(role: str, crew: str | None = None, username: str | None = None, password: str = "correct horse 1"):
        username = username or f"{role}{next(_user_numbers)}"
        crew_id = crew and connection.execute(text("SELECT id FROM crews WHERE code = :c"), {"c": crew}).scalar_one()
        user_id = user_store.insert_user(connection, username, _password_hash(password), role, crew_id)
        with app.extensions["database"].session() as session:
            token, _ = issue_token(session, app.extensions["token_signer"], user_id, clock.now())
            session.commit()
        return {"username": username, "password": password, "role": role, "crew": crew, "token": token,
                "headers": {"Authorization": f"Bearer {token}"}}
    return make


def signed_in(test_client, user: dict):
    """``test_client`` sending ``user``'s token with every request."""
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {user['token']}"
    return test_client


@pytest.fixture
def client(app, connection, make_user):
    """A test client signed in as an administrator (every route but the crews' own)."""
    return signed_in(app.test_client(), make_user("admin", username="admin"))


@pytest.fixture
def anonymous(app, connection):
    return app.test_client()


@pytest.fixture
def crew_phone(app, make_user):
    """``crew_phone("CW")``: a test client signed in as a user of that crew."""
    def make(crew: str):
        return signed_in(app.test_client(), make_user("crew", crew=crew))
    return make


@pytest.fixture
def rules(database_url, connection, make_user):
    """A client whose settings differ from the defaults (same database, transaction and key)."""
    admin = make_user("admin")

    def make(**overrides):
        app = create_app(BASE.with_overrides(database_url=database_url, redis_url=TEST_REDIS_URL, **overrides))
        app.extensions["database"].bind_to(connection)
        return signed_in(app.test_client(), admin)
    return make


@pytest.fixture
def cli(app, connection):
    return app.test_cli_runner()


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def feeder(cli, tmp_path):
    """The two-feeder grid of tests.factories.feeder_grid, imported."""
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path, feeder_grid()))])
    assert result.exit_code == 0, result.output


@pytest.fixture
def city(cli, tmp_path, connection):
    """tests.factories.dispatch_grid imported, crew CL off duty."""
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path, dispatch_grid()))])
    assert result.exit_code == 0, result.output
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CL'"))


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """The demo data set built once per run by scripts/build_demo_data.py: (directory, stats, layers).

    Reuses data/cache (git-ignored) when present so the OpenStreetMap sdist is not downloaded again.
    """
    spec = importlib.util.spec_from_file_location("build_demo_data", ROOT / "scripts" / "build_demo_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cache = ROOT / "data" / "cache"
    out = tmp_path_factory.mktemp("demo")
    stats = module.build(out, cache if cache.is_dir() else tmp_path_factory.mktemp("cache"))
    return out, stats, module.LAYERS

"""/healthz answers while the process serves (Redis down: degraded, still 200); /readyz needs the
database, the schema at the migration head and a recent sweep of the worker."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from api import create_app
from dispatch.core import clock
from tests.conftest import BASE
from tests.helpers import assert_problem
from tests.ops.test_request_ids import log_lines

#: A Redis no one listens on (a closed port): connection refused at once.
NO_REDIS = "redis://127.0.0.1:1/0"


def sweep_at(connection, at, name="test-worker") -> None:
    connection.execute(text(
        "INSERT INTO worker_heartbeats (name, host, pid, last_sweep_at) VALUES (:n, 'h', 1, :at) "
        "ON CONFLICT (name) DO UPDATE SET last_sweep_at = excluded.last_sweep_at"), {"n": name, "at": at})


def test_healthz_is_ok_when_everything_answers(anonymous, redis_db):
    answer = anonymous.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "checks": {"database": {"status": "ok"}, "redis": {"status": "ok"}}}


@pytest.fixture
def without_redis(database_url, connection):
    """A client of the application configured with a Redis that is not there, in the test's transaction."""
    app = create_app(BASE.with_overrides(database_url=database_url, redis_url=NO_REDIS, health_timeout_s=0.5))
    app.extensions["database"].bind_to(connection)
    yield app.test_client()
    app.extensions["hub"].close()


def test_redis_down_is_degraded_not_dead(without_redis, connection):
    answer = without_redis.get("/healthz")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "degraded" and body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["redis"]["status"] == "down" and body["checks"]["redis"]["error"] == "ConnectionError"
    sweep_at(connection, clock.now())
    ready = without_redis.get("/readyz")  # taking reports does not need Redis: still ready, and says so
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"]["redis"]["status"] == "down"


def test_ready_needs_a_recent_sweep(anonymous, connection, redis_db):
    body = assert_problem(anonymous.get("/readyz"), 503)
    assert body["checks"]["worker"]["status"] == "down" and "no worker" in body["detail"]
    assert body["checks"]["database"] == body["checks"]["migrations"] == {"status": "ok"}
    sweep_at(connection, clock.now() - timedelta(seconds=BASE.worker_stale_s + 30))
    stale = anonymous.get("/readyz")
    assert "over WORKER_STALE_S" in assert_problem(stale, 503)["checks"]["worker"]["error"]
    assert stale.headers["Retry-After"]
    sweep_at(connection, clock.now() - timedelta(seconds=5))
    ready = anonymous.get("/readyz")
    assert ready.status_code == 200, ready.get_data(as_text=True)
    assert ready.get_json() == {"status": "ok", "checks": {name: {"status": "ok"} for name in
                                                           ("database", "migrations", "worker", "redis")}}


def test_ready_needs_the_schema_at_the_migration_head(anonymous, connection, redis_db):
    sweep_at(connection, clock.now())
    connection.execute(text("UPDATE alembic_version SET version_num = '0014'"))
    body = assert_problem(anonymous.get("/readyz"), 503)
    assert "the schema is at 0014" in body["checks"]["migrations"]["error"] and "flask db upgrade" in body["detail"]


def test_the_worker_writes_its_heartbeat_each_sweep(cli, connection, city):
    assert cli.invoke(args=["worker", "--once", "--name", "w1"]).exit_code == 0
    first = connection.execute(text("SELECT host, pid, last_sweep_at FROM worker_heartbeats WHERE name = 'w1'")).one()
    assert first.pid > 0 and first.host and abs((clock.now() - first.last_sweep_at).total_seconds()) < 60
    assert cli.invoke(args=["worker", "--once", "--name", "w1"]).exit_code == 0
    again = connection.execute(text("SELECT last_sweep_at FROM worker_heartbeats WHERE name = 'w1'")).scalar_one()
    assert again >= first.last_sweep_at
    assert connection.execute(text("SELECT count(*) FROM worker_heartbeats")).scalar_one() == 1


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_routes_are_public_and_documented(anonymous, path):
    assert path in anonymous.get("/api/v1/openapi.json").get_json()["paths"]


def test_sign_in_limits_off_is_logged_once_per_outage(app, without_redis, make_user, redis_db, capsys):
    user = make_user("dispatcher")
    credentials = {"username": user["username"], "password": user["password"]}
    with_redis = app.test_client()
    assert with_redis.post("/api/v1/auth/token", json=credentials).status_code == 201  # Redis answers: no outage
    for _ in range(3):
        assert without_redis.post("/api/v1/auth/token", json=credentials).status_code == 201  # still signs in
    assert with_redis.post("/api/v1/auth/token", json=credentials).status_code == 201
    outage = [line for line in log_lines(capsys.readouterr().err) if line.get("outage") == "Redis"
              and line["logger"] == "dispatch.accounts.users"]
    assert [line["outage_state"] for line in outage] == ["down", "up"]
    assert "failed sign-ins are not limited" in outage[0]["message"] and outage[0]["level"] == "WARNING"

"""A statement PostgreSQL cancels (statement_timeout, SQLSTATE 57014) is a request that took too
long, not a database outage: its own 503 problem, and the health checks still see the database up."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from api import create_app
from api.access import public
from api.context import session
from tests.conftest import BASE, TEST_REDIS_URL
from tests.helpers import assert_problem


@pytest.fixture
def slow_app(database_url):
    """The application with one extra route, on this test's app instance only, whose query runs
    past a statement_timeout of 50 ms (the real PostgreSQL cancels it)."""
    app = create_app(BASE.with_overrides(database_url=database_url, redis_url=TEST_REDIS_URL))

    @public
    def slow():
        session().execute(text("SET LOCAL statement_timeout = '50ms'"))
        session().execute(text("SELECT pg_sleep(5)"))
        return "never"

    app.add_url_rule("/test-only/slow", "slow", slow)
    yield app
    app.extensions["hub"].close()
    app.extensions["database"].dispose()


def test_a_statement_past_its_time_limit_is_a_503_took_too_long_not_an_outage(slow_app):
    client = slow_app.test_client()
    answer = client.get("/test-only/slow", headers={"X-Request-Id": "slow-1"})
    body = assert_problem(answer, 503)
    assert body["type"] == "urn:grid-dispatch:problem:took-too-long" and body["title"] == "Took too long"
    assert body["request_id"] == "slow-1" and "Retry-After" not in answer.headers
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["checks"]["database"]["status"] == "ok"
    assert assert_problem(client.get("/test-only/slow"), 503)["type"].endswith("took-too-long")  # the pool is sound

"""The application's one clock: every time rule follows it when a test stops or moves it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from api import create_app
from dispatch.core import clock
from tests.conftest import BASE, signed_in
from tests.helpers import T0, assert_problem, customer, report


@pytest.fixture
def stopped_clock():
    """``stop(at)`` stops the application's clock at ``at``; it runs again after the test."""
    yield clock.freeze
    clock.freeze(None)


def test_a_stopped_clock_reads_the_same_instant_and_runs_again(stopped_clock):
    at = T0 + timedelta(minutes=7)
    stopped_clock(at)
    assert clock.now() == at and clock.now() == at
    stopped_clock(None)
    assert abs(clock.now() - datetime.now(timezone.utc) - timedelta(days=BASE.clock_shift_days)) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        stopped_clock(datetime(2030, 1, 1))  # no offset: which 1 January?


def test_the_app_runs_its_clock_shifted_by_the_setting():
    try:
        create_app(BASE.with_overrides(clock_shift_days=BASE.clock_shift_days - 400)).extensions["database"].dispose()
        assert abs(clock.now() - datetime.now(timezone.utc)
                   - timedelta(days=BASE.clock_shift_days - 400)) < timedelta(seconds=5)
    finally:
        clock.shift(timedelta(days=BASE.clock_shift_days))


def test_the_seven_day_rule_counts_from_the_clock(app, feeder, make_user, stopped_clock):
    stopped_clock(T0 + timedelta(days=7, minutes=1))
    client = signed_in(app.test_client(), make_user("dispatcher"))  # a token of that time
    late = report(client, T0, status=422, account_no=customer(1))
    assert "7 days" in late["errors"][0]["message"]
    assert report(client, T0 + timedelta(minutes=2), account_no=customer(1))["incident"]["id"]
    ahead = report(client, T0 + timedelta(days=7, minutes=7), status=422, account_no=customer(1))
    assert ahead["errors"][0]["message"].endswith("is in the future")


def test_a_token_expires_by_the_clock(anonymous, make_user, stopped_clock):
    user = make_user("viewer")
    issued = clock.now()
    stopped_clock(issued + timedelta(seconds=BASE.token_ttl_s - 60))
    assert anonymous.get("/api/v1/me", headers=user["headers"]).status_code == 200
    stopped_clock(issued + timedelta(seconds=BASE.token_ttl_s + 60))
    assert_problem(anonymous.get("/api/v1/me", headers=user["headers"]), 401)


def test_a_closure_runs_out_and_is_lifted_by_the_clock(client, city, connection, stopped_clock):
    road = connection.execute(text("SELECT min(id) FROM roads")).scalar()
    now = clock.now()
    stopped_clock(now)
    closure = client.post("/api/v1/roads/closures", json={
        "reason": "tree down", "road_ids": [road], "until": (now + timedelta(hours=1)).isoformat()}).get_json()
    listed = {c["id"]: c for c in client.get("/api/v1/roads/closures").get_json()["closures"]}
    assert listed[closure["id"]]["active"] is True
    stopped_clock(now + timedelta(hours=1, seconds=1))
    assert closure["id"] not in {c["id"] for c in client.get("/api/v1/roads/closures").get_json()["closures"]}
    listed = {c["id"]: c for c in client.get("/api/v1/roads/closures?include=lifted").get_json()["closures"]}
    assert listed[closure["id"]]["active"] is False
    assert_problem(client.delete(f"/api/v1/roads/closures/{closure['id']}"), 404)  # nothing left to lift


def test_the_timeline_records_when_the_server_heard_by_the_clock(app, feeder, connection, make_user, stopped_clock):
    heard = T0 + timedelta(minutes=3)
    stopped_clock(heard)
    client = signed_in(app.test_client(), make_user("dispatcher"))  # a token of that time
    incident = report(client, T0, account_no=customer(1))["incident"]
    recorded = connection.execute(text("SELECT recorded_at FROM incident_events WHERE incident_id = :id"),
                                  {"id": incident["id"]}).scalars().all()
    assert recorded and set(recorded) == {heard}

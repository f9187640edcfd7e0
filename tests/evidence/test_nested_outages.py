"""Nested outages: after an incident is restored, customers of its area still out (a last gasp with
no power-restored after the restoration) or out again soon (a new last gasp or call from inside
it) are a new incident linked to the first.

The grid is tests.factories.dispatch_grid: T1 has customers 1000-1009; crews CW and CE on duty."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.helpers import T0, customer, report


@pytest.fixture
def frozen():
    yield clock.freeze
    clock.freeze(None)


def meters(client, *events) -> dict:
    response = client.post("/api/v1/meter-events", json={"events": [
        {"account_no": account, "kind": kind, "at": at.isoformat()} for account, kind, at in events]})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def restore(client, incident: int, at) -> None:
    for event, when in (("on_site", at - timedelta(minutes=30)), ("restored", at)):
        answer = client.post(f"/api/v1/incidents/{incident}/events", json={"type": event, "at": when.isoformat()})
        assert answer.status_code == 200, answer.get_data(as_text=True)


def worker_at(cli, frozen, at) -> None:
    """One round of the worker with the clock at ``at`` (then running again: tokens are checked
    against the real time)."""
    frozen(at)
    result = cli.invoke(args=["worker", "--once"])
    frozen(None)
    assert result.exit_code == 0, result.output


def outage_of_t1(client) -> int:
    gasps = meters(client, *[(customer(1, k), "last_gasp", T0) for k in range(3)])
    (incident,) = gasps["incidents"]
    return incident


def test_a_meter_silent_after_the_restoration_is_a_nested_outage(client, city, cli, connection, frozen, redis_db):
    first = outage_of_t1(client)
    restored_at = T0 + timedelta(hours=1)
    restore(client, first, restored_at)
    meters(client, (customer(1, 0), "power_restored", restored_at + timedelta(seconds=20)),
           (customer(1, 1), "power_restored", restored_at + timedelta(seconds=40)))
    worker_at(cli, frozen, restored_at + timedelta(minutes=2))  # within the meters' grace: nothing yet
    assert connection.execute(text("SELECT count(*) FROM incidents WHERE parent_incident_id = :i"),
                              {"i": first}).scalar() == 0

    worker_at(cli, frozen, restored_at + timedelta(minutes=6))
    parent = client.get(f"/api/v1/incidents/{first}").get_json()
    assert parent["meters"] == {"last_gasps": 3, "power_restored": 2, "still_out": [customer(1, 2)]}
    (nested,) = parent["nested"]
    child = client.get(f"/api/v1/incidents/{nested}").get_json()
    assert child["parent_incident"] == first and child["status"] in ("new", "assigned")
    assert child["device"] == {"kind": "transformer", "code": "T1"}
    assert [r["account_no"] for r in child["reports"]] == [customer(1, 2)] and child["reports"][0]["channel"] == "ami"
    verified = [e for e in parent["timeline"] if e["type"] == "restoration_verified"]
    assert len(verified) == 1 and verified[0]["data"]["still_out"] == [customer(1, 2)]

    worker_at(cli, frozen, restored_at + timedelta(minutes=7))  # checked once
    assert client.get(f"/api/v1/incidents/{first}").get_json()["nested"] == [nested]

    # A worker that died after sending the reports and before marking the incident checked: the
    # next pass checks it again and sends the same report, not a second one.
    connection.execute(text("DELETE FROM incident_events WHERE incident_id = :i AND type = 'restoration_verified'"),
                       {"i": first})
    worker_at(cli, frozen, restored_at + timedelta(minutes=8))
    assert client.get(f"/api/v1/incidents/{first}").get_json()["nested"] == [nested]
    assert connection.execute(text("SELECT count(*) FROM reports WHERE channel = 'ami' AND external_id LIKE "
                                   "'ami:still-out:%'")).scalar() == 1


def test_every_meter_back_opens_nothing(client, city, cli, connection, frozen, redis_db):
    first = outage_of_t1(client)
    restored_at = T0 + timedelta(hours=1)
    restore(client, first, restored_at)
    meters(client, *[(customer(1, k), "power_restored", restored_at + timedelta(seconds=10)) for k in range(3)])
    worker_at(cli, frozen, restored_at + timedelta(minutes=6))
    parent = client.get(f"/api/v1/incidents/{first}").get_json()
    assert parent["nested"] == [] and parent["meters"]["still_out"] == []


@pytest.mark.parametrize("channel", ["meter", "call"])
def test_a_new_last_gasp_or_call_inside_the_restored_area_is_a_nested_outage(client, city, connection, channel):
    first = outage_of_t1(client)
    restored_at = T0 + timedelta(hours=1)
    restore(client, first, restored_at)
    later = restored_at + timedelta(minutes=10)
    if channel == "meter":
        (nested,) = meters(client, (customer(1, 7), "last_gasp", later))["incidents"]
    else:
        nested = report(client, later, account_no=customer(1, 7))["incident"]["id"]
    assert nested != first
    child = client.get(f"/api/v1/incidents/{nested}").get_json()
    assert child["parent_incident"] == first
    assert [e["data"] for e in child["timeline"] if e["type"] == "nested_in"] == [{"parent": first}]


def test_an_outage_after_the_window_or_elsewhere_is_not_nested(client, city):
    first = outage_of_t1(client)
    restored_at = T0 + timedelta(hours=1)
    restore(client, first, restored_at)
    elsewhere = report(client, restored_at + timedelta(minutes=5), account_no=customer(4, 1))["incident"]["id"]
    much_later = report(client, restored_at + timedelta(hours=2), account_no=customer(1, 7))["incident"]["id"]
    for incident in (elsewhere, much_later):
        assert client.get(f"/api/v1/incidents/{incident}").get_json()["parent_incident"] is None

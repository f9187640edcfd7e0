"""Complaints: taken at the hotline without sending a crew, linked to the incident they are about,
and counted per zone and cause with the complaint rate."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.helpers import T0, assert_problem, count, customer, report
from tests.reporting.sla_data import incident

SHANGHAI = ZoneInfo("Asia/Shanghai")


def complain(client, status: int = 201, **body) -> dict:
    body.setdefault("channel", "hotline")
    body.setdefault("kind", "late_arrival")
    response = client.post("/api/v1/complaints", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_a_complaint_joins_the_callers_incident_and_sends_no_crew(client, city, connection):
    fault = report(client, T0, account_no=customer(2, 1))["incident"]
    before = (count(connection, "incidents"), count(connection, "reports"), count(connection, "incident_events"))
    crews = connection.execute(text("SELECT code, status FROM crews ORDER BY code")).all()
    answer = complain(client, account_no=customer(2, 1), received_at=(T0 + timedelta(hours=1)).isoformat())
    assert answer["incident"] == fault["id"] and answer["zone"] == "Z1" and answer["kind"] == "late_arrival"
    assert (count(connection, "incidents"), count(connection, "reports"),
            count(connection, "incident_events")) == before
    assert connection.execute(text("SELECT code, status FROM crews ORDER BY code")).all() == crews


def test_a_customer_who_did_not_call_is_linked_to_the_outage_that_cut_them_off(client, city):
    fault = report(client, T0, account_no=customer(2, 1))["incident"]
    answer = complain(client, account_no=customer(2, 7), kind="no_notice",
                      received_at=(T0 + timedelta(minutes=30)).isoformat())
    assert answer["incident"] == fault["id"]
    elsewhere = complain(client, account_no=customer(4, 2), received_at=(T0 + timedelta(minutes=30)).isoformat())
    assert elsewhere["incident"] is None and elsewhere["zone"] == "Z1"  # T4 is on another branch


def test_a_restored_incident_is_linked_within_the_window_only(client, city, connection):
    received = T0 - timedelta(days=4)
    restored = incident(connection, received, arrival=30, restoration=60, crews=(("CW", 1),))  # back at +1.5 h
    connection.execute(text("INSERT INTO reports (channel, received_at, customer_id, arrival_deadline, incident_id) "
                            "SELECT 'hotline', :at, id, :at, :i FROM customers WHERE account_no = :a"),
                       {"at": received, "i": restored, "a": customer(3, 3)})
    soon = received + timedelta(hours=6)
    assert complain(client, account_no=customer(3, 3), received_at=soon.isoformat())["incident"] == restored
    late = received + timedelta(hours=1.5) + timedelta(hours=72, minutes=1)  # COMPLAINT_LINK_HOURS after it
    assert complain(client, account_no=customer(3, 3), received_at=late.isoformat())["incident"] is None


def test_a_named_incident_merged_away_links_to_the_one_it_joined(client, city, connection):
    kept = incident(connection, T0, arrival=30, crews=(("CW", 1),))
    gone = incident(connection, T0)
    connection.execute(text("UPDATE incidents SET status = 'merged', merged_into_id = :k WHERE id = :g"),
                       {"k": kept, "g": gone})
    assert complain(client, incident=gone, phone="13800138000", received_at=T0.isoformat())["incident"] == kept


def test_the_same_external_id_again_stores_nothing(client, city, connection):
    first = complain(client, account_no=customer(1, 1), external_id="hotline-77", received_at=T0.isoformat())
    again = complain(client, 200, account_no=customer(1, 1), external_id="hotline-77", received_at=T0.isoformat())
    assert again == first and count(connection, "complaints") == 1


@pytest.mark.parametrize("body, field", [
    ({"account_no": "no-such-account"}, "account_no"),
    ({"incident": 999999999}, "incident"),
    ({"account_no": "1001", "kind": "rude_staff"}, "kind"),
    ({"account_no": "1001", "received_at": "2001-01-01T00:00:00+08:00"}, "received_at"),
])
def test_bad_complaints_are_refused_and_nothing_is_stored(client, city, connection, body, field):
    response = client.post("/api/v1/complaints", json={"channel": "hotline", "kind": "other", **body})
    assert field in [e["field"] for e in assert_problem(response, 422)["errors"]]
    assert count(connection, "complaints") == 0


def test_complaints_per_zone_and_cause_with_the_rate_per_thousand_calls(client, city, connection):
    day = (clock.now() - timedelta(days=3)).astimezone(SHANGHAI).date()
    at = (clock.now() - timedelta(days=3)).astimezone(SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0)
    town = incident(connection, at, arrival=60, restoration=30, crews=(("CW", 1),), calls=6, cause="weather.wind")
    incident(connection, at, arrival=20, restoration=30, crews=(("CE", 1),), calls=4)
    incident(connection, at, zone="Z2", arrival=20, restoration=30, crews=(("CE", 2),), calls=5)
    when = (at + timedelta(hours=2)).isoformat()
    for kind in ("late_arrival", "late_arrival", "repeat_outage"):
        complain(client, kind=kind, incident=town, received_at=when)
    complain(client, kind="no_notice", account_no=customer(5, 1), received_at=when)  # T5: outside both zones
    body = client.get("/api/v1/reports/complaints", query_string={
        "from": day.isoformat(), "to": day.isoformat(), "group_by": "zone"}).get_json()
    rows = {r["group"]: r for r in body["rows"]}
    assert rows["Z1"]["complaints"] == 3 and rows["Z1"]["late_arrival"] == 2 and rows["Z1"]["repeat_outage"] == 1
    # 3 complaints over the 10 calls of the town's incidents: 300 per 1,000 calls.
    assert rows["Z1"]["calls"] == 10 and rows["Z1"]["complaint_rate"] == 300.0 and rows["Z1"]["incidents"] == [town]
    assert rows["Z2"]["complaints"] == 0 and rows["Z2"]["complaint_rate"] == 0.0
    assert rows[""]["no_notice"] == 1 and rows[""]["calls"] == 0 and rows[""]["complaint_rate"] is None
    assert body["total"]["complaints"] == 4 and body["total"]["calls"] == 15
    assert body["total"]["complaint_rate"] == round(4000 / 15, 1)
    by_cause = {r["group"]: r["complaints"] for r in client.get("/api/v1/reports/complaints", query_string={
        "from": day.isoformat(), "to": day.isoformat(), "group_by": "cause"}).get_json()["rows"]}
    assert by_cause == {"": 1, "weather.wind": 3}
    refused = client.get("/api/v1/reports/complaints", query_string={"from": day.isoformat(), "to": day.isoformat(),
                                                                      "group_by": "crew"})
    assert "group_by" in [e["field"] for e in assert_problem(refused, 422)["errors"]]

"""POST /api/v1/reports: locating each kind of report, and grouping calls into incidents."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from tests.factories import LAT, LON
from tests.helpers import T0, assert_problem, count, customer, report

# -- locating ----------------------------------------------------------------------------------

def test_located_by_account(client, feeder):
    body = report(client, account_no=customer(1, 3))
    located = body["located"]
    assert located["method"] == "account_no" and located["account_no"] == "1003"
    assert (located["bus"], located["transformer"], located["source"], located["feeder"]) == ("LV1", "T1", "S1", "BR1")
    assert located["zone"] == {"code": "Z1", "class": "urban", "defaulted": False}
    incident = body["incident"]
    assert incident["device"] == {"kind": "transformer", "code": "T1"}
    assert incident["customers_affected"] == 10 and incident["report_count"] == 1
    assert datetime.fromisoformat(incident["arrival_deadline"]) == T0 + timedelta(minutes=45)


def test_located_by_phone_with_separators(client, feeder):
    located = report(client, phone="139-0000 2004")["located"]
    assert (located["method"], located["account_no"], located["transformer"]) == ("phone", "2004", "T2")


def test_located_by_address_with_a_typo(client, feeder):
    located = report(client, address="5 T3 Raod")["located"]
    assert (located["method"], located["account_no"]) == ("address", "3004")


def test_located_by_nearest_customer_transformer_or_line(client, feeder):
    near_customer = report(client, location={"lon": LON + 0.0085 + 0.0005, "lat": LAT + 0.002 + 0.0009})
    assert near_customer["located"]["method"] == "nearest_customer"
    assert near_customer["located"]["distance_m"] < 15
    later = T0 + timedelta(hours=3)  # after the window, so that the calls are not grouped
    near_transformer = report(client, later, location={"lon": LON + 0.0045, "lat": LAT - 0.0075})  # 170 m S of T4
    assert near_transformer["located"]["method"] == "nearest_transformer"
    assert near_transformer["located"]["transformer"] == "T4"
    assert near_transformer["incident"]["device"] == {"kind": "transformer", "code": "T4"}
    near_line = report(client, later, location={"lon": LON + 0.02, "lat": LAT + 0.0075})  # 830 m N of L7
    assert near_line["located"]["method"] == "nearest_line"
    assert near_line["located"]["source"] == "S2" and near_line["located"]["transformer"] is None


def test_unmatched_report_is_kept_unlocated(client, feeder, connection):
    far = report(client, location={"lon": LON + 0.2, "lat": LAT + 0.2}, phone="100")
    assert far["located"]["method"] is None
    assert far["located"]["zone"] == {"code": None, "class": "rural", "defaulted": True}
    incident = far["incident"]
    assert incident["unlocated"] and incident["device"] == {"kind": "location", "code": None}
    assert count(connection, "reports") == 1
    nowhere = report(client, address="no such place at all")
    assert nowhere["incident"]["unlocated"] and nowhere["located"]["location"] is None


def test_outside_every_zone_takes_the_default_class(client, feeder):
    body = report(client, account_no=customer(5))
    assert body["located"]["zone"] == {"code": None, "class": "rural", "defaulted": True}
    assert datetime.fromisoformat(body["incident"]["arrival_deadline"]) == T0 + timedelta(minutes=90)


def test_same_external_id_returns_the_first_report(client, feeder, connection):
    first = report(client, account_no=customer(1), external_id="95598-0001")
    again = report(client, status=200, account_no=customer(2), external_id="95598-0001")
    assert again["id"] == first["id"] and again["incident"]["id"] == first["incident"]["id"]
    assert again["located"] == first["located"]
    assert count(connection, "reports") == 1 and count(connection, "incidents") == 1


@pytest.mark.parametrize("body, field", [
    ({}, "body"),
    ({"account_no": "999999"}, "account_no"),
    ({"location": {"lon": 181, "lat": 33}}, "location.lon"),
    ({"location": {"lon": 51, "lat": -91}}, "location.lat"),
    ({"location": {"lon": 51}}, "location.lat"),
    ({"phone": "1", "received_at": T0.replace(tzinfo=None).isoformat()}, "received_at"),
    ({"phone": "1", "received_at": "yesterday"}, "received_at"),
    ({"phone": "1", "received_at": "2999-01-01T00:00:00+08:00"}, "received_at"),
    ({"phone": "1", "channel": "carrier pigeon"}, "channel"),
    ({"phone": "1", "kind": "meteor"}, "kind"),
    ({"phone": "1", "hazard": "yes"}, "hazard"),
    ({"phone": "1", "colour": "red"}, "colour"),
])
def test_bad_reports_are_rejected_and_nothing_is_written(client, feeder, connection, body, field):
    body = {"channel": "hotline", **body}
    problem = assert_problem(client.post("/api/v1/reports", json=body), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert count(connection, "reports") == 0 and count(connection, "incidents") == 0


def test_nan_coordinates_and_non_json_bodies_are_rejected(client, feeder, connection):
    raw = '{"channel": "app", "location": {"lon": NaN, "lat": 33.9}}'
    problem = assert_problem(client.post("/api/v1/reports", data=raw, content_type="application/json"), 422)
    assert problem["errors"][0]["field"] == "location.lon"
    assert_problem(client.post("/api/v1/reports", data="channel=app", content_type="text/plain"), 400)
    assert_problem(client.post("/api/v1/reports", data="[1, 2]", content_type="application/json"), 400)
    assert count(connection, "reports") == 0


# -- grouping ----------------------------------------------------------------------------------

def test_calls_under_one_transformer_attach_to_its_incident(client, feeder):
    first = report(client, account_no=customer(1, 1))["incident"]
    second = report(client, T0 + timedelta(minutes=3), account_no=customer(1, 2))["incident"]
    assert second["id"] == first["id"] and second["report_count"] == 2
    assert second["device"] == {"kind": "transformer", "code": "T1"}


def test_calls_from_two_transformers_roll_up_to_the_common_device(client, feeder, connection):
    first = report(client, account_no=customer(1))["incident"]
    rolled = report(client, T0 + timedelta(minutes=2), account_no=customer(2))["incident"]
    assert rolled["id"] == first["id"]
    assert rolled["device"] == {"kind": "switch", "code": "R1"} and rolled["customers_affected"] == 30
    third = report(client, T0 + timedelta(minutes=4), account_no=customer(4))["incident"]
    assert third["id"] == first["id"]
    assert third["device"] == {"kind": "switch", "code": "BR1"} and third["customers_affected"] == 40
    assert third["report_count"] == 3
    events = [e["type"] for e in client.get(f"/api/v1/incidents/{first['id']}").get_json()["timeline"]]
    assert events == ["opened", "rolled_up", "rolled_up"]


def test_a_roll_up_merges_the_lower_incidents(rules, feeder, connection):
    client = rules(inference_min_calls=3)
    a = report(client, account_no=customer(1))["incident"]
    b = report(client, T0 + timedelta(minutes=1), account_no=customer(4))["incident"]
    assert b["id"] != a["id"] and b["device"]["code"] == "T4"  # two calls: below the minimum
    merged = report(client, T0 + timedelta(minutes=2), account_no=customer(2))["incident"]
    assert merged["id"] == a["id"] and merged["device"]["code"] == "BR1" and merged["report_count"] == 3
    lower = client.get(f"/api/v1/incidents/{b['id']}").get_json()
    assert lower["status"] == "merged" and lower["merged_into"] == a["id"]
    assert [e["type"] for e in lower["timeline"]] == ["opened", "merged"]
    upper = client.get(f"/api/v1/incidents/{a['id']}").get_json()
    assert len(upper["reports"]) == 3 and upper["merged"] == [b["id"]]


def test_a_customer_who_calls_again_is_one_caller(rules, feeder):
    """Inference counts callers, not calls: a storm's repeat calls do not roll an incident up."""
    client = rules(inference_min_calls=3)
    a = report(client, account_no=customer(1))["incident"]
    again = report(client, T0 + timedelta(minutes=1), account_no=customer(1))["incident"]
    b = report(client, T0 + timedelta(minutes=2), account_no=customer(4))["incident"]
    # Three calls, two callers, the last one's caller calling again: still below the minimum.
    b_again = report(client, T0 + timedelta(minutes=3), account_no=customer(4))["incident"]
    assert again["id"] == a["id"] and b_again["id"] == b["id"] != a["id"]
    assert (a["device"]["code"], b_again["device"]["code"]) == ("T1", "T4")
    third = report(client, T0 + timedelta(minutes=4), account_no=customer(2))["incident"]
    assert third["id"] == a["id"] and third["device"]["code"] == "BR1" and third["report_count"] == 5


def test_a_caller_moved_by_the_grid_since_calling_is_placed_where_it_called(client, feeder, connection):
    """A correction of the grid during a storm may move a customer to another transformer; its
    earlier call stays where it was placed, and its next call is counted there, once."""
    first = report(client, account_no=customer(1))["incident"]
    report(client, T0 + timedelta(minutes=1), account_no=customer(2))
    connection.execute(text(
        "UPDATE customers SET (bus_id, transformer_id) = (SELECT bus_id, transformer_id FROM customers "
        "WHERE account_no = :elsewhere) WHERE account_no = :moved"), {"moved": customer(1), "elsewhere": customer(4)})
    again = report(client, T0 + timedelta(minutes=2), account_no=customer(1))
    assert again["located"]["transformer"] == "T4"
    assert again["incident"]["id"] == first["id"] and again["incident"]["device"]["code"] == "R1"


def test_scattered_calls_do_not_roll_up_without_enough_share(rules, feeder):
    client = rules(inference_min_share=0.2)  # 2 calls of 30 customers under R1 is not 20 %
    a = report(client, account_no=customer(1))["incident"]
    b = report(client, T0 + timedelta(minutes=1), account_no=customer(2))["incident"]
    assert (a["device"]["code"], b["device"]["code"]) == ("T1", "T2") and a["id"] != b["id"]


def test_calls_outside_the_window_start_a_new_incident(client, feeder):
    a = report(client, account_no=customer(1))["incident"]
    b = report(client, T0 + timedelta(hours=3), account_no=customer(2))["incident"]
    assert b["id"] != a["id"] and b["device"]["code"] == "T2"
    # The old T1 incident has no crew and no call in the window: a new T1 call does not join it,
    # it groups with the recent T2 call under their common recloser.
    third = report(client, T0 + timedelta(hours=3, minutes=1), account_no=customer(1, 5))["incident"]
    assert third["id"] == b["id"] and third["device"]["code"] == "R1"
    assert client.get(f"/api/v1/incidents/{a['id']}").get_json()["device"]["code"] == "T1"


def test_hazards_get_their_own_incident_and_are_never_merged(client, feeder, connection):
    outage = report(client, account_no=customer(1))["incident"]
    hazard = report(client, T0 + timedelta(minutes=1), account_no=customer(1, 2), kind="wire_down")["incident"]
    assert hazard["id"] != outage["id"] and hazard["hazard"]
    flagged = report(client, T0 + timedelta(minutes=2), account_no=customer(2, 2), hazard=True)["incident"]
    assert flagged["hazard"] and flagged["id"] not in (outage["id"], hazard["id"])
    report(client, T0 + timedelta(minutes=3), account_no=customer(2))
    report(client, T0 + timedelta(minutes=4), account_no=customer(4))
    statuses = dict(connection.execute(text("SELECT id, status FROM incidents")).all())
    assert statuses[hazard["id"]] == "new" and statuses[flagged["id"]] == "new"


def test_switching_changes_what_is_downstream(client, feeder):
    assert report(client, account_no=customer(1))["incident"]["device"]["code"] == "T1"
    # Feed T2 from substation 2: open the sectionalizer, close the tie.
    response = client.patch("/api/v1/grid/switches/SEC1", json={"is_open": True})
    assert response.status_code == 200 and response.get_json()["properties"]["is_open"] is True
    assert client.patch("/api/v1/grid/switches/TIE", json={"is_open": False}).status_code == 200
    second = report(client, T0 + timedelta(minutes=2), account_no=customer(2))
    assert second["located"]["source"] == "S2" and second["located"]["feeder"] == "BR2"
    assert second["incident"]["device"]["code"] == "T2"  # no longer shares R1 with T1
    third = report(client, T0 + timedelta(minutes=3), account_no=customer(3))["incident"]
    assert third["device"] == {"kind": "switch", "code": "R1"} and third["customers_affected"] == 20


def test_switch_changes_are_checked(client, feeder):
    assert_problem(client.patch("/api/v1/grid/switches/NOPE", json={"is_open": True}), 404)
    assert_problem(client.patch("/api/v1/grid/switches/SEC1", json={"is_open": "yes"}), 422)
    assert_problem(client.patch("/api/v1/grid/switches/SEC1", json={}), 422)


@pytest.mark.parametrize("method, url, body, field", [
    ("post", "/api/v1/reports", {"channel": "app", "phone": "139\u0000"}, "phone"),
    ("post", "/api/v1/reports", {"channel": "app", "address": "x", "description": "a\u0000b"}, "description"),
    ("get", "/api/v1/incidents?zone=a%00b", None, "zone"),
    ("patch", "/api/v1/grid/switches/a%00b", {"is_open": True}, "path"),
    ("get", "/api/v1/grid/buses?bbox=%00", None, "bbox"),
])
def test_nul_characters_are_422_not_500(client, feeder, connection, method, url, body, field):
    problem = assert_problem(getattr(client, method)(url, json=body), 422)
    assert problem["errors"][0]["field"] == field
    assert count(connection, "reports") == 0


def test_reports_older_than_a_week_are_refused(client, feeder, connection):
    for at in ("0001-01-01T00:00:00+00:00", "1900-01-01T00:00:00+08:00"):
        problem = assert_problem(client.post("/api/v1/reports", json={
            "channel": "ami", "account_no": customer(1), "received_at": at}), 422)
        assert "days ago" in problem["errors"][0]["message"]
    assert count(connection, "reports") == 0


def test_an_incident_with_a_crew_under_way_is_not_merged_away(rules, feeder, connection):
    client = rules(inference_min_calls=3)
    a = report(client, account_no=customer(1))["incident"]
    b = report(client, T0 + timedelta(minutes=1), account_no=customer(4))["incident"]
    connection.execute(text("UPDATE incidents SET status = 'en_route' WHERE id = :b"), {"b": b["id"]})
    rolled = report(client, T0 + timedelta(minutes=2), account_no=customer(2))["incident"]
    assert rolled["id"] == b["id"] and rolled["device"]["code"] == "BR1"  # the one under way carries on
    statuses = dict(connection.execute(text("SELECT id, status FROM incidents")).all())
    assert statuses == {a["id"]: "merged", b["id"]: "en_route"}
    merged = client.get(f"/api/v1/incidents/{a['id']}").get_json()
    assert merged["report_count"] == 0 and merged["merged_into"] == b["id"]


def test_open_incidents_follow_their_device_to_its_new_source(client, feeder, connection):
    first = report(client, account_no=customer(2))["incident"]
    client.patch("/api/v1/grid/switches/TIE", json={"is_open": False})
    client.patch("/api/v1/grid/switches/SEC1", json={"is_open": True})
    again = report(client, T0 + timedelta(minutes=5), account_no=customer(2, 3))
    assert again["located"]["source"] == "S2"
    assert again["incident"]["id"] == first["id"] and again["incident"]["report_count"] == 2
    sources = connection.execute(text(
        "SELECT DISTINCT s.code FROM reports r JOIN sources s ON s.id = r.source_id")).scalars().all()
    assert sources == ["S2"]

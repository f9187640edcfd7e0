"""POST /api/v1/device-events: a breaker or recloser that trips opens an incident on itself, its
customers known before anyone calls; calls merge into it; "closed" is evidence of restoration.

The grid is tests.factories.dispatch_grid: recloser R1 feeds T1, T2 and T3 (30 customers), the
breaker BR1 R1 and T4 (40); crews CW and CE are on duty."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from tests.gis.test_tiles import features
from tests.helpers import T0, assert_problem, count, customer, report


def operate(client, device: str, operation: str, at, event_id: str, status: int = 200) -> dict:
    response = client.post("/api/v1/device-events", json={"events": [
        {"event_id": event_id, "device": device, "operation": operation, "at": at.isoformat()}]})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_a_lockout_opens_an_incident_on_the_device_before_anyone_calls(client, city, connection):
    done = operate(client, "R1", "lockout", T0, "scada-1")["events"]
    assert [(d["effect"], d["row"]) for d in done] == [("tripped", 0)]
    outage = client.get(f"/api/v1/incidents/{done[0]['incident']}").get_json()
    assert outage["device"] == {"kind": "switch", "code": "R1"} and outage["customers_affected"] == 30
    assert outage["report_count"] == 0 and outage["crew"] is not None
    assert outage["timeline"][0]["data"] == {"device": "R1", "kind": "switch", "by": "scada", "operation": "lockout"}
    customers = client.get(f"/api/v1/incidents/{outage['id']}/customers").get_json()
    assert customers["total"] == 30
    assert connection.execute(text("SELECT tripped_at FROM switches WHERE code = 'R1'")).scalar() == T0
    on_map = {f["properties"]["code"]: f["properties"] for f in features(client, "switches", 15)}["R1"]
    assert (on_map["is_open"], on_map["tripped"]) == (True, True)  # drawn open; dispatch still traces through it

    call = report(client, T0 + timedelta(minutes=2), account_no=customer(2, 4))
    assert call["incident"]["id"] == outage["id"] and call["incident"]["report_count"] == 1
    gasp = client.post("/api/v1/meter-events", json={"events": [
        {"account_no": customer(3, 1), "kind": "last_gasp", "at": (T0 + timedelta(minutes=1)).isoformat()}]})
    assert gasp.get_json()["incidents"] == [outage["id"]]


def test_calls_before_the_trip_are_merged_into_the_devices_incident(client, city, connection):
    early = report(client, T0, account_no=customer(1, 1))["incident"]
    assert early["device"]["code"] == "T1"
    tripped = operate(client, "R1", "open", T0 + timedelta(seconds=30), "scada-1")["events"][0]
    assert tripped["incident"] != early["id"]
    status, into = connection.execute(text("SELECT status, merged_into_id FROM incidents WHERE id = :i"),
                                      {"i": early["id"]}).one()
    assert (status, into) == ("merged", tripped["incident"])


def test_an_event_resent_counts_once_and_the_desks_own_switching_opens_nothing(client, city, connection):
    operate(client, "R1", "lockout", T0, "scada-1")
    again = operate(client, "R1", "lockout", T0, "scada-1")["events"][0]
    assert again["effect"] == "duplicate" and count(connection, "device_events") == 1
    assert client.patch("/api/v1/grid/switches/F4", json={"is_open": True}).status_code == 200
    echo = operate(client, "F4", "open", T0 + timedelta(minutes=1), "scada-2")["events"][0]
    assert (echo["effect"], echo["incident"]) == ("echo", None)
    assert count(connection, "incidents") == 1


def test_closed_restores_the_incident_whose_crew_is_on_site(client, city, connection):
    tripped = operate(client, "R1", "lockout", T0, "scada-1")["events"][0]["incident"]
    arrived = client.post(f"/api/v1/incidents/{tripped}/events",
                          json={"type": "on_site", "at": (T0 + timedelta(minutes=20)).isoformat()})
    assert arrived.status_code == 200, arrived.get_data(as_text=True)
    closed = operate(client, "R1", "closed", T0 + timedelta(minutes=50), "scada-2")["events"][0]
    assert (closed["effect"], closed["incident"]) == ("closed", tripped)
    outage = client.get(f"/api/v1/incidents/{tripped}").get_json()
    assert outage["status"] == "restored" and outage["restored_at"] == (T0 + timedelta(minutes=50)).isoformat()
    scada = [e["type"] for e in outage["timeline"] if e["actor"] == "scada"]
    assert scada == ["opened", "device_closed", "restored"]
    assert connection.execute(text("SELECT tripped_at FROM switches WHERE code = 'R1'")).scalar() is None
    assert {f["properties"]["code"]: f["properties"] for f in features(client, "switches", 15)}["R1"]["is_open"] is False
    assert count(connection, "customer_interruptions") == 30


def test_closed_of_a_switch_the_desk_had_open_is_the_desks_switching(client, city, connection):
    assert client.patch("/api/v1/grid/switches/F4", json={"is_open": True}).status_code == 200
    closed = operate(client, "F4", "closed", T0, "scada-1")["events"][0]
    assert closed["effect"] == "closed"
    assert connection.execute(text("SELECT is_open FROM switches WHERE code = 'F4'")).scalar() is False
    assert connection.execute(text(
        "SELECT is_open FROM switch_operations WHERE switch_code = 'F4' ORDER BY id DESC LIMIT 1")).scalar() is False


def test_unknown_devices_are_rejected_by_row(client, city, connection):
    body = client.post("/api/v1/device-events", json={"events": [
        {"event_id": "a", "device": "NOPE", "operation": "open", "at": T0.isoformat()},
        {"event_id": "b", "device": "R1", "operation": "tripped", "at": T0.isoformat()},
        {"event_id": "c", "device": "R1", "operation": "lockout", "at": T0.isoformat()}]}).get_json()
    assert [p["field"] for p in body["rejected"]] == ["events[0].device", "events[1].operation"]
    assert [e["effect"] for e in body["events"]] == ["tripped"]
    nothing = client.post("/api/v1/device-events", json={"events": [
        {"event_id": "d", "device": "NOPE", "operation": "open", "at": T0.isoformat()}]})
    assert assert_problem(nothing, 422)["errors"][0]["field"] == "events[0].device"
    assert count(connection, "device_events") == 1


def test_a_close_before_any_crew_arrived_ends_the_outage_and_frees_the_crew(client, city, connection):
    """A recloser that recloses, a breaker closed from the control room, with nobody on site yet:
    the power is back by itself; the incident is cancelled (saying why) and its crew is free."""
    tripped = operate(client, "R1", "lockout", T0, "scada-1")["events"][0]["incident"]
    crew = client.get(f"/api/v1/incidents/{tripped}").get_json()["crew"]
    assert crew is not None
    closed = operate(client, "R1", "closed", T0 + timedelta(minutes=2), "scada-2")["events"][0]
    assert closed["effect"] == "closed"
    after = client.get(f"/api/v1/incidents/{tripped}").get_json()
    assert after["status"] == "cancelled"
    [cancelled] = [e for e in after["timeline"] if e["type"] == "cancelled"]
    assert "R1 closed" in cancelled["note"] and cancelled["actor"] == "scada"
    assert connection.execute(text("SELECT status FROM crews WHERE code = :c"), {"c": crew}).scalar() == "available"


def test_a_close_timed_before_the_crew_arrived_does_not_restore(client, city, connection):
    """SCADA's clock says the device closed before the crew said it was on site (the close reached
    us late): the close is kept on the timeline, the restoration is the crew's to report."""
    tripped = operate(client, "R1", "lockout", T0, "scada-1")["events"][0]["incident"]
    arrived = client.post(f"/api/v1/incidents/{tripped}/events",
                          json={"type": "on_site", "at": (T0 + timedelta(minutes=20)).isoformat()})
    assert arrived.status_code == 200
    early = operate(client, "R1", "closed", T0 + timedelta(minutes=15), "scada-2")["events"][0]
    assert (early["effect"], early["incident"]) == ("closed", None)
    assert client.get(f"/api/v1/incidents/{tripped}").get_json()["status"] == "on_site"

"""The desk's tools over incidents: SLA state and search in the list, merging incidents and moving
calls (kept in the timelines), alerts until acknowledged, customer suggestions for the hotline."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents.sweeper import sweep
from tests.factories import LAT, LON
from tests.helpers import assert_problem, customer, report


def listed(client, query=""):
    response = client.get(f"/api/v1/incidents{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {i["id"]: i for i in response.get_json()["incidents"]}


def timeline(client, incident_id):
    return client.get(f"/api/v1/incidents/{incident_id}").get_json()["timeline"]


def crew_status(connection, code):
    return connection.execute(text("SELECT status FROM crews WHERE code = :c"), {"c": code}).scalar_one()


@pytest.fixture
def sweeper(app):
    session = app.extensions["database"].session()
    dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
    yield lambda at: sweep(session, dispatcher, at)
    session.close()


@pytest.fixture
def two_feeders(client, city):
    """Faults behind T1 (feeder S1, crew CW) and T5 (feeder S2, crew CE): inference keeps them apart."""
    t1 = report(client, clock.now(), account_no=customer(1))
    t5 = report(client, clock.now(), account_no=customer(5))
    assert (t1["incident"]["crew"], t5["incident"]["crew"]) == ("CW", "CE")
    return t1, t5


def test_the_list_carries_the_sla_state_the_sweeper_recorded(client, city, sweeper):
    opened = report(client, clock.now(), account_no=customer(2))["incident"]
    assert listed(client)[opened["id"]]["sla_state"] == "on_track"
    deadline = datetime.fromisoformat(opened["arrival_deadline"])
    assert sweeper(deadline + timedelta(seconds=1)) == [(opened["id"], "breached")]
    assert listed(client)[opened["id"]]["sla_state"] == "breached"
    assert client.post(f"/api/v1/incidents/{opened['id']}/events", json={"type": "on_site"}).status_code == 200
    assert listed(client)[opened["id"]]["sla_state"] == "on_track"  # the restoration clock runs now


def test_search_by_what_a_caller_says(client, feeder):
    t2 = report(client, clock.now(), account_no=customer(2, 3))["incident"]["id"]
    t4 = report(client, clock.now(), phone="139-0000-4005")["incident"]["id"]
    assert list(listed(client, f"?q={t2}")) == [t2]
    assert list(listed(client, f"?q={customer(2, 3)}")) == [t2]
    assert list(listed(client, "?q=13900004005")) == [t4]  # digits as the customer is on record
    assert list(listed(client, "?q=4%20T2%20road")) == [t2]  # "4 T2 Road", any case
    assert listed(client, "?q=%25") == {}  # a LIKE wildcard is only a character
    assert listed(client, "?q=nobody") == {}
    assert_problem(client.get("/api/v1/incidents?q="), 422)


def test_merging_two_incidents_frees_the_crew_and_is_kept_in_both_timelines(client, two_feeders, connection):
    (t1, t5) = (call["incident"]["id"] for call in two_feeders)
    response = client.post(f"/api/v1/incidents/{t5}/merge", json={"into": t1})
    assert response.status_code == 200, response.get_data(as_text=True)
    incidents = listed(client)
    assert incidents[t5]["status"] == "merged" and incidents[t5]["merged_into"] == t1
    assert incidents[t1]["report_count"] == 2 and incidents[t1]["crew"] == "CW"
    assert crew_status(connection, "CE") == "available"
    assert [(e["type"], e["actor"], e["data"]) for e in timeline(client, t5) if e["type"] == "merged"] == [
        ("merged", "admin", {"into": t1, "by": "desk"})]
    assert any(e["type"] == "absorbed" and e["actor"] == "admin" for e in timeline(client, t1))
    assert_problem(client.post(f"/api/v1/incidents/{t5}/merge", json={"into": t1}), 409)  # merged already
    assert_problem(client.post(f"/api/v1/incidents/{t1}/merge", json={"into": t1}), 422)
    assert_problem(client.post(f"/api/v1/incidents/{t1}/merge", json={"into": 999999}), 404)
    assert_problem(client.post(f"/api/v1/incidents/{t1}/merge", json={"into": "t5"}), 422)


def test_a_crew_on_the_road_keeps_its_incident(client, two_feeders):
    (t1, t5) = (call["incident"]["id"] for call in two_feeders)
    assert client.post(f"/api/v1/incidents/{t5}/events", json={"type": "en_route"}).status_code == 200
    assert_problem(client.post(f"/api/v1/incidents/{t5}/merge", json={"into": t1}), 409)
    assert listed(client)[t5]["status"] == "en_route"


def test_moving_a_call_out_and_back_to_an_incident_of_its_own(client, two_feeders, connection):
    (first, second) = two_feeders
    t1, t5, call = first["incident"]["id"], second["incident"]["id"], second["id"]
    moved = client.post(f"/api/v1/reports/{call}/move", json={"incident": t1})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json() == {"report": call, "incident": t1, "from": t5}
    incidents = listed(client)
    assert incidents[t5]["status"] == "cancelled" and incidents[t1]["report_count"] == 2  # its only call left
    assert crew_status(connection, "CE") == "available"
    assert [e["data"] for e in timeline(client, t1) if e["type"] == "call_moved_in"] == [{"report": call, "from": t5}]
    back = client.post(f"/api/v1/reports/{call}/move", json={"incident": None}).get_json()
    own = listed(client)[back["incident"]]
    assert own["device"] == {"kind": "transformer", "code": "T5"} and own["customers_affected"] == 10
    assert own["crew"] == "CE" and own["report_count"] == 1 and listed(client)[t1]["report_count"] == 1
    assert_problem(client.post(f"/api/v1/reports/{call}/move", json={"incident": t5}), 409)  # cancelled
    assert_problem(client.post(f"/api/v1/reports/{call}/move", json={"incident": back["incident"]}), 422)
    assert_problem(client.post("/api/v1/reports/999999/move", json={"incident": t1}), 404)
    assert_problem(client.post(f"/api/v1/reports/{call}/move", json={}), 422)


def test_alerts_stay_until_acknowledged_once(client, city, sweeper, make_user, app):
    hazard = report(client, clock.now(), account_no=customer(5), kind="wire_down")["incident"]["id"]  # rural
    late = report(client, clock.now(), account_no=customer(1))["incident"]  # urban: due first
    sweeper(datetime.fromisoformat(late["arrival_deadline"]) + timedelta(seconds=1))
    alerts = client.get("/api/v1/alerts").get_json()["alerts"]
    assert [(a["incident"], a["kind"]) for a in alerts] == [(hazard, "hazard"), (late["id"], "breached")]
    desk = app.test_client()
    desk.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_user('dispatcher', username='d.wang')['token']}"
    seen = desk.post(f"/api/v1/alerts/{alerts[0]['id']}/acknowledge").get_json()
    assert seen["acknowledged_by"] == "d.wang" and seen["kind"] == "hazard"
    again = client.post(f"/api/v1/alerts/{alerts[0]['id']}/acknowledge").get_json()
    assert again["acknowledged_by"] == "d.wang" and again["acknowledged_at"] == seen["acknowledged_at"]
    assert [a["kind"] for a in client.get("/api/v1/alerts").get_json()["alerts"]] == ["breached"]
    assert [e["actor"] for e in timeline(client, hazard) if e["type"] == "alert_acknowledged"] == ["d.wang"]
    opened = next(e for e in client.get(f"/api/v1/incidents/{late['id']}").get_json()["timeline"])
    assert opened["type"] == "opened"
    not_an_alert = client.get("/api/v1/alerts").get_json()["alerts"][0]["id"] - 1
    assert_problem(client.post(f"/api/v1/alerts/{not_an_alert}/acknowledge"), 404)


def test_trails_are_the_last_minutes_oldest_first(client, city):
    now = clock.now()
    points = [{"at": (now - timedelta(minutes=m)).isoformat(), "lon": 120.0 + m / 1000, "lat": 30.0}
              for m in (40, 20, 5)]
    assert client.post("/api/v1/crews/CE/positions", json={"positions": points}).status_code == 202
    trails = client.get("/api/v1/crews/trails").get_json()["trails"]
    (east,) = [t for t in trails if t["crew"] == "CE"]
    assert [p[0] for p in east["points"]] == [120.02, 120.005]
    assert_problem(client.get("/api/v1/crews/trails?minutes=0"), 422)


def test_the_hotline_finds_the_caller_and_the_outage_they_are_in(client, feeder):
    def found(q):
        response = client.get("/api/v1/customers", query_string={"q": q})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["customers"]

    (one,) = found(customer(2, 3))
    assert one["name"] == "Customer 2-3" and one["transformer"] == "T2" and one["open_incident"] is None
    incident = report(client, clock.now(), account_no=customer(2, 0))["incident"]["id"]
    assert found(customer(2, 3))[0]["open_incident"] == incident  # a neighbour called: the same outage
    assert found(customer(4, 3))[0]["open_incident"] is None
    assert [c["account_no"] for c in found("1390000200")][:2] == [customer(2, 0), customer(2, 1)]
    assert {c["address"] for c in found("7 t3 road")} == {"7 T3 Road"}
    assert found("%_") == []
    assert_problem(client.get("/api/v1/customers?q=x"), 422)


def test_the_desk_settings(client, feeder):
    body = client.get("/api/v1/desk/settings").get_json()
    assert body["timezone"] == "Asia/Shanghai" and body["basemap_url"] is None
    assert body["tile_layers"]["customers"] == 16
    minlon, minlat, maxlon, maxlat = body["bounds"]
    assert minlon < maxlon and minlat < maxlat
    with pytest.raises(ValueError, match="DISPATCH_TIMEZONE"):
        Settings(dispatch_timezone="Mars/Olympus")


def test_a_desk_limited_to_its_zones(client, app, cli, city, make_user):
    for t in (1, 5):  # in Z1, and in no zone
        report(client, clock.now(), account_no=customer(t))
    fire = report(client, clock.now(), kind="fire", location={"lon": LON + 0.025, "lat": LAT + 0.005})
    fire = fire["incident"]["id"]
    assert {i["zone"] for i in client.get("/api/v1/incidents").get_json()["incidents"]} == {"Z1", "Z2", None}
    user = make_user("dispatcher", username="d.li")
    desk = app.test_client()
    desk.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {user['token']}"
    assert len(desk.get("/api/v1/alerts").get_json()["alerts"]) == 1
    limited = cli.invoke(args=["users", "zones", "d.li", "Z1"])
    assert limited.exit_code == 0 and "d.li sees Z1" in limited.output
    assert desk.get("/api/v1/me").get_json()["zones"] == ["Z1"]
    assert {i["zone"] for i in desk.get("/api/v1/incidents").get_json()["incidents"]} == {"Z1", None}
    assert desk.get("/api/v1/alerts").get_json()["alerts"] == []  # the fire is in Z2
    assert {i["zone"] for i in client.get("/api/v1/incidents").get_json()["incidents"]} == {"Z1", "Z2", None}
    assert "Z9" in cli.invoke(args=["users", "zones", "d.li", "Z1,Z9"]).output
    assert cli.invoke(args=["users", "zones", "d.li"]).output.strip() == "d.li sees every zone"
    assert fire in {a["incident"] for a in desk.get("/api/v1/alerts").get_json()["alerts"]}
    crew = make_user("crew", crew="CW", username="c.wu")
    assert cli.invoke(args=["users", "zones", crew["username"], "Z1"]).exit_code == 1


def test_warnings_escalate_by_level_before_the_deadline(client, city, app):
    opened = report(client, clock.now(), account_no=customer(5))["incident"]  # rural: 90 minutes
    start = datetime.fromisoformat(opened["arrival_deadline"]) - timedelta(minutes=90)
    session = app.extensions["database"].session()
    dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
    levels = Settings(sla_warning_levels="50:crew, 80:station_head,90:desk").warning_levels
    assert levels == ((50, "crew"), (80, "station_head"), (90, "desk"))

    def swept(minutes):
        return sweep(session, dispatcher, start + timedelta(minutes=minutes), levels)

    assert opened["crew"] == "CE"  # and zone Z2 has no station head's phone
    assert swept(44) == []
    assert listed(client)[opened["id"]]["warning"] is None
    assert swept(46) == [(opened["id"], "deadline_warning:50")]
    assert swept(73) == [(opened["id"], "deadline_warning:80")] and swept(74) == []
    # The crew's level is on its phone; the station head's cannot reach anyone: the desk is told instead.
    alerts = client.get("/api/v1/alerts").get_json()["alerts"]
    assert [(a["kind"], a["percent"]) for a in alerts] == [("warning", 80)]
    warning = listed(client)[opened["id"]]["warning"]  # the list says whom it was for and who was told
    assert {k: warning[k] for k in ("percent", "notify", "sent_to", "instead_of")} == {
        "percent": 80, "notify": "station_head", "sent_to": "desk", "instead_of": "station_head"}
    assert swept(82) == [(opened["id"], "deadline_warning:90")]
    alerts = client.get("/api/v1/alerts").get_json()["alerts"]
    assert [(a["kind"], a["percent"]) for a in alerts] == [("warning", 80), ("warning", 90)]
    warnings = [e["data"] for e in timeline(client, opened["id"]) if e["type"] == "deadline_warning"]
    assert [(w["percent"], w["notify"], w["clock"], w["sent_to"], w.get("because")) for w in warnings] == [
        (50, "crew", "arrival", "crew", None), (80, "station_head", "arrival", "desk", "no_station_head_phone"),
        (90, "desk", "arrival", "desk", None)]
    assert listed(client)[opened["id"]]["warning"]["sent_to"] == "desk"
    assert client.post(f"/api/v1/incidents/{opened['id']}/events", json={"type": "on_site"}).status_code == 200
    assert listed(client)[opened["id"]]["warning"] is None  # the restoration clock has warned no one yet
    session.close()
    for bad in ("80", "0:desk", "101:desk", "x:desk", "50:"):
        with pytest.raises(ValueError, match="SLA_WARNING_LEVELS"):
            Settings(sla_warning_levels=bad)


def test_the_customers_an_incident_cuts_off(client, feeder):
    t1 = report(client, clock.now(), account_no=customer(1, 4))["incident"]["id"]
    body = client.get(f"/api/v1/incidents/{t1}/customers").get_json()
    out = body["customers"]
    assert body["total"] == 10  # the life-support one first, then the caller
    assert [c["account_no"] for c in out] == [customer(1, k) for k in (0, 4, 1, 2, 3, 5, 6, 7, 8, 9)]
    assert out[0]["priority"] == "life_support" and [c["called"] for c in out] == [False, True] + [False] * 8
    assert out[1]["phone"] == "13900001004"
    first = client.get(f"/api/v1/incidents/{t1}/customers?limit=2").get_json()
    assert first["total"] == 10 and len(first["customers"]) == 2
    assert_problem(client.get(f"/api/v1/incidents/{t1}/customers?limit=0"), 422)
    unlocated = report(client, clock.now(), phone="555")["incident"]["id"]
    assert client.get(f"/api/v1/incidents/{unlocated}/customers").get_json()["customers"] == []
    assert_problem(client.get("/api/v1/incidents/999999/customers"), 404)


def test_the_area_an_incident_cuts_off_is_drawn_for_the_map(client, city):
    """The map draws the selected incident's area: a transformer's is itself; a recloser's, the
    lines below it and its three transformers (its 30 customers); an incident at a place has none."""
    from tests.evidence.test_device_events import operate

    t1 = report(client, clock.now() - timedelta(minutes=5), account_no=customer(1, 4))["incident"]["id"]
    (alone,) = client.get(f"/api/v1/incidents/{t1}/area").get_json()["features"]
    assert alone["properties"] == {"part": "transformers", "count": 1} and alone["geometry"]["type"] == "MultiPoint"
    tripped = operate(client, "R1", "lockout", clock.now(), "scada-area")["events"][0]["incident"]
    area = client.get(f"/api/v1/incidents/{tripped}/area").get_json()
    assert area["type"] == "FeatureCollection" and area["incident"] == tripped
    parts = {f["properties"]["part"]: f for f in area["features"]}
    assert parts["transformers"]["properties"]["count"] == 3
    assert parts["lines"]["properties"]["count"] >= 1 and parts["lines"]["geometry"]["type"] == "MultiLineString"
    unlocated = report(client, clock.now(), phone="555")["incident"]["id"]
    assert client.get(f"/api/v1/incidents/{unlocated}/area").get_json()["features"] == []
    assert_problem(client.get("/api/v1/incidents/999999/area"), 404)

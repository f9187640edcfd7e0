"""Crews, road closures, automatic assignment, the waiting queue and reassignment."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from dispatch.core import clock
from tests.factories import LAT, LON
from tests.helpers import assert_problem, count, customer, outbox, report

NOW = clock.now()


def sent(client, **body):
    return report(client, NOW, **body)["incident"]


def crew_status(connection, code):
    return connection.execute(text("SELECT status FROM crews WHERE code = :c"), {"c": code}).scalar()


def test_the_nearest_free_crew_is_sent(client, city, connection):
    incident = sent(client, account_no=customer(2))
    assert incident["status"] == "assigned" and incident["crew"] == "CW" and incident["eta_s"] > 0
    assert crew_status(connection, "CW") == "assigned"
    candidates = client.get(f"/api/v1/incidents/{incident['id']}/candidates").get_json()["candidates"]
    assert [c["crew"] for c in candidates] == ["CW", "CE"]  # CL is off duty
    assert candidates[0]["eta_s"] < candidates[1]["eta_s"] and not candidates[0]["free"]
    # The imported crews' positions (at their depots) are fresh: they count, snapped on the way.
    assert all(c["origin"] == "position" and c["qualified"] for c in candidates)


def test_a_closure_changes_the_crew_and_reopening_restores_it(client, city, connection):
    closed = client.post("/api/v1/roads/closures", json={
        "reason": "tree across the road",
        "geometry": {"type": "LineString", "coordinates": [[LON + 0.001, LAT + 0.001], [LON + 0.003, LAT + 0.001]]},
        "within_m": 5})
    assert closed.status_code == 201, closed.get_data(as_text=True)
    assert len(closed.get_json()["road_ids"]) == 1
    first = sent(client, account_no=customer(2))
    assert first["crew"] == "CE"  # West crew must go round by South Street now
    assert client.delete(f"/api/v1/roads/closures/{closed.get_json()['id']}").status_code == 204
    assert_problem(client.delete(f"/api/v1/roads/closures/{closed.get_json()['id']}"), 404)
    connection.execute(text("UPDATE crews SET status = 'available'"))
    candidates = client.get(f"/api/v1/incidents/{first['id']}/candidates").get_json()["candidates"]
    assert candidates[0]["crew"] == "CW"


def test_a_closure_by_road_ids_is_listed_with_the_line_of_its_roads(client, city, connection):
    """An integration closes roads by id; the desk's map draws the list's geometry, as the live messages'."""
    roads = connection.execute(text("SELECT id FROM roads WHERE code IN ('MAIN1', 'MAIN2') ORDER BY code")).scalars().all()
    closed = client.post("/api/v1/roads/closures", json={"reason": "flooded", "road_ids": roads})
    assert closed.status_code == 201, closed.get_data(as_text=True)
    listed = {c["id"]: c for c in client.get("/api/v1/roads/closures").get_json()["closures"]}[closed.get_json()["id"]]
    assert listed["active"] and listed["geometry"]["type"] == "LineString"
    assert listed["geometry"]["coordinates"] == [[round(LON + dx, 7), round(LAT + 0.001, 7)] for dx in (0, 0.004, 0.008)]


def test_closures_are_checked(client, city):
    assert_problem(client.post("/api/v1/roads/closures", json={"reason": "x"}), 422)
    assert_problem(client.post("/api/v1/roads/closures", json={"reason": "x", "road_ids": [999999]}), 422)
    far = {"type": "Point", "coordinates": [LON + 1, LAT + 1]}
    assert_problem(client.post("/api/v1/roads/closures", json={"reason": "x", "geometry": far}), 422)
    past = (NOW - timedelta(hours=1)).isoformat()
    assert_problem(client.post("/api/v1/roads/closures", json={"reason": "x", "road_ids": [1], "until": past}), 422)


def test_a_fresh_position_counts_a_stale_one_falls_back_to_the_depot(client, city, connection):
    """T2 lies on Main Street; a crew on Main Street next to it is much closer than either depot."""
    near_t2 = {"lon": LON + 0.012, "lat": LAT + 0.001}
    stale = client.post("/api/v1/crews/CE/positions", json={"positions": [
        {"at": (NOW - timedelta(hours=2)).isoformat(), **near_t2}]})
    assert stale.status_code == 202
    first = sent(client, account_no=customer(2))
    assert first["crew"] == "CW"  # CE's position is too old: it counts from its depot
    client.post(f"/api/v1/incidents/{first['id']}/events", json={"type": "cancelled"})
    fresh = client.post("/api/v1/crews/CE/positions", json={"positions": [
        {"at": clock.now().isoformat(), **near_t2, "accuracy_m": 8, "speed": 3.5, "heading": 90}]})
    assert fresh.status_code == 202
    assert sent(client, account_no=customer(2, 5))["crew"] == "CE"
    assert count(connection, "crew_positions") == 2
    [*_, moved] = [m["payload"] for m in outbox(connection, topic="crew") if m["payload"]["code"] == "CE"]
    assert (moved["lon"], moved["lat"], moved["heading"], moved["stale"]) == (near_t2["lon"], near_t2["lat"], 90, False)


def test_positions_are_checked(client, city):
    ahead = (NOW + timedelta(hours=1)).isoformat()
    assert_problem(client.post("/api/v1/crews/CE/positions", json={"positions": [
        {"at": ahead, "lon": LON, "lat": LAT}]}), 422)
    assert_problem(client.post("/api/v1/crews/CE/positions", json={"positions": []}), 422)
    assert_problem(client.post("/api/v1/crews/NOPE/positions", json={"positions": [
        {"at": NOW.isoformat(), "lon": LON, "lat": LAT}]}), 404)


def test_waiting_incidents_go_to_the_freed_crew_by_priority(rules, city, connection):
    client = rules(inference_min_calls=100)  # four separate incidents, no roll-up
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CE'"))
    first = sent(client, account_no=customer(1))
    assert first["crew"] == "CW"
    later = report(client, NOW + timedelta(minutes=1), account_no=customer(3, 1))["incident"]
    waiting_normal = report(client, NOW + timedelta(minutes=2), account_no=customer(5))["incident"]
    hazard = report(client, NOW + timedelta(minutes=3), account_no=customer(4), kind="wire_down")["incident"]
    assert later["crew"] is None and waiting_normal["crew"] is None and hazard["crew"] is None
    for event in ("en_route", "on_site", "restored"):
        response = client.post(f"/api/v1/incidents/{first['id']}/events", json={"type": event})
        assert response.status_code == 200, response.get_data(as_text=True)
    assigned = dict(connection.execute(text("SELECT id, crew_id IS NOT NULL FROM incidents")).all())
    assert assigned[hazard["id"]] and not assigned[later["id"]] and not assigned[waiting_normal["id"]]
    assert crew_status(connection, "CW") == "assigned"


def test_critical_customers_come_before_others(rules, city, connection):
    client = rules(inference_min_calls=100)
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CE'"))
    busy = sent(client, account_no=customer(3))
    normal = report(client, NOW + timedelta(minutes=1), account_no=customer(4, 1))["incident"]
    critical = report(client, NOW + timedelta(minutes=2), account_no=customer(5, 0))["incident"]
    connection.execute(text("UPDATE customers SET priority = 'life_support' WHERE account_no = :a"), {"a": customer(5, 0)})
    connection.execute(text("UPDATE incidents SET critical_customers = true WHERE id = :i"), {"i": critical["id"]})
    client.post(f"/api/v1/incidents/{busy['id']}/events", json={"type": "cancelled"})
    taken = connection.execute(text("SELECT id FROM incidents WHERE crew_id IS NOT NULL AND status = 'assigned'")).scalars().all()
    assert taken == [critical["id"]] and normal["crew"] is None


def test_a_dispatcher_reassigns_and_the_first_crew_is_freed(client, city, connection):
    incident = sent(client, account_no=customer(2))
    assert incident["crew"] == "CW"
    moved = client.post(f"/api/v1/incidents/{incident['id']}/assign", json={"crew": "CE"})
    assert moved.status_code == 200 and moved.get_json()["crew"] == "CE"
    assert crew_status(connection, "CW") == "available" and crew_status(connection, "CE") == "assigned"
    assert_problem(client.post(f"/api/v1/incidents/{incident['id']}/assign", json={"crew": "CL"}), 409)  # off duty
    assert_problem(client.post(f"/api/v1/incidents/{incident['id']}/assign", json={"crew": "ZZ"}), 404)
    other = sent(client, account_no=customer(5))
    assert other["crew"] == "CW"
    assert_problem(client.post(f"/api/v1/incidents/{other['id']}/assign", json={"crew": "CE"}), 409)  # busy
    timeline = client.get(f"/api/v1/incidents/{incident['id']}").get_json()["timeline"]
    assert [(e["type"], e["data"].get("crew")) for e in timeline if e["type"] == "assigned"] == [
        ("assigned", "CW"), ("assigned", "CE")]


def test_impossible_transitions_are_409_with_the_allowed_ones(client, city):
    incident = sent(client, account_no=customer(2))
    problem = assert_problem(client.post(f"/api/v1/incidents/{incident['id']}/events", json={"type": "restored"}), 409)
    assert problem["allowed"] == ["accepted", "en_route", "on_site", "cancelled"]
    assert problem["current_status"] == "assigned"
    assert client.post(f"/api/v1/incidents/{incident['id']}/events", json={"type": "accepted"}).status_code == 200
    assert_problem(client.post(f"/api/v1/incidents/{incident['id']}/events", json={"type": "launched"}), 422)
    assert_problem(client.post("/api/v1/incidents/987654/events", json={"type": "accepted"}), 404)


def test_crews_are_managed(client, city, connection):
    created = client.post("/api/v1/crews", json={"code": "CN", "name": "North crew", "depot": "DE",
                                                  "members": 3, "phone": "1380", "skills": ["mv"]})
    assert created.status_code == 201 and created.get_json()["status"] == "available"
    assert_problem(client.post("/api/v1/crews", json={"code": "CN", "name": "x", "depot": "DE", "members": 1,
                                                      "phone": "1"}), 409)
    assert_problem(client.post("/api/v1/crews", json={"code": "CX", "name": "x", "depot": "DZ", "members": 1,
                                                      "phone": "1"}), 422)
    changed = client.patch("/api/v1/crews/CN", json={"skills": ["lv", "mv"], "on_duty": False})
    assert changed.get_json()["skills"] == ["lv", "mv"] and changed.get_json()["status"] == "off_duty"
    assert [c["code"] for c in client.get("/api/v1/crews").get_json()["crews"]] == ["CE", "CL", "CN", "CW"]
    busy = sent(client, account_no=customer(1))
    assert_problem(client.patch(f"/api/v1/crews/{busy['crew']}", json={"on_duty": False}), 409)
    assert_problem(client.patch("/api/v1/crews/NOPE", json={"on_duty": False}), 404)


def test_a_crew_coming_on_duty_takes_the_waiting_incident(client, city, connection):
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty'"))
    waiting = sent(client, account_no=customer(1))
    assert waiting["crew"] is None
    assert client.patch("/api/v1/crews/CL", json={"on_duty": True}).get_json()["status"] == "assigned"
    assert client.get(f"/api/v1/incidents/{waiting['id']}").get_json()["crew"] == "CL"



def test_one_way_streets_shape_the_choice(client, city, connection):
    """T3 snaps to one-way South Street (eastbound): from the east a crew must drive round."""
    near_t3_east = {"lon": LON + 0.012, "lat": LAT - 0.004}
    client.post("/api/v1/crews/CE/positions", json={"positions": [
        {"at": clock.now().isoformat(), **near_t3_east}]})
    candidates = {c["crew"]: c for c in client.get(
        f"/api/v1/incidents/{sent(client, account_no=customer(3))['id']}/candidates").get_json()["candidates"]}
    assert candidates["CE"]["origin"] == "position"
    assert candidates["CW"]["eta_s"] < candidates["CE"]["eta_s"]  # 400 m away, but against the one-way


def test_every_worker_sees_a_closure_at_once(client, rules, city, connection):
    other_worker = rules()  # another app instance: its own road graph in memory
    incident = sent(client, account_no=customer(2))
    before = other_worker.get(f"/api/v1/incidents/{incident['id']}/candidates").get_json()["candidates"]
    main1 = connection.execute(text("SELECT id FROM roads WHERE code = 'MAIN1'")).scalar()
    closed = client.post("/api/v1/roads/closures", json={"reason": "flood", "road_ids": [main1]})
    assert closed.status_code == 201
    after = other_worker.get(f"/api/v1/incidents/{incident['id']}/candidates").get_json()["candidates"]
    eta = {c["crew"]: c["eta_s"] for c in before}, {c["crew"]: c["eta_s"] for c in after}
    assert eta[1]["CW"] > eta[0]["CW"] and eta[1]["CE"] == eta[0]["CE"]


def test_times_out_of_range_are_refused(client, city, connection):
    year_one = "0001-01-01T00:00:00+14:00"
    far = "9999-12-31T23:59:59-14:00"
    for url, body, field in [
        ("/api/v1/roads/closures", {"reason": "x", "road_ids": [1], "until": far}, "until"),
        ("/api/v1/crews/CE/positions", {"positions": [{"at": year_one, "lon": LON, "lat": LAT}]}, "positions.0.at"),
        ("/api/v1/reports", {"channel": "app", "phone": "1", "received_at": year_one}, "received_at"),
    ]:
        problem = assert_problem(client.post(url, json=body), 422)
        assert problem["errors"][0]["field"] == field
    assert count(connection, "road_closures") == 0 and count(connection, "crew_positions") == 0
    assert client.get("/api/v1/roads/closures").status_code == 200


def test_closure_geometries_must_be_local_and_flat(client, city):
    flat = [[LON, LAT], [LON + 0.001, LAT]]
    assert_problem(client.post("/api/v1/roads/closures", json={"reason": "x", "geometry": {
        "type": "LineString", "coordinates": [[LON, LAT, 12.0], [LON + 0.001, LAT, 12.0]]}}), 422)
    world = [[-170, -80], [170, -80], [170, 80], [-170, 80], [-170, -80]]
    assert_problem(client.post("/api/v1/roads/closures", json={"reason": "x", "geometry": {
        "type": "Polygon", "coordinates": [world]}}), 422)
    assert client.post("/api/v1/roads/closures", json={"reason": "x", "geometry": {
        "type": "LineString", "coordinates": flat}, "within_m": 150}).status_code == 201


def test_crew_changes_are_checked(client, city):
    for change in ({"members": 0}, {"members": []}, {"members": 10**30}, {"members": True}, {"on_duty": None},
                   {"name": None}, {"members": ["x" * 101]}):
        assert_problem(client.patch("/api/v1/crews/CE", json=change), 422)
    assert client.get("/api/v1/crews/CE").get_json()["headcount"] == 2


def test_with_every_road_closed_reports_are_still_taken(client, city, connection):
    roads = connection.execute(text("SELECT id FROM roads")).scalars().all()
    assert client.post("/api/v1/roads/closures", json={"reason": "flood", "road_ids": roads}).status_code == 201
    incident = sent(client, account_no=customer(2), kind="wire_down")
    assert incident["crew"] is None and incident["status"] == "new"
    candidates = client.get(f"/api/v1/incidents/{incident['id']}/candidates").get_json()["candidates"]
    assert candidates and all(c["eta_s"] is None for c in candidates)
    assert client.get(f"/api/v1/incidents/{incident['id']}").status_code == 200


def test_a_position_far_from_every_road_counts_from_the_depot(client, city):
    client.post("/api/v1/crews/CE/positions", json={"positions": [
        {"at": clock.now().isoformat(), "lon": LON + 5, "lat": LAT + 5}]})
    incident = sent(client, account_no=customer(2))
    origins = {c["crew"]: c["origin"] for c in client.get(
        f"/api/v1/incidents/{incident['id']}/candidates").get_json()["candidates"]}
    assert origins["CE"] == "depot"
    assert "T" in client.get("/api/v1/crews/CE").get_json()["position_at"]  # ISO 8601, not an HTTP date


def test_a_new_crew_takes_a_waiting_incident(client, city, connection):
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty'"))
    waiting = sent(client, account_no=customer(2))
    assert waiting["crew"] is None
    assert client.post("/api/v1/crews", json={"code": "CN", "name": "New", "depot": "DW", "members": 2,
                                              "phone": "1", "skills": ["lv"]}).status_code == 201
    assert client.get(f"/api/v1/incidents/{waiting['id']}").get_json()["crew"] == "CN"


def test_a_free_crew_moved_to_a_depot_on_the_roads_takes_the_waiting_incident(client, city, connection):
    """Without a fresh position a crew starts from its depot: from one far from every road it
    reaches nothing, from its new depot it takes what waits at once."""
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CE'"))
    connection.execute(text("UPDATE crews SET position_at = :t WHERE code = 'CW'"), {"t": NOW - timedelta(days=1)})
    connection.execute(text("UPDATE depots SET geom = ST_Translate(geom, 0.5, 0) WHERE code = 'DW'"))
    waiting = sent(client, account_no=customer(2))
    assert waiting["crew"] is None
    moved = client.patch("/api/v1/crews/CW", json={"depot": "DE"})
    assert moved.status_code == 200 and moved.get_json()["incident"] == waiting["id"]
    assert client.get(f"/api/v1/incidents/{waiting['id']}").get_json()["crew"] == "CW"


def test_the_database_refuses_one_crew_on_two_incidents(client, city, connection):
    import pytest
    from sqlalchemy.exc import IntegrityError
    first, second = sent(client, account_no=customer(2)), sent(client, account_no=customer(5))
    crew = connection.execute(text("SELECT crew_id FROM incidents WHERE id = :i"), {"i": first["id"]}).scalar()
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(text("UPDATE incidents SET crew_id = :c WHERE id = :i"), {"c": crew, "i": second["id"]})


def test_event_times_cannot_go_backwards(client, city):
    incident = sent(client, account_no=customer(2))
    before_report = (NOW - timedelta(hours=1)).isoformat()
    problem = assert_problem(client.post(f"/api/v1/incidents/{incident['id']}/events",
                                         json={"type": "on_site", "at": before_report}), 422)
    assert problem["errors"][0]["field"] == "at"
    on_site = clock.now()
    client.post(f"/api/v1/incidents/{incident['id']}/events", json={"type": "on_site", "at": on_site.isoformat()})
    assert_problem(client.post(f"/api/v1/incidents/{incident['id']}/events", json={
        "type": "restored", "at": (on_site - timedelta(minutes=30)).isoformat()}), 422)


def test_the_crew_s_route_follows_the_roads(client, city):
    incident = sent(client, account_no=customer(3))  # on one-way South Street: CW drives down and east
    route = client.get(f"/api/v1/incidents/{incident['id']}/route")
    assert route.status_code == 200 and route.mimetype == "application/geo+json"
    feature = route.get_json()
    assert feature["properties"]["crew"] == "CW" and feature["properties"]["eta_s"] == incident["eta_s"]
    line = feature["geometry"]["coordinates"]
    assert line[0] == [round(LON - 0.004, 7), round(LAT + 0.001, 7)]  # the west depot
    assert line[1] == [round(LON - 0.004, 7), round(LAT - 0.004, 7)]  # down the cross street
    assert all(b[0] >= a[0] for a, b in zip(line[1:], line[2:]))  # then only eastwards
    waiting = sent(client, address="nowhere at all")
    assert_problem(client.get(f"/api/v1/incidents/{waiting['id']}/route"), 404)

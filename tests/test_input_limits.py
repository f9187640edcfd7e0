"""Limits on what a client may send, with or without the proxy in front (issue 13): body size,
JSON depth, closure geometry size, strict numbers, the area served; the closures listing; the
headers every response carries."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from api.openapi import build_document
from dispatch.core import clock
from dispatch.core.config import Settings
from tests.factories import LAT, LON
from tests.helpers import assert_problem, customer

NOW = clock.now()


def deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def json_operations(app) -> list[tuple[str, str]]:
    document = build_document(app)
    return [(method, path.replace("{incident_id}", "1").replace("{report_id}", "1").replace(
                "{code}", "CW").replace("{alert_id}", "1").replace("{outage_id}", "1").replace(
                "{callback_id}", "1").replace("{import_id}", "1"))
            for path, item in document["paths"].items() for method, entry in item.items()
            if "application/json" in entry.get("requestBody", {}).get("content", {})]


def test_deeply_nested_json_is_a_400_on_every_json_route(app, client, city, crew_phone):
    phone = crew_phone("CW")
    operations = json_operations(app)
    assert len(operations) >= 15
    for method, path in operations:
        sender = phone if path.startswith("/api/v1/me/") else client
        for body in (deep(1000), b"[" * 100_000 + b"]" * 100_000):
            response = sender.open(path, method=method.upper(), data=body, content_type="application/json",
                                   headers={"Idempotency-Key": "deep-1"})
            problem = assert_problem(response, 400)
            assert "nested" in problem["detail"], (method, path)
    # Depth within the limit is read as usual (and refused for what it says, not for its shape).
    body = assert_problem(client.post("/api/v1/reports", data=deep(60), content_type="application/json"), 422)
    assert body["type"].endswith("invalid-input")
    # Brackets inside strings are text, not nesting.
    ok = client.post("/api/v1/reports", json={"channel": "hotline", "account_no": customer(1),
                                              "description": "[[[[" * 100 + "{{{{" * 100})
    assert ok.status_code == 201, ok.get_data(as_text=True)


def test_a_body_over_the_limit_is_a_413_before_it_is_read(rules, city):
    client = rules(max_body_bytes=2000)
    body = json.dumps({"channel": "hotline", "account_no": customer(1), "description": "x" * 3000})
    problem = assert_problem(client.post("/api/v1/reports", data=body, content_type="application/json"), 413)
    assert problem["status"] == 413
    small = client.post("/api/v1/reports", json={"channel": "hotline", "account_no": customer(1)})
    assert small.status_code == 201
    assert Settings.from_env({"MAX_BODY_BYTES": "5000"}).max_body_bytes == 5000
    assert Settings().max_body_bytes == 1_048_576


def test_every_response_carries_the_security_headers_and_a_405_says_what_is_allowed(client, anonymous):
    for response in (client.get("/api/v1/crews"), anonymous.get("/healthz"), anonymous.get("/api/v1/nowhere"),
                     anonymous.get("/api/v1/crews"), anonymous.get("/crew/"), client.post("/api/v1/reports", json={})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    not_allowed = assert_problem(client.put("/api/v1/openapi.json"), 405)
    assert not_allowed["status"] == 405
    response = client.delete("/api/v1/reports")
    assert set(response.headers["Allow"].split(", ")) >= {"POST", "OPTIONS"}
    assert set(client.put("/api/v1/openapi.json").headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("lon, lat", [(False, LAT), (LON, True), ("51.44", LAT), (None, LAT)])
def test_a_boolean_or_a_string_is_not_a_coordinate(client, city, lon, lat):
    body = assert_problem(client.post("/api/v1/reports", json={
        "channel": "app", "location": {"lon": lon, "lat": lat}}), 422)
    assert body["errors"][0]["field"].startswith("location.")


def test_numbers_stay_strict_in_every_body_but_whole_numbers_are_coordinates(client, city, crew_phone, connection):
    assert_problem(client.post("/api/v1/roads/closures", json={"reason": "x", "road_ids": [True]}), 422)
    assert_problem(client.post("/api/v1/roads/closures", json={"reason": "x", "road_ids": [1], "within_m": True}), 422)
    assert_problem(client.patch("/api/v1/crews/CW", json={"on_duty": 1}), 422)
    phone = crew_phone("CW")
    position = {"at": NOW.isoformat(), "lon": LON, "lat": LAT}
    assert_problem(phone.post("/api/v1/me/positions", json={"positions": [{**position, "speed": False}]}), 422)
    assert phone.post("/api/v1/me/positions", json={"positions": [{**position, "speed": 3}]}).status_code == 202
    # The area served defaults to the zones' box: an integer longitude inside it is a position.
    connection.execute(text("UPDATE zones SET geom = ST_Multi(ST_Expand(geom, 1))"))
    whole = client.post("/api/v1/reports", json={"channel": "app", "location": {"lon": round(LON), "lat": round(LAT)}})
    assert whole.status_code == 201, whole.get_data(as_text=True)


def test_reports_far_outside_the_area_served_are_refused(client, rules, city, connection):
    far = assert_problem(client.post("/api/v1/reports", json={
        "channel": "app", "location": {"lon": 0, "lat": 0}}), 422)
    assert far["errors"][0]["field"] == "location" and len(far["service_area"]) == 4
    # 40 km east of the zones: inside the default margin of 50 km; 60 km: outside.
    near = client.post("/api/v1/reports", json={"channel": "app", "location": {"lon": LON + 0.031 + 0.43, "lat": LAT}})
    assert near.status_code == 201 and near.get_json()["located"]["zone"]["defaulted"]
    assert_problem(client.post("/api/v1/reports", json={
        "channel": "app", "location": {"lon": LON + 0.031 + 0.65, "lat": LAT}}), 422)
    # A box of its own, without a margin.
    boxed = rules(service_area_bbox=f"{LON - 0.01},{LAT - 0.01},{LON + 0.01},{LAT + 0.01}", service_area_margin_km=0)
    assert_problem(boxed.post("/api/v1/reports", json={"channel": "app", "location": {"lon": LON + 0.02, "lat": LAT}}),
                   422)
    assert boxed.post("/api/v1/reports", json={"channel": "app", "location": {"lon": LON, "lat": LAT}}).status_code == 201
    with pytest.raises(ValueError, match="SERVICE_AREA_BBOX"):
        Settings.from_env({"SERVICE_AREA_BBOX": "1,2,3"})
    # Without zones (a grid not imported yet) there is no area to hold a report to.
    connection.execute(text("UPDATE incidents SET zone_id = NULL"))
    connection.execute(text("UPDATE reports SET zone_id = NULL"))
    connection.execute(text("DELETE FROM zones"))
    assert client.post("/api/v1/reports", json={"channel": "app", "location": {"lon": 0, "lat": 0}}).status_code == 201


def test_a_closure_drawn_with_too_many_vertices_is_refused(rules, city):
    client = rules(closure_max_vertices=50)
    line = [[LON + 0.0001 * i, LAT + 0.001] for i in range(51)]
    body = assert_problem(client.post("/api/v1/roads/closures", json={
        "reason": "storm", "geometry": {"type": "LineString", "coordinates": line}}), 422)
    assert body["errors"][0]["field"] == "geometry"
    created = client.post("/api/v1/roads/closures", json={
        "reason": "storm", "geometry": {"type": "LineString", "coordinates": line[:50]}, "within_m": 5})
    assert created.status_code == 201, created.get_data(as_text=True)


def test_closures_list_those_in_force_unless_lifted_ones_are_asked_for_and_are_paged(client, city, connection):
    road_ids = connection.execute(text("SELECT id FROM roads ORDER BY id LIMIT 3")).scalars().all()
    made = [client.post("/api/v1/roads/closures", json={"reason": f"tree {n}", "road_ids": [road]}).get_json()["id"]
            for n, road in enumerate(road_ids)]
    assert client.delete(f"/api/v1/roads/closures/{made[0]}").status_code == 204
    connection.execute(text("UPDATE road_closures SET until = :t WHERE id = :id"),
                       {"t": NOW - timedelta(minutes=1), "id": made[1]})
    listed = client.get("/api/v1/roads/closures").get_json()
    assert [c["id"] for c in listed["closures"]] == [made[2]] and listed["closures"][0]["active"]
    everything = client.get("/api/v1/roads/closures?include=lifted").get_json()["closures"]
    assert [c["id"] for c in everything] == made[::-1]
    first = client.get("/api/v1/roads/closures?include=lifted&limit=2").get_json()
    assert [c["id"] for c in first["closures"]] == made[:0:-1]
    after = next(link["href"] for link in first["links"] if link["rel"] == "next")
    rest = client.get(after.replace("http://localhost", "")).get_json()
    assert [c["id"] for c in rest["closures"]] == made[:1] and [link["rel"] for link in rest["links"]] == ["self"]
    assert_problem(client.get("/api/v1/roads/closures?include=everything"), 422)
    assert_problem(client.get("/api/v1/roads/closures?limit=0"), 422)

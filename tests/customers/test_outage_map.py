"""The public outage feed: outages aggregated to transformer areas or zones, customers out, since when,
cause category, ETR; restored ones for 7 days; a reopened one shown as such; nothing about any person
in any public response; kept between requests and rebuilt when the relay reports incident changes."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from api.outages_app import STATIC
from api.web_apps import app_files
from dispatch.core import clock
from dispatch.gis.road_tiles import RoadTileCache
from dispatch.gis.tiles_store import bump_map_version
from dispatch.live.relay import Relay
from dispatch.routing.store import bump_road_version
from tests.helpers import T0, assert_problem, customer, leaks, report, strings

FEED = "/api/v1/public/outages"
when = datetime.fromisoformat
#: What a caller may tell the hotline about themselves; none of it may reach the public.
CALLER = {"phone": "13912345678", "address": "88 Secret Lane, flat 3", "description": "Zhang San here, my fridge"}


def feed(anonymous, status=200, **headers):
    response = anonymous.get(FEED, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def features(anonymous) -> dict[int, dict]:
    return {f["id"]: f for f in feed(anonymous).get_json()["features"]}


@pytest.fixture
def public(rules, app, city):
    """An anonymous client of an app whose feed is built afresh for every request (the content tests)."""
    client = rules(public_outages_max_age_s=0, public_outages_min_age_s=0)
    client.environ_base.pop("HTTP_AUTHORIZATION", None)
    return client


def event(client, incident_id, kind, at):
    response = client.post(f"/api/v1/incidents/{incident_id}/events", json={"type": kind, "at": at.isoformat()})
    assert response.status_code == 200, response.get_data(as_text=True)


def contains(connection, geometry: dict, lon_lat_of: str, code: str) -> bool:
    return connection.execute(text(
        f"SELECT ST_Contains(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326), geom) FROM {lon_lat_of} WHERE code = :c"),
        {"g": json.dumps(geometry), "c": code}).scalar_one()


def test_an_outage_is_the_area_of_the_transformers_it_cut_off_with_its_crew_stage_and_etr(public, client, connection):
    one = report(client, clock.now() - timedelta(minutes=5), account_no=customer(2))["incident"]
    # Calls from behind T1 and T3 roll up to the recloser above both (and T2): one larger area.
    two = report(client, clock.now() - timedelta(minutes=4), account_no=customer(1))["incident"]["id"]
    three = report(client, clock.now() - timedelta(minutes=3), account_no=customer(3))["incident"]["id"]
    body = feed(public)
    assert body.mimetype == "application/geo+json" and body.headers["Access-Control-Allow-Origin"] == "*"
    shown = {f["id"]: f for f in body.get_json()["features"]}
    incidents = {i: client.get(f"/api/v1/incidents/{i}").get_json() for i in {one["id"], two, three}}
    open_ids = {i for i, found in incidents.items() if found["status"] != "merged"}
    assert set(shown) == open_ids
    for incident_id in open_ids:
        found, feature = incidents[incident_id], shown[incident_id]
        p = feature["properties"]
        assert feature["geometry"]["type"] == "Polygon" and p["area"] == "transformers"
        assert p["status"] == "out" and p["reopened"] is False and p["planned"] is False
        assert p["customers_out"] == found["customers_affected"] and when(p["since"]) == when(found["first_report_at"])
        assert p["stage"] == ("crew_assigned" if found["crew"] else "reported")
        # As instants: PostgreSQL's JSON and Python write microseconds differently (…69554 / …695540).
        assert (p["etr"] and when(p["etr"])) == (found["etr_at"] and when(found["etr_at"]))
        assert p["zone"] == "Z1" and p["zone_name"] == "Town"
    wide = max(shown.values(), key=lambda f: f["properties"]["transformers"])
    assert wide["properties"]["transformers"] >= 2
    for code in ("T1", "T3"):
        assert contains(connection, wide["geometry"], "transformers", code)
    totals = body.get_json()["totals"]
    assert totals == {"outages": len(open_ids), "customers_out": sum(i["customers_affected"] for i in
                                                                      incidents.values() if i["id"] in open_ids),
                      "restored": 0, "upcoming": 0}


def test_restored_outages_stay_seven_days_and_one_that_comes_back_is_shown_reopened(public, client, connection):
    first = report(client, T0, account_no=customer(2))["incident"]["id"]
    event(client, first, "on_site", T0 + timedelta(minutes=20))
    event(client, first, "restored", T0 + timedelta(minutes=80))
    connection.execute(text("UPDATE incidents SET cause = 'weather.lightning' WHERE id = :i"), {"i": first})
    p = features(public)[first]["properties"]
    assert p["status"] == "restored" and when(p["restored_at"]) == T0 + timedelta(minutes=80)
    assert p["etr"] is None and p["stage"] is None
    assert p["cause_category"] == "weather" and p["cause_label"] == {"en": "Weather", "zh-CN": "自然灾害"}
    # Six days later it is still there; eight days later it is gone.
    for days, shown in ((6, True), (8, False)):
        connection.execute(text("UPDATE incidents SET restored_at = :at WHERE id = :i"),
                           {"at": clock.now() - timedelta(days=days), "i": first})
        assert (first in features(public)) is shown
    # Restored yesterday, out again today on the same transformer: the area is shown out again.
    connection.execute(text("UPDATE incidents SET restored_at = :at WHERE id = :i"),
                       {"at": clock.now() - timedelta(days=1), "i": first})
    again = report(client, clock.now() - timedelta(minutes=2), account_no=customer(2, 5))["incident"]["id"]
    shown = features(public)
    assert first not in shown
    p = shown[again]["properties"]
    assert p["status"] == "out" and p["reopened"] is True
    assert when(p["restored_before_at"]) == pytest.approx(clock.now() - timedelta(days=1), abs=timedelta(seconds=5))


def test_a_call_placed_by_no_grid_is_shown_by_its_zone_or_not_placed_and_a_customer_side_fault_not_at_all(
        public, client, connection):
    placed = report(client, clock.now() - timedelta(minutes=3), address="nowhere known", **{
        k: v for k, v in CALLER.items() if k != "address"})["incident"]["id"]
    zone = connection.execute(text("SELECT id FROM zones WHERE code = 'Z2'")).scalar_one()
    connection.execute(text("UPDATE incidents SET zone_id = :z WHERE id = :i"), {"z": zone, "i": placed})
    unplaced = report(client, clock.now() - timedelta(minutes=3), address="somewhere else")["incident"]["id"]
    own_side = report(client, clock.now() - timedelta(minutes=2), account_no=customer(4))["incident"]["id"]
    answer = client.post(f"/api/v1/incidents/{own_side}/customer-side", json={
        "reason": "behind_meter", "agreed_arrival": (clock.now() + timedelta(hours=3)).isoformat()})
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)
    shown = features(public)
    assert shown[placed]["properties"]["area"] == "zone" and shown[placed]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert shown[unplaced]["properties"]["area"] == "unplaced" and shown[unplaced]["geometry"] is None
    assert own_side not in shown


def personal_data(connection) -> set[str]:
    """Every name, phone, account number and address of the test's customers and callers."""
    values = set(CALLER.values())
    for row in connection.execute(text("SELECT name, phone, account_no, address FROM customers")):
        values.update(v for v in row if v)
    for row in connection.execute(text("SELECT phone, account_no, address, description FROM reports")):
        values.update(v for v in row if v)
    return values


def test_no_public_response_holds_anything_about_a_person(public, client, connection):
    """Exhaustive over the test's data: every outage kind the map shows, then every public response
    (feed, page, its modules and libraries, a road tile, the OpenAPI entry) searched for every name,
    phone, account number, address and caller's words, and every coordinate for a customer's place."""
    open_one = report(client, clock.now() - timedelta(minutes=9), account_no=customer(2), **CALLER)["incident"]["id"]
    report(client, clock.now() - timedelta(minutes=8), phone="13900005001", address="5 T5 Road")
    restored = report(client, T0, account_no=customer(1, 3), description="Li Si, flat 2")["incident"]["id"]
    event(client, restored, "on_site", T0 + timedelta(minutes=20))
    event(client, restored, "restored", T0 + timedelta(minutes=50))
    report(client, clock.now() - timedelta(minutes=7), address="Wang Wu's shop, 9 Hidden Road")
    secrets = personal_data(connection)
    assert {"Customer 2-0", "13900002000", "2000", "1 T2 Road", CALLER["description"]} <= secrets

    body = feed(public).get_json()
    assert open_one in {f["id"] for f in body["features"]} and restored in {f["id"] for f in body["features"]}
    for value in strings(body):
        assert not any(leaks(secret, value) for secret in secrets), value
    places = {(round(x, 5), round(y, 5)) for x, y in connection.execute(text(
        "SELECT ST_X(geom), ST_Y(geom) FROM customers UNION SELECT ST_X(located_geom), ST_Y(located_geom) FROM reports "
        "WHERE located_geom IS NOT NULL"))}
    for feature in body["features"]:
        if feature["geometry"]:
            ring = feature["geometry"]["coordinates"][0]
            assert not places & {(round(x, 5), round(y, 5)) for x, y in ring}
            assert len(ring) >= 4  # an area, never a point

    others = [FEED, *app_files(STATIC, "/outages"), "/outages/", "/outages/vendor/maplibre-gl/maplibre-gl.css",
              "/api/v1/public/tiles/roads/14/10532/6545.mvt", "/api/v1/openapi.json"]
    for path in others:
        response = public.get(path)
        assert response.status_code == 200, path
        data = response.get_data().decode("utf-8", errors="replace")
        for secret in secrets:
            if len(secret) >= 5 or path == FEED:  # a file's text may hold 4 digits (a size, a year) by chance
                assert not leaks(secret, data), (path, secret)


def test_the_feed_is_kept_until_the_relay_reports_a_change_and_answers_304_to_its_etag(rules, city, client, connection,
                                                                                      redis_db, app):
    public = rules(public_outages_min_age_s=0)
    public.environ_base.pop("HTTP_AUTHORIZATION", None)
    relay = Relay(app.extensions["database"], redis_db)
    # The relay starts after what earlier tests' rolled-back transactions took from the sequence.
    connection.execute(text("UPDATE outbox_relay SET relayed_to = (SELECT last_value FROM outbox_id_seq) WHERE id = 1"))
    report(client, clock.now() - timedelta(minutes=5), account_no=customer(2))
    relay.step()
    first = feed(public)
    kept = public.application.extensions["public_outages"]
    assert kept.builds == 1 and len(first.get_json()["features"]) == 1
    assert first.headers["Cache-Control"] == "public, max-age=15" and first.headers["ETag"]
    # Asked again: the same body, not built again; with its ETag: 304, no body.
    assert feed(public).data == first.data and kept.builds == 1
    unchanged = feed(public, 304, **{"If-None-Match": first.headers["ETag"]})
    assert unchanged.data == b"" and unchanged.headers["ETag"] == first.headers["ETag"]
    # A new outage: not on the map until the relay has passed it on, then at once.
    report(client, clock.now() - timedelta(minutes=1), account_no=customer(5))
    assert feed(public).data == first.data and kept.builds == 1
    assert relay.step() > 0
    changed = feed(public)
    assert kept.builds == 2 and len(changed.get_json()["features"]) == 2
    assert changed.headers["ETag"] != first.headers["ETag"]
    feed(public, 200, **{"If-None-Match": first.headers["ETag"]})


def test_a_bad_tile_is_a_problem_not_an_error(anonymous, city):
    assert_problem(anonymous.get("/api/v1/public/tiles/roads/3/9/1.mvt"), 404)
    assert_problem(anonymous.get("/api/v1/public/tiles/roads/99/0/0.mvt"), 404)


def test_road_tiles_are_kept_in_the_process_until_the_roads_change(app, anonymous, city, connection, monkeypatch):
    """A storm's visitors load the same base map: each process makes a road tile once per version of
    the roads, which trips and switching (the grid map's version) do not move; an import or a
    closure does, and shows once the kept version is older than its time to live."""
    now = [0.0]
    kept = RoadTileCache(app.extensions["database"], version_ttl_s=5, monotonic=lambda: now[0])
    monkeypatch.setitem(app.extensions, "public_road_tiles", kept)
    tile = "/api/v1/public/tiles/roads/14/10532/6545.mvt"  # the city's roads
    first = anonymous.get(tile)
    assert first.status_code == 200 and first.data and kept.made == 1
    assert anonymous.get(tile).data == first.data and kept.made == 1
    assert anonymous.get(tile, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    bump_map_version(connection)  # a trip: the grid's layers change, the roads do not
    now[0] = 10.0
    assert anonymous.get(tile).headers["ETag"] == first.headers["ETag"] and kept.made == 1

    bump_road_version(connection)  # a closure or an import
    now[0] = 12.0  # the version read at 10 s is kept until 15 s
    assert anonymous.get(tile).headers["ETag"] == first.headers["ETag"]
    now[0] = 16.0
    changed = anonymous.get(tile)
    assert changed.headers["ETag"] != first.headers["ETag"] and kept.made == 2
    assert anonymous.get(tile, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200

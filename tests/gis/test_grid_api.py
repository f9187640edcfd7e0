"""GET /api/v1/grid/{layer}: GeoJSON pages of each layer, filtered by bounding box."""
from __future__ import annotations

import pytest

from dispatch.gis.layers import IMPORT_ORDER
from tests.factories import LAT, LON, small_grid, write_layers
from tests.helpers import assert_problem


@pytest.fixture
def grid(cli, tmp_path):
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path, small_grid()))])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("layer", IMPORT_ORDER)
def test_every_layer_is_served(client, grid, layer):
    response = client.get(f"/api/v1/grid/{layer}")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = response.get_json(force=True)
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(small_grid()[layer]["features"])


def test_features_carry_documented_and_extra_properties(client, grid):
    customers = client.get("/api/v1/grid/customers").get_json(force=True)["features"]
    first = next(f for f in customers if f["id"] == "1001")
    assert first["geometry"]["type"] == "Point"
    expected = {"account_no": "1001", "bus": "LV1", "transformer": "T1", "priority": "normal", "meter": "M-1"}
    assert first["properties"].items() >= expected.items()
    switch = client.get("/api/v1/grid/switches").get_json(force=True)["features"][0]["properties"]
    assert switch["from_bus"] == "MV2" and switch["is_open"] is False
    crew = next(f for f in client.get("/api/v1/grid/crews").get_json(force=True)["features"] if f["id"] == "C2")
    assert crew["geometry"] is None and crew["properties"]["headcount"] == 3


def test_bbox_filters(client, grid):
    near_source = f"{LON - 0.0005},{LAT - 0.0005},{LON + 0.0005},{LAT + 0.0005}"
    body = client.get(f"/api/v1/grid/buses?bbox={near_source}").get_json(force=True)
    assert [f["id"] for f in body["features"]] == ["MV1"]


def test_pages_follow_next_links(client, grid):
    seen, url = [], "/api/v1/grid/buses?limit=4"
    while url:
        body = client.get(url).get_json(force=True)
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert sorted(seen) == sorted(f["properties"]["code"] for f in small_grid()["buses"]["features"])
    assert len(seen) == len(set(seen))


def test_unknown_layer_is_a_404_problem(client):
    body = assert_problem(client.get("/api/v1/grid/pylons"), 404)
    assert "buses" in body["detail"]


@pytest.mark.parametrize("query, field", [
    ("bbox=1,2,3", "bbox"), ("bbox=a,b,c,d", "bbox"), ("bbox=0,0,200,10", "bbox"), ("bbox=5,5,1,1", "bbox"),
    ("bbox=nan,0,1,1", "bbox"), ("limit=0", "limit"), ("limit=ten", "limit"), ("after=-1", "after"),
    ("colour=red", "colour"),
])
def test_bad_queries_are_422_problems(client, query, field):
    body = assert_problem(client.get(f"/api/v1/grid/buses?{query}"), 422)
    assert [e["field"] for e in body["errors"]] == [field]


def test_limit_is_capped(client, grid, app):
    body = client.get("/api/v1/grid/buses?limit=999999").get_json(force=True)
    assert body["numberReturned"] == 6


def test_the_effect_of_switching_is_told_before_it_is_done(client, feeder):
    def effect(code, is_open):
        response = client.get(f"/api/v1/grid/switches/{code}/effect?is_open={str(is_open).lower()}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    recloser = effect("R1", True)  # T1, T2 and T3 behind it, the life-support customer 1000 among them
    assert (recloser["customers_off"], recloser["customers_on"]) == (30, 0)
    assert recloser["critical_off"] == [{"account_no": "1000", "name": "Customer 1-0", "priority": "life_support"}]
    assert effect("F4", False)["customers_off"] == 0  # closed already: nothing changes
    assert client.patch("/api/v1/grid/switches/SEC1", json={"is_open": True}).status_code == 200
    tie = effect("TIE", False)  # closing the tie feeds T2 from the other substation
    assert (tie["customers_off"], tie["customers_on"], tie["critical_off"]) == (0, 10, [])
    assert_problem(client.get("/api/v1/grid/switches/NOPE/effect?is_open=true"), 404)
    assert_problem(client.get("/api/v1/grid/switches/R1/effect?is_open=maybe"), 422)
    assert_problem(client.get("/api/v1/grid/switches/R1/effect"), 422)

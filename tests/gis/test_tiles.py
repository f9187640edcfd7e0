"""Map tiles cut from PostGIS: what each layer carries, from which zoom, for whom, and their ETag."""
from __future__ import annotations

import math

import mapbox_vector_tile
import pytest

from tests.conftest import signed_in
from tests.factories import LAT, LON, dispatch_grid, with_change, write_layers
from tests.helpers import assert_problem


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile holding (lon, lat) at zoom z (the slippy-map formula, not the code under test)."""
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def url(layer: str, z: int, x: int, y: int) -> str:
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt"


def features(client, layer: str, z: int, lon: float = LON + 0.005, lat: float = LAT) -> list[dict]:
    answer = client.get(url(layer, *tile_of(lon, lat, z)))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(answer.data)
    return decoded[layer]["features"] if layer in decoded else []


def codes(found: list[dict], key: str = "code") -> set[str]:
    return {f["properties"][key] for f in found}


def test_each_grid_layer_carries_its_features_and_attributes(client, city):
    lines = features(client, "lines", 14)
    assert {"L1", "L2", "L3", "L4", "L5", "L6"} <= codes(lines)
    assert {f["properties"]["voltage_kv"] for f in lines} == {10}
    switches = {f["properties"]["code"]: f["properties"] for f in features(client, "switches", 15)}
    assert switches["F1"] == {"code": "F1", "kind": "fuse", "is_open": False, "normally_open": False, "tripped": False}
    tie = {f["properties"]["code"]: f["properties"] for f in features(client, "switches", 15, LON + 0.02, LAT)}["TIE"]
    assert tie["normally_open"] is True and tie["is_open"] is True
    assert {"T1", "T2"} <= codes(features(client, "transformers", 14))
    assert "T3" in codes(features(client, "transformers", 15, LON + 0.0085, LAT - 0.002))
    assert {"Z1": "urban"} == {f["properties"]["code"]: f["properties"]["zone_class"]
                               for f in features(client, "zones", 14, LON, LAT) if f["properties"]["code"] == "Z1"}
    customers = features(client, "customers", 17, LON + 0.009, LAT + 0.0028)
    assert "1000" in codes(customers, "account_no")
    assert customers[0]["geometry"]["type"] == "Point"


def test_layers_are_empty_below_their_zoom_and_roads_thin_out(client, city):
    assert features(client, "customers", 15, LON + 0.009, LAT + 0.0028) == []
    assert features(client, "transformers", 11) == []
    assert features(client, "lines", 8) != [] and features(client, "lines", 7) == []
    everything = codes(features(client, "roads", 14, LON, LAT + 0.001) + features(client, "roads", 14, LON, LAT - 0.004))
    assert {"MAIN1", "SOUTH1", "CROSS1"} <= everything
    major = features(client, "roads", 11, LON, LAT)
    assert major and {f["properties"]["highway"] for f in major} == {"primary"}  # residential waits
    assert "code" not in major[0]["properties"] and "name" not in major[0]["properties"]  # labels from 14


def test_customers_are_for_the_desk_only(app, client, city, make_user):
    where = tile_of(LON + 0.009, LAT + 0.0028, 17)
    for role in ("viewer", "crew"):
        user = make_user(role, crew="CW" if role == "crew" else None)
        reader = signed_in(app.test_client(), user)
        assert_problem(reader.get(url("customers", *where)), 403)
        assert reader.get(url("lines", *where)).status_code == 200
    assert_problem(app.test_client().get(url("lines", *where)), 401)


@pytest.mark.parametrize("path", ["/tiles/poles/14/1/1.mvt", "/tiles/lines/23/0/0.mvt", "/tiles/lines/2/4/0.mvt",
                                  "/tiles/lines/2/0/4.mvt", "/tiles/lines/-1/0/0.mvt", "/tiles/lines/a/0/0.mvt"])
def test_tiles_that_do_not_exist_are_404(client, path):
    assert_problem(client.get(path), 404)


def test_the_etag_holds_until_switching_or_an_import_changes_the_map(client, city, cli, tmp_path):
    where = url("switches", *tile_of(LON + 0.005, LAT, 15))
    first = client.get(where)
    etag = first.headers["ETag"]
    again = client.get(where, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.patch("/api/v1/grid/switches/F1", json={"is_open": True}).status_code == 200
    changed = client.get(where, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    f1 = next(f for f in mapbox_vector_tile.decode(changed.data)["switches"]["features"]
              if f["properties"]["code"] == "F1")
    assert f1["properties"]["is_open"] is True
    etag = changed.headers["ETag"]
    renamed = with_change(dispatch_grid(), "zones", 0, name="Old town")
    assert cli.invoke(args=["data", "import", str(write_layers(tmp_path / "again", renamed))]).exit_code == 0
    assert client.get(where, headers={"If-None-Match": etag}).status_code == 200

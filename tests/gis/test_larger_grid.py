"""bench/larger_grid.py: N shifted copies of a grid that the real importer takes, each a grid of its own."""
from __future__ import annotations

import json

import mapbox_vector_tile
from sqlalchemy import text

from bench.larger_grid import crews_per_copy, extent_of, offsets, read_layers, write_larger_grid
from dispatch.gis.grid_import import import_grid
from tests.factories import LAT, LON, dispatch_grid, write_layers
from tests.gis.test_tiles import tile_of, url

COPIES = 3
KEYS = {"customers": "account_no"}
#: Each layer's references to other features: (column, table it points at).
REFERENCES = {
    "lines": [("from_bus_id", "buses"), ("to_bus_id", "buses")],
    "switches": [("from_bus_id", "buses"), ("to_bus_id", "buses")],
    "transformers": [("hv_bus_id", "buses"), ("lv_bus_id", "buses")],
    "customers": [("bus_id", "buses"), ("transformer_id", "transformers")],
    "sources": [("bus_id", "buses")],
    "crews": [("depot_id", "depots")],
}


def copy_of(key: str) -> int:
    head, _, tail = key.rpartition("-r")
    return int(tail) if head and tail.isdigit() else 0


def grid_with_feeders() -> dict:
    """tests.factories.dispatch_grid, its lines labelled with their feeder's head switch as the demo's are."""
    layers = dispatch_grid()
    head = layers["switches"]["features"][0]["properties"]["code"]
    for line in layers["lines"]["features"]:
        line["properties"]["feeder"] = head
    return layers


def test_copies_go_through_the_real_importer_each_a_grid_of_its_own(app, connection, client, tmp_path):
    source = write_layers(tmp_path / "one", grid_with_feeders())
    original = read_layers(source)
    written = write_larger_grid(source, tmp_path / "larger", COPIES)
    session = app.extensions["database"].session()
    try:
        summary = import_grid(session, tmp_path / "larger")
    finally:
        session.close()

    links = written["roads"] - COPIES * len(original["roads"])
    assert links == 2  # copy 0 to its east neighbour 1 and its north neighbour 2 (two columns)
    for layer, features in original.items():
        expected = COPIES * len(features) + (links if layer == "roads" else 0)
        assert written[layer] == expected, layer
        assert summary.result(layer).inserted == expected, layer
        keys = [f["properties"][KEYS.get(layer, "code")]
                for f in json.loads((tmp_path / "larger" / f"{layer}.geojson").read_text())["features"]]
        assert len(set(keys)) == len(keys), layer
        assert {copy_of(k) for k in keys if not k.startswith("link-")} == set(range(COPIES)), layer

    # No reference crosses from one copy to another: every copy is fed by its own sources.
    for layer, references in REFERENCES.items():
        pairs = [pair for column, table in references for pair in connection.execute(text(
            f"SELECT a.{KEYS.get(layer, 'code')}, b.code FROM {layer} a JOIN {table} b ON b.id = a.{column}"))]
        assert pairs and all(copy_of(a) == copy_of(b) for a, b in pairs), layer
    feeders = connection.execute(text(
        "SELECT l.code, s.code FROM lines l LEFT JOIN switches s ON s.code = l.feeder")).all()
    assert feeders and all(copy_of(code) == copy_of(switch) for code, switch in feeders)

    # The copies' streets are joined: the road network is still one strongly connected graph.
    assert summary.road_components == 1 and summary.road_nodes_unroutable == 0

    # Side by side, not on top of each other: a tile over copy k shows copy k's lines only.
    shifts = offsets(extent_of(original), COPIES)
    assert shifts[1][0] > 0 == shifts[1][1] and shifts[2][1] > 0 == shifts[2][0]  # east, then north
    for k, (dx, dy) in enumerate(shifts):
        answer = client.get(url("lines", *tile_of(LON + 0.005 + dx, LAT + dy, 16)))
        assert answer.status_code == 200
        lines = mapbox_vector_tile.decode(answer.data)["lines"]["features"]
        assert lines and {copy_of(f["properties"]["code"]) for f in lines} == {k}


def test_one_copy_is_the_source_as_it_is(tmp_path):
    source = write_layers(tmp_path / "one", dispatch_grid())
    write_larger_grid(source, tmp_path / "same", 1)
    assert read_layers(tmp_path / "same") == read_layers(source)


def test_crews_capped_in_all_and_spread_over_the_copies(tmp_path):
    source = write_layers(tmp_path / "one", dispatch_grid())
    per_town = len(read_layers(source)["crews"])
    written = write_larger_grid(source, tmp_path / "larger", 4, crews=per_town * 2 + 1)
    crews = read_layers(tmp_path / "larger")["crews"]
    assert written["crews"] == len(crews) == per_town * 2 + 1
    by_copy = [sum(copy_of(c["properties"]["code"]) == k for c in crews) for k in range(4)]
    assert sum(by_copy) == len(crews) and max(by_copy) - min(by_copy) <= 1
    assert sum(crews_per_copy(500, 65)) == 500 and set(crews_per_copy(500, 65)) == {7, 8}

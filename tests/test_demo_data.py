"""The demo data builder (scripts/build_demo_data.py) against docs/data-format.md.

The build runs once per session (~30 s: SimBench loading dominates); the checks read the files it
wrote, so they test what the importer will see. No database is needed.
"""

import json
import math
from collections import Counter

import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

# SimBench 1-MVLV-{urban,rural,comm}-all-0-sw: 11,542 + 5,373 + 6,860 loads and
# 133 + 90 + 79 MV/LV transformers (the six HV/MV transformers are dropped).
LOADS = 23_775
DISTRIBUTION_TRANSFORMERS = 302
ROAD_NODES = 13_953
ROAD_DIRECTED_EDGES = 31_071

REQUIRED = {
    "zones": ("code", "name", "class"),
    "buses": ("code", "voltage_kv"),
    "sources": ("code", "name", "bus"),
    "lines": ("code", "from_bus", "to_bus", "voltage_kv"),
    "switches": ("code", "from_bus", "to_bus", "kind", "normally_open"),
    "transformers": ("code", "name", "hv_bus", "lv_bus", "kva"),
    "customers": ("account_no", "name", "phone", "address", "bus", "priority"),
    "depots": ("code", "name"),
    "crews": ("code", "name", "depot", "members", "phone", "skills"),
    "roads": ("highway", "oneway", "code"),
}
GEOMETRY = {"zones": {"Polygon", "MultiPolygon"}, "lines": {"LineString"}, "roads": {"LineString"}}
SKILLS = {"lv", "mv", "cable", "overhead", "tree_trimming", "live_line"}


@pytest.fixture(scope="session")
def built(demo_build):
    out, stats, names = demo_build
    layers = {name: json.loads((out / f"{name}.geojson").read_text(encoding="utf-8")) for name in names}
    return stats, layers


@pytest.fixture(scope="session")
def stats(built):
    return built[0]


@pytest.fixture(scope="session")
def layers(built):
    return {name: fc["features"] for name, fc in built[1].items()}


def props(features):
    return [f["properties"] for f in features]


def codes(features, key="code"):
    return {p[key] for p in props(features)}


def xy(features):
    return np.array([f["geometry"]["coordinates"] for f in features])


def test_every_file_is_a_feature_collection(built):
    for name, fc in built[1].items():
        assert fc["type"] == "FeatureCollection", name
        assert all(f["type"] == "Feature" for f in fc["features"]), name


def test_road_graph_matches_the_osm_export(stats, layers):
    ends = {tuple(f["geometry"]["coordinates"][i]) for f in layers["roads"] for i in (0, -1)}
    directed = sum(2 if p["oneway"] == "no" else 1 for p in props(layers["roads"]))
    assert len(ends) == stats["road_nodes"] == ROAD_NODES
    assert directed == stats["road_directed_edges"] == ROAD_DIRECTED_EDGES


def test_roads_properties(layers):
    roads = props(layers["roads"])
    assert {p["oneway"] for p in roads} == {"yes", "no"}
    assert all(isinstance(p["highway"], str) and not p["highway"].startswith("[") for p in roads)
    speeds = [p["maxspeed"] for p in roads if "maxspeed" in p]
    assert speeds and all(isinstance(s, (int, float)) and s > 0 for s in speeds)
    assert all(isinstance(p["osm_id"], int) for p in roads)


def test_grid_counts(stats, layers):
    assert len(layers["transformers"]) == DISTRIBUTION_TRANSFORMERS
    assert len(layers["customers"]) == LOADS
    assert len(layers["sources"]) == 6
    assert len(layers["depots"]) == 5 and len(layers["crews"]) == 20
    assert 10 <= len(layers["zones"]) <= 20
    assert stats["counts"] == {name: len(features) for name, features in layers.items()}


@pytest.mark.parametrize("layer", sorted(REQUIRED))
def test_required_properties_and_geometry(layers, layer):
    for f in layers[layer]:
        missing = [k for k in REQUIRED[layer] if f["properties"].get(k) in (None, "", [])]
        assert not missing, (layer, f["properties"], missing)
        if layer == "crews" and f["geometry"] is None:
            continue
        assert f["geometry"]["type"] in GEOMETRY.get(layer, {"Point"}), (layer, f["properties"])


@pytest.mark.parametrize("layer", sorted(REQUIRED))
def test_codes_unique(layers, layer):
    key = "account_no" if layer == "customers" else "code"
    values = [p[key] for p in props(layers[layer])]
    assert len(values) == len(set(values))


def _numbers(coords):
    if isinstance(coords, list):
        for c in coords:
            yield from _numbers(c)
    else:
        yield coords


def test_coordinates_are_finite_wgs84_with_7_decimals(layers):
    for name, features in layers.items():
        values = [v for f in features if f["geometry"] for v in _numbers(f["geometry"]["coordinates"])]
        coords = np.array(values, dtype=float).reshape(-1, 2)
        assert np.isfinite(coords).all(), name
        assert (np.abs(coords[:, 0]) <= 180).all() and (np.abs(coords[:, 1]) <= 90).all(), name
        assert np.array_equal(coords, np.round(coords, 7)), name


def test_value_domains(layers):
    assert all(p["voltage_kv"] > 0 for p in props(layers["buses"]) + props(layers["lines"]))
    assert all(p["kva"] > 0 for p in props(layers["transformers"]))
    kinds = Counter(p["kind"] for p in props(layers["switches"]))
    assert set(kinds) == {"breaker", "recloser", "fuse", "sectionalizer", "disconnector"}
    assert all(isinstance(p["normally_open"], bool) for p in props(layers["switches"]))
    assert any(p["normally_open"] for p in props(layers["switches"]))
    assert all(p["from_bus"] != p["to_bus"] for p in props(layers["lines"]) + props(layers["switches"]))
    assert all(p["hv_bus"] != p["lv_bus"] for p in props(layers["transformers"]))


def test_customer_fields(layers):
    customers = props(layers["customers"])
    assert all(len(p["account_no"]) == 10 and p["account_no"].isdigit() for p in customers)
    phones = [p["phone"] for p in customers]
    assert all(len(ph) == 11 and ph.isdigit() for ph in phones) and len(set(phones)) == len(phones)
    share = Counter(p["priority"] for p in customers)
    assert set(share) == {"normal", "important", "critical", "life_support"}
    assert share["normal"] > 0.9 * len(customers)
    assert 0.002 < share["life_support"] / len(customers) < 0.01


def test_customers_near_their_bus(layers):
    bus_xy = {f["properties"]["code"]: f["geometry"]["coordinates"] for f in layers["buses"]}
    for f in layers["customers"]:
        (x, y), (bx, by) = f["geometry"]["coordinates"], bus_xy[f["properties"]["bus"]]
        metres = math.hypot((x - bx) * 111_320 * math.cos(math.radians(by)), (y - by) * 111_320)
        assert metres < 15, f["properties"]["account_no"]


def test_references_resolve(layers):
    buses = codes(layers["buses"])
    for layer, keys in (("sources", ("bus",)), ("lines", ("from_bus", "to_bus")),
                        ("switches", ("from_bus", "to_bus")), ("transformers", ("hv_bus", "lv_bus")),
                        ("customers", ("bus",))):
        for p in props(layers[layer]):
            assert all(p[k] in buses for k in keys), (layer, p)
    transformers = codes(layers["transformers"])
    assert all(p["transformer"] in transformers for p in props(layers["customers"]) if "transformer" in p)
    depots = codes(layers["depots"])
    assert all(p["depot"] in depots for p in props(layers["crews"]))


def test_lv_customers_are_on_their_transformers_lv_network(layers):
    lv = nx.Graph()
    for p in props(layers["lines"]) + props(layers["switches"]):
        if p["voltage_kv"] < 1:
            lv.add_edge(p["from_bus"], p["to_bus"])
    lv_bus = {p["code"]: p["lv_bus"] for p in props(layers["transformers"])}
    component = {bus: i for i, part in enumerate(nx.connected_components(lv)) for bus in part}
    with_tx = [p for p in props(layers["customers"]) if "transformer" in p]
    assert len(with_tx) > 0.99 * len(layers["customers"])
    for p in with_tx:
        tx_bus = lv_bus[p["transformer"]]
        assert p["bus"] == tx_bus or component.get(p["bus"], -1) == component.get(tx_bus, -2), p


def test_every_bus_is_energised_and_the_grid_is_radial(stats, layers):
    g = nx.MultiGraph()
    g.add_nodes_from(codes(layers["buses"]))
    for p in props(layers["lines"]):
        g.add_edge(p["from_bus"], p["to_bus"])
    for p in props(layers["switches"]):
        if not p["normally_open"]:
            g.add_edge(p["from_bus"], p["to_bus"])
    for p in props(layers["transformers"]):
        g.add_edge(p["hv_bus"], p["lv_bus"])
    reached = set()
    for p in props(layers["sources"]):
        reached |= nx.node_connected_component(g, p["bus"])
    assert reached == set(g.nodes)
    cycles = g.number_of_edges() - g.number_of_nodes() + nx.number_connected_components(g)
    assert cycles == stats["topology"]["closed_cycles"] == 0
    assert stats["topology"]["unenergised_buses"] == stats["topology"]["unenergised_customers"] == 0


def test_most_lines_know_their_feeder(layers):
    lines = props(layers["lines"])
    assert sum("feeder" in p for p in lines) > 0.99 * len(lines)
    switch_codes = codes(layers["switches"])
    assert all(p["feeder"] in switch_codes for p in lines if "feeder" in p)


def test_zone_classes_and_override(layers):
    zones = props(layers["zones"])
    assert {p["class"] for p in zones} == {"urban", "rural", "remote"}
    special = [p for p in zones if "arrival_target_min" in p]
    assert len(special) == 1 and special[0]["class"] == "urban" and special[0]["arrival_target_min"] == 30


def test_zones_do_not_overlap(layers):
    polygons = [shape(f["geometry"]) for f in layers["zones"]]
    for i, a in enumerate(polygons):
        assert a.is_valid
        for b in polygons[i + 1:]:
            assert a.intersection(b).area < 1e-12


@pytest.mark.parametrize("layer", ["customers", "buses", "depots"])
def test_each_point_lies_in_exactly_one_zone(layers, layer):
    points = xy(layers[layer])
    hits = sum(shapely.contains_xy(shape(z["geometry"]), points[:, 0], points[:, 1]).astype(int)
               for z in layers["zones"])
    assert (hits == 1).all(), int((hits != 1).sum())


def test_crews_and_depots(layers):
    crews = props(layers["crews"])
    assert all({"lv", "mv"} & set(p["skills"]) for p in crews)
    assert set().union(*(p["skills"] for p in crews)) == SKILLS
    # C01 is the README's demo crew (user c01): it can take a fault on either level.
    assert {"lv", "mv"} <= set(next(p for p in crews if p["code"] == "C01")["skills"])
    assert all(2 <= len(p["members"]) <= 4 for p in crews)
    classes = {}
    for z in layers["zones"]:
        for i in np.flatnonzero(shapely.contains_xy(shape(z["geometry"]), *xy(layers["depots"]).T)):
            classes[i] = z["properties"]["class"]
    assert {"urban", "rural", "remote"} <= set(classes.values())

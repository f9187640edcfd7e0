"""Factories for test data: a tiny but complete grid as GeoJSON layers, and helpers to vary it.

The grid (around Kashan, lon 51.44 lat 33.98):

    source S1 -- bus MV1 --line L1-- bus MV2 --switch SW1 (breaker)-- bus MV3 --line L2-- bus MV4
    transformer T1: MV2 -> LV1 ; transformer T2: MV4 -> LV2 ; customers on LV1 and LV2
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

LON, LAT = 51.44, 33.98


def point(dx: float, dy: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(LON + dx, 7), round(LAT + dy, 7)]}


def line(*offsets: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [[round(LON + dx, 7), round(LAT + dy, 7)] for dx, dy in offsets]}


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def small_grid() -> dict[str, dict[str, Any]]:
    """Every layer of a small valid grid, keyed by layer name."""
    square = [[LON - 0.05, LAT - 0.05], [LON + 0.05, LAT - 0.05], [LON + 0.05, LAT + 0.05],
              [LON - 0.05, LAT + 0.05], [LON - 0.05, LAT - 0.05]]
    return {
        "zones": collection(
            feature({"type": "Polygon", "coordinates": [square]}, code="Z1", name="Centre", **{"class": "urban"},
                    arrival_target_min=30, manager="Li Wei"),
        ),
        "buses": collection(
            feature(point(0, 0), code="MV1", voltage_kv=10),
            feature(point(0.002, 0), code="MV2", voltage_kv=10),
            feature(point(0.0021, 0), code="MV3", voltage_kv=10),
            feature(point(0.004, 0), code="MV4", voltage_kv=10),
            feature(point(0.002, 0.001), code="LV1", voltage_kv=0.4),
            feature(point(0.004, 0.001), code="LV2", voltage_kv=0.4),
        ),
        "sources": collection(feature(point(0, 0), code="S1", name="Substation 1", bus="MV1")),
        "lines": collection(
            feature(line((0, 0), (0.002, 0)), code="L1", from_bus="MV1", to_bus="MV2", voltage_kv=10, feeder="F1"),
            feature(line((0.0021, 0), (0.004, 0)), code="L2", from_bus="MV3", to_bus="MV4", voltage_kv=10),
        ),
        "switches": collection(
            feature(point(0.00205, 0), code="SW1", from_bus="MV2", to_bus="MV3", kind="breaker", normally_open=False),
        ),
        "transformers": collection(
            feature(point(0.002, 0.001), code="T1", name="TX 1", hv_bus="MV2", lv_bus="LV1", kva=400),
            feature(point(0.004, 0.001), code="T2", name="TX 2", hv_bus="MV4", lv_bus="LV2", kva=250),
        ),
        "customers": collection(
            feature(point(0.0021, 0.0011), account_no="1001", name="Zhang San", phone="13900000001",
                    address="1 Fin Street", bus="LV1", transformer="T1", priority="normal", meter="M-1"),
            feature(point(0.0041, 0.0011), account_no="1002", name="Kashan Hospital", phone="13900000002",
                    address="2 Fin Street", transformer="T2", priority="life_support"),
        ),
        "depots": collection(feature(point(-0.001, -0.001), code="D1", name="North depot")),
        "crews": collection(
            feature(point(-0.001, -0.001), code="C1", name="Crew 1", depot="D1", members=["Wang", "Liu"],
                    phone="13800000001", skills=["lv", "mv"]),
            feature(None, code="C2", name="Crew 2", depot="D1", members=3, phone="13800000002", skills=["lv"]),
        ),
        "roads": collection(
            feature(line((-0.001, -0.001), (0, 0)), highway="primary", maxspeed=60, oneway="no", name="Fin Street"),
            feature(line((0, 0), (0.002, 0), (0.004, 0)), highway="residential", oneway="yes"),
            feature(line((0.004, 0), (-0.001, -0.001)), highway="service", oneway=True, code="R3"),
        ),
    }


def write_layers(directory: Path, layers: dict[str, Any]) -> Path:
    """Write each layer to ``directory/LAYER.geojson`` (a string is written as is)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in layers.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (directory / f"{name}.geojson").write_text(text)
    return directory


def with_change(layers: dict[str, Any], layer: str, index: int, **properties: Any) -> dict[str, Any]:
    """A deep copy of ``layers`` with some properties of one feature replaced (``None`` removes one)."""
    changed = copy.deepcopy(layers)
    props = changed[layer]["features"][index]["properties"]
    for name, value in properties.items():
        if value is None:
            props.pop(name, None)
        else:
            props[name] = value
    return changed


def feeder_grid() -> dict[str, dict[str, Any]]:
    """Two feeders for locating and outage inference.

        S1 =B0 --BR1 breaker--> B1 --L1--> B2 --R1 recloser--> B3
            B3 --L2--> B4 --F1 fuse--> B5 =T1=> LV1 (10 customers)
            B3 --L3--> B6 --SEC1 sectionalizer--> B7 --L4--> B8 --F2 fuse--> B9 =T2=> LV2 (10)
            B3 --L5--> B10 --F3 fuse--> B11 =T3=> LV3 (10)
            B1 --L6--> B12 --F4 fuse--> B13 =T4=> LV4 (10)
        S2 =B20 --BR2 breaker--> B21 --L7--> B22 --TIE (normally open)--> B7
        S2 also feeds B23 --F5 fuse--> B24 =T5=> LV5 (10)

    Zone Z1 (urban) covers everything west of lon+0.02; Z2 (rural) the rest; the east end of
    feeder 2 (T5) lies outside both zones.
    """
    def bus(code, dx, dy, kv=10):
        return feature(point(dx, dy), code=code, voltage_kv=kv)

    def link(code, a, b, pa, pb):
        return feature(line(pa, pb), code=code, from_bus=a, to_bus=b, voltage_kv=10)

    def switch(code, a, b, where, kind, normally_open=False):
        return feature(point(*where), code=code, from_bus=a, to_bus=b, kind=kind, normally_open=normally_open)

    places = {"B0": (0, 0), "B1": (0.001, 0), "B2": (0.004, 0), "B3": (0.005, 0), "B4": (0.008, 0.002),
              "B5": (0.0085, 0.002), "B6": (0.008, 0), "B7": (0.0085, 0), "B8": (0.011, 0),
              "B9": (0.0115, 0), "B10": (0.008, -0.002), "B11": (0.0085, -0.002), "B12": (0.004, -0.006),
              "B13": (0.0045, -0.006), "B20": (0.03, 0), "B21": (0.029, 0), "B22": (0.02, 0),
              "B23": (0.032, 0.004), "B24": (0.0325, 0.004)}
    transformers = {"T1": ("B5", 0), "T2": ("B9", 1), "T3": ("B11", 2), "T4": ("B13", 3), "T5": ("B24", 4)}
    buses = [bus(code, *where) for code, where in places.items()]
    customers = []
    for code, (hv, n) in transformers.items():
        x, y = places[hv]
        buses.append(bus(f"LV{n + 1}", x + 0.0005, y + 0.0005, 0.4))
        for k in range(10):
            customers.append(feature(point(x + 0.0005 + 0.0002 * k, y + 0.0008), account_no=f"{n + 1}{k:03d}",
                                     name=f"Customer {n + 1}-{k}", phone=f"1390000{n + 1}{k:03d}",
                                     address=f"{k + 1} {code} Road", bus=f"LV{n + 1}",
                                     priority="life_support" if k == 0 and n == 0 else "normal"))
    west = [[LON - 0.01, LAT - 0.01], [LON + 0.02, LAT - 0.01], [LON + 0.02, LAT + 0.01],
            [LON - 0.01, LAT + 0.01], [LON - 0.01, LAT - 0.01]]
    east = [[LON + 0.02, LAT - 0.01], [LON + 0.031, LAT - 0.01], [LON + 0.031, LAT + 0.01],
            [LON + 0.02, LAT + 0.01], [LON + 0.02, LAT - 0.01]]
    p = places
    return {
        "zones": collection(
            feature({"type": "Polygon", "coordinates": [west]}, code="Z1", name="Town", **{"class": "urban"}),
            feature({"type": "Polygon", "coordinates": [east]}, code="Z2", name="Fields", **{"class": "rural"}),
        ),
        "buses": collection(*buses),
        "sources": collection(feature(point(*p["B0"]), code="S1", name="Substation 1", bus="B0"),
                              feature(point(*p["B20"]), code="S2", name="Substation 2", bus="B20")),
        "lines": collection(
            link("L1", "B1", "B2", p["B1"], p["B2"]), link("L2", "B3", "B4", p["B3"], p["B4"]),
            link("L3", "B3", "B6", p["B3"], p["B6"]), link("L4", "B7", "B8", p["B7"], p["B8"]),
            link("L5", "B3", "B10", p["B3"], p["B10"]), link("L6", "B1", "B12", p["B1"], p["B12"]),
            link("L7", "B21", "B22", p["B21"], p["B22"]), link("L8", "B21", "B23", p["B21"], p["B23"]),
        ),
        "switches": collection(
            switch("BR1", "B0", "B1", p["B1"], "breaker"), switch("R1", "B2", "B3", p["B3"], "recloser"),
            switch("F1", "B4", "B5", p["B5"], "fuse"), switch("SEC1", "B6", "B7", p["B7"], "sectionalizer"),
            switch("F2", "B8", "B9", p["B9"], "fuse"), switch("F3", "B10", "B11", p["B11"], "fuse"),
            switch("F4", "B12", "B13", p["B13"], "fuse"), switch("BR2", "B20", "B21", p["B21"], "breaker"),
            switch("TIE", "B22", "B7", p["B22"], "disconnector", normally_open=True),
            switch("F5", "B23", "B24", p["B24"], "fuse"),
        ),
        "transformers": collection(*[
            feature(point(*p[hv]), code=code, name=f"TX {code}", hv_bus=hv, lv_bus=f"LV{n + 1}", kva=400)
            for code, (hv, n) in transformers.items()]),
        "customers": collection(*customers),
    }


def dispatch_grid() -> dict[str, dict[str, Any]]:
    """feeder_grid with streets, depots and crews.

    Main street (two-way, residential) along lat+0.001 from lon-0.004 to lon+0.036, nodes every
    0.004; South street (one-way eastbound, primary) along lat-0.004; cross streets at the two
    ends and the middle (lon+0.016). Depots DW (west end of Main) and DE (east end). Crews CW
    (DW, lv+mv), CE (DE, lv+mv) and CL (DW, lv only, off duty).
    """
    layers = feeder_grid()
    xs = [round(-0.004 + 0.004 * i, 3) for i in range(11)]
    main = [feature(line((a, 0.001), (b, 0.001)), code=f"MAIN{i}", highway="residential", name="Main Street")
            for i, (a, b) in enumerate(zip(xs, xs[1:]))]
    south = [feature(line((a, -0.004), (b, -0.004)), code=f"SOUTH{i}", highway="primary", oneway="yes",
                     name="South Street") for i, (a, b) in enumerate(zip(xs, xs[1:]))]
    cross = [feature(line((x, 0.001), (x, -0.004)), code=f"CROSS{i}", highway="residential")
             for i, x in enumerate((xs[0], xs[5], xs[10]))]
    layers["roads"] = collection(*main, *south, *cross)
    layers["depots"] = collection(feature(point(xs[0], 0.001), code="DW", name="West depot"),
                                  feature(point(xs[10], 0.001), code="DE", name="East depot"))
    crew = {"members": ["A", "B"], "phone": "13800000000"}
    layers["crews"] = collection(
        feature(point(xs[0], 0.001), code="CW", name="West crew", depot="DW", skills=["lv", "mv"], **crew),
        feature(point(xs[10], 0.001), code="CE", name="East crew", depot="DE", skills=["lv", "mv"], **crew),
        feature(point(xs[0], 0.001), code="CL", name="LV crew", depot="DW", skills=["lv"], **crew),
    )
    return layers


def radial_grid(tree: tuple) -> dict[str, dict[str, Any]]:
    """A single radial feeder from a nested description, for outage inference cases.

    ``tree`` is ``(code, kind, [children])`` for a protective switch (breaker, recloser,
    sectionalizer, fuse) or ``(code, customers)`` for a transformer; the top one hangs off source
    S1. Customer ``k`` of transformer ``T`` has account number ``T-k`` (k from 1)."""
    layers: dict[str, list[dict[str, Any]]] = {name: [] for name in
                                               ("buses", "sources", "lines", "switches", "transformers", "customers")}
    row = [0]

    def bus(code: str, kv: float = 10) -> tuple[str, tuple[float, float]]:
        row[0] += 1
        where = (0.0003 * (row[0] % 40), 0.0003 * (row[0] // 40))
        layers["buses"].append(feature(point(*where), code=code, voltage_kv=kv))
        return code, where

    def add(node: tuple, parent: str, parent_at: tuple[float, float]) -> None:
        code = node[0]
        head, at = bus(f"{code}-in")
        layers["lines"].append(feature(line(parent_at, at), code=f"{code}-l", from_bus=parent, to_bus=head,
                                       voltage_kv=10))
        if len(node) == 3:
            out, _ = bus(f"{code}-out")
            layers["switches"].append(feature(point(*at), code=code, from_bus=head, to_bus=out, kind=node[1],
                                              normally_open=False))
            for child in node[2]:
                add(child, out, at)
            return
        lv, lv_at = bus(f"{code}-lv", 0.4)
        layers["transformers"].append(feature(point(*at), code=code, name=code, hv_bus=head, lv_bus=lv, kva=400))
        for k in range(1, node[1] + 1):
            layers["customers"].append(feature(point(lv_at[0] + 0.000001 * k, lv_at[1] + 0.0001),
                                               account_no=f"{code}-{k}", name=f"Customer {code}-{k}", bus=lv,
                                               phone=f"139{row[0]:05d}{k:03d}", address=f"{k} {code} Road",
                                               priority="normal"))

    root, at = bus("S1-bus")
    layers["sources"].append(feature(point(*at), code="S1", name="Substation 1", bus=root))
    add(tree, root, at)
    return {name: collection(*features) for name, features in layers.items()}


def stretched(layers: dict, code: str, km: float) -> dict:
    """``layers`` with line ``code`` drawn as a detour of about ``km`` (out north and back), its
    ends where they were."""
    drawn = next(f for f in layers["lines"]["features"] if f["properties"]["code"] == code)
    (x0, y0), (x1, y1) = drawn["geometry"]["coordinates"]
    rise = km / 2 / 111.32
    drawn["geometry"]["coordinates"] = [[x0, y0], [x0, y0 + rise], [x1, y1 + rise], [x1, y1]]
    return layers

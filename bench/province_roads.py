"""The province's road graph in memory: the demo town's real roads tiled into a region.

    .venv/bin/python bench/province_roads.py [--copies 66]    # prints its size

Routing at province scale (issue 17) is tested and measured on this graph without a database:
the roads of data/demo/roads.geojson (OpenStreetMap, Kashan) are read the way the importer reads
them (end points at 1e-7 degrees are the nodes, ``oneway`` gives the directions, ``maxspeed`` or
the road class's speed the time), then copied side by side on a grid of columns and rows exactly as
bench/larger_grid.py lays a larger grid out, and neighbouring copies joined by the same two-way
links, so that the largest strongly connected part spans the region. 66 copies of the town's
31,071 directed edges make 2,050,000 or so. Derived from OpenStreetMap data: DATA_LICENSES.md applies.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.larger_grid import _link_ends, extent_of, layout, links, offsets  # noqa: E402
from dispatch.routing.graph import DirectedEdges  # noqa: E402
from dispatch.routing.speeds import FALLBACK_KMH, speed_table  # noqa: E402

DEMO_ROADS = Path(__file__).resolve().parent.parent / "data" / "demo" / "roads.geojson"
#: Copies of the town that make a province of over two million directed edges.
PROVINCE_COPIES = 66
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class RoadNetwork:
    """Directed edges (node ids from 1) and every node's position (index = node id - 1)."""

    edges: DirectedEdges
    lon: np.ndarray
    lat: np.ndarray


def _length_m(coordinates: list[list[float]]) -> float:
    """Great-circle length of a line (the importer's ST_Length on geography, to within 0.5 %)."""
    points = np.radians(np.asarray(coordinates, dtype=float)[:, :2])
    dlon, dlat = np.diff(points[:, 0]), np.diff(points[:, 1])
    a = np.sin(dlat / 2) ** 2 + np.cos(points[:-1, 1]) * np.cos(points[1:, 1]) * np.sin(dlon / 2) ** 2
    return float(np.sum(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))))


def road_network(roads: list[dict], speeds_kmh: dict[str, float] | None = None) -> RoadNetwork:
    """The directed road graph of GeoJSON road features, as dispatch/routing/store.py makes it."""
    speeds = speeds_kmh or speed_table()
    nodes: dict[tuple[int, int], int] = {}

    def node(point: list[float]) -> int:
        key = (round(point[0] * 1e7), round(point[1] * 1e7))
        return nodes.setdefault(key, len(nodes) + 1)

    source, target, seconds, road = [], [], [], []
    for road_id, feature in enumerate(roads, start=1):
        line, properties = feature["geometry"]["coordinates"], feature["properties"]
        a, b = node(line[0]), node(line[-1])
        kmh = properties.get("maxspeed") or speeds.get(properties.get("highway"), FALLBACK_KMH)
        time = _length_m(line) / (float(kmh) / 3.6)
        oneway = str(properties.get("oneway", "no"))
        if oneway != "-1":
            source.append(a), target.append(b), seconds.append(time), road.append(road_id)
        if oneway != "yes":
            source.append(b), target.append(a), seconds.append(time), road.append(road_id)
    positions = np.array(list(nodes), dtype=float) / 1e7
    edges = DirectedEdges(np.array(source, dtype=np.int64), np.array(target, dtype=np.int64),
                          np.array(seconds), np.array(road, dtype=np.int64))
    return RoadNetwork(edges, positions[:, 0], positions[:, 1])


def province(copies: int = PROVINCE_COPIES, roads_file: Path = DEMO_ROADS) -> RoadNetwork:
    """``copies`` of the town's roads on a grid, joined to their east and north neighbours."""
    roads = orjson.loads(roads_file.read_bytes())["features"]
    shifts = offsets(extent_of({"roads": roads}), copies)
    columns, _ = layout(copies)
    town = road_network(roads)
    n = len(town.lon)
    # Copy k's nodes are the town's shifted, ids k * n + 1 ...; its roads' ids likewise.
    parts = [DirectedEdges(town.edges.source + k * n, town.edges.target + k * n, town.edges.seconds,
                           town.edges.road + k * len(roads)) for k in range(copies)]
    positions = {(round(x * 1e7), round(y * 1e7)): i + 1 for i, (x, y) in enumerate(zip(town.lon, town.lat))}
    ends = {side: positions[(round(x * 1e7), round(y * 1e7))] for side, (x, y) in _link_ends(roads).items()}
    for number, link in enumerate(links(roads, shifts)):
        k, neighbour = (int(part[1:]) for part in link["properties"]["code"].split("-")[1:])
        leave, enter = ("east", "west") if columns > 1 and neighbour == k + 1 else ("north", "south")
        a, b = ends[leave] + k * n, ends[enter] + neighbour * n
        time = _length_m(link["geometry"]["coordinates"]) / (link["properties"]["maxspeed"] / 3.6)
        road_id = copies * len(roads) + number + 1
        parts.append(DirectedEdges(np.array([a, b]), np.array([b, a]), np.array([time, time]),
                                   np.array([road_id, road_id])))
    lon = np.concatenate([town.lon + dx for dx, _ in shifts])
    lat = np.concatenate([town.lat + dy for _, dy in shifts])
    return RoadNetwork(DirectedEdges(*(np.concatenate([getattr(p, f) for p in parts])
                                       for f in ("source", "target", "seconds", "road"))), lon, lat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=PROVINCE_COPIES)
    args = parser.parse_args()
    network = province(args.copies)
    print(f"{args.copies} copies: {len(network.lon):,} nodes, {len(network.edges.source):,} directed edges")


if __name__ == "__main__":
    main()

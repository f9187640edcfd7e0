"""Synthetic service zones, depots and customer addresses laid over the real road network."""

import math
import random

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree
from shapely.geometry import mapping
from shapely.geometry.polygon import orient

from .geo import feature, metres_per_degree, point

# grid tag -> (area name, zone class, number of zones); the rural zone farthest from the
# city becomes the remote one.
AREAS = {"U-": ("Kashan Centre", "urban", 5), "C-": ("Kashan Bazaar", "urban", 5),
         "R-": ("Fin Road", "rural", 5)}
REMOTE_NAME = "Fin Remote"
COMPASS = ("East", "North-East", "North", "North-West", "West", "South-West", "South", "South-East")
CENTRAL_M = 400.0  # a zone seed this close to its area's centre takes the bare area name
MARGIN_DEG = 0.005
SPECIAL_TARGET_MIN = 30


def _metric(points: np.ndarray, lat: float) -> np.ndarray:
    return np.asarray(points) * metres_per_degree(lat)


def _seeds(points_by_tag: dict[str, np.ndarray], seed: int) -> list[tuple[str, np.ndarray]]:
    """k-means centres of each grid's customer points, computed in metres."""
    out = []
    for tag, pts in points_by_tag.items():
        lat = float(pts[:, 1].mean())
        centres, _ = kmeans2(_metric(pts, lat), AREAS[tag][2], minit="++", rng=np.random.default_rng(seed))
        centres /= metres_per_degree(lat)
        out += [(tag, c) for c in sorted(centres.tolist(), key=lambda c: (-c[1], c[0]))]
    return out


def _district(area: str, xy, centre) -> str:
    """``area`` plus the compass direction from the area's centre, e.g. "Kashan Centre North"."""
    dx, dy = _metric(np.subtract(xy, centre), centre[1])
    if math.hypot(dx, dy) < CENTRAL_M:
        return area
    return f"{area} {COMPASS[round(math.degrees(math.atan2(dy, dx)) / 45) % 8]}"


def zones(points_by_tag: dict[str, np.ndarray], extent: tuple, customers: list[dict], seed: int = 73) -> list[dict]:
    """Voronoi cells of per-grid k-means centres, clipped to the whole data extent, so the zones
    never overlap and cover every bus, customer and depot. The urban zone with the most
    priority customers gets a stricter arrival target to exercise per-zone overrides."""
    seeds = _seeds(points_by_tag, seed)
    city = np.concatenate([points_by_tag["U-"], points_by_tag["C-"]]).mean(axis=0)
    rural = [i for i, (tag, _) in enumerate(seeds) if tag == "R-"]
    remote = max(rural, key=lambda i: float(np.hypot(*_metric(seeds[i][1] - city, city[1]))))
    box = shapely.box(*np.add(extent, [-MARGIN_DEG, -MARGIN_DEG, MARGIN_DEG, MARGIN_DEG]))
    cells = shapely.voronoi_polygons(shapely.MultiPoint([c for _, c in seeds]), extend_to=box, ordered=True)
    out, names = [], set()
    for i, ((tag, centre), cell) in enumerate(zip(seeds, cells.geoms)):
        area, cls, _ = AREAS[tag]
        group = np.array([c for t, c in seeds if t == tag]).mean(axis=0)
        name = REMOTE_NAME if i == remote else _district(area, centre, group)
        name = name if name not in names else f"{name} {i + 1}"
        names.add(name)
        polygon = orient(cell.intersection(box), 1.0)  # RFC 7946: exterior ring counter-clockwise
        out.append(feature(mapping(polygon), {"code": f"Z{i + 1:02d}", "name": name,
                                              "class": "remote" if i == remote else cls}))
    _set_special_target(out, customers)
    return out


def zone_index(zone_features: list[dict], xy: np.ndarray) -> np.ndarray:
    """Index of the zone containing each point (-1 when none)."""
    found = np.full(len(xy), -1)
    for i, z in enumerate(zone_features):
        inside = shapely.contains_xy(shapely.geometry.shape(z["geometry"]), xy[:, 0], xy[:, 1])
        found[inside] = i
    return found


def _set_special_target(zone_features: list[dict], customers: list[dict]) -> None:
    xy = np.array([c["geometry"]["coordinates"] for c in customers])
    where = zone_index(zone_features, xy)
    special = np.array([c["properties"]["priority"] != "normal" for c in customers])
    counts = np.bincount(where[special], minlength=len(zone_features))
    urban = [i for i, z in enumerate(zone_features) if z["properties"]["class"] == "urban"]
    zone_features[max(urban, key=lambda i: counts[i])]["properties"]["arrival_target_min"] = SPECIAL_TARGET_MIN


def fill_addresses(customers: list[dict], roads: list[dict], zone_features: list[dict], seed: int = 74) -> None:
    """``<house number> <nearest named road>, <zone name>``; the road names are OSM's own."""
    named = [(xy, r["properties"]["name"]) for r in roads if "name" in r["properties"]
             for xy in r["geometry"]["coordinates"]]
    lat = float(np.mean([xy[1] for xy, _ in named]))
    tree = cKDTree(_metric([xy for xy, _ in named], lat))
    xy = np.array([c["geometry"]["coordinates"] for c in customers])
    _, nearest = tree.query(_metric(xy, lat))
    where = zone_index(zone_features, xy)
    rnd = random.Random(seed)
    for c, road, zone in zip(customers, nearest, where):
        c["properties"]["address"] = (f"{rnd.randint(1, 199)} {named[road][1]}, "
                                      f"{zone_features[zone]['properties']['name']}")


def depots(roads: list[dict], zone_features: list[dict], points_by_tag: dict[str, np.ndarray]) -> list[dict]:
    """Five depots on road end points: between the two city grids, in each grid, and in the
    remote zone."""
    ends = np.array([r["geometry"]["coordinates"][i] for r in roads for i in (0, -1)])
    lat = float(ends[:, 1].mean())
    tree = cKDTree(_metric(ends, lat))
    remote = next(shapely.geometry.shape(z["geometry"]) for z in zone_features
                  if z["properties"]["class"] == "remote")
    rural = points_by_tag["R-"]
    far = rural[shapely.contains_xy(remote, rural[:, 0], rural[:, 1])]
    centre = {tag: pts.mean(axis=0) for tag, pts in points_by_tag.items()}
    targets = [("Kashan Central Depot", (centre["U-"] + centre["C-"]) / 2),
               ("Kashan Centre Depot", centre["U-"]), ("Kashan Bazaar Depot", centre["C-"]),
               ("Fin Road Depot", centre["R-"]),
               ("Fin Remote Depot", far.mean(axis=0))]
    out = []
    for n, (name, target) in enumerate(targets, start=1):
        _, i = tree.query(_metric(target, lat))
        out.append(feature(point(tuple(ends[i].tolist())), {"code": f"D{n}", "name": name}))
    return out

"""Build the demo data set (GeoJSON import format, docs/data-format.md) from real open data.

Usage: .venv/bin/python scripts/build_demo_data.py --out data/demo [--cache data/cache]

Roads are Kashan's OpenStreetMap drive network; the grid is three SimBench MV/LV nets, each moved
onto Kashan by one fixed transform; customers' names, phones, addresses and priorities, zones,
depots and crews are synthesised with fixed seeds, so every run writes the same bytes.
Licences: DATA_LICENSES.md.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_data import areas, people, roads, topology  # noqa: E402
from demo_data.geo import Placement, write_collection  # noqa: E402
from demo_data.grid import convert  # noqa: E402

# (tag, SimBench code, placement). Urban and commercial sit side by side over the dense centre,
# the rural net is turned along the sparser south-western arm of the city (the road to Fin).
GRIDS = (
    ("U-", "1-MVLV-urban-all-0-sw", Placement((11.3691, 53.6383), (51.415, 33.987), 1.0, 0.0)),
    ("R-", "1-MVLV-rural-all-0-sw", Placement((11.40825, 53.63455), (51.392, 33.951), 0.9, -60.0)),
    ("C-", "1-MVLV-comm-all-0-sw", Placement((11.45275, 53.5883), (51.451, 33.984), 1.0, 0.0)),
)
LAYERS = ("zones", "buses", "sources", "lines", "switches", "transformers", "customers", "depots",
          "crews", "roads")


def load_grids():
    """The three SimBench nets, converted (pandapower warns about its own optional extras)."""
    import simbench

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [convert(simbench.get_simbench_net(code), tag, placement) for tag, code, placement in GRIDS]


def merge(grids) -> dict[str, list[dict]]:
    layers = {name: [] for name in grids[0].layers}
    for grid in grids:
        for name, features in grid.layers.items():
            layers[name] += features
    return layers


def extent(*feature_lists) -> tuple[float, float, float, float]:
    """Bounding box of every coordinate in the given features."""
    xy = np.array([c for features in feature_lists for f in features
                   for c in np.reshape(f["geometry"]["coordinates"], (-1, 2))])
    return (*xy.min(axis=0), *xy.max(axis=0))


def label_feeders(g, layers, grids) -> None:
    """Each line's ``feeder``: the code of the switch where its feeder leaves the substation."""
    heads = {k: v for grid in grids for k, v in grid.feeder_heads.items()}
    feeder_of = topology.feeders(g, set().union(*(grid.station_buses for grid in grids)), heads)
    for line in layers["lines"]:
        p = line["properties"]
        if p["from_bus"] in feeder_of:
            p["feeder"] = feeder_of[p["from_bus"]]


def build(out_dir: Path, cache_dir: Path) -> dict:
    """Write every layer to ``out_dir``; returns counts per layer, road-graph and topology stats,
    the placement transforms and the runtime."""
    start = time.perf_counter()
    road_features = roads.load_roads(cache_dir)
    grids = load_grids()
    layers = merge(grids)
    layers["roads"] = road_features
    layers["customers"] = people.customers(grids)
    points = {grid.tag: np.array([c["geometry"]["coordinates"] for c in layers["customers"]
                                  if c["properties"]["grid"] == grid.tag.rstrip("-")]) for grid in grids}
    layers["zones"] = areas.zones(points, extent(road_features, layers["buses"], layers["customers"]),
                                  layers["customers"])
    areas.fill_addresses(layers["customers"], road_features, layers["zones"])
    layers["depots"] = areas.depots(road_features, layers["zones"], points)
    layers["crews"] = people.crews(layers["depots"])
    closed = topology.closed_graph(layers)
    label_feeders(closed, layers, grids)

    out_dir.mkdir(parents=True, exist_ok=True)
    for name in LAYERS:
        write_collection(out_dir / f"{name}.geojson", layers[name])
    return {"counts": {name: len(layers[name]) for name in LAYERS},
            **roads.graph_stats(road_features),
            "topology": topology.check(closed, layers),
            "transforms": {tag: placement.describe() for tag, _, placement in GRIDS},
            "seconds": round(time.perf_counter() - start, 1)}


def report(stats: dict) -> None:
    print(f"road graph: {stats['road_nodes']} nodes, {stats['road_directed_edges']} directed edges")
    for tag, t in stats["transforms"].items():
        print(f"placement {tag}: scale {t['scale']}, rotation {t['rotation_deg']} deg, "
              f"{t['source_centre']} -> {t['target_centre']}, matrix {t['matrix']}")
    print("topology:", ", ".join(f"{k} {v}" for k, v in stats["topology"].items()))
    print(f"{'layer':<14}{'features':>9}")
    for name, n in stats["counts"].items():
        print(f"{name:<14}{n:>9}")
    print(f"built in {stats['seconds']} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the LAYER.geojson files")
    parser.add_argument("--cache", type=Path, default=Path("data/cache"), help="download cache")
    args = parser.parse_args(argv)
    report(build(args.out, args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())

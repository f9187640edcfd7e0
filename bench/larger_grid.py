"""A grid N times larger than the demo, made from the demo's own layers, for large-scale benchmarks.

    .venv/bin/python bench/larger_grid.py --copies 10 OUT      # then: flask --app wsgi data import OUT

Every layer of a directory of ``LAYER.geojson`` files (docs/data-format.md; by default the demo set
that scripts/build_demo_data.py writes to data/demo) is copied N times. The copies are laid side by
side on a grid of columns and rows, each shifted by the width or height of the whole data set plus
a small gap, so that the area served grows N times and the density stays that of the real data:
a tile sees what it would see over the real town. Copy 0 is the source as it is; copy k > 0 has
every key suffixed ``-rK`` (codes, account numbers) and every reference between layers rewritten
the same way (a line's buses and feeder, a switch's or transformer's buses, a source's bus, a
customer's bus and transformer, a crew's depot), so that each copy is a grid of its own. Names that
the desk shows (zones, sources, transformers, depots, crews) get `` rK`` too; customers keep their
names and phone numbers. With ``--crews N`` only N crews in all are kept, spread evenly over
the copies (a province has hundreds of crews, not twenty per town). The copies' road networks are
joined by two-way links between neighbouring copies (end points of major two-way roads nearest
the shared side), so that the road graph's largest strongly connected part spans every copy and
crews can drive from one to the next.

The output goes through the project's real importer like any other data set.

Attribution: this is "large-scale test data synthesised from real data". It is derived from the
demo files, which are derived from OpenStreetMap (roads) and SimBench (grid), both under the Open
Database License: DATA_LICENSES.md applies to whatever this writes (the same attributions, ODbL 1.0
share-alike). The copies' positions are synthetic: the shifted towns do not exist.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Iterator

import orjson

#: Properties that hold the key of a feature of another layer (or the same one), per layer.
REFERENCES: dict[str, tuple[str, ...]] = {
    "sources": ("bus",),
    "lines": ("from_bus", "to_bus", "feeder"),
    "switches": ("from_bus", "to_bus"),
    "transformers": ("hv_bus", "lv_bus"),
    "customers": ("bus", "transformer"),
    "crews": ("depot",),
}
#: The layers whose ``name`` the desk shows beside the code: marked with the copy.
NAMED = frozenset({"zones", "sources", "transformers", "depots", "crews"})
KEYS = {"customers": "account_no"}
LAYER_NAMES = ("zones", "buses", "sources", "lines", "switches", "transformers", "customers", "depots", "crews",
               "roads")
#: Road classes a link between two copies may start or end on.
LINKABLE = frozenset({"motorway", "trunk", "primary", "secondary"})
#: Degrees left empty between neighbouring copies (about 200 m), so that no zone overlaps another.
GAP_DEG = 0.002


@dataclass(frozen=True)
class Extent:
    west: float
    south: float
    east: float
    north: float

    @property
    def width(self) -> float:
        return self.east - self.west

    @property
    def height(self) -> float:
        return self.north - self.south


def suffix(copy: int) -> str:
    """What copy ``copy``'s keys end with (nothing for copy 0, the source itself)."""
    return f"-r{copy}" if copy else ""


def layout(copies: int) -> tuple[int, int]:
    """Columns and rows of the copies: as square as it goes, filled row by row from the south-west."""
    columns = math.ceil(math.sqrt(copies))
    return columns, math.ceil(copies / columns)


def offsets(extent: Extent, copies: int, gap: float = GAP_DEG) -> list[tuple[float, float]]:
    """Each copy's (lon, lat) shift in degrees, whole 1e-7 degrees so that shared end points stay shared."""
    columns, _ = layout(copies)
    step_x, step_y = round(extent.width + gap, 4), round(extent.height + gap, 4)
    return [(round(k % columns * step_x, 7), round(k // columns * step_y, 7)) for k in range(copies)]


def _positions(coordinates: Any) -> Iterator[list[float]]:
    if coordinates and isinstance(coordinates[0], (int, float)):
        yield coordinates
    else:
        for part in coordinates:
            yield from _positions(part)


def extent_of(layers: dict[str, list[dict[str, Any]]]) -> Extent:
    """The box around every feature of every layer."""
    xs, ys = [], []
    for features in layers.values():
        for feature in features:
            if feature.get("geometry"):
                for x, y, *_ in _positions(feature["geometry"]["coordinates"]):
                    xs.append(x)
                    ys.append(y)
    return Extent(min(xs), min(ys), max(xs), max(ys))


def _shifted(coordinates: Any, dx: float, dy: float) -> Any:
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0] + dx, 7), round(coordinates[1] + dy, 7), *coordinates[2:]]
    return [_shifted(part, dx, dy) for part in coordinates]


def copy_feature(layer: str, feature: dict[str, Any], copy: int, dx: float, dy: float) -> dict[str, Any]:
    """``feature`` as it is in copy ``copy``: moved by (dx, dy), its key and references suffixed."""
    if copy == 0:
        return feature
    end = suffix(copy)
    properties = dict(feature["properties"])
    key = KEYS.get(layer, "code")
    if properties.get(key) is not None:
        properties[key] = f"{properties[key]}{end}"
    for name in REFERENCES.get(layer, ()):
        if properties.get(name) is not None:
            properties[name] = f"{properties[name]}{end}"
    if layer in NAMED and properties.get("name") is not None:
        properties["name"] = f"{properties['name']} r{copy}"
    geometry = feature.get("geometry")
    if geometry is not None:
        geometry = {**geometry, "coordinates": _shifted(geometry["coordinates"], dx, dy)}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _link_ends(roads: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """The westmost, eastmost, southmost and northmost end point of a major two-way road (of any
    two-way road if there is no major one)."""
    two_way = [f for f in roads if str(f["properties"].get("oneway", "no")) in ("no", "False")]
    major = [f for f in two_way if f["properties"].get("highway") in LINKABLE]
    ends = [tuple(f["geometry"]["coordinates"][i][:2]) for f in major or two_way for i in (0, -1)]
    if not ends:
        return {}
    return {"west": min(ends), "east": max(ends),
            "south": min(ends, key=lambda p: p[1]), "north": max(ends, key=lambda p: p[1])}


def links(roads: list[dict[str, Any]], shifts: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """Two-way roads joining each copy to its east and north neighbours."""
    ends = _link_ends(roads)
    if not ends:
        return []
    columns, _ = layout(len(shifts))
    made = []
    for k, (dx, dy) in enumerate(shifts):
        for neighbour, leave, enter in ((k + 1, "east", "west"), (k + columns, "north", "south")):
            if neighbour >= len(shifts) or (leave == "east" and neighbour % columns == 0):
                continue
            (x0, y0), (x1, y1) = ends[leave], ends[enter]
            nx, ny = shifts[neighbour]
            made.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
                [round(x0 + dx, 7), round(y0 + dy, 7)], [round(x1 + nx, 7), round(y1 + ny, 7)]]},
                "properties": {"code": f"link-r{k}-r{neighbour}", "highway": "primary", "oneway": "no",
                               "maxspeed": 60, "name": f"Link r{k}-r{neighbour}"}})
    return made


def read_layers(source: Path) -> dict[str, list[dict[str, Any]]]:
    """The features of every ``LAYER.geojson`` in ``source``."""
    return {name: orjson.loads((source / f"{name}.geojson").read_bytes())["features"]
            for name in LAYER_NAMES if (source / f"{name}.geojson").is_file()}


def crews_per_copy(total: int, copies: int) -> list[int]:
    """How many of its crews each copy keeps so that ``total`` crews are spread evenly over the
    copies: ``total / copies`` rounded down or up, the extra ones interleaved."""
    return [(k + 1) * total // copies - k * total // copies for k in range(copies)]


def _kept(name: str, features: list[dict[str, Any]], copy: int, crews: list[int] | None) -> list[dict[str, Any]]:
    """The features copy ``copy`` has of layer ``name``: all, or for crews the first few when the
    total is capped (the demo's crews cycle through its depots and skills, so the first of them
    are spread over both)."""
    return features[:crews[copy]] if name == "crews" and crews is not None else features


def _write_collection(path: Path, parts: Iterator[list[dict[str, Any]]]) -> int:
    """Write a FeatureCollection part by part, so that no more than one copy of a layer is held:
    a province's customers would take gigabytes as one list."""
    written = 0
    with path.open("wb") as out:
        out.write(b'{"type":"FeatureCollection","features":[')
        for part in parts:
            for feature in part:
                out.write(b"," if written else b"")
                out.write(orjson.dumps(feature))
                written += 1
        out.write(b"]}")
    return written


def write_larger_grid(source: Path, target: Path, copies: int, crews: int | None = None) -> dict[str, int]:
    """Write ``copies`` shifted copies of ``source``'s layers to ``target`` (created if needed) as
    ``LAYER.geojson`` files; return the number of features written per layer. ``crews``: the
    number of crews in all, spread over the copies (default: every copy has all of the source's)."""
    if copies < 1:
        raise ValueError("copies must be at least 1")
    layers = read_layers(source)
    shifts = offsets(extent_of(layers), copies)
    per_copy = crews_per_copy(crews, copies) if crews is not None else None
    target.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, features in layers.items():
        parts = ([copy_feature(name, feature, k, dx, dy) for feature in _kept(name, features, k, per_copy)]
                 for k, (dx, dy) in enumerate(shifts))
        if name == "roads":
            parts = chain(parts, [links(features, shifts)])
        written[name] = _write_collection(target / f"{name}.geojson", parts)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", type=Path, help="directory to write LAYER.geojson files to")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--crews", type=int, default=None,
                        help="crews in all, spread over the copies (default: every copy has all the source's)")
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "demo")
    args = parser.parse_args()
    for name, count in write_larger_grid(args.source, args.target, args.copies, args.crews).items():
        print(f"{name:<13}{count:>9}")


if __name__ == "__main__":
    sys.exit(main())

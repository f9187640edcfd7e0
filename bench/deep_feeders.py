"""Deep radial feeders, generated from a seed, as GeoJSON layers the real importer takes.

    .venv/bin/python bench/deep_feeders.py --shape deep OUT      # then: flask --app wsgi data import OUT

Real distribution feeders are what outage inference must work on: a breaker at the substation,
reclosers and sectionalizers down the trunk, fuses on the laterals and sub-laterals, and
distribution transformers of very different sizes (a works on its own transformer, a block of
flats on 150) hanging off every level, each on a tap of 30 to 300 m. Lines have real lengths: the
line to a device is log-normal around ``section_km`` (0.7 times shorter each level down). Each shape below gives five or more levels of protective devices and
hundreds of customers behind the upper devices; the same seed always gives the same feeder.

Synthetic data: the places are laid out on a plain grid near lon 51.44 lat 33.98 (no real town).
"""
from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LON, LAT = 51.44, 33.98
#: The protective device at each level, from the substation down (deeper levels are fuses).
KINDS = ("breaker", "recloser", "sectionalizer", "sectionalizer", "fuse", "fuse", "fuse", "fuse")


@dataclass(frozen=True)
class Shape:
    """How a feeder branches: protective levels, child devices per device (range), transformers
    directly on a device's section (range), the share of dedicated transformers (one works, 1 to 4
    accounts: 专变), and the log-normal spread of customers on the public ones (5 to 300).

    The public transformers' sizes follow SimBench's MV/LV grids (13 to 118 loads per LV grid,
    median 41 rural, 99 semi-urban, 104 urban): medians 30, 50 and 80 here. An earlier version
    drew a median of 12 and 30 % tiny ones (median 4 per transformer on the deep feeder), which no
    real grid has."""

    levels: int
    children: tuple[int, int]
    transformers: tuple[int, int]
    tiny: float
    size_mu: float
    size_sigma: float
    #: Median length (km) of the line feeding a device below the breaker; 0.7 times that a level down.
    section_km: float


SHAPES = {
    # Five levels, bushy (urban): 2-3 child devices each, 1-3 transformers on every section.
    "bushy": Shape(levels=5, children=(2, 3), transformers=(1, 3), tiny=0.15, size_mu=4.4, size_sigma=0.5,
                   section_km=1.0),
    # Six levels, narrower (suburban): 1-3 children, transformers of very different sizes.
    "deep": Shape(levels=6, children=(1, 3), transformers=(1, 3), tiny=0.2, size_mu=3.9, size_sigma=0.7,
                  section_km=1.5),
    # Seven levels, mostly chains (a long rural feeder): 1-2 children, smaller transformers.
    "long": Shape(levels=7, children=(1, 2), transformers=(1, 2), tiny=0.25, size_mu=3.4, size_sigma=0.7,
                  section_km=3.0),
}


def feeder(shape: Shape, seed: int, prefix: str = "") -> dict[str, dict[str, Any]]:
    """The layers (buses, sources, lines, switches, transformers, customers) of one feeder."""
    rng = random.Random(seed)
    lengths = random.Random(seed + 1)  # the lines' lengths, apart: the same seed keeps its tree
    layers: dict[str, list[dict[str, Any]]] = {name: [] for name in
                                               ("buses", "sources", "lines", "switches", "transformers", "customers")}

    def bus(code: str, where: tuple[float, float], kv: float = 10) -> str:
        layers["buses"].append(_feature(_point(where), code=code, voltage_kv=kv))
        return code

    def section(parent_bus: str, parent_where: tuple[float, float], code: str, level: int, heading: float) -> None:
        """The protective device ``code`` at ``level``, fed from ``parent_bus`` by a line of the
        parent's section, and all below it."""
        km = 0.05 if level == 0 else lengths.lognormvariate(math.log(shape.section_km * 0.7 ** (level - 1)), 0.5)
        where = _toward(parent_where, heading, km)
        line_end = bus(f"{code}-in", where)
        layers["lines"].append(_feature(_line(parent_where, where), code=f"{code}-l", from_bus=parent_bus,
                                        to_bus=line_end, voltage_kv=10, feeder=f"{prefix}BR"))
        out = bus(f"{code}-out", where)
        layers["switches"].append(_feature(_point(where), code=code, from_bus=line_end, to_bus=out,
                                           kind=KINDS[level], normally_open=False))
        for t in range(rng.randint(*shape.transformers)):
            transformer(out, where, f"{code}-T{t + 1}", heading + lengths.uniform(60, 120) * lengths.choice((-1, 1)))
        if level + 1 < shape.levels:
            for c in range(rng.randint(*shape.children)):
                section(out, where, f"{code}.{c + 1}", level + 1, heading + lengths.uniform(-50, 50))

    def transformer(hv_bus: str, hv_where: tuple[float, float], code: str, heading: float) -> None:
        """A pole or pad transformer on a tap of 30 m to 300 m off its device's section."""
        where = _toward(hv_where, heading, lengths.uniform(0.03, 0.3))
        hv = bus(f"{code}-hv", where)
        layers["lines"].append(_feature(_line(hv_where, where), code=f"{code}-l", from_bus=hv_bus, to_bus=hv,
                                        voltage_kv=10, feeder=f"{prefix}BR"))
        lv_where = _toward(where, heading, 0.01)
        lv = bus(f"{code}-lv", lv_where, 0.4)
        if rng.random() < shape.tiny:  # a works, a pump, a farm on its own transformer
            size = rng.randint(1, 4)
        else:
            size = max(5, min(300, round(rng.lognormvariate(shape.size_mu, shape.size_sigma))))
        layers["transformers"].append(_feature(_point(where), code=code, name=code, hv_bus=hv, lv_bus=lv,
                                               kva=50 if size < 10 else 250 if size < 60 else 630))
        for k in range(size):
            account = f"{code}-{k + 1:03d}"
            layers["customers"].append(_feature(_point((lv_where[0] + 0.00001 * k, lv_where[1] + 0.0001)),
                                                account_no=account, name=f"Customer {account}", bus=lv,
                                                phone=f"1{len(layers['customers']):010d}",
                                                address=f"{k + 1} {code} Road", priority="normal"))

    root_where = (LON, LAT)
    root = bus(f"{prefix}S", root_where)
    layers["sources"].append(_feature(_point(root_where), code=f"{prefix}SUB", name=f"Substation {prefix}SUB",
                                      bus=root))
    section(root, root_where, f"{prefix}BR", 0, 0.0)
    return {name: {"type": "FeatureCollection", "features": features} for name, features in layers.items()}


def _toward(where: tuple[float, float], heading: float, km: float) -> tuple[float, float]:
    """The point ``km`` from ``where`` at ``heading`` degrees (0: east, counter-clockwise)."""
    radians = math.radians(heading)
    return (where[0] + km * math.cos(radians) / (111.32 * math.cos(math.radians(LAT))),
            where[1] + km * math.sin(radians) / 111.32)


def write(layers: dict[str, dict[str, Any]], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in layers.items():
        (directory / f"{name}.geojson").write_text(json.dumps(content))
    return directory


def _point(where: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(where[0], 7), round(where[1], 7)]}


def _line(a: tuple[float, float], b: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [[round(a[0], 7), round(a[1], 7)], [round(b[0], 7), round(b[1], 7)]]}


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="deep")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    layers = feeder(SHAPES[args.shape], args.seed)
    write(layers, args.out)
    print(f"{args.out}: {len(layers['switches']['features'])} protective devices, "
          f"{len(layers['transformers']['features'])} transformers, {len(layers['customers']['features'])} customers")


if __name__ == "__main__":
    main()

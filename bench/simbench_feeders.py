"""SimBench MV/LV grids as GeoJSON layers the real importer takes, for the inference benchmark.

    .venv/bin/python bench/simbench_feeders.py --code 1-MVLV-semiurb-all-0-sw OUT

The conversion is the demo's (scripts/demo_data: every SimBench switch as the project's kind, one
customer per load), without roads, zones or crews: a breaker leaves the substation, the closed
load-break switches along the MV rings are sectionalizers, every distribution transformer has its
MV fuse, and the LV board's feeder breakers are LV fuses, which is how SimBench places them. Lines
keep SimBench's coordinates, so their lengths are the straight distance between their buses.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from demo_data import people  # noqa: E402
from demo_data.geo import Placement  # noqa: E402
from demo_data.grid import convert  # noqa: E402

#: The benchmark's SimBench nets: none of them is laid on the demo's map under this tag.
CODES = {"simbench-semiurb": "1-MVLV-semiurb-all-0-sw", "simbench-rural": "1-MVLV-rural-all-0-sw"}


def layers(code: str) -> dict[str, dict[str, Any]]:
    """The layers (buses, sources, lines, switches, transformers, customers) of one SimBench net,
    left where SimBench draws it."""
    import simbench

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandapower warns about its own optional extras
        net = simbench.get_simbench_net(code)
    centre = tuple(json.loads(net.bus.geo.dropna().iloc[0])["coordinates"])
    grid = convert(net, "R-", Placement(centre, centre, 1.0, 0.0))
    out = dict(grid.layers)
    out["customers"] = people.customers([grid])
    for customer in out["customers"]:  # the demo fills addresses from its roads; here, the bus
        customer["properties"]["address"] = f"{customer['properties']['bus']}, {code}"
    return {name: {"type": "FeatureCollection", "features": features} for name, features in out.items()}


def main() -> None:
    from bench.deep_feeders import write

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", default=CODES["simbench-semiurb"])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    written = layers(args.code)
    write(written, args.out)
    print(f"{args.out}: {len(written['switches']['features'])} switches, "
          f"{len(written['transformers']['features'])} transformers, {len(written['customers']['features'])} customers")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()

"""A province to test on: enough copies of the demo town for two million directed road edges and a
million customers, with 500 crews over them all (issue 17 item 1).

    .venv/bin/python bench/province.py /work/province-data     # then: flask --app wsgi data import DIR

bench/larger_grid.py does the copying (each copy a grid of its own, the copies' roads joined); this
picks the number of copies from the source's own counts, so that a different demo build still
reaches the targets, and keeps the crews to a province's number. Write it outside the repository:
it is about 1.7 GB. Attribution as bench/larger_grid.py (ODbL, DATA_LICENSES.md).
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.larger_grid import read_layers, write_larger_grid  # noqa: E402

DIRECTED_EDGES = 2_000_000
CUSTOMERS = 1_000_000
CREWS = 500


def directed_edges(roads: list[dict[str, Any]]) -> int:
    """Directed edges the importer makes of ``roads``: a two-way road counts twice."""
    return sum(2 if str(f["properties"].get("oneway", "no")) in ("no", "False") else 1 for f in roads)


def copies_needed(source: Path, edges: int = DIRECTED_EDGES, customers: int = CUSTOMERS) -> int:
    """The fewest copies of ``source`` holding at least ``edges`` directed road edges and
    ``customers`` customers (the links between copies not counted)."""
    layers = read_layers(source)
    return max(math.ceil(edges / directed_edges(layers["roads"])),
               math.ceil(customers / len(layers["customers"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", type=Path, help="directory to write LAYER.geojson files to")
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "demo")
    parser.add_argument("--crews", type=int, default=CREWS)
    args = parser.parse_args()
    copies = copies_needed(args.source)
    started = time.perf_counter()
    written = write_larger_grid(args.source, args.target, copies, args.crews)
    print(f"{copies} copies of {args.source} written to {args.target} in {time.perf_counter() - started:.0f} s")
    for name, count in written.items():
        print(f"{name:<13}{count:>10}")


if __name__ == "__main__":
    sys.exit(main())

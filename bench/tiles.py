"""Time and size of the map's vector tiles at every zoom, uncached, on the demo data or a grid N times larger.

    .venv/bin/python bench/tiles.py [--per-zoom 60] [--scale 10] [--runs 5] [--markdown]

Creates a scratch database with the demo grid and roads (``--scale N``: N copies of them side by
side, written by bench/larger_grid.py and loaded through the real importer), then, for each zoom
from 8 to 18, cuts every layer's tiles over the whole area (all of them, or a random sample of
``--per-zoom`` tiles where there are more) straight from PostGIS, as ``/tiles/...`` does before any
cache, on one connection (warmed up by one tile of each layer), and prints p50 / p95 / largest time
and size per zoom and layer (``--runs R``: the median of R passes; ``--markdown``: as the table in
BENCHMARKS.md).
"""
from __future__ import annotations

import argparse
import math
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import DEMO, percentile, scratch_database  # noqa: E402
from bench.larger_grid import write_larger_grid  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.gis.grid_import import import_grid  # noqa: E402
from dispatch.gis.tiles_store import TILE_LAYERS, tile  # noqa: E402


def tile_range(lon0: float, lat0: float, lon1: float, lat1: float, z: int) -> list[tuple[int, int]]:
    n = 2 ** z

    def x_of(lon: float) -> int:
        return min(n - 1, int((lon + 180) / 360 * n))

    def y_of(lat: float) -> int:
        return min(n - 1, int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))

    return [(x, y) for x in range(x_of(lon0), x_of(lon1) + 1) for y in range(y_of(lat1), y_of(lat0) + 1)]


@dataclass
class Row:
    zoom: int
    layer: str
    times_ms: list[float]
    sizes_kb: list[float]

    def figures(self) -> list[float]:
        """p50, p95 and largest time (ms), then size (KB)."""
        t, s = self.times_ms, self.sizes_kb
        return [percentile(t, 50), percentile(t, 95), max(t), percentile(s, 50), percentile(s, 95), max(s)]


def cells(zoom: int, layer: str, tiles: int, figures: list[float]) -> list[str]:
    return [str(zoom), layer, str(tiles), *(f"{v:.1f}" for v in figures)]


def area(connection: Connection) -> tuple[float, float, float, float]:
    """West, south, east, north of the roads and lines."""
    return connection.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) AS e FROM (SELECT geom FROM roads UNION ALL SELECT geom FROM lines) g) x"
    )).one()


def measure(connection: Connection, bounds: tuple[float, float, float, float], zooms: range, per_zoom: int,
            rng: random.Random) -> list[Row]:
    """Every layer's tiles over ``bounds`` at each zoom (a sample of ``per_zoom`` where there are more)."""
    rows = []
    for z in zooms:
        tiles = tile_range(*bounds, z)
        if len(tiles) > per_zoom:
            tiles = rng.sample(tiles, per_zoom)
        for layer in TILE_LAYERS:
            if z < TILE_LAYERS[layer].min_zoom:
                continue
            row = Row(z, layer, [], [])
            for x, y in tiles:
                started = time.perf_counter()
                body = tile(connection, layer, z, x, y)
                row.times_ms.append((time.perf_counter() - started) * 1000)
                row.sizes_kb.append(len(body) / 1024)
            rows.append(row)
            print(" ".join(cells(z, layer, len(tiles), row.figures())), file=sys.stderr, flush=True)
    return rows


def load(url: str, scale: int) -> None:
    """Import ``scale`` copies of the demo grid (bench/larger_grid.py) through the real importer."""
    with tempfile.TemporaryDirectory(prefix="larger_grid_") as directory:
        started = time.perf_counter()
        written = write_larger_grid(DEMO, Path(directory), scale)
        print(f"{scale} copies of the demo data written in {time.perf_counter() - started:.1f} s: "
              f"{sum(written.values()):,} features ({', '.join(f'{n} {c:,}' for n, c in written.items())})")
        database = Database(url)
        session = database.session()
        summary = import_grid(session, Path(directory))
        session.close()
        database.dispose()
    print(f"imported in {summary.seconds:.1f} s; road graph: {summary.road_components} strongly connected "
          f"components, {summary.road_nodes_unroutable} nodes outside the largest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-zoom", type=int, default=60, help="tiles sampled per zoom where there are more")
    parser.add_argument("--zooms", default="8-18")
    parser.add_argument("--scale", type=int, default=1, help="copies of the demo grid side by side (1: the demo)")
    parser.add_argument("--runs", type=int, default=1,
                        help="passes over the same tiles; the table gives each figure's median over the passes")
    parser.add_argument("--markdown", action="store_true", help="print the table as BENCHMARKS.md has it")
    args = parser.parse_args()
    low, high = (int(z) for z in args.zooms.split("-"))
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    with scratch_database("dispatch_bench_tiles", with_demo=args.scale == 1) as url:
        if args.scale > 1:
            load(url, args.scale)
        database = Database(url)
        with database.engine.connect() as connection:
            bounds = area(connection)
            print("area: {:.4f},{:.4f} - {:.4f},{:.4f}".format(*bounds))
            for layer in TILE_LAYERS:  # a new connection's first queries load the catalog: not a tile's cost
                tile(connection, layer, 18, *tile_range(*bounds, 18)[0])
            runs = [measure(connection, bounds, range(low, high + 1), args.per_zoom, random.Random(11))
                    for _ in range(args.runs)]
        database.dispose()
    table = [cells(row.zoom, row.layer, len(row.times_ms),
                   [statistics.median(run[i].figures()[k] for run in runs) for k in range(6)])
             for i, row in enumerate(runs[0])]
    header = ["zoom", "layer", "tiles", "p50 ms", "p95 ms", "max ms", "p50 KB", "p95 KB", "max KB"]
    if args.markdown:
        print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        for row in table:
            print("| " + " | ".join(row) + " |")
    else:
        print()
        for zoom, layer, *figures in [header] + table:
            print(f"{zoom:>4} {layer:<13}{figures[0]:>6}" + "".join(f"{f:>8}" for f in figures[1:]))
    worst = [max(run, key=lambda r: r.figures()[1]) for run in runs]
    largest = max(runs[0], key=lambda r: r.figures()[5])
    print("\nworst p95 of any zoom and layer, each pass: " + ", ".join(
        f"{r.figures()[1]:.1f} ms ({r.layer} z{r.zoom})" for r in worst))
    print(f"worst p95, median of {len(runs)}: {statistics.median(r.figures()[1] for r in worst):.1f} ms; "
          f"largest tile: {largest.figures()[5]:.1f} KB ({largest.layer} z{largest.zoom})")


if __name__ == "__main__":
    main()

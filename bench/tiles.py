"""Time and size of the map's vector tiles at every zoom, uncached, on the demo data.

    .venv/bin/python bench/tiles.py [--per-zoom 60]

Creates a scratch database with the demo grid and roads, then, for each zoom from 8 to 18, cuts
every layer's tiles over the demo area (all of them, or a random sample of ``--per-zoom`` tiles
where there are more) straight from PostGIS, as ``/tiles/...`` does before any cache, and prints
p50 / p95 / largest time and size per zoom and layer.
"""
from __future__ import annotations

import argparse
import math
import platform
import random
import sys
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import percentile, scratch_database  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.gis.tiles_store import TILE_LAYERS, tile  # noqa: E402


def tile_range(lon0: float, lat0: float, lon1: float, lat1: float, z: int) -> list[tuple[int, int]]:
    n = 2 ** z

    def x_of(lon: float) -> int:
        return min(n - 1, int((lon + 180) / 360 * n))

    def y_of(lat: float) -> int:
        return min(n - 1, int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))

    return [(x, y) for x in range(x_of(lon0), x_of(lon1) + 1) for y in range(y_of(lat1), y_of(lat0) + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-zoom", type=int, default=60, help="tiles sampled per zoom where there are more")
    parser.add_argument("--zooms", default="8-18")
    args = parser.parse_args()
    low, high = (int(z) for z in args.zooms.split("-"))
    rng = random.Random(11)
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    with scratch_database("dispatch_bench_tiles") as url:
        database = Database(url)
        with database.engine.connect() as connection:
            lon0, lat0, lon1, lat1 = connection.execute(text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM (SELECT geom FROM roads UNION ALL SELECT geom FROM lines) g) x"
            )).one()
            print(f"demo area: {lon0:.4f},{lat0:.4f} - {lon1:.4f},{lat1:.4f}")
            print(f"{'zoom':>4} {'layer':<13}{'tiles':>6}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}"
                  f"{'p50 KB':>8}{'p95 KB':>8}{'max KB':>8}")
            worst_ms, worst_kb = 0.0, 0.0
            for z in range(low, high + 1):
                tiles = tile_range(lon0, lat0, lon1, lat1, z)
                if len(tiles) > args.per_zoom:
                    tiles = rng.sample(tiles, args.per_zoom)
                for layer in TILE_LAYERS:
                    if z < TILE_LAYERS[layer].min_zoom:
                        continue
                    times, sizes = [], []
                    for x, y in tiles:
                        started = time.perf_counter()
                        body = tile(connection, layer, z, x, y)
                        times.append((time.perf_counter() - started) * 1000)
                        sizes.append(len(body) / 1024)
                    worst_ms = max(worst_ms, percentile(times, 95))
                    worst_kb = max(worst_kb, max(sizes))
                    print(f"{z:>4} {layer:<13}{len(tiles):>6}{percentile(times, 50):>8.1f}{percentile(times, 95):>8.1f}"
                          f"{max(times):>8.1f}{percentile(sizes, 50):>8.1f}{percentile(sizes, 95):>8.1f}"
                          f"{max(sizes):>8.1f}")
            print(f"\nworst p95 of any zoom and layer: {worst_ms:.1f} ms; largest tile: {worst_kb:.1f} KB")
        database.dispose()


if __name__ == "__main__":
    main()

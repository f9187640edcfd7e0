"""How long a worker takes to trace the grid again, and the memory the result holds.

    .venv/bin/python bench/topology_build.py --database-url postgresql+psycopg://dispatch:dispatch@127.0.0.1:5432/province \\
        [--repeat 3]

Every switching bumps the topology version, and then every API process and the worker read the
whole grid (dispatch/gis/topology_store.py ``grid_rows``) and build the topology again on their
next request (dispatch/gis/grid.py); recording the restoration of an incident that outlived a
switching builds one more, for the grid as it was (dispatch/reporting/interruptions.py), under
the dispatch lock. Prints the read and the build, each time, and what one topology adds to the
process's resident memory. Reads only.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.routing_province import memory_kib  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from sqlalchemy import create_engine

    from dispatch.gis import topology_store
    from dispatch.gis.topology import Topology

    engine = create_engine(args.database_url)
    for attempt in range(1, args.repeat + 1):
        with engine.connect() as connection:
            started = time.perf_counter()
            rows = topology_store.grid_rows(connection)
            read = time.perf_counter() - started
        gc.collect()
        before = memory_kib()["Rss"]
        started = time.perf_counter()
        topology = Topology(rows, attempt)
        built = time.perf_counter() - started
        held = memory_kib()["Rss"] - before
        print(f"{attempt}: read {read:.2f} s, build {built:.2f} s, together {read + built:.2f} s; "
              f"{len(rows.buses):,} buses, {len(rows.lines):,} lines, {len(topology.area_device):,} areas; "
              f"the topology adds {held / 1024:.0f} MiB to the process")
        del topology, rows


if __name__ == "__main__":
    main()

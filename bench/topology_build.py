"""How long a process takes to trace the grid again, and the memory the result holds.

    .venv/bin/python bench/topology_build.py --database-url postgresql+psycopg://dispatch:dispatch@127.0.0.1:5432/province \\
        [--repeat 3]

A process builds the grid's topology from the whole grid when it starts and after an import
(dispatch/gis/topology_store.py ``grid_rows``). Every switching bumps the topology version alone,
and then every API process and the worker read the switches' states only and trace again from
the grid they hold (``Topology.switched``, dispatch/gis/grid.py); so does recording the
restoration of an incident that outlived a switching, for the grid as it was
(dispatch/reporting/interruptions.py), under the dispatch lock. Prints, each time, the whole read
and build, then the switches' read and the trace after a switching; then the memory a topology
holds. Reads only.
"""
from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's code, not the installed one


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
        started = time.perf_counter()
        topology = Topology(rows, attempt)
        built = time.perf_counter() - started
        with engine.connect() as connection:
            started = time.perf_counter()
            switches = topology_store.switch_rows(connection)
            switches_read = time.perf_counter() - started
        started = time.perf_counter()
        topology.switched(switches, attempt + 1)
        traced = time.perf_counter() - started
        print(f"{attempt}: read {read:.2f} s, build {built:.2f} s, together {read + built:.2f} s; "
              f"{len(rows.buses):,} buses, {len(rows.lines):,} lines, {len(topology.area_device):,} areas; "
              f"after a switching: the switches read in "
              f"{switches_read:.2f} s, traced in {traced:.2f} s, together {switches_read + traced:.2f} s")
        del topology
    # What one topology holds beyond its rows (numpy reports its arrays to tracemalloc), and one
    # traced again after a switching beside it (it shares the grid's part).
    tracemalloc.start()
    first = Topology(rows)
    whole = tracemalloc.get_traced_memory()[0]
    second = first.switched(switches)
    print(f"memory: a topology holds {whole / 2**20:.0f} MiB beyond its rows, one traced again after a "
          f"switching {(tracemalloc.get_traced_memory()[0] - whole) / 2**20:.0f} MiB more (tracemalloc)")
    del first, second


if __name__ == "__main__":
    main()

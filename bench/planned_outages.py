"""Planned outages on the demo grid: planning one (the topology search for its customers), the
worker writing its notices, and what a call pays to learn whether it is inside one.

    .venv/bin/python bench/planned_outages.py [--calls 2000]

In a scratch database with the demo grid: one planned outage on the head switch of every feeder
(the widest work there is: every customer of the feeder), its window a few hours ahead, so that
the day's reminder is due at once. Prints the time to plan each, the time the worker's pass takes
to write all the reminders (one INSERT ... SELECT per outage), and the per-call reads of the
intake: whether any planned outage is active (every call pays it) with none active, then with all
of them active, and which one holds a given bus (only while one is active).
"""
from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import percentile, scratch_database  # noqa: E402
from dispatch.core import clock  # noqa: E402
from dispatch.core.config import Settings  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.customers import planned  # noqa: E402
from dispatch.customers.planned_notices import fan_out_planned  # noqa: E402
from dispatch.gis.grid import TopologyCache  # noqa: E402


def feeder_heads(topology) -> list[str]:
    """The switch at the top of every feeder (an area whose parent is a source's)."""
    heads = []
    for area, device in enumerate(topology.area_device):
        parent = topology.area_parent[area]
        if device is not None and device.kind == "switch" and parent is not None \
                and topology.area_device[parent] is not None and topology.area_device[parent].kind == "source":
            heads.append(device.code)
    return heads


def timed(function, times: int) -> list[float]:
    """Milliseconds of each of ``times`` calls."""
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        function()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def summary(spent: list[float]) -> str:
    return f"p50 {percentile(spent, 50):.3f} ms, p95 {percentile(spent, 95):.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="reads timed per kind")
    args = parser.parse_args()
    with scratch_database("dispatch_bench_planned") as database_url:
        settings = Settings.from_env().with_overrides(database_url=database_url, notify_quiet_hours="")
        database = Database(database_url)
        topologies = TopologyCache()
        now = clock.now()
        with database.session() as session:
            topology = topologies.current(session)
            heads = feeder_heads(topology)
            buses = session.execute(text("SELECT coalesce(c.bus_id, t.lv_bus_id) FROM customers c "
                                         "LEFT JOIN transformers t ON t.id = c.transformer_id")).scalars().all()
            idle = timed(lambda: planned.kept_and_active(session.connection(), None, None, now), args.calls)
            plans, ids = [], []
            for code in heads:
                started = time.perf_counter()
                ids.append(planned.plan(session, topologies, planned.Plan(
                    code, now + timedelta(hours=3), now + timedelta(hours=7), "bench", {}), "bench", now))
                plans.append((time.perf_counter() - started) * 1000)
            session.commit()
            customers = session.execute(text("SELECT sum(customers_affected) FROM planned_outages")).scalar_one()
        started = time.perf_counter()
        with database.session() as session:
            outages = fan_out_planned(session, settings, now, limit=len(ids))
        writing = time.perf_counter() - started
        with database.session() as session:
            written = session.execute(text("SELECT count(*) FROM notifications")).scalar_one()
            inside = now + timedelta(hours=4)
            active = timed(lambda: planned.kept_and_active(session.connection(), None, None, inside), args.calls)
            sample = random.Random(1).choices(buses, k=args.calls)
            holder = iter(sample)
            lookup = timed(lambda: planned.active_at_bus(session.connection(), next(holder), inside), args.calls)
        database.dispose()
    print(f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}")
    print(f"planned: {len(ids)} outages (one per feeder head), {customers} customers off supply; "
          f"planning each: {summary(plans)} (max {max(plans):.1f} ms)")
    print(f"worker's notices: {written} reminders for {outages} outages in {writing:.2f} s "
          f"({written / writing:.0f}/s)")
    print(f"a call's check, none active: {summary(idle)}; all active: {summary(active)}")
    print(f"the outage holding a caller's bus (active): {summary(lookup)}")


if __name__ == "__main__":
    main()

"""Call-backs after a storm: the worker listing the callers of many restored incidents, the desk's
list, and answers recorded (power back; still out through the intake).

    .venv/bin/python bench/callbacks.py [--incidents 2000] [--callers 5] [--answers 1000] [--still-out 50]

In a scratch database with the demo grid, ``--incidents`` incidents restored ten minutes ago, each
with ``--callers`` customers' calls (and as many repeat calls). Then the worker's own passes
(dispatch/customers/callbacks.py, ``open_due``) until none is left; the desk's default list
(200 rows, overdue first) read 50 times; ``--answers`` "power back" answers and ``--still-out``
"still out" answers, one transaction each as the API records them. Prints the rates.
"""
from __future__ import annotations

import argparse
import platform
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
from dispatch.crews.assignment import Dispatcher  # noqa: E402
from dispatch.customers.callbacks import Answer, answer, listing, open_due  # noqa: E402
from dispatch.gis.grid import TopologyCache  # noqa: E402
from dispatch.routing.engine import RoadGraphCache  # noqa: E402
from dispatch.routing.speeds import speed_table  # noqa: E402


def storm(database: Database, incidents: int, callers: int) -> int:
    """Restored incidents at the demo's transformers, each with its callers' calls (two each);
    returns how many calls."""
    now = clock.now()
    with database.session() as session:
        connection = session.connection()
        ids = connection.execute(text(
            "INSERT INTO incidents (status, device_kind, device_id, device_code, source_id, zone_class, "
            "first_report_at, arrival_deadline, restored_at) SELECT 'restored', 'transformer', t.id, t.code, "
            "NULL, 'urban', :start, :deadline, :restored FROM generate_series(1, :n) g "
            "JOIN LATERAL (SELECT id, code FROM transformers ORDER BY id OFFSET (g % 100) LIMIT 1) t ON true "
            "RETURNING id"),
            {"start": now - timedelta(hours=2), "deadline": now - timedelta(hours=1),
             "restored": now - timedelta(minutes=10), "n": incidents}).scalars().all()
        customers = connection.execute(text("SELECT id FROM customers ORDER BY id")).scalars().all()
        calls = connection.execute(text(
            "INSERT INTO reports (channel, received_at, kind, customer_id, arrival_deadline, incident_id) "
            "SELECT 'hotline', :start + (repeat * interval '1 minute'), 'no_power', "
            "(CAST(:customers AS int[]))[1 + ((i.n * :callers + k) % cardinality(CAST(:customers AS int[])))], "
            ":deadline, i.id FROM unnest(CAST(:ids AS bigint[])) WITH ORDINALITY AS i(id, n), "
            "generate_series(1, :callers) k, generate_series(0, 1) repeat"),
            {"start": now - timedelta(hours=2), "deadline": now - timedelta(hours=1), "customers": customers,
             "callers": callers, "ids": ids}).rowcount
        session.commit()
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--callers", type=int, default=5)
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--still-out", type=int, default=50)
    args = parser.parse_args()
    with scratch_database("dispatch_bench_callbacks") as database_url:
        settings = Settings.from_env().with_overrides(database_url=database_url)
        database = Database(database_url)
        calls = storm(database, args.incidents, args.callers)
        started = time.perf_counter()
        passes = 0
        while True:
            with database.session() as session:
                passes += 1
                if not open_due(session, settings, clock.now()):
                    break
        opening = time.perf_counter() - started
        with database.session() as session:
            total = session.execute(text("SELECT count(*) FROM callbacks")).scalar_one()
            ids = session.execute(text("SELECT id FROM callbacks ORDER BY id")).scalars().all()
        reads = []
        for _ in range(50):
            with database.session() as session:
                started = time.perf_counter()
                listing(session, "open", None, 200)
                reads.append((time.perf_counter() - started) * 1000)
        topologies, graphs = TopologyCache(), RoadGraphCache(speed_table(settings.road_speeds_kmh))
        started = time.perf_counter()
        for callback_id in ids[:args.answers]:
            with database.session() as session:
                answer(session, settings, topologies, Dispatcher(session, settings, graphs), callback_id,
                       Answer("power_back", "bench"))
        back = time.perf_counter() - started
        with database.session() as session:  # the topology and road graph, built once per process
            topologies.current(session)
        out_ids = ids[args.answers:args.answers + args.still_out]
        started = time.perf_counter()
        for callback_id in out_ids:
            with database.session() as session:
                answer(session, settings, topologies, Dispatcher(session, settings, graphs), callback_id,
                       Answer("still_out", "bench"))
        still = time.perf_counter() - started
        with database.session() as session:
            nested = session.execute(text(
                "SELECT count(DISTINCT new_incident_id) FROM callbacks WHERE status = 'still_out'")).scalar_one()
        database.dispose()
    print(f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}")
    print(f"storm: {args.incidents} restored incidents, {calls} calls ({args.callers} callers each, twice)")
    print(f"listing: {total} call-backs in {opening:.2f} s, {passes} passes ({total / opening:.0f}/s)")
    print(f"desk list (200 rows of {total} pending): p50 {percentile(reads, 50):.1f} ms, "
          f"p95 {percentile(reads, 95):.1f} ms")
    print(f"power back: {len(ids[:args.answers])} answers in {back:.2f} s ({len(ids[:args.answers]) / back:.0f}/s)")
    print(f"still out: {len(out_ids)} answers in {still:.2f} s ({len(out_ids) / still:.0f}/s), "
          f"{nested} incidents opened or joined")


if __name__ == "__main__":
    main()

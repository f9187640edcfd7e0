"""One SLA sweep over a storm's open incidents (issue 17: a pass over 50,000 in under a second).

    .venv/bin/python bench/sla_sweep.py [--incidents 50000] [--passes 5]

A scratch database with the demo grid, and ``--incidents`` open incidents spread over the demo's
transformers, reported over the last 150 minutes (so that most have passed some warning levels and
many their deadline), a tenth of them with a crew on site and a restoration clock running. The
crews are all busy elsewhere (off duty here), as in a storm: a pass checks clocks, it assigns no one.
Times the first pass (which records every warning the storm has earned so far) and the next ones
(nothing new to record: the steady state of a sweep every SLA_SWEEP_INTERVAL_S), with the warnings
each recorded.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api import create_app  # noqa: E402
from bench.common import scratch_database  # noqa: E402
from dispatch.core import clock  # noqa: E402
from dispatch.core.config import Settings  # noqa: E402
from dispatch.crews.assignment import Dispatcher  # noqa: E402
from dispatch.incidents.sweeper import sweep  # noqa: E402


def storm(url: str, incidents: int) -> None:
    app = create_app(Settings.from_env().with_overrides(database_url=url))
    database = app.extensions["database"]
    with database.session() as session:
        now = clock.now()
        session.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty'"))
        session.execute(text(
            "INSERT INTO incidents (status, device_kind, device_id, device_code, geom, zone_class, customers_affected, "
            "report_count, first_report_at, arrival_deadline, on_site_at, restore_deadline) "
            "SELECT CASE WHEN g % 10 = 0 THEN 'on_site' ELSE 'new' END, 'transformer', t.id, t.code, t.geom, 'urban', "
            "10, 1, r.at, r.at + interval '45 minutes', "
            "CASE WHEN g % 10 = 0 THEN r.at + interval '30 minutes' END, "
            "CASE WHEN g % 10 = 0 THEN r.at + interval '150 minutes' END "
            "FROM generate_series(1, :n) AS g "
            "JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS n, id, code, geom "
            "      FROM transformers) t ON t.k = g % t.n "
            "CROSS JOIN LATERAL (SELECT CAST(:now AS timestamptz) - (g % 150) * interval '1 minute' AS at) r"),
            {"n": incidents, "now": now})
        session.commit()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    with scratch_database("dispatch_bench_sweep") as url:
        app = storm(url, args.incidents)
        database = app.extensions["database"]
        settings = app.extensions["settings"]
        timings = []
        for n in range(args.passes + 1):
            with database.session() as session:
                dispatcher = Dispatcher(session, settings, app.extensions["road_graphs"])
                began = time.perf_counter()
                recorded = sweep(session, dispatcher, clock.now(), settings.warning_levels)
                timings.append(time.perf_counter() - began)
            print(f"pass {n + 1}: {timings[-1] * 1000:.0f} ms, {len(recorded)} warning(s) recorded")
        steady = timings[1:]
        print(f"{args.incidents} open incidents: first pass {timings[0] * 1000:.0f} ms; next passes median "
              f"{statistics.median(steady) * 1000:.0f} ms, max {max(steady) * 1000:.0f} ms")
        database.dispose()


if __name__ == "__main__":
    main()

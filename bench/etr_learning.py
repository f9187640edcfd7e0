"""What learning repair times costs each estimate: the median repair times of one incident's groups
(dispatch/incidents/etr_store.repair_times) over a year of restored incidents, by history size.

    .venv/bin/python bench/etr_learning.py [--sizes 10000,100000] [--runs 30]

A scratch database (no grid) gets synthetic restored incidents spread over the last year (10 device
kinds x causes x 20 zones, repair times 20 min to 6 h); then times the query for a random incident's
(cause, kind, zone) ``--runs`` times per size and prints p50 / p95. Every unit of work that changes
incidents asks it once per distinct (cause, device kind, zone) among them.
"""
from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import percentile, scratch_database  # noqa: E402
from dispatch.incidents.etr_store import repair_times  # noqa: E402

KINDS = ("source", "switch", "transformer", "location")
CAUSES = (None, "equipment.cable", "equipment.overhead_line", "external.tree", "weather.lightning", "weather.wind")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(3)
    now = datetime.now(timezone.utc)
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    print(f"{'restored in the last year':<28}{'p50 ms':>8}{'p95 ms':>8}")
    with scratch_database("dispatch_bench_etr", with_demo=False) as url:
        engine = create_engine(url)
        with engine.begin() as db:
            zones = [db.execute(text(
                "INSERT INTO zones (code, name, class, geom) VALUES (:c, :c, 'urban', "
                "ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326))) RETURNING id"), {"c": f"Z{n}"}).scalar_one()
                for n in range(20)]
        have = 0
        for size in (int(s) for s in args.sizes.split(",")):
            rows = []
            for _ in range(size - have):
                restored = now - timedelta(days=rng.uniform(0, 365))
                on_site = restored - timedelta(minutes=rng.uniform(20, 360))
                rows.append({"kind": rng.choice(KINDS), "cause": rng.choice(CAUSES), "zone": rng.choice(zones),
                             "first": on_site - timedelta(minutes=40), "on_site": on_site, "restored": restored})
            with engine.begin() as db:
                db.execute(text(
                    "INSERT INTO incidents (status, device_kind, zone_id, zone_class, first_report_at, arrival_deadline, "
                    "on_site_at, restored_at, cause) VALUES ('closed', :kind, :zone, 'urban', :first, :first, :on_site, "
                    ":restored, :cause)"), rows)
                db.execute(text("ANALYZE incidents"))
            have = size
            timings = []
            with engine.connect() as db:
                for _ in range(args.runs + 1):
                    started = time.perf_counter()
                    repair_times(db, now - timedelta(days=365), rng.choice(CAUSES[1:]), rng.choice(KINDS),
                                 rng.choice(zones))
                    timings.append((time.perf_counter() - started) * 1000)
            timings = timings[1:]  # the first warms the cache
            print(f"{size:<28,}{percentile(timings, 50):>8.1f}{percentile(timings, 95):>8.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()

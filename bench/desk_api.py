"""Response times of the desk's reads and checks, on the demo data with a storm's open incidents.

    .venv/bin/python bench/desk_api.py [--reports 600] [--runs 40]

Starts gunicorn (one worker) on 127.0.0.1:5078 against a scratch database with the demo grid, takes
in ``--reports`` reports (bench/intake.py's mix: many open incidents, merges, hazards), then times
each of the console's requests ``--runs`` times over real HTTP: the open-incident list, searches,
hotline suggestions, an incident in full with the customers it cut off, alerts, trails, and the
effect of switching a random switch. Prints p50 / p95 / max per request.
"""
from __future__ import annotations

import argparse
import http.client
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, percentile, scratch_database  # noqa: E402
from bench.intake import report_bodies  # noqa: E402

PORT = 5078
OPEN = "new,assigned,accepted,en_route,on_site"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=600)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(5)
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    with scratch_database("dispatch_bench_desk") as url:
        bodies = report_bodies(url, args.reports)
        headers = bearer_headers(url, "bench-dispatcher", "dispatcher")
        engine = create_engine(url)
        with engine.connect() as db:
            customers = db.execute(text("SELECT account_no, phone, address FROM customers")).all()
            switches = db.execute(text("SELECT code FROM switches")).scalars().all()
        with gunicorn(url, PORT, 1):
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

            def call(method: str, path: str, body: dict | None = None) -> tuple[float, int, bytes]:
                sent = time.perf_counter()
                connection.request(method, path, json.dumps(body) if body else None, headers)
                response = connection.getresponse()
                data = response.read()
                return (time.perf_counter() - sent) * 1000, response.status, data

            for body in bodies:
                call("POST", "/api/v1/reports", body)
            with engine.connect() as db:
                incidents = db.execute(text(f"SELECT id FROM incidents WHERE status IN "
                                            f"({', '.join(repr(s) for s in OPEN.split(','))})")).scalars().all()
            print(f"{len(bodies)} reports taken in: {len(incidents)} open incidents")
            requests = {
                "open incidents (list)": lambda: f"/api/v1/incidents?status={OPEN}",
                "search: account number": lambda: f"/api/v1/incidents?q={rng.choice(customers)[0]}",
                "search: address words": lambda: "/api/v1/incidents?q=" + quote(rng.choice(customers)[2][:12]),
                "hotline: account prefix": lambda: f"/api/v1/customers?q={rng.choice(customers)[0][:5]}",
                "hotline: phone digits": lambda: f"/api/v1/customers?q={rng.choice(customers)[1][-11:-3]}",
                "hotline: address words": lambda: "/api/v1/customers?q=" + quote(rng.choice(customers)[2][:12]),
                "incident in full": lambda: f"/api/v1/incidents/{rng.choice(incidents)}",
                "customers it cut off": lambda: f"/api/v1/incidents/{rng.choice(incidents)}/customers",
                "candidate crews": lambda: f"/api/v1/incidents/{rng.choice(incidents)}/candidates",
                "alerts": lambda: "/api/v1/alerts",
                "crews' trails (30 min)": lambda: "/api/v1/crews/trails",
                "switching effect": lambda: f"/api/v1/grid/switches/{quote(rng.choice(switches))}/effect?is_open=true",
            }
            print(f"{'request':<26}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'max KB':>8}")
            for name, path in requests.items():
                call("GET", path())  # warm: topology, caches
                timings, sizes = [], []
                for _ in range(args.runs):
                    ms, status, data = call("GET", path())
                    assert status == 200, (name, status, data[:300])
                    timings.append(ms)
                    sizes.append(len(data) / 1024)
                print(f"{name:<26}{statistics.median(timings):>8.1f}{percentile(timings, 95):>8.1f}"
                      f"{max(timings):>8.1f}{max(sizes):>8.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()

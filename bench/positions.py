"""GPS positions per second accepted by POST /api/v1/me/positions over real HTTP under gunicorn.

    .venv/bin/python bench/positions.py [--seconds 15] [--clients 4] [--workers 2] [--batch 100]

Starts gunicorn on 127.0.0.1:5078 against a scratch database with the demo data (20 crews), signs
in one user per crew, and runs ``--clients`` client processes, each posting batches of
``--batch`` positions for its crews, as fast as the server answers, on a kept-alive connection.
Each position has its own time (a crew's history holds one position per instant), so every one
sent is stored. Prints positions stored per second, requests per second and latency percentiles.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, percentile, scratch_database  # noqa: E402

PORT = 5078


def client(port: int, crews: list[tuple[str, dict, float, float]], batch: int, seconds: float, start_at: float,
           results: multiprocessing.Queue) -> None:
    """Post batches round-robin over ``crews`` until ``seconds`` have passed since ``start_at``."""
    rng = random.Random(hash(crews[0][0]))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    clock = {code: datetime.now(timezone.utc) - timedelta(hours=2) for code, *_ in crews}
    stored, latencies, statuses, n = 0, [], {}, 0
    while time.time() < start_at:
        time.sleep(0.01)
    while time.time() < start_at + seconds:
        code, headers, lon, lat = crews[n % len(crews)]
        n += 1
        positions = []
        for _ in range(batch):
            clock[code] += timedelta(milliseconds=250)
            lon += rng.uniform(-1e-4, 1e-4)
            lat += rng.uniform(-1e-4, 1e-4)
            positions.append({"at": clock[code].isoformat(), "lon": round(lon, 7), "lat": round(lat, 7),
                              "accuracy_m": 8, "speed": 9.5, "heading": 90})
        payload = json.dumps({"positions": positions})
        sent = time.perf_counter()
        connection.request("POST", "/api/v1/me/positions", payload, headers)
        response = connection.getresponse()
        body = response.read()
        latencies.append((time.perf_counter() - sent) * 1000)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status == 202:
            stored += json.loads(body)["stored"]
    results.put((stored, latencies, statuses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with scratch_database("dispatch_bench_positions") as url:
        engine = create_engine(url)
        with engine.connect() as db:
            crews = db.execute(text("SELECT c.code, ST_X(d.geom), ST_Y(d.geom) FROM crews c "
                                    "JOIN depots d ON d.id = c.depot_id ORDER BY c.code")).all()
        phones = [(code, bearer_headers(url, f"bench-{code.lower()}", "crew", code), lon, lat)
                  for code, lon, lat in crews]
        with gunicorn(url, PORT, args.workers):
            results: multiprocessing.Queue = multiprocessing.Queue()
            start_at = time.time() + 1.0
            processes = [multiprocessing.Process(target=client, args=(
                PORT, phones[k::args.clients], args.batch, args.seconds, start_at, results))
                for k in range(args.clients)]
            for process in processes:
                process.start()
            outcomes = [results.get() for _ in processes]
            for process in processes:
                process.join()
        with engine.connect() as db:
            in_history = db.execute(text("SELECT count(*) FROM crew_positions")).scalar_one()
        engine.dispose()
    stored = sum(o[0] for o in outcomes)
    latencies = [ms for o in outcomes for ms in o[1]]
    statuses: dict[int, int] = {}
    for outcome in outcomes:
        for status, count in outcome[2].items():
            statuses[status] = statuses.get(status, 0) + count
    print(f"POST /api/v1/me/positions, batches of {args.batch}, {args.clients} client processes, "
          f"gunicorn --workers {args.workers}, {args.seconds:.0f} s, statuses {statuses}")
    print(f"positions stored: {stored:,} (history rows: {in_history:,})")
    print(f"throughput: {stored / args.seconds:,.0f} positions/s, {len(latencies) / args.seconds:,.0f} requests/s")
    print(f"latency ms per batch: p50 {statistics.median(latencies):.1f}  p95 {percentile(latencies, 95):.1f}  "
          f"p99 {percentile(latencies, 99):.1f}  max {max(latencies):.1f}")


if __name__ == "__main__":
    main()

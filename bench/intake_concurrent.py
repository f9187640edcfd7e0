"""Intake with many clients at once: POST /api/v1/reports from N threads, gunicorn with W workers.

    .venv/bin/python bench/intake_concurrent.py [--reports 3000] [--workers 2] [--clients 16]

The same reports and scratch database as bench/intake.py (demo grid, reports accumulating as in a
storm), sent by ``--clients`` threads at once, each on its own kept-alive connection; prints
reports per second, latency percentiles and the answers' statuses. It measures what the dispatch
lock (dispatch/core/locks.py) costs when reports of different feeders arrive together.
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, percentile, scratch_database  # noqa: E402
from bench.intake import report_bodies  # noqa: E402

PORT = 5078
WARM_UP = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with scratch_database("dispatch_bench_intake_concurrent") as url:
        bodies = report_bodies(url, args.reports + WARM_UP)
        headers = bearer_headers(url, "bench-dispatcher", "dispatcher")
        with gunicorn(url, PORT, args.workers, ["--worker-class", "gthread", "--threads", "8"]):
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            for body in bodies[:WARM_UP]:  # warm the workers up (topology, road graph, connections)
                body["received_at"] = datetime.now(timezone.utc).isoformat()
                connection.request("POST", "/api/v1/reports", json.dumps(body), headers)
                connection.getresponse().read()
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            lock = threading.Lock()

            def send(share: list[dict]) -> None:
                client = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                for body in share:
                    body["received_at"] = datetime.now(timezone.utc).isoformat()
                    sent = time.perf_counter()
                    client.request("POST", "/api/v1/reports", json.dumps(body), headers)
                    response = client.getresponse()
                    response.read()
                    with lock:
                        latencies.append((time.perf_counter() - sent) * 1000)
                        statuses[response.status] = statuses.get(response.status, 0) + 1

            rest = bodies[WARM_UP:]
            threads = [threading.Thread(target=send, args=(rest[n::args.clients],)) for n in range(args.clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
    print(f"POST /api/v1/reports, {len(latencies)} reports, {args.clients} clients at once, "
          f"gunicorn --workers {args.workers} (gthread), statuses {statuses}")
    print(f"throughput: {len(latencies) / elapsed:,.0f} reports/s")
    print(f"latency ms: p50 {statistics.median(latencies):.1f}  p95 {percentile(latencies, 95):.1f}  "
          f"p99 {percentile(latencies, 99):.1f}  max {max(latencies):.1f}")


if __name__ == "__main__":
    main()

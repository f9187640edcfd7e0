"""What the logs and metrics cost per request, and what a /metrics scrape costs, over real HTTP.

    .venv/bin/python bench/observability.py [--requests 1500] [--rounds 2] [--port 5087]

One gunicorn worker (scripts/gunicorn.conf.py, as run.sh starts it) on a scratch database with
the demo data, in two set-ups taken in turns (``--rounds`` each, so that a machine busy with other
work weighs on both alike):

* quiet: LOG_LEVEL=WARNING (no line per request), metrics in the process's memory;
* as run.sh: LOG_LEVEL=INFO (one JSON line per request, to the error log file) and
  PROMETHEUS_MULTIPROC_DIR (request counts and latencies in files shared by the processes).

Each sends ``--requests`` GET /api/v1/me (token check and one query: a cheap route, where the
overhead shows most) one after another on a kept-alive connection and prints the latency
percentiles; then /metrics is scraped 50 times (an administrator's token; the business figures are
read from the demo database) and its latency printed.
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, percentile, scratch_database  # noqa: E402


def timed(port: int, path: str, headers: dict, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for _ in range(count):
        sent = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        latencies.append((time.perf_counter() - sent) * 1000)
    connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=5087)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"quiet": [], "as run.sh": []}
    scrapes: list[float] = []
    with scratch_database(f"dispatch_bench_observability_{args.port}") as url, \
            tempfile.TemporaryDirectory(prefix="bench-observability-") as directory:
        desk = bearer_headers(url, "bench-dispatcher", "dispatcher")
        admin = bearer_headers(url, "bench-admin", "admin")
        setups = {"quiet": {"LOG_LEVEL": "WARNING"},
                  "as run.sh": {"LOG_LEVEL": "INFO", "PROMETHEUS_MULTIPROC_DIR": f"{directory}/prometheus"}}
        for _ in range(args.rounds):
            for name, environment in setups.items():
                options = ["-c", "scripts/gunicorn.conf.py", "--error-logfile", f"{directory}/app.log"]
                with gunicorn(url, args.port, 1, options=options, environment=environment):
                    timed(args.port, "/api/v1/me", desk, 100)  # warm up
                    results[name] += timed(args.port, "/api/v1/me", desk, args.requests)
                    if name == "as run.sh":
                        scrapes += timed(args.port, "/metrics", admin, 50)
        lines = sum(1 for _ in open(f"{directory}/app.log"))
    print(f"GET /api/v1/me, one gunicorn worker (gthread), {args.requests} requests x {args.rounds} rounds each")
    for name, latencies in results.items():
        print(f"  {name:<10} p50 {statistics.median(latencies):5.2f} ms  p95 {percentile(latencies, 95):5.2f} ms  "
              f"p99 {percentile(latencies, 99):5.2f} ms  ({1000 / statistics.mean(latencies):,.0f} requests/s)")
    print(f"GET /metrics (demo data): p50 {statistics.median(scrapes):.1f} ms  p95 {percentile(scrapes, 95):.1f} ms")
    print(f"error log: {lines} lines")


if __name__ == "__main__":
    main()

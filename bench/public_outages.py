"""Requests per second and latency of the public outage feed in a storm, over real HTTP.

    .venv/bin/python bench/public_outages.py [--reports 600] [--workers 2] [--threads 8]
                                             [--connections 64] [--seconds 20] [--storm-per-s 5]

Needs ``wrk`` (Debian: apt-get install wrk). Starts gunicorn (gthread, as scripts/run.sh runs it)
against a scratch database with the demo grid, takes in ``--reports`` reports (bench/intake.py's
mix: hundreds of open incidents), then loads ``GET /api/v1/public/outages`` with wrk for
``--seconds`` while the storm goes on (calls are not rolled up, so that each transformer called
about is an outage of its own: hundreds of them): ``--storm-per-s`` new reports a second, and the outbox relay
running, so that the feed kept by each process is invalidated and built again as it would be.
Prints requests per second, p50 / p95 / p99 latency, the feed's size, and the database transactions
the run cost (against the number of requests: the cache's work). Then the same with
``If-None-Match`` (browsers polling with the ETag they have).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, scratch_database  # noqa: E402
from bench.intake import report_bodies  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.live.relay import Relay  # noqa: E402

PORT = 5171
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
FEED = "/api/v1/public/outages"
#: wrk's summary with the percentiles wanted (its --latency prints 50/75/90/99, not 95).
REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def wrk(args: argparse.Namespace, headers: dict[str, str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(REPORT_LUA)
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "-s", script.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, f"http://127.0.0.1:{PORT}{FEED}"], capture_output=True, text=True,
                            check=True).stdout
    os.unlink(script.name)
    fields = next(line for line in output.splitlines() if line.startswith("RESULT")).split()[1:]
    requests, duration_us, p50, p95, p99, worst, status, connect, read, write, timeout = map(int, fields)
    errors = ", ".join(f"{n} {kind}" for n, kind in ((status, "status"), (connect, "connect"), (read, "read"),
                                                   (write, "write"), (timeout, "timeout")) if n) or "0"
    return {"requests": requests, "rps": requests / (duration_us / 1e6), "p50_ms": p50 / 1000, "p95_ms": p95 / 1000,
            "p99_ms": p99 / 1000, "max_ms": worst / 1000, "errors": errors}


def transactions(engine) -> int:
    with engine.connect() as db:
        return db.execute(text(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--storm-per-s", type=float, default=5.0)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    with scratch_database("dispatch_bench_public") as url:
        bodies = report_bodies(url, args.reports + 2000)
        intake, storm = bodies[:args.reports], bodies[args.reports:]
        headers = bearer_headers(url, "bench-hotline", "dispatcher")
        engine = create_engine(url)
        options = ["--worker-class", "gthread", "--threads", str(args.threads)]
        # No roll-ups (INFERENCE_MIN_CALLS out of reach): each transformer called about is an outage of
        # its own, so that the storm has hundreds of open incidents (with roll-ups the demo's calls
        # gather into a few dozen feeder-wide ones). Request lines are not logged (LOG_LEVEL).
        environment = {"REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING", "INFERENCE_MIN_CALLS": "1000000"}
        with gunicorn(url, PORT, args.workers, options, environment):
            hotline = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            for body in intake:
                hotline.request("POST", "/api/v1/reports", json.dumps(body), headers)
                hotline.getresponse().read()
            with engine.connect() as db:
                open_incidents = db.execute(text(
                    "SELECT count(*) FROM incidents WHERE status IN ('new', 'assigned', 'accepted', 'en_route', "
                    "'on_site')")).scalar_one()
            database = Database(url)
            relay, stop = Relay(database, redis.Redis.from_url(REDIS_URL)), threading.Event()
            relaying = threading.Thread(target=relay.run, args=(stop, 0.1, timedelta(hours=1)), daemon=True)
            relaying.start()

            def keep_storming() -> None:
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                for body in storm:
                    if stop.wait(1 / args.storm_per_s):
                        return
                    connection.request("POST", "/api/v1/reports", json.dumps(body), headers)
                    connection.getresponse().read()

            storming = threading.Thread(target=keep_storming, daemon=True)
            probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            probe.request("GET", FEED)
            response = probe.getresponse()
            body = response.read()
            etag = response.getheader("ETag")
            feed = json.loads(body)
            print(f"{len(intake)} reports taken in: {open_incidents} open incidents; the feed: "
                  f"{len(feed['features'])} outage areas, {feed['totals']['customers_out']} customers out, "
                  f"{len(body) / 1024:.0f} KiB")
            print(f"gunicorn gthread, {args.workers} workers x {args.threads} threads; wrk 2 threads, "
                  f"{args.connections} connections, {args.seconds} s; storm: {args.storm_per_s:g} reports/s, relay on")
            storming.start()
            before = transactions(engine)
            full = wrk(args, {})
            during = transactions(engine) - before
            stop.set()
            storming.join()
            relaying.join()
            database.dispose()
            before = transactions(engine)
            conditional = wrk(args, {"If-None-Match": etag}) if etag else None
            after = transactions(engine) - before
        engine.dispose()
    print(f"{'run':<34}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'db xacts':>10}  errors")
    for name, result, xacts in (("full body, storm going on", full, during),
                                ("If-None-Match (304), storm over", conditional, after)):
        if result:
            print(f"{name:<34}{result['rps']:>9.0f}{result['p50_ms']:>8.1f}{result['p95_ms']:>8.1f}"
                  f"{result['p99_ms']:>8.1f}{result['max_ms']:>8.1f}{xacts:>10}  {result['errors']}")
    print(f"database transactions per feed request during the storm: {during / max(full['requests'], 1):.4f} "
          "(they include the storm's own reports and the relay's)")


if __name__ == "__main__":
    main()

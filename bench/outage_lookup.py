"""Outage lookups per second and their latency, as a storm's IVR and WeChat traffic would send them.

    .venv/bin/python bench/outage_lookup.py [--reports 600] [--seconds 20] [--clients 8] [--workers 2]

Starts gunicorn (``--workers``) on 127.0.0.1:5079 against a scratch database with the demo grid,
takes in ``--reports`` reports (bench/intake.py's mix: a storm's open incidents), creates one
channel client with a rate high enough never to refuse, then lets ``--clients`` threads, each on
its own keep-alive connection, ask ``GET /api/v1/outages/lookup`` for ``--seconds``: by account
(a caller, a customer under an outage who did not call, one far from any) and by phone. Prints
lookups per second, p50 / p95 / p99 / max, and how many answers said "in an outage". Then the
same client with a low rate: how fast the refusals (429) come back.
"""
from __future__ import annotations

import argparse
import http.client
import json
import platform
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import redis
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, percentile, scratch_database  # noqa: E402
from bench.intake import report_bodies  # noqa: E402
from dispatch.core.config import Settings  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.customers.channels import RateLimit, create_client  # noqa: E402
from dispatch.customers.rate_limits import ChannelRateLimiter  # noqa: E402

PORT = 5079


def channel_client(url: str, name: str, rate: str) -> tuple[int, dict[str, str]]:
    """A channel client in the scratch database: its id and the headers its requests send."""
    database = Database(url)
    with database.session() as session:
        client_id, key = create_client(session, name, "ivr", RateLimit.parse(rate))
    database.dispose()
    return client_id, {"Authorization": f"Bearer {key}"}


def hammer(paths: list[str], headers: dict[str, str], seconds: float, clients: int) -> tuple[list[float], dict]:
    """``clients`` threads asking random ``paths`` for ``seconds``: the latencies (ms) and status counts."""
    timings: list[float] = []
    statuses: dict[int, int] = {}
    in_outage = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        mine, counts, out = [], {}, 0
        while time.perf_counter() < stop:
            sent = time.perf_counter()
            connection.request("GET", rng.choice(paths), headers=headers)
            response = connection.getresponse()
            body = response.read()
            mine.append((time.perf_counter() - sent) * 1000)
            counts[response.status] = counts.get(response.status, 0) + 1
            if response.status == 200:
                out += sum(c["in_outage"] for c in json.loads(body)["customers"])
        with lock:
            timings.extend(mine)
            in_outage[0] += out
            for status, n in counts.items():
                statuses[status] = statuses.get(status, 0) + n

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses["in_outage"] = in_outage[0]
    return timings, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}; "
          f"gunicorn workers {args.workers}, {args.clients} client threads on the same machine")
    with scratch_database("dispatch_bench_lookup") as url:
        bodies = report_bodies(url, args.reports)
        desk = bearer_headers(url, "bench-dispatcher", "dispatcher")
        fast_id, fast = channel_client(url, "bench-ivr", "1000000/s")
        slow_id, slow = channel_client(url, "bench-slow", "1/h")
        limits = redis.Redis.from_url(Settings.from_env().redis_url)
        with gunicorn(url, PORT, args.workers, environment={"LOG_LEVEL": "WARNING"}):
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            for body in bodies:
                connection.request("POST", "/api/v1/reports", json.dumps(body), desk)
                connection.getresponse().read()
            engine = create_engine(url)
            with engine.connect() as db:
                open_incidents = db.execute(text(
                    "SELECT count(*) FROM incidents WHERE status IN ('new', 'assigned', 'accepted', 'en_route', "
                    "'on_site')")).scalar_one()
                customers = db.execute(text("SELECT account_no, phone FROM customers")).all()
                devices = dict(db.execute(text(
                    "SELECT device_kind, count(*) FROM incidents WHERE status IN ('new', 'assigned', 'accepted', "
                    "'en_route', 'on_site') GROUP BY device_kind")).all())
                out = db.execute(text("SELECT coalesce(sum(customers_affected), 0) FROM incidents WHERE status IN "
                                      "('new', 'assigned', 'accepted', 'en_route', 'on_site')")).scalar_one()
            engine.dispose()
            rng = random.Random(3)
            sample = rng.sample(customers, min(4000, len(customers)))
            paths = [f"/api/v1/outages/lookup?account={quote(a)}" for a, _ in sample]
            paths += [f"/api/v1/outages/lookup?phone={quote(p)}" for _, p in sample[:len(sample) // 4]]
            print(f"{len(bodies)} reports taken in: {open_incidents} open incidents at {devices}, {out} customers "
                  f"out of {len(customers)}; {len(paths)} distinct lookups (4 by account to 1 by phone)")
            hammer(paths[:200], fast, 2, args.clients)  # warm: topology, pools
            timings, statuses = hammer(paths, fast, args.seconds, args.clients)
            print(f"{'':<22}{'per s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}  answers")
            print(f"{'lookups':<22}{len(timings) / args.seconds:>8.0f}{percentile(timings, 50):>8.1f}"
                  f"{percentile(timings, 95):>8.1f}{percentile(timings, 99):>8.1f}{max(timings):>8.1f}  {statuses}")
            timings, statuses = hammer(paths, slow, min(args.seconds, 10), args.clients)
            print(f"{'over the rate (429)':<22}{len(timings) / min(args.seconds, 10):>8.0f}"
                  f"{percentile(timings, 50):>8.1f}{percentile(timings, 95):>8.1f}{percentile(timings, 99):>8.1f}"
                  f"{max(timings):>8.1f}  {statuses}")
        # The scratch database goes; its clients' counters must not wait in Redis for a later client's id.
        limits.delete(*(f"{ChannelRateLimiter.PREFIX}:{i}" for i in (fast_id, slow_id)))


if __name__ == "__main__":
    main()

"""Latency of POST /api/v1/reports over real HTTP, one gunicorn worker, demo data loaded.

    .venv/bin/python bench/intake.py [--reports 3000] [--workers 1] [--proxy] [--port 5077]

With ``--proxy`` the client talks to nginx (the configuration scripts/run.sh uses, from
scripts/edge_proxy.py) on the next port, in front of gunicorn.

Starts gunicorn on 127.0.0.1:5077 against a scratch database with the demo grid, sends a mix of
reports one after another on a kept-alive connection (40 % by account number, 20 % by phone,
30 % by coordinates near a customer, 10 % by address, 5 % of all flagged hazards), and prints
reports per second and latency percentiles. Reports accumulate, so later ones see many open
incidents, as a storm would.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, percentile, scratch_database  # noqa: E402

PORT = 5077


def report_bodies(url: str, count: int, seed: int = 7) -> list[dict]:
    engine = create_engine(url)
    with engine.connect() as connection:
        customers = connection.execute(text(
            "SELECT account_no, phone, address, ST_X(geom), ST_Y(geom) FROM customers")).all()
    engine.dispose()
    rng = random.Random(seed)
    bodies = []
    for n in range(count):
        account_no, phone, address, lon, lat = rng.choice(customers)
        roll = rng.random()
        if roll < 0.4:
            body = {"account_no": account_no}
        elif roll < 0.6:
            body = {"phone": phone}
        elif roll < 0.9:
            body = {"location": {"lon": lon + rng.uniform(-2e-4, 2e-4), "lat": lat + rng.uniform(-2e-4, 2e-4)}}
        else:
            body = {"address": address.split(",")[0]}
        body["channel"] = rng.choice(["hotline", "app", "wechat", "sms"])
        body["external_id"] = f"bench-{n}"
        if rng.random() < 0.05:
            body["kind"] = "wire_down"
        bodies.append(body)
    return bodies


@contextlib.contextmanager
def nginx_in_front(app_port: int, port: int):
    """nginx with run.sh's configuration on ``port``, in front of 127.0.0.1:``app_port``."""
    spec = importlib.util.spec_from_file_location("edge_proxy", Path(__file__).resolve().parent.parent
                                                  / "scripts" / "edge_proxy.py")
    edge_proxy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(edge_proxy)
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as directory:
        prefix, logs = Path(directory) / "nginx", Path(directory) / "log"
        config = edge_proxy.write_config(prefix, logs, listen=f"127.0.0.1:{port}", upstream=f"127.0.0.1:{app_port}",
                                         max_body_bytes=1_048_576, daemon=False)
        nginx = subprocess.Popen(edge_proxy.command(config, prefix, logs))
        try:
            time.sleep(0.5)
            yield
        finally:
            nginx.terminate()
            nginx.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--proxy", action="store_true", help="through nginx, as scripts/run.sh serves")
    parser.add_argument("--port", type=int, default=PORT, help="gunicorn's port (nginx: the next one)")
    args = parser.parse_args()
    with scratch_database(f"dispatch_bench_intake_{args.port}") as url:
        bodies = report_bodies(url, args.reports + 50)
        headers = bearer_headers(url, "bench-dispatcher", "dispatcher")
        in_front = nginx_in_front(args.port, args.port + 1) if args.proxy else contextlib.nullcontext()
        environment = {"PROXY_HOPS": "1"} if args.proxy else {}
        with gunicorn(url, args.port, args.workers, environment=environment), in_front:
            port = args.port + 1 if args.proxy else args.port
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            latencies, statuses = [], {}
            started = None
            for n, body in enumerate(bodies):
                if n == 50:  # the first requests warm the worker up (topology, connections)
                    started = time.perf_counter()
                body["received_at"] = datetime.now(timezone.utc).isoformat()
                payload = json.dumps(body)
                sent = time.perf_counter()
                connection.request("POST", "/api/v1/reports", payload, headers)
                response = connection.getresponse()
                response.read()
                if n >= 50:
                    latencies.append((time.perf_counter() - sent) * 1000)
                    statuses[response.status] = statuses.get(response.status, 0) + 1
            elapsed = time.perf_counter() - started
        engine = create_engine(url)
        with engine.connect() as db:
            outcome = db.execute(text(
                "SELECT count(*), count(*) FILTER (WHERE crew_id IS NOT NULL), count(*) FILTER (WHERE status = 'merged'), "
                "count(*) FILTER (WHERE status = 'new') FROM incidents")).one()
        engine.dispose()
    print(f"POST /api/v1/reports, {len(latencies)} reports, gunicorn --workers {args.workers}"
          f"{' behind nginx' if args.proxy else ''}, statuses {statuses}")
    print(f"incidents: {outcome[0]} opened, {outcome[1]} given a crew automatically, {outcome[2]} merged, "
          f"{outcome[3]} waiting for a crew (20 crews)")
    print(f"throughput: {len(latencies) / elapsed:,.0f} reports/s (one client, sequential)")
    print(f"latency ms: p50 {statistics.median(latencies):.1f}  p95 {percentile(latencies, 95):.1f}  "
          f"p99 {percentile(latencies, 99):.1f}  max {max(latencies):.1f}")


if __name__ == "__main__":
    main()

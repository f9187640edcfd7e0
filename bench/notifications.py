"""Notification throughput of the worker: a storm's notices fanned out to every customer, then sent
to a local receiver.

    .venv/bin/python bench/notifications.py [--sources 0] [--concurrency 8] [--batch 200] [--adapter webhook]

In a scratch database with the demo grid, every feeder source (or the first ``--sources``) gets an
incident whose crew is on the way, written as the application writes it (the notice in the
change's transaction). Then the worker's own passes, as ``flask worker`` runs them: the fan-out
(one INSERT ... SELECT per notice: every customer downstream) and the sending, ``--concurrency``
at a time in batches of ``--batch``, to an HTTP receiver on 127.0.0.1 (a thread of this process,
answering 200 and keeping one copy per idempotency key). Prints the customers fanned out and how
long it took, and the messages sent per second.
"""
from __future__ import annotations

import argparse
import platform
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import scratch_database  # noqa: E402
from dispatch.core import clock  # noqa: E402
from dispatch.core.config import Settings  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.customers.notify_fanout import fan_out  # noqa: E402
from dispatch.customers.notify_sender import send_due  # noqa: E402
from dispatch.gis.grid import TopologyCache  # noqa: E402
from dispatch.incidents import notices  # noqa: E402


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self):
        self.keys: set[str] = set()
        self.requests = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                with server.lock:
                    server.requests += 1
                    server.keys.add(self.headers["Idempotency-Key"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def storm(database: Database, sources: int) -> int:
    """One incident, crew on the way, per feeder source; returns how many."""
    now = clock.now()
    with database.session() as session:
        connection = session.connection()
        ids = connection.execute(text(
            "INSERT INTO incidents (status, device_kind, device_id, device_code, source_id, zone_class, "
            "first_report_at, arrival_deadline, etr_at) SELECT 'en_route', 'source', s.id, s.code, s.id, 'urban', "
            ":now, :deadline, :etr FROM (SELECT * FROM sources ORDER BY id LIMIT :n) s RETURNING id"),
            {"now": now, "deadline": now + timedelta(hours=1), "etr": now + timedelta(hours=2),
             "n": sources or None}).scalars().all()
        notices.record(connection, ids, now, 30)
        session.commit()
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=0, help="feeder sources out (0: all)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--adapter", default="webhook", choices=("webhook", "sms"))
    args = parser.parse_args()
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/notify"
    with scratch_database("dispatch_bench_notifications") as database_url:
        settings = Settings.from_env().with_overrides(
            database_url=database_url, notify_adapter=args.adapter, notify_webhook_url=url, notify_sms_url=url,
            notify_webhook_secret="bench secret", notify_quiet_hours="", notify_concurrency=args.concurrency,
            notify_batch=args.batch)
        database = Database(database_url)
        incidents = storm(database, args.sources)
        topologies = TopologyCache()
        with database.session() as session:
            topologies.current(session)  # built once per worker process: not part of a pass
        started = time.perf_counter()
        while True:
            with database.session() as session:
                if not fan_out(session, topologies, settings, clock.now()):
                    break
        fanned = time.perf_counter() - started
        with database.session() as session:
            total = session.execute(text("SELECT count(*) FROM notifications")).scalar_one()
        started = time.perf_counter()
        while True:
            with database.session() as session:
                if not send_due(session, settings, clock.now()):
                    break
        sending = time.perf_counter() - started
        with database.session() as session:
            statuses = dict(session.execute(text("SELECT status, count(*) FROM notifications GROUP BY 1")).all())
        database.dispose()
    receiver.shutdown()
    print(f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}")
    print(f"incidents: {incidents} (one per feeder source, crew on the way); adapter {args.adapter}, "
          f"concurrency {args.concurrency}, batch {args.batch}")
    print(f"fan-out: {total} notifications in {fanned:.2f} s ({total / fanned:.0f}/s)")
    print(f"sending: {statuses} in {sending:.2f} s: {receiver.requests / sending:.0f} notifications/s; "
          f"receiver got {receiver.requests} requests, {len(receiver.keys)} distinct keys")


if __name__ == "__main__":
    main()

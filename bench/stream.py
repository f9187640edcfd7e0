"""Change-to-browser latency of the live stream, and memory per open stream.

    .venv/bin/python bench/stream.py [--streams 200] [--rate 50] [--seconds 30]
        [--worker-class gthread] [--threads 256] [--workers 2]

Creates a scratch database with the demo data and starts a Redis of its own, the API under
gunicorn with the given worker class, and the worker (``flask worker``, which relays the outbox).
Opens ``--streams`` streams as dispatchers (``GET /api/v1/stream``, each on its own connection, as
browsers do), then makes ``--rate`` changes a second for ``--seconds``: a crew's vehicle tracker
posts a position (``POST /api/v1/crews/{code}/positions``, 20 crews in turn), each one a ``crew``
message. A change's latency, for each stream, runs from just before its request is sent to the
moment that stream has read the event. Prints p50 / p95 / p99 / max over all deliveries, how many
were lost, and the resident memory of the gunicorn workers with no stream and with every stream open.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, SECRET_KEY, bearer_headers, gunicorn, percentile, scratch_database  # noqa: E402

PORT = 5097


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def moment(at: str) -> int:
    """A position's time as whole microseconds, however its offset is written."""
    return round(datetime.fromisoformat(at).timestamp() * 1_000_000)


def workers_rss_mib(master: int) -> tuple[int, float]:
    """How many worker processes gunicorn's master has, and their resident memory in all (MiB)."""
    total, count = 0, 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["PPid"]) == master:
            total += int(fields["VmRSS"].split()[0])
            count += 1
    return count, total / 1024


class Deliveries:
    """The send time of each change, and the latency of each delivery of it."""

    def __init__(self) -> None:
        self.sent: dict[int, float] = {}
        self.latencies: list[float] = []
        self.opened = 0


async def follow(port: int, authorization: str, deliveries: Deliveries) -> None:
    """One stream, read as a browser's fetch() reader would (HTTP/1.0: the body is the events as they are)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /api/v1/stream HTTP/1.0\r\nHost: bench\r\nAuthorization: {authorization}\r\n\r\n".encode())
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"the stream answered {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    deliveries.opened += 1
    topic = None
    while line := await reader.readline():
        if line.startswith(b"event: "):
            topic = line[7:].strip()
        elif line.startswith(b"data: ") and topic == b"crew":
            sent = deliveries.sent.get(moment(orjson.loads(line[6:])["at"]))
            if sent is not None:
                deliveries.latencies.append(time.perf_counter() - sent)


def make_changes(port: int, headers: dict, crews: list[str], rate: float, seconds: float,
                 deliveries: Deliveries) -> None:
    """``rate`` positions a second, on a fixed schedule, over one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    for n in range(int(rate * seconds)):
        pause = started + n / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        at = datetime.now(timezone.utc)
        body = orjson.dumps({"positions": [{"at": at.isoformat(), "lon": 51.43 + (n % 997) * 1e-5, "lat": 33.97,
                                            "heading": n % 360}]})
        deliveries.sent[moment(at.isoformat())] = time.perf_counter()
        connection.request("POST", f"/api/v1/crews/{crews[n % len(crews)]}/positions", body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 202:
            raise RuntimeError(f"a position was refused: {answer.status}")


async def measure(args, port: int, master: int, desk: dict, admin: dict, crews: list[str]) -> None:
    deliveries = Deliveries()
    _, idle_mib = workers_rss_mib(master)
    streams = [asyncio.create_task(follow(port, desk["Authorization"], deliveries)) for _ in range(args.streams)]
    deadline = time.monotonic() + 60
    while deliveries.opened < args.streams and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    processes, open_mib = workers_rss_mib(master)
    failed = [task.exception() for task in streams if task.done() and task.exception() is not None]
    print(f"streams open: {deliveries.opened} of {args.streams} ({len(failed)} refused"
          + (f": {failed[0]!r}" if failed else "") + f"); gunicorn workers: {processes}")
    print(f"worker RSS: {idle_mib:.1f} MiB with no stream (after a warm-up), {open_mib:.1f} MiB with "
          f"{deliveries.opened} open: {(open_mib - idle_mib) * 1024 / max(1, deliveries.opened):.0f} KiB per stream")
    changing = threading.Thread(target=make_changes, args=(port, admin, crews, args.rate, args.seconds, deliveries))
    started = time.perf_counter()
    changing.start()
    while changing.is_alive():
        await asyncio.sleep(0.1)
    took = time.perf_counter() - started
    await asyncio.sleep(5)  # the last deliveries
    expected = len(deliveries.sent) * deliveries.opened
    latencies = [s * 1000 for s in deliveries.latencies]
    print(f"changes: {len(deliveries.sent)} in {took:.1f} s ({len(deliveries.sent) / took:.1f}/s); deliveries: "
          f"{len(latencies)} of {expected} ({expected - len(latencies)} missing)")
    if latencies:
        print(f"change-to-stream latency ms: p50 {percentile(latencies, 50):.0f}  p95 {percentile(latencies, 95):.0f}"
              f"  p99 {percentile(latencies, 99):.0f}  max {max(latencies):.0f}")
    _, busy_mib = workers_rss_mib(master)
    print(f"worker RSS after the run: {busy_mib:.1f} MiB")
    for stream in streams:
        stream.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="changes a second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "gevent"))
    parser.add_argument("--threads", type=int, default=256, help="gthread: threads per worker")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(f"gunicorn --worker-class {args.worker_class} --workers {args.workers}"
          + (f" --threads {args.threads}" if args.worker_class == "gthread" else " --worker-connections 1000"))
    redis_port = free_port()
    redis_server = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(redis_port),
                                     "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                    stdout=subprocess.DEVNULL)
    environment = {"REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    options = (["--worker-class", "gthread", "--threads", str(args.threads)] if args.worker_class == "gthread"
               else ["--worker-class", "gevent", "--worker-connections", "1000"])
    try:
        with scratch_database("dispatch_bench_stream") as url:
            desk = bearer_headers(url, "bench-desk", "dispatcher")
            admin = bearer_headers(url, "bench-tracker", "admin")
            engine = create_engine(url)
            with engine.connect() as connection:
                crews = connection.execute(text("SELECT code FROM crews ORDER BY code")).scalars().all()
            engine.dispose()
            env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, **environment}
            relay = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "flask", "--app", "wsgi", "worker"],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            try:
                with gunicorn(url, PORT, args.workers, options, environment) as server:
                    for _ in range(20):  # every worker imports the app and answers once
                        probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
                        probe.request("GET", "/api/v1/crews", headers=desk)
                        probe.getresponse().read()
                    asyncio.run(measure(args, PORT, server.pid, desk, admin, crews))
            finally:
                relay.terminate()
                relay.wait()
    finally:
        redis_server.terminate()
        redis_server.wait()


if __name__ == "__main__":
    main()

"""Two API servers and two workers on one database and one Redis, as behind a load balancer
(docs/deployment.md, "A province"): what one server changes the other sees (a road closure in its
routing, a switching in its topology, an assignment, the live stream), the workers never do a
job twice (an SLA breach is recorded once, every live message relayed once), and a server killed
in the middle of its requests loses none it acknowledged.

Each server is gunicorn as run.sh starts it (scripts/gunicorn.conf.py, gthread), one process; each
worker is ``flask worker`` with a name of its own. ~30 s on a two-core machine.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from dispatch.accounts.users import TokenSigner, create_user, issue_token
from dispatch.core import clock
from dispatch.core.db import Database
from tests.conftest import BASE
from tests.factories import LAT, LON
from tests.helpers import customer
from tests.live.sse import StreamReader
from tests.live_setup import free_port
from tests.ops.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]


class Server:
    """One API server (gunicorn, its own process group so that killing it kills all of it)."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), "-m", "gunicorn", "-c", "scripts/gunicorn.conf.py", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "1", "--worker-class", "gthread", "--threads", "8",
             "--timeout", "60", "--error-logfile", str(log), "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)

    def call(self, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return response.status, (json.loads(raw) if raw and raw[:1] in b"{[" else {})

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
def deployment(live_url, private_redis, tmp_path):
    """Two servers and two workers on the test's database and a private Redis; yields
    (server A, server B, a dispatcher's token, the database)."""
    env = {**os.environ, "DATABASE_URL": live_url, "REDIS_URL": private_redis.url, "SECRET_KEY": BASE.secret_key,
           "CLOCK_SHIFT_DAYS": str(BASE.clock_shift_days), "LOG_LEVEL": "WARNING", "SLA_SWEEP_INTERVAL_S": "0.3",
           "RELAY_INTERVAL_S": "0.05", "STREAM_POLL_S": "0.2", "STREAM_HEARTBEAT_S": "0.5", "FLASK_APP": "wsgi"}
    env.pop("TEST_REDIS_DB", None)
    database = Database(live_url)
    with database.session() as session:
        user_id = create_user(session, f"desk-{uuid.uuid4().hex[:6]}", "long enough secret", "dispatcher", None)
        token, _ = issue_token(session, TokenSigner(BASE.secret_key, BASE.token_ttl_s), user_id, clock.now())
        session.commit()
    servers = [Server({**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"prometheus-{n}")}, tmp_path / f"app-{n}.log")
               for n in "ab"]
    workers = []
    for name in ("worker-a", "worker-b"):
        with (tmp_path / f"{name}.log").open("ab") as log:
            workers.append(subprocess.Popen([str(ROOT / ".venv/bin/flask"), "worker", "--name", name], cwd=ROOT,
                                            env=env, stdout=log, stderr=log))
    try:
        for server in servers:
            wait_until(lambda: server.call(token, "GET", "/healthz")[0] == 200, 60, what="gunicorn answering")
        with database.engine.connect() as connection:
            wait_until(lambda: connection.execute(text("SELECT count(*) FROM worker_heartbeats WHERE name LIKE "
                                                       "'worker-%'")).scalar() == 2, 60, what="both workers' sweeps")
        yield servers[0], servers[1], token, database
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        for server in servers:
            server.stop()
        database.dispose()
    for name in ("worker-a", "worker-b"):
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text()


def report(server: Server, token: str, account_no: str, minutes_ago: float = 1) -> dict:
    status, body = server.call(token, "POST", "/api/v1/reports", {
        "channel": "hotline", "account_no": account_no,
        "received_at": (clock.now() - timedelta(minutes=minutes_ago)).isoformat()})
    assert status == 201, body
    return body


def test_two_servers_and_two_workers_agree_and_a_killed_server_loses_nothing_acknowledged(deployment):
    a, b, token, database = deployment
    stream = StreamReader(b.base, token)  # B's stream, for changes made through A
    assert stream.status == 200 and stream.wait_for(lambda r: r.events)

    # A closure through A: B lists it and routes round it (West crew no longer the nearest for T2).
    status, closure = a.call(token, "POST", "/api/v1/roads/closures", {
        "reason": "tree across the road", "within_m": 5,
        "geometry": {"type": "LineString", "coordinates": [[LON + 0.001, LAT + 0.001], [LON + 0.003, LAT + 0.001]]}})
    assert status == 201, closure
    listed = b.call(token, "GET", "/api/v1/roads/closures")[1]["closures"]
    assert [c["active"] for c in listed if c["id"] == closure["id"]] == [True]
    sent = report(b, token, customer(2))["incident"]
    assert sent["crew"] == "CE"

    # An assignment through A: B shows it.
    status, assigned = a.call(token, "POST", f"/api/v1/incidents/{sent['id']}/assign", {"crew": "CW"})
    assert status == 200 and assigned["crew"] == "CW", assigned
    assert b.call(token, "GET", f"/api/v1/incidents/{sent['id']}")[1]["crew"] == "CW"

    # A switching through A: B's topology follows (T2 fed from the second substation).
    assert a.call(token, "PATCH", "/api/v1/grid/switches/SEC1", {"is_open": True})[0] == 200
    assert a.call(token, "PATCH", "/api/v1/grid/switches/TIE", {"is_open": False})[0] == 200
    moved = report(b, token, customer(2, 1), minutes_ago=0.5)
    assert moved["located"]["source"] == "S2", moved["located"]

    # A late call: both workers sweep it; the breach is recorded once.
    late = report(a, token, customer(4), minutes_ago=120)["incident"]
    with database.engine.connect() as connection:
        def breaches() -> int:
            return connection.execute(text(
                "SELECT count(*) FROM incident_events WHERE incident_id = :i AND type = 'breached'"),
                {"i": late["id"]}).scalar()
        wait_until(breaches, 30, what="the breach recorded")
        recorded = connection.execute(text("SELECT max(last_sweep_at) FROM worker_heartbeats")).scalar()
        wait_until(lambda: connection.execute(text(  # both have swept since: each saw the late incident
            "SELECT count(*) FROM worker_heartbeats WHERE name LIKE 'worker-%' AND last_sweep_at > :t"),
            {"t": recorded}).scalar() == 2, 30, what="both workers sweeping again")
        assert breaches() == 1

    # B's stream got every message of the changes through A, each once, in order.
    with database.engine.connect() as connection:
        written = connection.execute(text("SELECT id FROM outbox WHERE id > :after ORDER BY id"),
                                     {"after": stream.events[0].id}).scalars().all()
    assert stream.wait_for(lambda r: r.last_id is not None and r.last_id >= written[-1], 20)
    got = [e.id for e in stream.messages]
    assert got[:len(written)] == written and len(set(got)) == len(got)
    assert {"closure", "incident", "map"} <= {e.topic for e in stream.messages}
    stream.close()

    # A killed in the middle of its requests: every report it acknowledged is kept; B carries on.
    acknowledged: list[int] = []
    stop = threading.Event()

    def keep_reporting() -> None:
        k = 0
        while not stop.is_set():
            k += 1
            try:
                status, body = a.call(token, "POST", "/api/v1/reports", {
                    "channel": "hotline", "account_no": customer((1, 3, 4)[k % 3], k % 20),
                    "received_at": (clock.now() - timedelta(seconds=30)).isoformat()})
            except OSError:
                return
            if status in (200, 201):
                acknowledged.append(body["id"])
    sender = threading.Thread(target=keep_reporting, daemon=True)
    sender.start()
    wait_until(lambda: len(acknowledged) >= 5, 30, what="reports through A")
    a.kill()
    stop.set()
    sender.join(timeout=30)
    with database.engine.connect() as connection:
        kept = set(connection.execute(text("SELECT id FROM reports WHERE id = ANY(:ids)"),
                                      {"ids": acknowledged}).scalars())
    assert kept == set(acknowledged)
    assert report(b, token, customer(3))["incident"]["id"]

"""Outages of the real services under the real server: the database killed and started again,
Redis stopped and started again, the worker killed. Each test runs gunicorn and the supervised
worker on a PostgreSQL cluster and a Redis of its own (tests/ops/conftest.py)."""
from __future__ import annotations

import os
import signal
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.helpers import customer
from tests.live.sse import StreamReader
from tests.ops.conftest import PG_BIN, wait_until

pytestmark = pytest.mark.skipif(PG_BIN is None, reason="PostgreSQL's server binaries are not installed (setup.sh does)")


def a_report(k: int) -> dict:
    return {"channel": "hotline", "account_no": customer(2 + k % 4, k % 3), "received_at": clock.now().isoformat()}


class Load:
    """Reports sent one after the other in a thread until stopped; every answer kept."""

    def __init__(self, stack):
        self.stack = stack
        self.answers: list[tuple[int, dict, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        k = 0
        while not self._stop.is_set():
            k += 1
            try:
                self.answers.append(self.stack.call("POST", "/api/v1/reports", a_report(k)))
            except OSError as why:  # never expected: the server itself stays up
                self.answers.append((0, {}, str(why)))
            time.sleep(0.02)

    def statuses(self) -> list[int]:
        return [status for status, _, _ in self.answers]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def worker_pid(stack) -> int:
    return stack.heartbeat()["pid"]


def swept_after(stack, moment: datetime, pid: int | None = None) -> bool:
    beat = stack.heartbeat()
    return beat is not None and beat["last_sweep_at"] > moment and (pid is None or beat["pid"] == pid)


def test_database_down_is_a_503_to_retry_and_the_app_recovers_by_itself(stack):
    pid = worker_pid(stack)
    load = Load(stack)
    try:
        wait_until(lambda: load.statuses().count(201) >= 5, 30, what="reports taken before the outage")
        stack.postgres.kill()
        wait_until(lambda: load.statuses().count(503) >= 5, 30, what="503s while the database is down")
        status, headers, body = stack.call("POST", "/api/v1/reports", a_report(0), headers={"X-Request-Id": "down-1"})
        assert status == 503 and headers["Content-Type"] == "application/problem+json"
        assert int(headers["Retry-After"]) > 0 and headers["X-Request-Id"] == "down-1"
        assert body["type"] == "urn:grid-dispatch:problem:database-unavailable"
        assert body["detail"] == "the database cannot be reached, retry" and body["request_id"] == "down-1"
        status, _, health = stack.call("GET", "/healthz", token=None)
        assert status == 200 and health["status"] == "degraded" and health["checks"]["database"]["status"] == "down"
        status, _, ready = stack.call("GET", "/readyz", token=None)
        assert status == 503 and ready["checks"]["database"]["status"] == "down"
        time.sleep(1)
        down_at = clock.now()
        stack.postgres.start()
        answered_during_outage = len(load.answers)
        wait_until(lambda: 201 in load.statuses()[answered_during_outage:], 30, what="reports taken again")
        time.sleep(0.5)
    finally:
        load.stop()
    statuses = load.statuses()
    assert set(statuses) <= {201, 503}, sorted(set(statuses))  # never a 500, never a dropped connection
    for status, headers, body in load.answers:
        if status == 503:
            assert headers["Retry-After"] and body["request_id"] == headers["X-Request-Id"]
    taken = [body["id"] for status, _, body in load.answers if status == 201]
    with stack.database.engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM reports WHERE id = ANY(:ids)"), {"ids": taken}).scalar()
    assert stored == len(taken)  # every report that got 201 is there
    assert stack.call("GET", "/readyz", token=None)[0] == 200 or wait_until(
        lambda: stack.call("GET", "/readyz", token=None)[0] == 200, 20, what="ready again")
    # The worker lived through it (the same process) and sweeps again.
    wait_until(lambda: swept_after(stack, down_at, pid), 30, what="the worker's heartbeat after the outage")
    logged = [line for line in stack.log_lines() if line.get("request_id") == "down-1"]
    error = next(line for line in logged if line["logger"] == "api.errors")
    assert error["level"] == "WARNING" and "Traceback" in error["exception"] and "503" in error["message"]
    assert logged[-1]["status"] == 503 and logged[-1]["level"] == "WARNING"  # the request's line


def test_redis_down_keeps_intake_and_live_updates_arrive_late_not_lost(stack):
    pid = worker_pid(stack)
    stream = StreamReader(f"http://127.0.0.1:{stack.port}", stack.token)
    try:
        assert stream.status == 200
        stack.redis.stop()
        stopped_at = clock.now()
        status, _, during = stack.call("POST", "/api/v1/reports", a_report(1))
        assert status == 201
        incident = during["incident"]["id"]
        assert stream.wait_for(lambda s: any(e.topic == "incident" and e.data["id"] == incident
                                             for e in s.messages), 20), "the desk saw the incident, from the table"
        status, _, health = stack.call("GET", "/healthz", token=None)
        assert status == 200 and health["status"] == "degraded"
        assert health["checks"] == {"database": {"status": "ok"}, "redis": health["checks"]["redis"]}
        assert health["checks"]["redis"]["status"] == "down"
        status, _, ready = stack.call("GET", "/readyz", token=None)
        assert status == 200 and ready["status"] == "degraded" and ready["checks"]["redis"]["status"] == "down"
        signed_in = [stack.call("POST", "/api/v1/auth/token", {"username": "nobody", "password": "wrong password"},
                                token=None)[0] for _ in range(8)]
        assert signed_in == [401] * 8  # sign-in works (without its limit)
        wait_until(lambda: swept_after(stack, stopped_at, pid), 20, what="the worker sweeping without Redis")
        stack.redis.start()
        status, _, after = stack.call("POST", "/api/v1/reports", a_report(2))
        assert status == 201
        again = after["incident"]["id"]
        assert stream.wait_for(lambda s: any(e.topic == "incident" and e.data["id"] == again
                                             for e in s.messages), 20)
    finally:
        stream.close()

    def relayed_everything() -> bool:
        with stack.database.engine.connect() as connection:
            return connection.execute(text(
                "SELECT relayed_to >= (SELECT max(id) FROM outbox) FROM outbox_relay")).scalar()
    wait_until(relayed_everything, 20, what="the relay catching up")
    assert wait_until(lambda: stack.call("GET", "/healthz", token=None)[2]["status"] == "ok", 20, what="healthy")
    assert worker_pid(stack) == pid  # the same worker throughout
    app_lines = stack.log_lines()
    off = [line for line in app_lines if line.get("logger") == "dispatch.accounts.users" and line.get("outage")]
    assert 1 <= len([line for line in off if line["outage_state"] == "down"]) <= 2  # once per outage and process
    assert "failed sign-ins are not limited" in off[0]["message"]
    relay_lines = [line for line in stack.log_lines(stack.worker_log) if line.get("logger") == "dispatch.live.relay"]
    assert [line["outage_state"] for line in relay_lines if line.get("outage") == "Redis"] == ["down", "up"]


def test_a_killed_worker_is_started_again(stack):
    pid = worker_pid(stack)
    killed_at = clock.now()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: (beat := stack.heartbeat()) and beat["pid"] != pid and beat["last_sweep_at"] > killed_at, 90,
               what="a new worker process sweeping")
    restarts = [line for line in stack.log_lines(stack.worker_log) if line.get("logger") == "supervise"]
    assert any(f"pid {pid}) exited with status" in line["message"] for line in restarts)


def test_metrics_add_up_the_gunicorn_processes(stack):
    def healthz_count() -> float:
        status, _, scrape = stack.call("GET", "/metrics", token=stack.admin_token)
        assert status == 200
        prefix = 'dispatch_http_requests_total{method="GET",route="/healthz",status="200"} '
        return sum(float(line[len(prefix):]) for line in scrape.splitlines() if line.startswith(prefix))

    before = healthz_count()
    for _ in range(30):
        assert stack.call("GET", "/healthz", token=None)[0] == 200
    assert healthz_count() - before == 30  # whichever of the two processes answered each
    assert stack.call("GET", "/metrics", token=None)[0] == 401
    assert stack.call("GET", "/metrics")[0] == 403  # a dispatcher


def test_under_gunicorn_the_log_is_json_lines_with_the_request_ids(stack):
    _, headers, _ = stack.call("GET", "/api/v1/incidents/99999999", headers={"X-Request-Id": "gunicorn-1"})
    assert headers["X-Request-Id"] == "gunicorn-1"
    time.sleep(0.5)
    raw = stack.app_log.read_text().splitlines()
    assert raw and all(line.startswith("{") for line in raw), [line for line in raw if not line.startswith("{")][:5]
    lines = stack.log_lines()
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    [request] = [line for line in lines if line.get("request_id") == "gunicorn-1"]
    assert request["route"] == "/api/v1/incidents/<int:incident_id>" and request["status"] == 404

"""The outage tests' own services: a PostgreSQL cluster and a Redis of their own, which they stop
and start (the machine's shared ones are never touched), the app under gunicorn as run.sh starts
it (scripts/gunicorn.conf.py, gthread, two processes) and the worker under scripts/supervise.sh.

The cluster is made once per module (initdb, PostGIS, migrations, the city grid: some seconds);
each test gets fresh processes of the app and the worker on it.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text

from api.cli import alembic_config
from dispatch.accounts.users import TokenSigner, create_user, issue_token
from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.gis.grid_import import import_grid
from tests.conftest import BASE
from tests.factories import dispatch_grid, write_layers
from tests.live_setup import PrivateRedis, free_port

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next((p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
               if (p / "initdb").exists()), None) if Path("/usr/lib/postgresql").is_dir() else None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own on a free port (as the postgres user when the tests run
    as root: PostgreSQL refuses to run as root), that the test may kill and start again."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="ops-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://dispatch@127.0.0.1:{self.port}/dispatch"
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, str(PG_BIN / args[0]), *args[1:]], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "dispatch", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        self.start()
        admin = create_engine(make_url(self.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE dispatch"))
        admin.dispose()

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c shared_buffers=32MB -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "server.log"), "-w", "-t", "60",
                  "-o", options, "start")

    def running(self) -> bool:
        try:
            self._run("pg_ctl", "-D", str(self.data), "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def kill(self) -> None:
        """Stop at once, as a crash would (no checkpoint; the next start recovers)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres():
    """A cluster with the schema at the head and tests.factories.dispatch_grid imported (crew CL off duty)."""
    server = PrivatePostgres()
    try:
        server.create()
        command.upgrade(alembic_config(server.url), "head")
        database = Database(server.url)
        with database.session() as session:
            import_grid(session, write_layers(server.directory.parent / f"{server.directory.name}-grid",
                                              dispatch_grid()))
            session.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CL'"))
            session.commit()
        database.dispose()
        yield server
    finally:
        server.remove()
        shutil.rmtree(server.directory.parent / f"{server.directory.name}-grid", ignore_errors=True)


@dataclass
class Stack:
    """The app (gunicorn) and the worker on the private PostgreSQL and Redis."""

    postgres: PrivatePostgres
    redis: PrivateRedis
    port: int
    app_log: Path
    worker_log: Path
    database: Database
    token: str
    admin_token: str

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None,
             token: str | None = "", timeout: float = 15) -> tuple[int, dict, dict | str]:
        """(status, headers, JSON body or text) of one request, as the stack's dispatcher by default."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token or self.token}"
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=sent)
            response = connection.getresponse()
            raw = response.read().decode()
            media = response.headers.get("Content-Type", "")
            return response.status, dict(response.headers), json.loads(raw) if "json" in media else raw
        finally:
            connection.close()

    def log_lines(self, which: Path | None = None) -> list[dict]:
        lines = []
        for line in (which or self.app_log).read_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def heartbeat(self) -> dict | None:
        with self.database.engine.connect() as connection:
            row = connection.execute(text(
                "SELECT pid, last_sweep_at FROM worker_heartbeats WHERE name = 'ops-test'")).mappings().first()
            return dict(row) if row else None


def wait_until(condition, seconds: float = 30, every: float = 0.1, what: str = "the condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = condition()
        except Exception:  # a service on its way back up
            found = None
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@pytest.fixture
def stack(private_postgres, tmp_path):
    """gunicorn (2 processes) and the supervised worker on the private PostgreSQL and a private Redis."""
    if not private_postgres.running():  # a test before this one failed while it was down
        private_postgres.start()
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    database = Database(private_postgres.url)
    signer = TokenSigner(BASE.secret_key, BASE.token_ttl_s)
    with database.session() as session:
        token, admin_token = (
            issue_token(session, signer, create_user(session, f"{role}-{uuid.uuid4().hex[:6]}", "long enough secret",
                                                     role, None), clock.now())[0]
            for role in ("dispatcher", "admin"))
        session.execute(text("DELETE FROM worker_heartbeats"))
        session.commit()
    port = free_port()
    app_log, worker_log = tmp_path / "app.log", tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": private_postgres.url, "REDIS_URL": redis_server.url,
           "SECRET_KEY": BASE.secret_key, "CLOCK_SHIFT_DAYS": str(BASE.clock_shift_days), "LOG_LEVEL": "INFO",
           "HEALTH_TIMEOUT_S": "1", "WORKER_STALE_S": "10", "STREAM_POLL_S": "0.2", "STREAM_HEARTBEAT_S": "0.5",
           "SLA_SWEEP_INTERVAL_S": "0.5", "RELAY_INTERVAL_S": "0.05", "FLASK_APP": "wsgi",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}
    env.pop("TEST_REDIS_DB", None)
    app = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "gunicorn", "-c", "scripts/gunicorn.conf.py", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread", "--threads", "8", "--timeout", "60",
         "--error-logfile", str(app_log), "wsgi:app"], cwd=ROOT, env=env)
    with worker_log.open("ab") as log:
        worker = subprocess.Popen(["bash", "scripts/supervise.sh", "worker", str(ROOT / ".venv/bin/flask"), "worker",
                                   "--name", "ops-test"], cwd=ROOT, env=env, stdout=log, stderr=log)
    running = Stack(private_postgres, redis_server, port, app_log, worker_log, database, token, admin_token)
    try:
        wait_until(lambda: running.call("GET", "/healthz", token=None)[0] == 200, 60, what="gunicorn answering")
        wait_until(running.heartbeat, 60, what="the worker's first sweep")
        yield running
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.terminate()
        app.wait(timeout=30)
        redis_server.stop()
        database.dispose()

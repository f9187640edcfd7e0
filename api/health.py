"""``/healthz`` (liveness) and ``/readyz`` (readiness), polled by a load balancer or systemd.

Liveness asks "is this process serving?": it answers 200 whenever it can answer at all, and says
``degraded`` with the part that fails when the database or Redis does not answer. Restarting the
app would not bring either back, and with Redis down the app still takes reports (live updates
come late, from the outbox table), so a 503 there would only make a load balancer pull a working
server.

Readiness asks "should requests be sent here?": 503 with the reasons while the database cannot be
reached, its schema is not at the code's migration head (a deployment half done), or no worker
has finished an SLA sweep for WORKER_STALE_S (deadline warnings and waiting incidents would go
unnoticed). Redis down is reported (``degraded``) but does not make the app unready.
"""
from __future__ import annotations

import logging
from functools import cache
from typing import Any, Callable

from alembic.script import ScriptDirectory
from flask import Blueprint, Response, jsonify

from api.access import public
from api.cli import alembic_config
from api.context import redis_client, session, settings
from api.errors import problem
from api.openapi import operation
from dispatch.core import clock
from dispatch.core.db import text
from dispatch.core.heartbeats import last_sweep

log = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """A probe's own reason for "down", safe to show to anyone."""


blueprint = Blueprint("health", __name__)

CHECK = {"type": "object", "required": ["status"], "properties": {
    "status": {"type": "string", "enum": ["ok", "down"]}, "error": {"type": "string"}}}
HEALTH = {"type": "object", "required": ["status", "checks"], "properties": {
    "status": {"type": "string", "enum": ["ok", "degraded"]},
    "checks": {"type": "object", "additionalProperties": CHECK}}}


def _check(probe: Callable[[], Any]) -> dict[str, str]:
    try:
        probe()
    except Exception as why:  # any failure means "down"; the reason is reported, not raised
        try:
            session().rollback()  # a failed statement leaves the request's session unusable otherwise
        except Exception:  # noqa: S110 - the connection is gone; the next probe reports it
            pass
        # A driver's message names hosts, ports and users: the public answer gives its kind only,
        # the log the whole line. The probes' own reasons are written for the public answer.
        log.warning("health probe failed: %s", f"{type(why).__name__}: {why}".splitlines()[0])
        return {"status": "down", "error": str(why) if isinstance(why, NotReady) else type(why).__name__}
    return {"status": "ok"}


def _database_probe() -> None:
    session().execute(text("SELECT 1"))


@cache
def migration_head() -> str | None:
    """The newest migration this code knows (read once per process: the code does not change)."""
    return ScriptDirectory.from_config(alembic_config(settings().database_url)).get_current_head()


def _migrations_probe() -> None:
    at = session().execute(text("SELECT version_num FROM alembic_version")).scalar()
    if at != migration_head():
        raise NotReady(f"the schema is at {at}, the code needs {migration_head()}: run flask db upgrade")


def _worker_probe() -> None:
    latest = last_sweep(session().connection())
    if latest is None:
        raise NotReady("no worker has finished a sweep: is flask worker running?")
    age = (clock.now() - latest["last_sweep_at"]).total_seconds()
    if age > settings().worker_stale_s:
        raise NotReady(f"the last sweep ({latest['name']}, pid {latest['pid']} on {latest['host']}) "
                           f"finished {age:.0f} s ago, over WORKER_STALE_S={settings().worker_stale_s:g}")


def _overall(checks: dict[str, dict[str, str]]) -> str:
    return "ok" if all(c["status"] == "ok" for c in checks.values()) else "degraded"


@blueprint.get("/healthz")
@public
@operation("Liveness: answers while the process serves; says which dependency is down", "meta", responses={
    200: ("Serving: status ok, or degraded with the database or Redis down (named in checks)", HEALTH)})
def healthz() -> Response:
    checks = {"database": _check(_database_probe), "redis": _check(lambda: redis_client().ping())}
    return jsonify(status=_overall(checks), checks=checks)


@blueprint.get("/readyz")
@public
@operation("Readiness: database reachable, schema migrated, worker sweeping", "meta", responses={
    200: ("Ready (degraded: Redis is down, live updates come late)", HEALTH),
    503: ("Not ready; checks says why", None)})
def readyz() -> Response:
    checks = {"database": _check(_database_probe)}
    if checks["database"]["status"] == "ok":
        checks["migrations"] = _check(_migrations_probe)
        checks["worker"] = _check(_worker_probe)
    else:
        unknown = {"status": "down", "error": "unknown: the database cannot be reached"}
        checks["migrations"], checks["worker"] = dict(unknown), dict(unknown)
    checks["redis"] = _check(lambda: redis_client().ping())
    failing = [name for name, c in checks.items() if c["status"] != "ok" and name != "redis"]
    if failing:
        response = problem(503, "Not ready", "not ready: " + "; ".join(
            f"{name}: {checks[name]['error']}" for name in failing), "not-ready", checks=checks)
        response.headers["Retry-After"] = "5"
        return response
    return jsonify(status=_overall(checks), checks=checks)

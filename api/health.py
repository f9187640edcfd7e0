"""``/healthz``: is the database reachable, is Redis reachable. A load balancer polls it."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from api.access import public
from api.context import database, redis_client
from api.errors import problem
from api.openapi import operation

blueprint = Blueprint("health", __name__)


def _check(probe) -> dict[str, str]:
    try:
        probe()
    except Exception as why:  # any failure means "down"; the reason is reported, not raised
        return {"status": "down", "error": f"{type(why).__name__}: {why}".splitlines()[0]}
    return {"status": "ok"}


def _database_probe() -> None:
    with database().engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@blueprint.get("/healthz")
@public
@operation("Health of the database and Redis", "meta", responses={
    200: ("Both are reachable", {"type": "object"}), 503: ("One of them is down", None)})
def healthz() -> Response:
    checks = {"database": _check(_database_probe), "redis": _check(lambda: redis_client().ping())}
    if all(c["status"] == "ok" for c in checks.values()):
        return jsonify(status="ok", checks=checks)
    down = ", ".join(name for name, c in checks.items() if c["status"] != "ok")
    return problem(503, "Service unavailable", f"not reachable: {down}", "dependency-down", checks=checks)

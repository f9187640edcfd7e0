"""Health, the OpenAPI document and the single error format."""
from __future__ import annotations

import re

from psycopg.errors import DeadlockDetected
from sqlalchemy.exc import OperationalError

from api import create_app
from api.access import public
from api.openapi import build_document
from tests.conftest import BASE, TEST_REDIS_URL
from tests.helpers import assert_problem


def test_health_ok(client, redis_db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": {"status": "ok"}, "redis": {"status": "ok"}}}


def test_health_reports_database_down(database_url):
    """Liveness: the process serves (200); the part that fails is named (tests/ops/test_health.py)."""
    app = create_app(BASE.with_overrides(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
                                         redis_url=TEST_REDIS_URL, health_timeout_s=1))
    response = app.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "down" and body["checks"]["redis"]["status"] == "ok"


def test_health_reports_redis_down(database_url):
    app = create_app(BASE.with_overrides(database_url=database_url, redis_url="redis://127.0.0.1:1/0",
                                         health_timeout_s=1))
    response = app.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "down" and body["checks"]["database"]["status"] == "ok"


def test_openapi_documents_every_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule), method.lower())
              for r in app.url_map.iter_rules() if not r.rule.startswith(("/crew", "/desk", "/reports/", "/outages"))  # web apps
              for method in r.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    layer = document["paths"]["/api/v1/grid/{layer}"]["get"]
    assert {p["name"] for p in layer["parameters"]} == {"layer", "bbox", "limit", "after"}
    assert document == build_document(app)


def test_unknown_route_and_method_are_problems(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert_problem(client.delete("/api/v1/openapi.json"), 405)


def test_unexpected_errors_are_500_problems(database_url):
    app = create_app(BASE.with_overrides(database_url=database_url, redis_url=TEST_REDIS_URL))

    @app.get("/_boom")
    @public
    def boom():
        raise RuntimeError("kaput")

    body = assert_problem(app.test_client().get("/_boom"), 500)
    assert "kaput" not in body["detail"]


def test_a_request_that_loses_a_database_race_is_a_503_to_retry(database_url):
    app = create_app(BASE.with_overrides(database_url=database_url, redis_url=TEST_REDIS_URL))

    @app.get("/_deadlock")
    @public
    def deadlock():
        raise OperationalError("UPDATE crews ...", {}, DeadlockDetected("deadlock detected"))

    answer = app.test_client().get("/_deadlock")
    assert assert_problem(answer, 503)["type"].endswith("try-again") and answer.headers["Retry-After"] == "1"

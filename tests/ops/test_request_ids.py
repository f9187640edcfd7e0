"""Every request has an id: in the X-Request-Id header, in the problem+json body, in each JSON log
line of the request; a 5xx is logged with its traceback."""
from __future__ import annotations

import json

import pytest

from api import create_app
from api.access import public
from tests.conftest import BASE, TEST_REDIS_URL
from tests.helpers import assert_problem


def log_lines(captured: str) -> list[dict]:
    """The JSON log lines among what was written to standard error."""
    lines = []
    for line in captured.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_request_gets_an_id_in_the_header_and_in_its_log_line(anonymous, capsys):
    answer = anonymous.get("/healthz")
    request_id = answer.headers["X-Request-Id"]
    assert len(request_id) == 32 and request_id != anonymous.get("/healthz").headers["X-Request-Id"]
    logged = [line for line in log_lines(capsys.readouterr().err) if line.get("request_id") == request_id]
    assert [(line["route"], line["status"], line["level"]) for line in logged] == [("/healthz", 200, "INFO")]
    assert logged[0]["duration_ms"] >= 0 and logged[0]["time"].endswith("+00:00")


@pytest.mark.parametrize("offered, kept", [
    ("9f2c1e0a-77aa-4a51-b1b2-9a9d5a0e3c11", True), ("nginx.4f2a:1", True),
    ("", False), ("x" * 129, False), ("two words", False), ("a\u00e9b", False), ("<script>", False),
])
def test_an_incoming_id_is_kept_only_when_it_is_sane(anonymous, offered, kept):
    given = anonymous.get("/healthz", headers={"X-Request-Id": offered}).headers["X-Request-Id"]
    assert (given == offered) is kept
    assert len(given) == 32 or kept


def test_every_problem_carries_the_request_id(anonymous, client):
    for answer, status in ((anonymous.get("/api/v1/incidents"), 401), (client.get("/api/v1/nowhere"), 404),
                           (client.post("/api/v1/reports", json={"channel": "pigeon"}), 422),
                           (client.delete("/healthz"), 405)):
        body = assert_problem(answer, status)
        assert body["request_id"] == answer.headers["X-Request-Id"]
    offered = client.get("/api/v1/incidents/999999", headers={"X-Request-Id": "desk-42"})
    assert assert_problem(offered, 404)["request_id"] == "desk-42"


@pytest.fixture
def failing_app(database_url):
    """The application with one extra route, on this test's app instance only, that fails as a bug would."""
    app = create_app(BASE.with_overrides(database_url=database_url, redis_url=TEST_REDIS_URL))

    @public
    def broken():
        raise KeyError("a bug")

    app.add_url_rule("/test-only/broken", "broken", broken)
    yield app
    app.extensions["hub"].close()
    app.extensions["database"].dispose()


def test_a_server_error_is_logged_with_its_traceback_and_the_request_id(failing_app, capsys):
    answer = failing_app.test_client().get("/test-only/broken", headers={"X-Request-Id": "bug-1"})
    body = assert_problem(answer, 500)
    assert body["request_id"] == "bug-1" and "a bug" not in json.dumps(body)  # nothing internal to the client
    lines = [line for line in log_lines(capsys.readouterr().err) if line.get("request_id") == "bug-1"]
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["logger"] == "api.errors"
    assert "Traceback" in error["exception"] and "KeyError: 'a bug'" in error["exception"]
    assert "in broken" in error["exception"]
    assert lines[-1]["status"] == 500 and lines[-1]["route"] == "/test-only/broken"


def test_log_level_is_checked_at_start():
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        BASE.with_overrides(log_level="chatty")

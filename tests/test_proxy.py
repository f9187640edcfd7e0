"""nginx in front of a real app server, with the configuration scripts/edge_proxy.py writes for
scripts/run.sh: slow clients do not stall the app, the body limit holds, the live stream passes
through unbuffered, and the app sees the client's address (one trusted hop).

The app server is gunicorn with run.sh's worker class and 4 threads: five slow clients sent to it
directly stall it (checked first, so the test shows what the proxy adds); run.sh's 256 threads
only take more slow clients to stall.
"""
from __future__ import annotations

import http.client
import importlib.util
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import BASE
from tests.live_setup import free_port

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed: scripts/setup.sh installs it")
MAX_BODY_BYTES = 20_000


def edge_proxy():
    spec = importlib.util.spec_from_file_location("edge_proxy", ROOT / "scripts" / "edge_proxy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for(port: int, seconds: float = 60) -> None:
    """Until the server behind ``port`` answers (a worker has booted, not only the listener)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
            connection.request("GET", "/healthz")
            if connection.getresponse().status in (200, 503):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"nothing answers on {port}")


@pytest.fixture
def app_server(live_url, private_redis):
    """gunicorn as run.sh starts it (its configuration file, gthread: each connection closed after
    its response) but with 4 threads, on the test's database and Redis; yields its port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": live_url, "REDIS_URL": private_redis.url, "SECRET_KEY": BASE.secret_key,
           "PROXY_HOPS": "1", "MAX_BODY_BYTES": str(MAX_BODY_BYTES), "STREAM_HEARTBEAT_S": "0.3",
           "STREAM_POLL_S": "0.2", "CLOCK_SHIFT_DAYS": str(BASE.clock_shift_days)}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "gunicorn", "-c", str(ROOT / "scripts" / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "gthread", "--threads", "4", "--timeout", "120", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        wait_for(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def proxy(app_server, tmp_path):
    """nginx with run.sh's configuration (the tests' body limit, 2 s client timeouts) in front of
    ``app_server``; yields its port."""
    module = edge_proxy()
    port = free_port()
    prefix, logs = tmp_path / "nginx", tmp_path / "log"
    config = module.write_config(prefix, logs, listen=f"127.0.0.1:{port}", upstream=f"127.0.0.1:{app_server}",
                                 max_body_bytes=MAX_BODY_BYTES, daemon=False, header_timeout_s=2, body_timeout_s=2)
    nginx = subprocess.Popen(module.command(config, prefix, logs))
    try:
        wait_for(port)
        yield port
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)


def slow_clients(port: int) -> list[socket.socket]:
    """Two connections that send half a request header, three that send a header and part of a body."""
    sockets = []
    for _ in range(2):
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        sockets.append(half)
    for _ in range(3):
        body = socket.create_connection(("127.0.0.1", port))
        body.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 5000\r\n\r\n{\"channel\": ")
        sockets.append(body)
    time.sleep(0.3)
    return sockets


def get(port: int, path: str, timeout: float, headers: dict | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()
    return response


def test_slow_clients_stall_the_bare_server_but_not_the_proxy(app_server, proxy):
    stalled = slow_clients(app_server)
    try:
        with pytest.raises(TimeoutError):  # every thread is reading a slow client
            get(app_server, "/healthz", timeout=2)
    finally:
        for client in stalled:
            client.close()
    time.sleep(0.5)
    assert get(app_server, "/healthz", timeout=10).status in (200, 503)

    slow = slow_clients(proxy)
    try:
        started = time.monotonic()
        for _ in range(10):
            response = get(proxy, "/healthz", timeout=2)
            assert response.status in (200, 503) and response.getheader("Content-Type") == "application/json"
            assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert time.monotonic() - started < 5
        # nginx drops the slow ones after client_header_timeout / client_body_timeout (2 s here).
        time.sleep(3)
        for client in slow:
            client.settimeout(2)
            answer = client.recv(4096)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:100]
    finally:
        for client in slow:
            client.close()


def test_a_body_over_the_limit_is_refused_by_the_proxy_as_a_problem(proxy, user):
    dispatcher = user("dispatcher")
    connection = http.client.HTTPConnection("127.0.0.1", proxy, timeout=10)
    connection.request("POST", "/api/v1/reports", body=b'{"channel": "app", "description": "' + b"x" * 50_000 + b'"}',
                       headers={**dispatcher["headers"], "Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 413 and response.getheader("Content-Type") == "application/problem+json"
    assert b'"status": 413' in response.read()
    # Under the limit, the app decides (and answers in the same format).
    connection = http.client.HTTPConnection("127.0.0.1", proxy, timeout=10)
    connection.request("POST", "/api/v1/reports", body=b'{"channel": "app"}',
                       headers={**dispatcher["headers"], "Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 422 and response.getheader("Content-Type") == "application/problem+json"


def test_grid_imports_have_their_own_body_limit_in_the_proxy_too(proxy, user):
    """A layer file is larger than MAX_BODY_BYTES: nginx lets it through to the import route (up to
    GRID_IMPORT_MAX_MB), which refuses it for what it says, not for its size."""
    admin = user("admin")
    boundary = "layer-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"depots\"; filename=\"depots.geojson\"\r\n"
            f"Content-Type: application/geo+json\r\n\r\n").encode() + b" " * 50_000 + b"[1]\r\n" \
        + f"--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", proxy, timeout=10)
    connection.request("POST", "/api/v1/grid/imports", body=body,
                       headers={**admin["headers"], "Content-Type": f"multipart/form-data; boundary={boundary}"})
    response = connection.getresponse()
    assert response.status == 422 and b"import-rejected" in response.read()


def test_the_live_stream_passes_through_unbuffered(proxy, user):
    """Heartbeats every 0.3 s arrive one by one, not in a buffer's worth at the end."""
    viewer = user("viewer")
    connection = http.client.HTTPConnection("127.0.0.1", proxy, timeout=5)
    connection.request("GET", "/api/v1/stream", headers=viewer["headers"])
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    arrivals, started = [], time.monotonic()
    while len(arrivals) < 4 and time.monotonic() - started < 5:
        chunk = response.read1(65536)
        if b"heartbeat" in chunk:
            arrivals.append(time.monotonic() - started)
    connection.close()
    assert len(arrivals) >= 4, arrivals
    assert arrivals[-1] - arrivals[0] > 0.5  # spread out as they were sent


def test_the_app_sees_the_clients_address_not_a_forged_one(proxy, user, private_redis):
    """Through the proxy the app trusts exactly one hop: a client's own X-Forwarded-For is not
    believed (the per-address sign-in limit counts the address that connected)."""
    connection = http.client.HTTPConnection("127.0.0.1", proxy, timeout=10)
    connection.request("POST", "/api/v1/auth/token", body=b'{"username": "nobody", "password": "wrong"}',
                       headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"})
    assert connection.getresponse().status == 401
    keys = b" ".join(redis.Redis.from_url(private_redis.url).keys("*"))
    assert b"addr:127.0.0.1" in keys and b"203.0.113.9" not in keys


def test_behind_the_proxy_the_app_takes_the_address_from_its_header(app_server, private_redis):
    """What the proxy's header is for: the app (PROXY_HOPS=1) counts the address it names."""
    connection = http.client.HTTPConnection("127.0.0.1", app_server, timeout=10)
    connection.request("POST", "/api/v1/auth/token", body=b'{"username": "nobody", "password": "wrong"}',
                       headers={"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.7"})
    assert connection.getresponse().status == 401
    assert b"addr:198.51.100.7" in b" ".join(redis.Redis.from_url(private_redis.url).keys("*"))


def test_the_request_id_passes_through_the_proxy(proxy, tmp_path):
    """A client's X-Request-Id reaches the app and comes back; without one, nginx's id is the app's
    too, and nginx's access log has the same id as the app's answer."""
    given = get(proxy, "/healthz", timeout=10, headers={"X-Request-Id": "channel-7f3a"})
    assert given.getheader("X-Request-Id") == "channel-7f3a"
    made = get(proxy, "/api/v1/nowhere", timeout=10)
    request_id = made.getheader("X-Request-Id")
    assert len(request_id) == 32 and request_id.encode() in made.body  # nginx's $request_id, in the problem
    # nginx logs a request after it has answered it: on a busy machine the line comes a moment later.
    access_log = tmp_path / "log" / "nginx-access.log"
    deadline = time.monotonic() + 10
    while f'"{request_id}"' not in access_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert f'"{request_id}"' in access_log.read_text()

"""What the browser tests share: Debian's Chromium (scripts/setup.sh installs it), the app served on
a free local port, and screenshots kept in var/screenshots/ (git-ignored) for people to look at."""
from __future__ import annotations

import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect
from werkzeug.serving import make_server

#: How long an expect() waits for the page to come round. Playwright's default, 5 s, is a fast
#: desktop's; the suite also runs on a shared 2-core machine beside other suites, where a map view
#: and its tiles can take longer to render in SwiftShader. A wrong page still fails, later.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
#: WebGL (MapLibre) without a GPU: SwiftShader, Chromium's software renderer.
WEBGL_ARGS = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + ["--use-angle=swiftshader",
                                                                   "--enable-unsafe-swiftshader"]


class OneAtATime:
    """WSGI middleware: requests hold ``lock`` while they run (their whole body included), so a test
    holding it may use the database connection the served app shares with it."""

    def __init__(self, app, lock: threading.Lock):
        self.app, self.lock = app, lock

    def __call__(self, environ, start_response):
        with self.lock:
            return list(self.app(environ, start_response))


class WithoutStream:
    """WSGI middleware: ``GET /api/v1/stream`` answers 404, as a server without the live stream
    does (the desk then polls the lists). A stream needs changes committed and a server serving
    requests at once (tests/live_setup.py), which the one-at-a-time server on the test's own
    transaction is not: the stream would hold it for ever."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/api/v1/stream":
            start_response("404 Not Found", [("Content-Type", "application/problem+json")])
            return [b'{"type": "about:blank", "title": "Not found", "status": 404}']
        return self.app(environ, start_response)


@contextmanager
def serving(app, lock: threading.Lock | None = None):
    """The app on a free local port, one request at a time: every request uses the test's one
    database connection (and transaction), which must never be used by two at once. With ``lock``,
    the test takes it to use that connection itself while the browser is busy."""
    server = make_server("127.0.0.1", 0, OneAtATime(app, lock) if lock else app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, name="app-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def screenshot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    """A PNG under the test's directory, copied to var/screenshots/."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 0
    kept = ROOT / "var" / "screenshots"
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, kept / name)
    return path


def wait_until(page, function: str, arg=None, timeout_ms: int = WAIT_MS) -> None:
    """Poll a JavaScript function until it returns true (Playwright's wait_for_function evaluates
    strings, which the page's Content-Security-Policy rightly forbids)."""
    end = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(function, arg):
        assert time.monotonic() < end, f"still false after {timeout_ms} ms: {function}"
        page.wait_for_timeout(50)

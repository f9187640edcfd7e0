"""The customers' tests: a real HTTP receiver on this machine for the notices the worker sends, and
the settings that send them to it."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import BASE

SECRET = "the receiver's shared secret"


class Receiver:
    """An HTTP server in a thread that keeps what it is sent and answers with ``codes`` in turn
    (then 200); it dedupes by Idempotency-Key, as a real receiver should."""

    def __init__(self):
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}
        self.codes: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                code = receiver.codes.pop(0) if receiver.codes else 200
                receiver.requests.append({"headers": dict(self.headers), "body": body, "code": code})
                if code == 200:
                    receiver.delivered.setdefault(self.headers["Idempotency-Key"], json.loads(body))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def settings(receiver):
    """Notices sent to the receiver by the signed webhook, with no quiet hours."""
    return BASE.with_overrides(notify_adapter="webhook", notify_webhook_url=receiver.url,
                               notify_webhook_secret=SECRET, notify_quiet_hours="", notify_timeout_s=2.0)

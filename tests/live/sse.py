"""A client of the live stream for tests: it reads server-sent events in a thread of its own, as a
browser's fetch() reader does, and keeps every event it gets."""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Event:
    id: int | None
    topic: str | None
    data: dict | None


class StreamReader:
    def __init__(self, base_url: str, token: str, last_event_id: int | None = None, query: str = ""):
        where = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
        self.connection.connect()
        self._socket = self.connection.sock  # the connection lets go of it once the response is read
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection.request("GET", "/api/v1/stream" + query, headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.events: list[Event] = []
        self.heartbeats = 0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, name="sse-reader", daemon=True)
        if self.status == 200:
            self._thread.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line == "":
                    if fields:
                        self._add(Event(int(fields["id"]) if "id" in fields else None, fields.get("event"),
                                        json.loads(fields["data"]) if "data" in fields else None))
                    fields = {}
                elif line.startswith(":"):
                    with self._changed:
                        self.heartbeats += 1
                        self._changed.notify_all()
                else:
                    name, _, value = line.partition(": ")
                    fields[name] = value
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # closed by the test (mid-chunk, http.client trips over its own closed file: AttributeError)

    def _add(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, done: Callable[["StreamReader"], bool], timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not done(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    @property
    def messages(self) -> list[Event]:
        """The events that carry a message (not the opening id alone)."""
        return [e for e in self.events if e.topic is not None]

    @property
    def last_id(self) -> int | None:
        return next((e.id for e in reversed(self.events) if e.id is not None), None)

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the reader
        except OSError:
            pass  # the server closed it first
        self._socket.close()
        self.connection.close()
        self._thread.join(timeout=5)

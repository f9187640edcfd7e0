"""Logs as JSON lines on standard error, one configuration for the API, the worker and the CLI.

One line per record: a log collector (journald, Loki, a file tailer) parses each line without a
pattern for our format, and a traceback stays inside its record instead of spilling over lines
that belong to nobody. Under gunicorn, standard error is the error log (scripts/gunicorn.conf.py
captures it and formats gunicorn's own lines the same way); under systemd it is the journal.

A web request sets :data:`request_id` for its duration (api/request_ids.py), so every line the
request logs, at any layer, carries the id the client got back in ``X-Request-Id``.
"""
from __future__ import annotations

import json
import logging
import sys
import threading
from contextvars import ContextVar
from datetime import datetime, timezone

#: The id of the request being served in this context (None outside a request).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
#: Attributes every LogRecord has; anything else on a record came from ``extra=`` and is written out.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_configured = False


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (UTC, the real time of the machine, not the application's
    clock, so that lines can be matched with other systems' logs), level, logger, message, process,
    request id, the fields passed with ``extra=`` and the traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if (current := request_id.get()) is not None:
            line["request_id"] = current
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (gunicorn redirects it to its error log;
    pytest swaps it per test)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str = "INFO") -> None:
    """Send every logger's records to standard error as JSON lines, at ``level`` and above.

    Adds one handler to the root logger unless a JSON one is there already (gunicorn's
    configuration puts it there in the master); handlers that others added (pytest's) stay. Later
    calls only set the level.
    """
    global _configured
    root = logging.getLogger()
    root.setLevel(level.upper())
    if _configured:
        return
    # Alembic reads its plugins at every Config (readiness reads the migration head): not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    _configured = True


class Outage:
    """A dependency that may be down: logs a warning (with the error's traceback) when the first
    caller finds it down and one line when it answers again, however many callers (threads,
    requests) notice in between, so an outage is two lines in the log and not one per request."""

    def __init__(self, log: logging.Logger, what: str, consequence: str):
        self.log = log
        self.what = what
        self.consequence = consequence
        self._down = False
        self._lock = threading.Lock()

    def down(self, why: BaseException) -> None:
        with self._lock:
            if self._down:
                return
            self._down = True
        self.log.warning("%s is unreachable: %s; %s", self.what, why, self.consequence, exc_info=why,
                         extra={"outage": self.what, "outage_state": "down"})

    def up(self) -> None:
        if not self._down:  # read without the lock: the common case costs nothing
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
        self.log.warning("%s answers again", self.what, extra={"outage": self.what, "outage_state": "up"})

"""gunicorn's settings for scripts/run.sh and the systemd unit of docs/deployment.md (``gunicorn -c
scripts/gunicorn.conf.py ... wsgi:app``); the address, workers and threads are given on the command
line.

Logs: the app writes JSON lines on standard error (dispatch/core/logs.py); ``capture_output``
sends standard error to ``--error-logfile`` (run.sh: var/log/app.log; under systemd the error log
is "-", standard error, which is the journal), and gunicorn's own lines (workers booting, timing
out, dying) are formatted the same way, so the file holds nothing but JSON lines. gunicorn's access
log is off: the app logs one line per request with its request id, route, status and duration.

Metrics: with PROMETHEUS_MULTIPROC_DIR set, each worker process keeps its counts in files there; the
directory is emptied when gunicorn starts (counts of an earlier run would be added in) and a dead
worker's gauges are dropped when it exits (its counters stay: they are totals).
"""
from __future__ import annotations

import os
from pathlib import Path

_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()

capture_output = True
# The app is loaded once, in the master, which builds the road graph (its contraction hierarchy:
# a minute and hundreds of MiB at province scale) before forking: the workers share its memory
# pages instead of each building a copy (README, "Routing at province scale"; BENCHMARKS.md), and the
# grid's topology, which each would otherwise build on its first call.
preload_app = True
# Every response closes its connection. A new connection goes to whichever process accepts it
# first, and a busy one (its threads holding the interpreter's lock) accepts last, so the calls
# spread over the processes by their load. Kept alive, a connection stays with the process that
# happened to accept it: in a storm 26 of 32 clients' connections stayed on one process, which
# did four fifths of the work while three idled (BENCHMARKS.md, "Storm intake on the province").
# nginx keeps its clients' connections alive all the same; a connection to gunicorn costs it a
# fraction of a millisecond on the same host.
keepalive = 0
# gunicorn's control socket is one path per user (~/.gunicorn/gunicorn.ctl) that every gunicorn of
# the user takes over, a test's or another checkout's included; nothing here uses it.
control_socket_disable = True
loglevel = _LEVEL.lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "dispatch.core.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "dispatch.core.logs.StderrHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": _LEVEL},
    "loggers": {
        "gunicorn.error": {"handlers": [], "propagate": True, "level": _LEVEL},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}


def on_starting(server) -> None:
    """In the master, before any worker: start the metrics from zero."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):  # the client's files only: the setting may name a shared folder
            stale.unlink(missing_ok=True)


def when_ready(server) -> None:
    """In the master, the app loaded, before any worker: build the road graph the workers will share,
    and the grid's topology they start with."""
    from api import build_graphs

    build_graphs(server.app.wsgi())


def child_exit(server, worker) -> None:
    """A worker exited (restarted, killed, timed out): its live gauges no longer count."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

"""``flask worker``: the background worker, a process of its own beside the API servers.

It relays the outbox to Redis (continuously, in a thread of its own, so that a long sweep does
not hold live updates back), sweeps open incidents' SLA clocks every SLA_SWEEP_INTERVAL_S (and
checks recent restorations against the smart meters: customers still out open nested outages; moves
planned outages nobody started or finished at their window's times; and lists the customers who
called about an incident just restored, to be asked whether power is back) and
sends customer notifications when NOTIFY_ADAPTER is set (a thread of its own too: fanning
incidents' notices out to their customers and sending what is due, dispatch/customers/notifier.py),
writes a heartbeat after each sweep (``worker_heartbeats``: ``/readyz`` says when it is older
than WORKER_STALE_S), and once an hour makes the coming days' partitions of crew positions and the
outbox and drops the days past retention (api/partitions.py). Neither the database nor Redis being away stops it: a failed sweep is
logged and the next one retries, the relay waits and carries on where the cursor is. If the
process dies all the same, scripts/supervise.sh (run.sh) or systemd (docs/deployment.md)
starts it again. Several workers may run: relaying and sweeping are safe together.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from api.context import database, settings
from api.partitions import prune
from dispatch.core import clock
from dispatch.core.heartbeats import beat
from dispatch.core.idempotency import clear as clear_idempotency_keys
from dispatch.crews.assignment import Dispatcher
from dispatch.customers.callbacks import open_due as open_callbacks
from dispatch.customers.notifier import Notifier
from dispatch.customers.planned import advance as advance_planned
from dispatch.incidents.sweeper import sweep
from dispatch.incidents.verification import verify_restorations
from dispatch.live.feed import redis_without_retries
from dispatch.live.relay import Relay
from dispatch.reporting.planned_interruptions import record_planned

log = logging.getLogger("api.worker")
#: The growing tables' partitions are made ahead and the old days dropped this often (an hour:
#: days ahead are days, and a day past retention may wait an hour).
PARTITIONS_EVERY_S = 3600.0


@click.command("worker")
@click.option("--once", is_flag=True, help="Sweep once, relay what is ready, send the notifications due, "
              "clear old messages and stop.")
@click.option("--name", default=socket.gethostname(), show_default="the host's name",
              help="The worker's name in worker_heartbeats; give each worker of one host its own.")
@with_appcontext
def worker(once: bool, name: str) -> None:
    """The background worker: the outbox relay, the SLA sweeps, customer notifications and the heartbeat."""
    s = settings()
    relay = Relay(database(), redis_without_retries(s.redis_url, s.health_timeout_s, socket_timeout=s.health_timeout_s))
    retention = timedelta(hours=s.outbox_retention_hours)
    notifier = Notifier(database(), current_app.extensions["topologies"], s) if s.notify_adapter else None
    if once:
        _sweep(name, raise_errors=True)
        while relay.step():
            pass
        while notifier is not None and notifier.step():
            pass
        _forget_old_idempotency_keys()
        _keep_partitions(relay)
        return
    log.info("worker %s started (pid %d): sweeps every %s s", name, os.getpid(), s.sla_sweep_interval_s,
             extra={"worker": name})
    stop = threading.Event()
    threading.Thread(target=relay.run, args=(stop, s.relay_interval_s, retention), name="outbox-relay",
                     daemon=True).start()
    if notifier is not None:
        threading.Thread(target=notifier.run, args=(stop,), name="notifications", daemon=True).start()
    partitions_at = 0.0
    try:
        while True:
            _sweep(name, raise_errors=False)
            _forget_old_idempotency_keys()
            if time.monotonic() >= partitions_at:
                _keep_partitions(relay)
                partitions_at = time.monotonic() + PARTITIONS_EVERY_S
            time.sleep(s.sla_sweep_interval_s)
    finally:
        stop.set()


def _sweep(name: str, raise_errors: bool) -> None:
    """One SLA sweep, then the heartbeat (only a sweep that finished counts as one)."""
    session = database().session()
    try:
        dispatcher = Dispatcher(session, settings(), current_app.extensions["road_graphs"])
        started = time.perf_counter()
        warnings = sweep(session, dispatcher, clock.now(), settings().warning_levels)
        # Each pass's time: in a storm the sweep must keep up with tens of thousands of open incidents.
        took_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("SLA sweep: %d warnings in %.0f ms", len(warnings), took_ms,
                 extra={"warnings": len(warnings), "sweep_ms": took_ms})
        for incident_id, warning in warnings:
            log.info("incident %d: %s", incident_id, warning, extra={"incident": incident_id, "warning": warning})
        for incident_id, still_out in verify_restorations(session, settings(), current_app.extensions["topologies"],
                                                          dispatcher, clock.now()):
            log.info("incident %d: restoration checked with the meters, %d still out", incident_id, still_out,
                     extra={"incident": incident_id, "still_out": still_out})
        for outage_id in advance_planned(session.connection(), settings(), clock.now()):  # nobody recorded its end
            written = record_planned(session.connection(), outage_id)
            log.info("planned outage %d: ended with its window, %d interruptions recorded", outage_id, written,
                     extra={"planned_outage": outage_id})
        for incident_id, customers in open_callbacks(session, settings(), clock.now()):
            log.info("incident %d: %d customers to call back", incident_id, customers,
                     extra={"incident": incident_id, "callbacks": customers})
        beat(session.connection(), name, socket.gethostname(), os.getpid(), clock.now())
        session.commit()
    except Exception:  # one bad sweep must not stop the clocks for good; the next one retries
        log.exception("SLA sweep failed; the next one retries")
        if raise_errors:
            raise
    finally:
        session.close()


def _forget_old_idempotency_keys() -> None:
    before = clock.now() - timedelta(hours=settings().idempotency_key_retention_hours)
    try:
        with database().session() as session:
            clear_idempotency_keys(session.connection(), before)
            session.commit()
    except Exception:  # the next round retries; a failure here must not stop the SLA sweeps
        log.exception("clearing old idempotency keys failed")


def _keep_partitions(relay: Relay) -> None:
    """The coming days' partitions and the old days' drop (api/partitions.py), logged."""
    try:
        done = prune(database(), relay, settings(), clock.now())
    except Exception:  # the next round retries; rows without a day of their own go to the default partition
        log.exception("keeping the partitions failed")
        return
    if done.made or done.dropped or done.busy:
        log.info("partitions: made %s, dropped %s, busy %s", done.made, [n for n, _ in done.dropped], done.busy,
                 extra={"made": done.made, "dropped": done.dropped, "busy": done.busy})

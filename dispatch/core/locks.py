"""The dispatch lock: one at a time, changes to which crew works on which incident.

Why one lock and not row locks alone (docs/dispatch-invariants.md): a crew freed in one
transaction looks for a waiting incident while a report in another opens an incident and looks
for a free crew; under read committed neither sees the other's uncommitted row, so the incident
waits while the crew stands idle, whatever rows each locks. Merges had the same hole: intake read
the incidents it merged, and their crews, before a concurrent assignment of those incidents
committed, merged them anyway and never freed the crews. Row locks cannot order a row that does
not exist yet, and SERIALIZABLE would abort (and retry) most of a storm's intake, which reads the
whole feeder's open incidents. A dispatcher's decisions are global (any crew may go to any
incident), so they are taken one at a time, as one person at a desk would; everything before the
decision (locating the call, reading the grid, outage inference) runs in parallel.

Two exceptions. A call that only joins an incident (with its crew, or waiting for one) changes no
crew and no other incident; it locks that incident's row alone, and never this lock afterwards.
A call that only opens an incident no free crew could take holds this lock *shared*: such openings
run side by side (a storm's, once every crew qualified for them is busy), while anything in the
application that frees a crew, or changes what a crew may take, holds it whole and so waits for
them, and then sees their incidents (a grid import of crews too, before it writes them; a crew it
adds takes waiting work at the sweeper's next pass) (dispatch/incidents/intake.py,
docs/dispatch-invariants.md). A transaction holding it shared never asks for it whole (two such
would wait for each other).

Order, so that no two transactions wait for each other: a crew phone's report lock and an
Idempotency-Key lock, then a feeder's inference lock (intake), then this lock, then incident and
crew rows (the outbox's shared writer lock comes last, when the messages are written). Take it before locking or updating any incident or crew row, and before writing a row
that refers to an incident (an event, a report: their foreign keys lock the incident's key).
It is held until the transaction ends.
"""
from __future__ import annotations

import functools
import time

from prometheus_client import Histogram
from sqlalchemy import Connection, event

from dispatch.core.db import text

#: pg_advisory_xact_lock keys of the application (first number): 1 a feeder's inference, 2 an
#: Idempotency-Key, 3 a crew's phone reports, 4 the outbox's writers (shared), 5 dispatch.
DISPATCH_LOCK = (5, 0)

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


@functools.cache
def lock_timings() -> tuple[Histogram, Histogram]:
    """How long transactions wait for the dispatch lock and hold it (``/metrics``): the lock is the
    one place where a storm's writers queue, so its hold time bounds the decisions a second. Made
    on first use, in the process that takes the lock: gunicorn's master imports this before it
    makes the metrics directory (PROMETHEUS_MULTIPROC_DIR), and a histogram without labels
    opens its file there as soon as it exists."""
    return (Histogram("dispatch_lock_wait_seconds", "Time waited for the dispatch lock", buckets=_BUCKETS),
            Histogram("dispatch_lock_held_seconds", "Time the dispatch lock was held, to the transaction's end "
                      "(commit included)", buckets=_BUCKETS))


@functools.cache
def shared_waits() -> Histogram:
    """How long transactions wait for the dispatch lock shared (their holds overlap: not timed)."""
    return Histogram("dispatch_lock_shared_wait_seconds", "Time waited for the dispatch lock shared",
                     buckets=_BUCKETS)


def lock_dispatch_shared(connection: Connection) -> None:
    """Wait for the dispatch lock shared and hold it to the end of the transaction, or of the
    savepoint it was taken in, if that is rolled back."""
    asked = time.perf_counter()
    connection.execute(text("SELECT pg_advisory_xact_lock_shared(:k1, :k2)"),
                       {"k1": DISPATCH_LOCK[0], "k2": DISPATCH_LOCK[1]})
    shared_waits().observe(time.perf_counter() - asked)


def lock_dispatch(connection: Connection) -> None:
    """Wait for the dispatch lock and hold it to the end of the transaction (taking it again in
    the same transaction is free)."""
    asked = time.perf_counter()
    connection.execute(text("SELECT pg_advisory_xact_lock(:k1, :k2)"), {"k1": DISPATCH_LOCK[0], "k2": DISPATCH_LOCK[1]})
    taken = time.perf_counter()
    waits, holds = lock_timings()
    waits.observe(taken - asked)

    held = [True]

    def released(*_: object) -> None:
        if held:  # the transaction ends once, by commit or by rollback
            held.clear()
            holds.observe(time.perf_counter() - taken)

    for name in ("commit", "rollback"):
        event.listen(connection, name, released, once=True)

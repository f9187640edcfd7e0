"""Where one storm call's time goes: the storm of bench/storm_intake.py sent one call at a time
in-process (no contention), each SQL statement timed and charged to the function of dispatch/ or
api/ that ran it, and the dispatch lock's hold per call (issue 17 item 3).

    .venv/bin/python bench/storm_statements.py --database-url postgresql+psycopg://dispatch:dispatch@127.0.0.1:5432/province \\
        [--calls 400] [--seed 23]

Sequential on purpose: the time a call holds the dispatch lock when nothing else runs is the
floor of its hold in a storm, and 1 / that hold the ceiling of calls a second while every
decision takes the one lock. The reports stay in the database (run against a copy if that matters).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SECRET_KEY, bearer_headers, percentile  # noqa: E402
from bench.storm_intake import WARM_UP_CALLS, storm  # noqa: E402

OURS = (str(Path(__file__).resolve().parent.parent / "dispatch"), str(Path(__file__).resolve().parent.parent / "api"))


def caller() -> str:
    """The innermost function of dispatch/ or api/ on the stack: what the statement is for."""
    for frame in reversed(traceback.extract_stack()):
        if frame.filename.startswith(OURS):
            return f"{Path(frame.filename).relative_to(Path(OURS[0]).parent)}:{frame.name}"
    return "(elsewhere)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=args.database_url, SECRET_KEY=SECRET_KEY)
    from sqlalchemy import event

    from api import build_graphs, create_app
    from dispatch.core.locks import DISPATCH_LOCK, lock_timings

    app = create_app()
    build_graphs(app)
    tag = f"statements{int(time.time())}"
    calls, _ = storm(args.database_url, args.calls + WARM_UP_CALLS, 0.3, tag, args.seed)
    headers = bearer_headers(args.database_url, f"{tag}-dispatcher", "dispatcher")
    client = app.test_client()
    for body in calls[:WARM_UP_CALLS]:  # the topology, loaded on the first call
        client.post("/api/v1/reports", json=body, headers=headers)

    # Per function: statements, their seconds, and of those the ones run holding the dispatch lock.
    spent: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0.0])
    started: dict[int, tuple[float, str]] = {}
    engine = app.extensions["database"].engine
    holding: set[int] = set()  # connections whose transaction holds the dispatch lock

    @event.listens_for(engine, "before_cursor_execute")
    def before(connection, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = (time.perf_counter(), caller())

    @event.listens_for(engine, "after_cursor_execute")
    def after(connection, cursor, statement, parameters, context, executemany):
        at, where = started.pop(id(cursor))
        seconds = time.perf_counter() - at
        if "pg_advisory_xact_lock(" in statement and parameters.get("k1") == DISPATCH_LOCK[0]:  # whole, not shared
            holding.add(id(connection.connection))
        elif id(connection.connection) in holding:
            spent[where][2] += 1
            spent[where][3] += seconds
        spent[where][0] += 1
        spent[where][1] += seconds

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def ended(connection):
        holding.discard(id(connection.connection))

    held_before = {s.name: s.value for m in lock_timings()[1].collect() for s in m.samples}
    took = []
    for body in calls[WARM_UP_CALLS:]:
        at = time.perf_counter()
        answer = client.post("/api/v1/reports", json=body, headers=headers)
        took.append(time.perf_counter() - at)
        assert answer.status_code == 201, answer.get_json()
    held = {s.name: s.value - held_before.get(s.name, 0) for m in lock_timings()[1].collect() for s in m.samples}
    n = len(took)
    print(f"{n} calls one at a time: mean {sum(took) / n * 1000:.1f} ms, p50 {percentile(took, 50) * 1000:.1f} ms, "
          f"p95 {percentile(took, 95) * 1000:.1f} ms")
    print(f"dispatch lock held {held['dispatch_lock_held_seconds_sum'] / held['dispatch_lock_held_seconds_count'] * 1000:.1f}"
          f" ms a call (so at most {held['dispatch_lock_held_seconds_count'] / held['dispatch_lock_held_seconds_sum']:.0f}"
          " calls/s through the one lock)")
    locked_sql = sum(spent_row[3] for spent_row in spent.values())
    takings = held["dispatch_lock_held_seconds_count"]
    print(f"SQL {sum(row[1] for row in spent.values()) / n * 1000:.1f} ms a call in "
          f"{sum(row[0] for row in spent.values()) / n:.1f} statements; holding the dispatch lock (after taking it) "
          f"{locked_sql / takings * 1000:.1f} ms in {sum(row[2] for row in spent.values()) / takings:.1f} statements "
          f"a taking, the rest of the hold Python {(held['dispatch_lock_held_seconds_sum'] - locked_sql) / takings * 1000:.1f}"
          " ms; by the function that ran them:")
    print("  all calls: ms a call, statements a call | holding the lock: ms a taking, statements a taking")
    for where, (count, seconds, count_held, seconds_held) in sorted(spent.items(), key=lambda item: -item[1][1]):
        print(f"  {seconds / n * 1000:6.2f} ms  {count / n:5.2f}  | {seconds_held / takings * 1000:6.2f} ms  "
              f"{count_held / takings:5.2f}  {where}")

if __name__ == "__main__":
    sys.exit(main())

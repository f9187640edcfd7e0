"""Does inference per call stay fast with thousands of calls in its window? (issue 17, item 3)

    .venv/bin/python bench/feeder_window.py --database-url postgresql+psycopg://dispatch:dispatch@127.0.0.1:5432/<a copy of the province> \\
        [--share 0.6] [--seed 5]

The worst case for the intake's inference: the grid's largest source (the feeder whose calls one
inference lock takes in turn) out whole, so that every one of its customers may call, the calls
coming one at a time in random order (a share ``--share`` of them, a fifth of those twice). Until
a crew is on site the incident may still move down, so no call simply joins it: each reads the
feeder's callers within the window and predicts them all. The calls go in-process through POST
/api/v1/reports (as bench/storm_statements.py sends them: no contention, the code's own cost),
and the time of each is printed by how many distinct callers of this run the feeder held when it
came (the topology and the road graph are loaded before). The reports stay in the database and
would count in the next run's window: run each on a fresh copy.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SECRET_KEY, bearer_headers, percentile  # noqa: E402

#: The feeder's distinct callers at which the printout starts a new row.
BUCKETS = (0, 100, 300, 1000, 2000, 4000)
REPEAT_SHARE = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--share", type=float, default=0.6, help="the share of the feeder's customers who call")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=args.database_url, SECRET_KEY=SECRET_KEY)
    from sqlalchemy import text

    from api import build_graphs, create_app

    app = create_app()
    build_graphs(app)
    database = app.extensions["database"]
    with database.session() as session:
        topology = app.extensions["topologies"].current(session)
        heads = [area for area, parent in enumerate(topology.area_parent) if parent is None
                 and topology.area_source[area] is not None]  # one a source
        head = max(heads, key=lambda area: topology.area_customers[area])
        source = topology.area_source[head]
        buses = topology.buses_within(head)
        accounts = session.execute(text(
            "SELECT c.account_no FROM customers c LEFT JOIN transformers t ON t.id = c.transformer_id "
            "WHERE coalesce(c.bus_id, t.lv_bus_id) = ANY(:buses) ORDER BY c.id"), {"buses": buses}).scalars().all()
    rng = random.Random(args.seed)
    callers = [a for a in accounts if rng.random() < args.share]
    calls = [a for a in callers for _ in range(2 if rng.random() < REPEAT_SHARE else 1)]
    rng.shuffle(calls)
    print(f"source {source}: {len(accounts)} customers out; {len(calls)} calls from "
          f"{len(callers)} callers, one at a time")

    tag = f"window{int(time.time())}"
    headers = bearer_headers(args.database_url, f"{tag}-dispatcher", "dispatcher")
    client = app.test_client()
    seen: set[str] = set()
    took: dict[int, list[float]] = {bucket: [] for bucket in BUCKETS}
    for n, account in enumerate(calls):
        bucket = max(b for b in BUCKETS if b <= len(seen))
        at = time.perf_counter()
        answer = client.post("/api/v1/reports", json={"account_no": account, "channel": "hotline",
                                                      "external_id": f"{tag}-{n}"}, headers=headers)
        took[bucket].append(time.perf_counter() - at)
        assert answer.status_code == 201, answer.get_json()
        seen.add(account)
    print("distinct callers on the feeder before the call | calls | mean / p50 / p95 ms")
    for low, high in zip(BUCKETS, (*BUCKETS[1:], None)):
        if took[low]:
            times = took[low]
            print(f"  {low:>5} - {'' if high is None else high - 1:<5} | {len(times):5} | "
                  f"{sum(times) / len(times) * 1000:6.1f} / {percentile(times, 50) * 1000:6.1f} / "
                  f"{percentile(times, 95) * 1000:6.1f}")


if __name__ == "__main__":
    sys.exit(main())

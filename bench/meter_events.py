"""Smart-meter events through POST /api/v1/meter-events over real HTTP, demo data loaded (issue 18).

    .venv/bin/python bench/meter_events.py [--faults 40] [--ami 0.3] [--batch 500] [--workers 1] [--port 5079]

A storm: ``--faults`` protective devices and transformers of the demo grid, drawn at random, lose
supply; ``--ami`` of all customers have a meter that sends its last gasp (all of them arrive). The
head-end posts the last gasps in batches of ``--batch``, oldest first, one batch after another on a
kept-alive connection (as it would through one link), then resends every batch (all duplicates),
then posts the power-restored of every gasping meter. Prints events per second for each pass and
the incidents the last gasps made.
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, scratch_database  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.gis.grid import TopologyCache  # noqa: E402

PORT = 5079


def storm(url: str, faults: int, ami: float, seed: int) -> tuple[list[dict], list[str]]:
    """The last gasps of a storm (oldest first, over the last ten minutes) and the faulted devices."""
    rng = random.Random(seed)
    database = Database(url)
    session = database.session()
    topology = TopologyCache().current(session)
    rows = session.connection().execute(text(
        "SELECT c.account_no, coalesce(c.bus_id, t.lv_bus_id) FROM customers c "
        "LEFT JOIN transformers t ON t.id = c.transformer_id")).all()
    session.close()
    database.dispose()
    candidates = [a for a, d in enumerate(topology.area_device) if d is not None and d.kind != "source"
                  and topology.area_customers[a]]
    faulted = rng.sample(candidates, faults)
    metered = [(account, topology.area_of_bus(bus)) for account, bus in rows if rng.random() < ami]
    start = datetime.now(timezone.utc) - timedelta(minutes=10)
    gasps = [{"meter_account": account, "at": start + timedelta(seconds=rng.uniform(0, 540))}
             for account, area in metered if area is not None and any(topology.is_within(area, f) for f in faulted)]
    gasps.sort(key=lambda g: g["at"])
    return ([{"event_id": f"he-{n}", "account_no": g["meter_account"], "kind": "last_gasp", "at": g["at"].isoformat()}
             for n, g in enumerate(gasps)], [topology.area_device[f].code for f in faulted])


def send(connection: http.client.HTTPConnection, headers: dict, batches: list[list[dict]]) -> tuple[float, dict]:
    """Post every batch; (seconds, summed answer counts)."""
    totals = {"accepted": 0, "duplicates": 0, "momentary": 0, "rejected": 0, "status": set()}
    started = time.perf_counter()
    for batch in batches:
        connection.request("POST", "/api/v1/meter-events", json.dumps({"events": batch}), headers)
        response = connection.getresponse()
        body = json.loads(response.read())
        totals["status"].add(response.status)
        for key in ("accepted", "duplicates", "momentary"):
            totals[key] += body.get(key, 0)
        totals["rejected"] += len(body.get("rejected", []))
    return time.perf_counter() - started, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faults", type=int, default=40)
    parser.add_argument("--ami", type=float, default=0.3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with scratch_database(f"dispatch_bench_meters_{args.port}") as url:
        gasps, devices = storm(url, args.faults, args.ami, args.seed)
        restored_at = datetime.now(timezone.utc).isoformat()
        restores = [{**g, "event_id": f"{g['event_id']}-on", "kind": "power_restored", "at": restored_at}
                    for g in gasps]
        headers = bearer_headers(url, "bench-head-end", "dispatcher")

        def batches(events: list[dict]) -> list[list[dict]]:
            return [events[k:k + args.batch] for k in range(0, len(events), args.batch)]

        with gunicorn(url, args.port, args.workers):
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=600)
            print(f"storm: {len(devices)} devices out, {len(gasps)} last gasps ({args.ami:.0%} of meters), "
                  f"batches of {args.batch}, gunicorn --workers {args.workers}")
            for label, events in (("last gasps", gasps), ("the same batches resent", gasps),
                                  ("power restored", restores)):
                seconds, totals = send(connection, headers, batches(events))
                print(f"{label}: {len(events)} events in {seconds:.1f} s = {len(events) / seconds:,.0f} events/s "
                      f"(accepted {totals['accepted']}, duplicates {totals['duplicates']}, "
                      f"rejected {totals['rejected']}, HTTP {sorted(totals['status'])})")
        engine = create_engine(url)
        with engine.connect() as db:
            opened, merged = db.execute(text(
                "SELECT count(*) FILTER (WHERE status <> 'merged'), count(*) FILTER (WHERE status = 'merged') "
                "FROM incidents")).one()
            exact = db.execute(text("SELECT count(DISTINCT device_code) FROM incidents WHERE status <> 'merged' "
                                    "AND device_code = ANY(:d)"), {"d": devices}).scalar_one()
        engine.dispose()
    print(f"incidents: {opened} open ({merged} merged on the way); {exact} of the {len(devices)} faulted devices "
          f"have an incident at them")


if __name__ == "__main__":
    main()

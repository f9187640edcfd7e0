"""How well outage inference finds the faulted device, on the demo grid.

    .venv/bin/python bench/inference.py [--faults-per-kind 30] [--seed 1]

For each call probability p in {0.05, 0.1, 0.3}, the same random faults are simulated: on
transformers, fuses, other protective switches (sectionalizers, reclosers, breakers) and line
sections. A fault takes out the customers downstream of the device that operates: the device
itself, or for a line section the protective device that clears it. Each customer out calls with
probability p at a uniform time within 20 minutes; customers with power add background calls
(Poisson, mean 2 per fault, anywhere on the grid). Calls go through the real intake service in
time order, each fault in its own transaction, rolled back afterwards.

Printed per p: the share of faults whose final predicted device (the incident holding most of
the fault's calls) is exactly the faulted one (the same outage area), the share predicted at or
above it on its path, and how many calls it took until the prediction was first exact.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import scratch_database  # noqa: E402
from dispatch.core.config import Settings  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.crews.assignment import Dispatcher  # noqa: E402
from dispatch.gis.grid import TopologyCache  # noqa: E402
from dispatch.incidents.intake import NewReport, ReportIntake  # noqa: E402
from dispatch.incidents.locating import Locators  # noqa: E402
from dispatch.routing.engine import RoadGraphCache  # noqa: E402

START = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
KINDS = ("transformer", "fuse", "switch", "line")


def draw_faults(connection, topology, per_kind: int, rng: random.Random) -> list[tuple[str, str, int]]:
    """(kind, device code, outage area) for random faults of each kind."""
    candidates = {
        "transformer": connection.execute(text("SELECT 'transformer', id, code FROM transformers")).all(),
        "fuse": connection.execute(text("SELECT 'switch', id, code FROM switches WHERE kind = 'fuse'")).all(),
        "switch": connection.execute(text(
            "SELECT 'switch', id, code FROM switches WHERE kind IN ('sectionalizer', 'recloser', 'breaker')")).all(),
    }
    faults = []
    for kind, rows in candidates.items():
        usable = [(code, topology.area_of_device[(k, i)]) for k, i, code in rows
                  if (k, i) in topology.area_of_device and topology.area_customers[topology.area_of_device[(k, i)]]]
        faults += [(kind, code, area) for code, area in rng.sample(usable, min(per_kind, len(usable)))]
    lines = connection.execute(text("SELECT code, from_bus_id, to_bus_id FROM lines")).all()
    usable = [(code, topology.area_of_bus(topology.downstream_bus(a, b))) for code, a, b in lines]
    usable = [(code, area) for code, area in usable if area is not None and topology.area_customers[area]]
    faults += [("line", code, area) for code, area in rng.sample(usable, per_kind)]
    return faults


def simulate(database, settings, topologies, graphs, customers, fault_area, p, rng, background=2.0):
    """Run one fault's calls, with background calls from customers with power (Poisson, mean
    ``background``); return (calls made, calls until first exact or None)."""
    topology = topologies.current(database.session())
    out = [c for c in customers if c[2] is not None and topology.is_within(c[2], fault_area)]
    calls = [(START + timedelta(seconds=rng.uniform(0, 1200)), account) for account, _, _ in out if rng.random() < p]
    powered = [c for c in customers if c not in out]
    background = [(START + timedelta(seconds=rng.uniform(0, 1200)), rng.choice(powered)[0])
                  for _ in range(poisson(rng, background) if powered else 0)]  # none when the whole grid is out
    fault_calls = {account for _, account in calls}
    first_exact, made = None, 0
    for at, account in sorted(calls + background):
        session = database.session()
        intake = ReportIntake(session, settings, topologies, Dispatcher(session, settings, graphs)).submit(
            NewReport("hotline", at, Locators(account_no=account)))
        session.close()
        if account in fault_calls:
            made += 1
            device = (intake.incident["device_kind"], intake.incident["device_code"])
            if first_exact is None and topology_area(topology, device) == fault_area:
                first_exact = made
    return made, first_exact


def poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def topology_area(topology, device):
    kind, code = device
    return next((a for a, d in enumerate(topology.area_device) if d is not None and d.kind == kind and d.code == code),
                None)


def final_area(connection, topology, accounts: set[str]):
    row = connection.execute(text(
        "SELECT i.device_kind, i.device_code FROM reports r JOIN customers c ON c.id = r.customer_id "
        "JOIN incidents i ON i.id = r.incident_id WHERE c.account_no = ANY(:a) "
        "GROUP BY i.id, i.device_kind, i.device_code ORDER BY count(*) DESC, i.id LIMIT 1"),
        {"a": list(accounts)}).first()
    return None if row is None else topology_area(topology, (row[0], row[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faults-per-kind", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = Settings.from_env()
    with scratch_database("dispatch_bench_inference") as url:
        database = Database(url)
        topologies = TopologyCache()
        graphs = RoadGraphCache()
        with database.engine.connect() as connection:
            topology = topologies.current(database.session())
            customers = [(account, bus, topology.area_of_bus(bus)) for account, bus in connection.execute(text(
                "SELECT c.account_no, coalesce(c.bus_id, t.lv_bus_id) FROM customers c "
                "LEFT JOIN transformers t ON t.id = c.transformer_id ORDER BY c.account_no")).all()]
            faults = draw_faults(connection, topology, args.faults_per_kind, random.Random(args.seed))
        print(f"{len(faults)} faults: {dict(Counter(k for k, _, _ in faults))}; "
              f"outage sizes (customers) median {statistics.median(topology.area_customers[a] for _, _, a in faults):.0f}, "
              f"max {max(topology.area_customers[a] for _, _, a in faults)}")
        for p in (0.05, 0.1, 0.3):
            rng = random.Random(args.seed * 1000 + int(p * 100))
            exact, at_or_above, silent, calls_needed, by_kind = 0, 0, 0, [], Counter()
            for kind, code, area in faults:
                with database.engine.connect() as connection:
                    outer = connection.begin()
                    database.bind_to(connection)
                    made, first_exact = simulate(database, settings, topologies, graphs, customers, area,
                                                 p, rng)
                    accounts = {a for a, _, c in customers if c is not None and topology.is_within(c, area)}
                    predicted = final_area(connection, topology, accounts) if made else None
                    outer.rollback()
                if made == 0:
                    silent += 1
                if predicted == area:
                    exact += 1
                    by_kind[kind] += 1
                if predicted is not None and topology.is_within(area, predicted):
                    at_or_above += 1
                if first_exact is not None:
                    calls_needed.append(first_exact)
            n = len(faults)
            per_kind = ", ".join(f"{k} {by_kind[k] / sum(1 for f in faults if f[0] == k):.0%}" for k in KINDS)
            print(f"p = {p:<4}: exact {exact / n:.1%}  at or above {at_or_above / n:.1%}  "
                  f"(no call at all: {silent}); calls until exact: median {statistics.median(calls_needed or [0]):.0f}, "
                  f"mean {statistics.fmean(calls_needed or [0]):.1f}; exact by kind: {per_kind}")
        database.dispose()


if __name__ == "__main__":
    main()

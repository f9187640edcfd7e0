"""How well outage inference finds the faulted device on deep radial feeders (issue 18).

    .venv/bin/python bench/inference_deep.py [--faults 300] [--intake-faults 40] [--seed 1]
        [--feeders bushy,deep,long,simbench-semiurb,simbench-rural] [--no-meters] [--background 2]

Five feeders, none of them the demo grid: three from bench/deep_feeders.py (shapes bushy, deep and
long: five to seven levels of protective devices, transformers of 1 to 300 customers, lines of
real lengths) and two SimBench MV/LV grids from bench/simbench_feeders.py (semi-urban and rural,
with their LV networks); each is written as GeoJSON layers and imported into a scratch database
by the real importer; the topology is the one the API builds from the stored grid.

Faults are drawn in proportion to each outage area's exposure (its own km of line and its
transformers, at the IEEE-RBTS rates of :data:`dispatch.gis.inference.RBTS_RATES`), as real faults happen;
each downstream customer calls with probability p; faults with fewer than 3 calls are left out.

1. Curves, through ``predict``: exact share (the area explaining most calls is the faulted one)
   for the rule with calls only and with the exposure prior at the RBTS rates, on the same faults; the oracle (knows
   p, that one area is out, and how faults are drawn: no rule does better); and the decidable
   faults (the callers' lowest common area is the faulted one).
1b. The same with faults drawn uniformly over the areas: what the prior costs where faults do
   not follow exposure.
2. Accuracy against the number of calls (all rates together).
3. Two faults at once on one feeder, neither below the other, each with at least 3 calls: how
   often both are predicted exactly, and what the others became.
4. The desk's truth at p = 0.1: calls in time order through the real intake service (with
   background calls from customers with power, Poisson mean 2 per fault, or --background), as bench/inference.py
   does on the demo grid, with the settings' rules (calls only unless
   INFERENCE_LINE_FAULTS_PER_100KM and INFERENCE_TRANSFORMER_FAULTS_PER_100 are set); beside it,
   ``predict`` given the same calls at once (the best the intake can do with that evidence), and
   how often incidents moved up, moved down and had calls split out.
Sections 2, 3 and 5 use the rule with exposure.
5. With smart meters (issue 18 item 4): a share of the customers (10 %, 30 %) has a meter that
   sends its last gasp when it loses supply (95 % of them arrive), taken as certain outs beside the
   calls (a customer who calls and gasps counts once). Exact share on the same faults as calls
   alone (those with >= 3 calls), and on every fault with any call or gasp.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import scratch_database  # noqa: E402
from bench.deep_feeders import SHAPES, feeder, write  # noqa: E402
from bench.inference import final_area, simulate  # noqa: E402
from bench.simbench_feeders import CODES, layers  # noqa: E402
from dispatch.core.config import Settings  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.gis.grid import TopologyCache  # noqa: E402
from dispatch.gis.grid_import import import_grid  # noqa: E402
from dispatch.gis.inference import RBTS_RATES, Call, Rules, exposure, predict  # noqa: E402
from dispatch.routing.engine import RoadGraphCache  # noqa: E402

RATES = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
CALL_BUCKETS = ((3, 4), (5, 9), (10, 19), (20, 49), (50, 10 ** 9))


def lowest_common(topology, areas) -> int | None:
    paths = [list(topology.areas_up(a))[::-1] for a in set(areas)]
    common = None
    for level in zip(*paths):
        if len(set(level)) > 1:
            break
        common = level[0]
    return common


class Feeder:
    """One imported feeder: its topology and customers (account, area, transformer)."""

    def __init__(self, name: str, topology, customers):
        self.name, self.topology, self.customers = name, topology, customers
        self.faultable = sorted({a for a, d in enumerate(topology.area_device)
                                 if d is not None and d.kind != "source" and topology.area_customers[a]})
        self.below = {a: [c for c in customers if topology.is_within(c[1], a)] for a in self.faultable}
        #: Faults per area in proportion to its exposure (its own km of line and transformers).
        self.weights = [exposure(topology, a, Rules(**RBTS_RATES)) for a in self.faultable]

    def fault(self, rng: random.Random) -> int:
        return rng.choices(self.faultable, self.weights)[0]

    def callers(self, area: int, p: float, rng: random.Random) -> list[Call]:
        return [Call(account, a) for account, a, _ in self.below[area] if rng.random() < p]

    def describe(self) -> str:
        t = self.topology
        depth = max(sum(1 for a in t.areas_up(area) if t.area_device[a] and t.area_device[a].kind == "switch")
                    for area in range(len(t.area_device)))
        sizes = sorted(t.area_customers[a] for a, d in enumerate(t.area_device) if d and d.kind == "transformer")
        km = sum(t.area_line_km)
        return (f"{self.name}: {len(self.customers)} customers, {len(self.faultable)} outage areas, "
                f"{depth} levels of protective devices, {len(sizes)} transformers of {sizes[0]} to {sizes[-1]} "
                f"customers (median {sizes[len(sizes) // 2]}), {km:.1f} km of line, "
                f"{sum(w for a, w in zip(self.faultable, self.weights) if t.area_device[a].kind == 'switch') / sum(self.weights):.0%} "
                "of faults on protective devices' sections")


def curves(feeders: list[Feeder], rules: Rules, faults: int, seed: int) -> None:
    """Exact share per call rate for the rule with calls only and with the exposure prior, on the
    same faults (drawn by exposure), beside the oracle and the decidable faults; and against the
    number of calls."""
    calls_only, rules = replace(rules, line_faults_per_km=0.0, transformer_faults=0.0), replace(rules, **RBTS_RATES)
    print("\n1. Exact share of faults with >= 3 calls, via predict (faults drawn by exposure). Oracle: knows p,"
          " that there is one fault and how faults are drawn. Decidable: exact among faults whose callers'"
          " lowest common area is the faulted one (with exposure)")
    print("| feeder | p | faults | calls only | with exposure | oracle | decidable |")
    print("|---|---|---|---|---|---|---|")
    by_calls: dict[str, Counter] = defaultdict(Counter)
    for f in feeders:
        for p in RATES:
            rng = random.Random(seed * 1000 + int(p * 1000))
            n = exact = before = best = decidable = decided = 0
            for _ in range(faults):
                area = f.fault(rng)
                calls = f.callers(area, p, rng)
                if len(calls) < 3:
                    continue
                hit = top(predict(f.topology, calls, rules)) == area
                n += 1
                exact += hit
                before += top(predict(f.topology, calls, calls_only)) == area
                best += oracle(f, calls, p) == area
                bucket = next(b for b in CALL_BUCKETS if b[0] <= len(calls) <= b[1])
                by_calls[f.name][(bucket, "n")] += 1
                by_calls[f.name][(bucket, "exact")] += hit
                if lowest_common(f.topology, [c.area for c in calls]) == area:
                    decidable += 1
                    decided += hit
            n = max(n, 1)
            print(f"| {f.name} | {p} | {n} | {before / n:.1%} | {exact / n:.1%} | {best / n:.1%} | "
                  f"{decided / max(decidable, 1):.1%} of {decidable} |")
    print("\n2. Exact share against the number of calls (all rates above together, with exposure)")
    print("| calls | " + " | ".join(f.name for f in feeders) + " |")
    print("|---|" + "---|" * len(feeders))
    for bucket in CALL_BUCKETS:
        label = f"{bucket[0]}+" if bucket[1] > 10 ** 6 else f"{bucket[0]}-{bucket[1]}"
        cells = [f"{c[(bucket, 'exact')] / c[(bucket, 'n')]:.1%} of {c[(bucket, 'n')]}" if c[(bucket, "n")] else "-"
                 for c in (by_calls[f.name] for f in feeders)]
        print(f"| {label} | " + " | ".join(cells) + " |")


def oracle(f: Feeder, calls: list[Call], p: float) -> int:
    """The most probable faulted area for one who knows the call rate, that exactly one area is
    out and that faults follow exposure: no rule can be exact more often on these faults."""
    t = f.topology
    k, best, chosen = len(calls), -math.inf, -1
    for area in t.areas_up(lowest_common(t, [c.area for c in calls])):
        if area in f.below:
            score = math.log(exposure(t, area, Rules(**RBTS_RATES))) + k * math.log(p) + \
                (t.area_customers[area] - k) * math.log(1 - p)
            if score > best:
                best, chosen = score, area
    return chosen


def uniform_faults(feeders: list[Feeder], rules: Rules, faults: int, seed: int) -> None:
    """The same two rules when faults do not follow exposure (drawn uniformly over the areas, as
    this benchmark once did): what the prior costs when it is wrong."""
    calls_only, rules = replace(rules, line_faults_per_km=0.0, transformer_faults=0.0), replace(rules, **RBTS_RATES)
    print("\n1b. Faults drawn uniformly over the areas, not by exposure: exact share, calls only | with exposure")
    print("| p | " + " | ".join(f"{f.name} calls only | {f.name} exposure" for f in feeders) + " |")
    print("|---|" + "---|---|" * len(feeders))
    for p in (0.05, 0.1, 0.2):
        cells = []
        for f in feeders:
            rng = random.Random(seed * 1000 + int(p * 1000))
            n = exact = before = 0
            for _ in range(faults):
                area = rng.choice(f.faultable)
                calls = f.callers(area, p, rng)
                if len(calls) < 3:
                    continue
                n += 1
                exact += top(predict(f.topology, calls, rules)) == area
                before += top(predict(f.topology, calls, calls_only)) == area
            cells.append(f"{before / max(n, 1):.1%} | {exact / max(n, 1):.1%} of {n}")
        print(f"| {p} | " + " | ".join(cells) + " |")


def top(predicted: dict) -> int:
    """The predicted area explaining most calls."""
    return max(predicted, key=lambda a: len(predicted[a]))


def two_faults(feeders: list[Feeder], rules: Rules, faults: int, seed: int) -> None:
    print("\n3. Two faults at once on one feeder (each >= 3 calls), via predict")
    print("| p | feeder | both exact | one exact | neither | merged into one common device |")
    print("|---|---|---|---|---|---|")
    for p in (0.05, 0.1, 0.3):
        for f in feeders:
            rng = random.Random(seed * 7 + int(p * 1000))
            t, outcome, n = f.topology, Counter(), 0
            for _ in range(faults):
                a, b = f.fault(rng), f.fault(rng)
                if t.is_within(a, b) or t.is_within(b, a):
                    continue
                ca, cb = f.callers(a, p, rng), f.callers(b, p, rng)
                if len(ca) < 3 or len(cb) < 3:
                    continue
                predicted = predict(t, ca + cb, rules)
                n += 1
                hits = (a in predicted) + (b in predicted)
                outcome[hits] += 1
                outcome["merged"] += any(t.is_within(a, x) and t.is_within(b, x) for x in predicted)
            n = max(n, 1)
            print(f"| {p} | {f.name} | {outcome[2] / n:.0%} | {outcome[1] / n:.0%} | {outcome[0] / n:.0%} | "
                  f"{outcome['merged'] / n:.0%} (of {n}) |")


#: Shares of customers with a smart meter that sends last gasps, and the share of gasps that arrive.
AMI_SHARES = (0.1, 0.3)
GASP_DELIVERED = 0.95


def with_meters(feeders: list[Feeder], rules: Rules, faults: int, seed: int) -> None:
    print("\n5. Smart meters' last gasps beside the calls, via predict: exact share (calls alone | with gasps) "
          "on faults with >= 3 calls; with gasps on every fault with any evidence")
    print("| p | AMI share | " + " | ".join(f"{f.name} >= 3 calls | {f.name} any evidence" for f in feeders) + " |")
    print("|---|---|" + "---|---|" * len(feeders))
    for p in (0.02, 0.05, 0.1):
        for share in AMI_SHARES:
            cells = []
            for f in feeders:
                rng = random.Random(seed * 31 + int(p * 1000) + int(share * 100))
                metered = {account for account, _, _ in f.customers if rng.random() < share}
                n = alone = both = anything = exact_any = 0
                for _ in range(faults):
                    area = f.fault(rng)
                    calls = f.callers(area, p, rng)
                    gasps = [Call(account, a) for account, a, _ in f.below[area]
                             if account in metered and rng.random() < GASP_DELIVERED]
                    if not calls and not gasps:
                        continue
                    predicted = predict(f.topology, calls + gasps, rules)
                    hit = max(predicted, key=lambda a: len(predicted[a])) == area
                    anything += 1
                    exact_any += hit
                    if len(calls) >= 3:
                        alone_predicted = predict(f.topology, calls, rules)
                        n += 1
                        alone += max(alone_predicted, key=lambda a: len(alone_predicted[a])) == area
                        both += hit
                cells.append(f"{alone / max(n, 1):.1%} -> {both / max(n, 1):.1%} of {n} | "
                             f"{exact_any / max(anything, 1):.1%} of {anything}")
            print(f"| {p} | {share:.0%} | " + " | ".join(cells) + " |")


def through_intake(url: str, feeder_: Feeder, faults: int, seed: int, background: float = 2.0) -> tuple[str, list[str]]:
    """Exact share at p = 0.1, faults with >= 3 of their calls, calls through the intake service
    (with how often incidents moved up and down, and calls were split out of one that moved
    down); and the misses (faulted area, customers, calls -> predicted area, customers)."""
    settings = Settings.from_env()
    database = Database(url)
    topologies, graphs = TopologyCache(), RoadGraphCache()
    session = database.session()
    topology = topologies.current(session)
    session.close()
    customers = [(account, None, area) for account, area, _ in feeder_.customers]
    rng = random.Random(seed)
    n, exact, at_once, misses, moves = 0, 0, 0, [], Counter()
    for area in (feeder_.fault(rng) for _ in range(faults)):
        with database.engine.connect() as connection:
            outer = connection.begin()
            database.bind_to(connection)
            made, _ = simulate(database, settings, topologies, graphs, customers, area, 0.1, rng, background)
            accounts = {a for a, _, c in customers if topology.is_within(c, area)}
            predicted = final_area(connection, topology, accounts) if made >= 3 else None
            if made >= 3:
                at_once += all_at_once(connection, topology, accounts, settings) == area
            moves.update(dict(connection.execute(text(
                "SELECT type, count(*) FROM incident_events WHERE type IN ('rolled_up', 'moved_down') GROUP BY type"
                " UNION ALL SELECT 'split_out', count(*) FROM incident_events WHERE data ? 'split_from'")).all()))
            outer.rollback()
        if made >= 3:
            n += 1
            exact += predicted == area
            if predicted != area:
                name = (lambda a: "none" if a is None else
                        f"{topology.area_device[a].code} ({topology.area_customers[a]} customers)")
                misses.append(f"{name(area)} with {made} calls -> {name(predicted)}")
    database.dispose()
    print(f"  the same calls at once through predict (background calls too): {at_once / max(n, 1):.1%} of {n}")
    print(f"  through the intake, per fault: {moves['rolled_up'] / faults:.2f} moves up, "
          f"{moves['moved_down'] / faults:.2f} moves down, {moves['split_out'] / faults:.2f} incidents split out")
    return f"{exact / max(n, 1):.1%} of {n}", misses


def all_at_once(connection, topology, accounts: set[str], settings: Settings) -> int | None:
    """The area ``predict`` gives the most of the fault's calls (``accounts``: its customers'),
    given every call the intake took for it (the background calls too) at once: what the intake,
    taking them one by one, can at best find."""
    rows = connection.execute(text(
        "SELECT DISTINCT c.account_no, r.bus_id FROM reports r JOIN customers c ON c.id = r.customer_id")).all()
    predicted = predict(topology, [Call(account, topology.area_of_bus(bus)) for account, bus in rows],
                        Rules.from_settings(settings))
    return max(predicted, key=lambda a: sum(c.caller in accounts for c in predicted[a]))


def imported(name: str, url: str, directory: Path) -> Feeder:
    database = Database(url)
    session = database.session()
    summary = import_grid(session, directory)
    session.close()
    session = database.session()
    topology = TopologyCache().current(session)
    session.close()
    with database.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT c.account_no, coalesce(c.bus_id, t.lv_bus_id) FROM customers c "
            "LEFT JOIN transformers t ON t.id = c.transformer_id ORDER BY c.account_no")).all()
    database.dispose()
    assert summary.result("customers").inserted == len(rows)
    return Feeder(name, topology, [(account, topology.area_of_bus(bus), topology.transformer_of_bus(bus))
                                   for account, bus in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faults", type=int, default=300, help="faults drawn per feeder and call rate")
    parser.add_argument("--intake-faults", type=int, default=40, help="faults per feeder through the intake")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--feeders", default=",".join([*SHAPES, *CODES]), help="which feeders, comma-separated")
    parser.add_argument("--no-meters", action="store_true", help="leave out the smart meters' section")
    parser.add_argument("--background", type=float, default=2.0,
                        help="mean background calls per fault through the intake (customers with power)")
    args = parser.parse_args()
    settings = Settings.from_env()
    rules = Rules.from_settings(settings)
    print(f"rules: {rules}")
    feeders, intake = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.feeders.split(","):
            made = feeder(SHAPES[name], args.seed) if name in SHAPES else layers(CODES[name])
            directory = write(made, Path(scratch) / name)
            with scratch_database(f"dispatch_bench_deep_{name.replace('-', '_')}", with_demo=False) as url:
                feeders.append(imported(name, url, directory))
                print(feeders[-1].describe())
                if args.intake_faults:
                    share, misses = through_intake(url, feeders[-1], args.intake_faults, args.seed, args.background)
                    intake.append((name, share))
                    print("  misses through the intake at p = 0.1: " + ("; ".join(misses) or "none"))
    if args.faults:
        curves(feeders, rules, args.faults, args.seed)
        uniform_faults(feeders, rules, args.faults, args.seed)
        two_faults(feeders, replace(rules, **RBTS_RATES), args.faults, args.seed)
        if not args.no_meters:
            with_meters(feeders, replace(rules, **RBTS_RATES), args.faults, args.seed)
    if intake:
        print("\n4. Exact share at p = 0.1 through the intake service (faults with >= 3 calls): "
              + ", ".join(f"{name} {share}" for name, share in intake))


if __name__ == "__main__":
    main()

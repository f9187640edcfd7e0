"""Outage inference against an oracle that tries every explanation.

``predict`` finds the likeliest set of outages by dynamic programming over the tree, all call
rates at once. On a feeder small enough, every set of areas that explains the calls can be
scored one by one instead: the best of them must score what the prediction scores, and be the
prediction when no other set ties with it."""
from __future__ import annotations

import itertools
import math
import random

import pytest

from dispatch.gis.inference import RATES, RBTS_RATES, Call, Rules, exposure, predict
from dispatch.gis.topology import Topology
from dispatch.gis.topology_store import grid_rows
from tests.factories import radial_grid, stretched, write_layers

#: Four levels of protective devices, transformers of 2 to 60 customers.
FEEDER = ("BR", "breaker", [
    ("R1", "recloser", [
        ("F1", "fuse", [("T1", 12), ("T2", 3), ("F2", "fuse", [("T3", 8), ("T4", 2)])]),
        ("T5", 40),
        ("F3", "fuse", [("T6", 5), ("T7", 20)]),
    ]),
    ("T8", 60),
    ("F4", "fuse", [("T9", 6), ("T10", 15)]),
])


@pytest.fixture
def topology(cli, connection, tmp_path) -> Topology:
    layers = stretched(radial_grid(FEEDER), "T2-l", 2.0)  # a long tap: F1's own section weighs
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path / "grid", layers))])
    assert result.exit_code == 0, result.output
    return Topology(grid_rows(connection))


def explanations(topology: Topology, calls: list[Call], rules: Rules, on: list[int]):
    """Every set of areas that explains the calls, with the calls each explains: each caller's
    area lies in exactly one of them, and each may be out (callers of its own, or enough callers
    below it and no meter inside saying it has power)."""
    tree = {above for call in calls for above in topology.areas_up(call.area)}
    supplied = {above for area in on for above in topology.areas_up(area)}

    def within(area: int):
        """The ways to explain the calls at or below ``area``: it is out, or its parts are."""
        explained = [c for c in calls if topology.is_within(c.area, area)]
        if may_be_out(topology, area, explained, supplied, rules):
            yield {area: explained}
        if not any(call.area == area for call in calls):
            parts = [list(within(child)) for child in topology.area_children[area] if child in tree]
            for combination in itertools.product(*parts):
                yield {k: v for part in combination for k, v in part.items()}

    roots = [list(within(a)) for a in tree if topology.area_parent[a] is None]
    for combination in itertools.product(*roots):
        yield {k: v for part in combination for k, v in part.items()}


def may_be_out(topology: Topology, area: int, calls: list[Call], supplied: set[int], rules: Rules) -> bool:
    if any(call.area == area for call in calls):
        return True
    return (area not in supplied and len(calls) >= rules.min_calls
            and len(calls) >= rules.min_share * topology.area_customers[area])


def likelihood(topology: Topology, explained: dict[int, list[Call]], rules: Rules) -> float:
    """The set's log-likelihood at its best call rate, less a penalty per outage, plus the log of
    each outage's exposure relative to the mean area's (0 without failure rates)."""
    counted = [a for a, n in enumerate(topology.area_customers) if n and topology.area_device[a] is not None]
    mean = sum(exposure(topology, a, rules) for a in counted) / len(counted)

    def at(rate: float) -> float:
        return sum(len(calls) * math.log(rate)
                   + (max(topology.area_customers[area], len(calls)) - len(calls)) * math.log(1 - rate)
                   - rules.outage_penalty
                   + (math.log(exposure(topology, area, rules) / mean) if rules.line_faults_per_km else 0.0)
                   for area, calls in explained.items())
    return max(at(rate) for rate in RATES)


def random_calls(topology: Topology, rng: random.Random) -> list[Call]:
    """Callers drawn from one to three faulted areas, at a rate of their own, a stray call, and
    now and then a call placed on a protective device's own section (a line, not a transformer)."""
    areas = [a for a, device in enumerate(topology.area_device) if device is not None and topology.area_customers[a]]
    calls: dict[tuple[int, int], Call] = {}
    for fault in rng.sample(areas, rng.randint(1, 3)):
        rate = rng.choice((0.05, 0.2, 0.5))
        for leaf in areas:
            if topology.area_device[leaf].kind == "transformer" and topology.is_within(leaf, fault):
                for k in range(topology.area_customers[leaf]):
                    if rng.random() < rate:
                        calls[(leaf, k)] = Call((leaf, k), leaf)
    stray = rng.choice([a for a in areas if topology.area_device[a].kind == "transformer"])
    calls.setdefault((stray, 0), Call((stray, 0), stray))
    for k in range(rng.choice((0, 0, 1, 2))):
        section = rng.choice([a for a in areas if topology.area_device[a].kind != "transformer"])
        calls[("section", k)] = Call(("section", k), section)
    return list(calls.values())


def test_the_prediction_is_the_likeliest_explanation(topology):
    for seed in range(200):
        check_against_oracle(topology, random.Random(seed))


def check_against_oracle(topology: Topology, rng: random.Random) -> None:
    calls = random_calls(topology, rng)
    rules = Rules(min_calls=rng.choice((1, 2, 3)), min_share=rng.choice((0.0, 0.02, 0.2)),
                  **rng.choice(({}, RBTS_RATES)))
    supplied = [a for a, d in enumerate(topology.area_device) if d is not None and topology.area_customers[a]]
    on = rng.sample(supplied, rng.randint(0, 2))
    predicted = predict(topology, calls + calls[:3], rules, on)  # repeat calls count once

    scored = [(likelihood(topology, explained, rules), explained)
              for explained in explanations(topology, calls, rules, on)]
    best = max(score for score, _ in scored)
    assert likelihood(topology, predicted, rules) == pytest.approx(best, abs=1e-9)
    likeliest = [explained for score, explained in scored if score > best - 1e-9]
    if len(likeliest) == 1:
        assert {area: sorted((c.caller for c in group), key=repr) for area, group in predicted.items()} == \
            {area: sorted((c.caller for c in group), key=repr) for area, group in likeliest[0].items()}


def test_no_calls_predict_nothing(topology):
    assert predict(topology, [], Rules()) == {}

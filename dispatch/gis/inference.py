"""Outage inference (trouble-call analysis): which devices are out, given who has called.

Each outage area of the topology is a hypothesis. If an area is out, its customers call at some
rate p (estimated as calls / customers); if it is not, they do not call about an outage. The
prediction is the set of areas that explains every call with the highest likelihood, each
separate outage costing ``outage_penalty`` (so one common device beats many coincidences), found
by dynamic programming up the tree. Hard rules from the dispatch desk come on top: a roll-up
above the transformers needs calls from more than one transformer, at least ``min_calls`` calls,
and at least ``min_share`` of the device's customers calling.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable

from dispatch.gis.topology import Topology


@dataclass(frozen=True)
class Rules:
    min_calls: int = 2
    min_share: float = 0.02
    outage_penalty: float = 3.0


@dataclass(frozen=True)
class Call:
    """One active call: who called (a customer, or the report itself), from which area."""

    caller: Hashable
    area: int
    transformer: int | None


def _log_likelihood(calls: int, customers: int) -> float:
    """Binomial log-likelihood of ``calls`` out of ``customers`` at the rate that fits best."""
    customers = max(customers, calls)
    if calls == 0 or calls == customers:
        return 0.0
    rate = calls / customers
    return calls * math.log(rate) + (customers - calls) * math.log(1 - rate)


def predict(topology: Topology, calls: list[Call], rules: Rules) -> dict[int, list[Call]]:
    """The areas predicted out, each with the calls it explains."""
    unique: dict[Hashable, Call] = {}
    for call in calls:
        unique.setdefault(call.caller, call)
    direct: dict[int, list[Call]] = {}
    children: dict[int, set[int]] = {}
    for call in unique.values():
        direct.setdefault(call.area, []).append(call)
        for area in topology.areas_up(call.area):
            parent = topology.area_parent[area]
            if parent is None or area in children.setdefault(parent, set()):
                children.setdefault(area, set())
                break
            children[parent].add(area)
            children.setdefault(area, set())

    below: dict[int, list[Call]] = {}
    best: dict[int, float] = {}
    out: dict[int, bool] = {}
    for area in sorted(children, key=lambda a: -topology.area_depth[a]):
        explained = list(direct.get(area, []))
        for child in children[area]:
            explained += below[child]
        below[area] = explained
        if _eligible(topology, area, explained, bool(direct.get(area)), rules):
            as_outage = _log_likelihood(len(explained), topology.area_customers[area]) - rules.outage_penalty
        else:
            as_outage = -math.inf
        as_parts = -math.inf if direct.get(area) else sum(best[c] for c in children[area])
        out[area] = as_outage >= as_parts
        best[area] = max(as_outage, as_parts)

    predicted: dict[int, list[Call]] = {}
    stack = [a for a in children if topology.area_parent[a] is None or topology.area_parent[a] not in children]
    while stack:
        area = stack.pop()
        if out[area]:
            predicted[area] = below[area]
        else:
            stack.extend(children[area])
    return predicted


def _eligible(topology: Topology, area: int, calls: list[Call], has_direct_calls: bool, rules: Rules) -> bool:
    """Whether ``area`` may be predicted out. An area always explains calls that only it can."""
    if has_direct_calls:
        return True
    if len(calls) < rules.min_calls:
        return False
    if len(calls) < rules.min_share * topology.area_customers[area]:
        return False
    if topology.area_in_lv[area]:
        return True
    return len({call.transformer for call in calls}) > 1

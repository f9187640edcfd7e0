"""Outage inference (trouble-call analysis): which devices are out, given who has called.

Each outage area of the topology is a hypothesis. Customers of an area that is out call at one
rate p, the same for every outage of the feeder at that moment (a storm, the time of day and the
customers' habits set it, not the device); customers with power do not call about an outage.
An outage of an area with n customers of whom k called is then worth k log p + (n - k) log(1 - p):
customers who did *not* call count as evidence too, and every separate outage costs
``outage_penalty`` (one common device beats several coincidences). The prediction is the set of
areas that explains every call with the highest total, found by dynamic programming up the tree
for each rate on a grid, keeping the rate and the set that score best together.

Why one rate for all: fitted per area (as this rule once was), a transformer with 3 customers and
2 calls looks like a perfect outage on its own (rate 2/3), so calls from small transformers were
explained separately and the prediction stopped below the faulted device on deep feeders.

Where faults happen can weigh in too (off unless the utility gives failure rates): each area's
outage then also scores the log of its **exposure** (expected faults a year: its own kilometres of
line times ``line_faults_per_km``, its own transformers times ``transformer_faults``, and
``device_faults`` for its device), relative to the feeder's average area. When every call comes
from one branch the calls alone always prefer that branch (the device above only adds customers
who did not call); the exposure says how often the device's own section is the faulted one
instead, so a device with kilometres of line of its own beats a transformer on a short tap below
it when only a few of its customers stayed silent. It is off by default: through the intake, calls
arrive one by one, the first few make the rate look low and silent customers cheap, so the
exposure pulls early predictions up; incidents now move back down when later calls point lower
(:mod:`dispatch.incidents.moving_down`), but with background calls it is still less often exact
than calls alone (BENCHMARKS.md). On a grid
without line lengths every area weighs the same whatever the rates.

Smart meters add certain evidence. A last gasp is an out for its customer, as sure as a call and
taken like one (a customer who calls and whose meter gasps is one caller). A power-restored is a
certain "on": no area above that customer (nor its own) can be out, so those areas are never
predicted unless a call or last gasp from inside the very same area says otherwise.

Hard rules from the dispatch desk come on top: a roll-up needs at least ``min_calls`` calls and at
least ``min_share`` of the device's customers calling. (It once also needed calls from more than
one transformer; the calls alone never roll one transformer's calls up, and with the exposure
the device above should win when its own section is long and its other customers few.)
:func:`branches` says why a device was chosen: its calls per branch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable, Iterable

import numpy as np

from dispatch.core.config import Settings
from dispatch.gis.topology import Device, Topology


@dataclass(frozen=True)
class Rules:
    min_calls: int = 2
    min_share: float = 0.02
    outage_penalty: float = 3.0
    #: Failure rates (per km of line and year, per transformer-year, per device-year); only their
    #: ratios matter. Lines and transformers at 0 (the default): the calls alone decide.
    #: :data:`RBTS_RATES` are the IEEE-RBTS figures.
    line_faults_per_km: float = 0.0
    transformer_faults: float = 0.0
    device_faults: float = 0.006

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(settings.inference_min_calls, settings.inference_min_share, settings.inference_outage_penalty,
                   settings.inference_line_faults_per_100km / 100, settings.inference_transformer_faults_per_100 / 100)


@dataclass(frozen=True)
class Call:
    """One active call: who called (a customer, or the report itself), from which area."""

    caller: Hashable
    area: int


#: Failure rates of the IEEE-RBTS distribution test system (Allan et al., 1991): 11 kV overhead
#: lines 0.065 per km-year, 11/0.4 kV transformers 0.015 per year (breakers 0.006, the default).
RBTS_RATES = {"line_faults_per_km": 0.065, "transformer_faults": 0.015}

#: The call rates tried: 1 % to about 90 %, each 25 % above the one before.
RATES = tuple(0.01 * 1.25 ** i for i in range(21))


@dataclass(frozen=True)
class Branch:
    """Part of a predicted device's outage: one child area (or the device's own section, device
    None), its customers and how many of them called."""

    device: Device | None
    customers: int
    calls: int


def predict(topology: Topology, calls: list[Call], rules: Rules, on: Iterable[int] = ()) -> dict[int, list[Call]]:
    """The areas predicted out, each with the calls it explains (a caller counts once); ``on``:
    the areas of customers whose meters say they have power."""
    unique: dict[Hashable, Call] = {}
    for call in calls:
        unique.setdefault(call.caller, call)
    callers: dict[int, int] = {}
    for call in unique.values():
        callers[call.area] = callers.get(call.area, 0) + 1
    out = outages(topology, callers, rules, on)
    predicted: dict[int, list[Call]] = {}
    for call in unique.values():
        predicted.setdefault(out[call.area], []).append(call)
    return predicted


def outages(topology: Topology, callers: dict[int, int], rules: Rules, on: Iterable[int] = ()) -> dict[int, int]:
    """For each area with callers (``callers``: how many distinct ones), the area predicted out
    that explains them; ``on``: the areas of customers whose meters say they have power.

    Callers are counted per area, not listed: a storm puts hundreds of callers on one feeder in a
    few dozen areas, and the intake predicts its whole window again for every call. The areas with
    callers and those above them are scored at every rate of :data:`RATES` at once, a depth of the
    tree at a time (deepest first), as arrays."""
    direct = {area: count for area, count in callers.items() if count > 0}
    if not direct:
        return {}
    tree: dict[int, None] = {}  # the called areas and every area above them
    for area in direct:
        for above in topology.areas_up(area):
            if above in tree:
                break
            tree[above] = None
    areas = sorted(tree)  # parents first: areas are numbered so
    index = {area: i for i, area in enumerate(areas)}
    parent = np.array([-1 if (p := topology.area_parent[a]) is None else index[p] for a in areas], dtype=np.int64)
    depth = np.array([topology.area_depth[a] for a in areas], dtype=np.int64)
    own = np.array([direct.get(a, 0) for a in areas], dtype=np.int64)
    customers = np.array([topology.area_customers[a] for a in areas], dtype=np.int64)
    supplied = {above for area in on for above in topology.areas_up(area)}
    levels = [np.flatnonzero(depth == d) for d in range(int(depth.max()), int(depth.min()) - 1, -1)]

    below = own.copy()  # distinct callers at or below each area
    for level in levels:
        up = parent[level] >= 0
        np.add.at(below, parent[level][up], below[level][up])
    has_direct = own > 0
    eligible = has_direct | ((below >= rules.min_calls) & (below >= rules.min_share * customers)
                             & np.array([a not in supplied for a in areas]))
    prior = exposure_prior(topology, areas, rules)
    rates = np.array(RATES)
    silent_customers = np.maximum(customers, below) - below
    as_outage = (below[:, None] * np.log(rates) + silent_customers[:, None] * np.log(1 - rates)
                 - rules.outage_penalty + np.array([prior[a] for a in areas])[:, None])
    as_outage[~eligible] = -np.inf
    # An area with calls of its own must be out, or lie below one that is: it cannot be explained
    # by its parts.
    as_parts = np.zeros_like(as_outage)
    best = np.empty_like(as_outage)
    for level in levels:
        as_parts[level[has_direct[level]]] = -np.inf
        best[level] = np.maximum(as_outage[level], as_parts[level])
        up = parent[level] >= 0
        np.add.at(as_parts, parent[level][up], best[level][up])
    rate = int(np.argmax(best[parent < 0].sum(axis=0)))  # the first of equals, as the rates rise
    out = as_outage[:, rate] >= as_parts[:, rate]

    top = [-1] * len(areas)  # the topmost area out at or above each area
    for i, p in enumerate(parent.tolist()):
        top[i] = top[p] if p >= 0 and top[p] >= 0 else (i if out[i] else -1)
    return {area: areas[top[index[area]]] for area in direct}


def score(topology: Topology, outages: dict[int, int], rules: Rules) -> float:
    """The log-likelihood of these areas out (each with its number of distinct callers) at the
    call rate that suits them best, less a penalty per outage: how two explanations of the same
    calls compare."""
    calls = sum(outages.values())
    customers = sum(max(topology.area_customers[area], k) for area, k in outages.items())
    return max(calls * math.log(rate) + (customers - calls) * math.log(1 - rate) for rate in RATES) \
        - rules.outage_penalty * len(outages)


def exposure(topology: Topology, area: int, rules: Rules) -> float:
    """Expected faults a year that ``area``'s own device clears."""
    return (topology.area_line_km[area] * rules.line_faults_per_km
            + topology.area_transformer_count[area] * rules.transformer_faults + rules.device_faults)


def exposure_prior(topology: Topology, areas: Iterable[int], rules: Rules) -> dict[int, float]:
    """The log of each area's exposure over the mean of the grid's areas with customers (0 for
    every area without failure rates, or when the grid has no line lengths: nothing then says
    where faults happen)."""
    if not rules.line_faults_per_km and not rules.transformer_faults:
        return dict.fromkeys(areas, 0.0)
    counted = [a for a, n in enumerate(topology.area_customers) if n and topology.area_device[a] is not None]
    if not counted or not any(topology.area_line_km[a] for a in counted):
        return dict.fromkeys(areas, 0.0)
    mean = sum(exposure(topology, a, rules) for a in counted) / len(counted)
    return {a: math.log(exposure(topology, a, rules) / mean) for a in areas}


def branches(topology: Topology, area: int, called_areas: list[int]) -> list[Branch]:
    """Why ``area``: its customers split by the child areas below it (and its own section), with
    the calls from each (``called_areas``: the area of every distinct caller). Calls spread over
    several branches point at the device above them; calls from one branch only, at that branch."""
    per_child: dict[int | None, int] = {}
    for called in called_areas:
        path = list(topology.areas_up(called))
        if area not in path:
            continue
        index = path.index(area)
        child = path[index - 1] if index > 0 else None
        per_child[child] = per_child.get(child, 0) + 1
    kids = topology.area_children[area]
    own = topology.area_customers[area] - sum(topology.area_customers[c] for c in kids)
    rows = [Branch(topology.area_device[c], topology.area_customers[c], per_child.get(c, 0)) for c in kids
            if topology.area_customers[c]]
    if own or per_child.get(None):
        rows.append(Branch(None, own, per_child.get(None, 0)))
    return sorted(rows, key=lambda b: (-b.calls, -b.customers))

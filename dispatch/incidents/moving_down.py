"""When an incident rolled up too high moves back down to the device its calls now point at.

Calls reach the intake one by one, and each is decided with the calls so far. The first few can
make a device above the fault the best explanation: a call from a customer with power elsewhere
on the feeder, or a moment when so few have called that the silent customers of the device above
cost little. Later calls settle it: dozens from one branch and none from the rest of the device
point at that branch. Without moving down, an incident once rolled up stayed there, and its crew
would patrol the whole device (BENCHMARKS.md, deep feeders: 76 % exact on the long rural feeder
through the intake against 94 % for the same calls all at once).

So when a call inside an incident is predicted below it, the incident's calls are grouped by the
areas predicted now: the incident moves to the one with most of them (the new call counted), and
each other group is split out as an incident of its own (a second fault, or a call from someone
who had power). Only when that grouping is clearly likelier than all the calls at the incident's
device (by :data:`MARGIN`): on a near tie the device where the first calls put it was as often
right as the one below (BENCHMARKS.md: without a margin, one fault of 35 was lost that way on the
long feeder), and an incident moving back and forth is noise at the desk. Only while its crew has
not set out: a crew on the road is not taken off it for a skill the lower device needs (as moving
up leaves it), and a crew on site is looking at the device and reports what it finds; nor an incident at a
switch SCADA says tripped (the trip is certain, calls are not), and never below one: an incident
that took in a trip's incident when it rolled up stops at the tripped device.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dispatch.gis.inference import Rules, score
from dispatch.gis.topology import Topology

#: How much likelier (log-likelihood) the calls must be below than at the incident's device:
#: half an outage's penalty, chosen on the long benchmark feeder (1.5: both runs at their best;
#: 3: loses faults with background calls).
MARGIN = 1.5
#: Incidents that may move down: the crew, if any, has not set out. One on the road is not moved
#: (as moving up leaves it, docs/dispatch-invariants.md): the lower device may need a skill its
#: crew lacks, and taking a crew off mid-drive costs more than a patrol of the device above.
MAY_MOVE_DOWN = frozenset({"new", "assigned", "accepted"})


@dataclass(frozen=True)
class Regrouping:
    """Where an incident's calls now point: the area it moves to, and the other areas predicted
    for some of its calls, each with those calls (the feeder's active-call rows)."""

    to: int
    split: dict[int, list[dict[str, Any]]]


def may_move_down(incident: dict[str, Any], topology: Topology) -> bool:
    """Whether ``incident`` (a row of ``store.open_incidents`` with its ``area``) could move
    down: nobody on site, not a trip, and areas with customers below its device."""
    area = incident["area"]
    return (incident["status"] in MAY_MOVE_DOWN and not incident["device_tripped"] and area is not None
            and any(topology.area_customers[child] for child in topology.area_children[area]))


def regroup(topology: Topology, incident: dict[str, Any], rows: list[dict[str, Any]],
            predicted: dict[int, int], target: int, tripped: set[int], rules: Rules) -> Regrouping | None:
    """How ``incident``'s active calls (its ``rows``) and a new call explained by ``target``
    group under the areas ``predicted`` out (for each called area, the one explaining it), when
    that moves the incident below its device; None when it stays (its calls still point at its
    device, or the grouping is not likelier by :data:`MARGIN` under ``rules``). ``tripped``: the
    areas of tripped switches, which it does not move below."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if (called := topology.area_of_bus(row["bus_id"])) is not None and (area := predicted.get(called)) is not None:
            groups.setdefault(area, []).append(row)
    to = max({*groups, target}, key=lambda a: (len(groups.get(a, ())) + (a == target), a == target, -a))
    if any(a == incident["area"] or not topology.is_within(a, incident["area"]) for a in {*groups, to}):
        return None
    counts = {area: len(calls) + (area == target) for area, calls in groups.items()}
    counts.setdefault(target, 1)
    if score(topology, counts, rules) < score(topology, {incident["area"]: sum(counts.values())}, rules) + MARGIN:
        return None  # not clearly better than where it is: an incident does not move on a near tie
    for above in topology.areas_up(to):
        if above == incident["area"]:
            break
        if above in tripped:
            to = above  # the topmost tripped device between them
    return Regrouping(to, {area: calls for area, calls in groups.items() if not topology.is_within(area, to)})

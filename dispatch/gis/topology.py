"""The grid as a radial tree, and the devices whose operation takes customers off supply.

Built in memory from the stored grid: a breadth-first search from the sources through closed
edges (lines, closed switches, transformers) gives every energised bus its upstream edge.
Parts that no source reaches (behind an open switch) are rooted at their own lowest bus id.

**Candidate devices** are where an outage can be predicted: protective switches (breaker,
recloser, fuse, sectionalizer — not disconnectors, which are operated by hand), distribution
transformers, and the source at the top. Candidates in series that cut off exactly the same
customers cannot be told apart by who calls, so they form one **outage area**, named by its
transformer when it has one (a transformer is what dispatchers call the LV area, 台区), otherwise
by its topmost switch (where the crew restores supply; the feeder breaker rather than the
substation).

Each area also has an **exposure**: the kilometres of line and the transformers whose fault its
own device clears (those between it and the devices below it). Faults happen per kilometre of
line and per transformer-year, so an area with a long section of its own is more often the
faulted one than a transformer on a short tap below it (see dispatch/gis/inference.py).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, NamedTuple

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

PROTECTIVE_KINDS = frozenset({"breaker", "recloser", "fuse", "sectionalizer"})


class Device(NamedTuple):
    kind: str  # "source", "switch" or "transformer"
    id: int
    code: str


@dataclass(frozen=True)
class GridRows:
    """The stored grid, as plain rows (see dispatch/gis/topology_store.py)."""

    buses: list[int]
    lines: list[tuple[int, str, int, int]]  # id, code, from bus, to bus
    switches: list[tuple[int, str, int, int, str, bool]]  # id, code, from, to, kind, is open
    transformers: list[tuple[int, str, int, int]]  # id, code, hv bus, lv bus
    sources: list[tuple[int, str, int]]  # id, code, bus
    customer_buses: list[int]  # the supplying bus of every customer
    line_lengths: dict[int, float] = field(default_factory=dict)  # line id -> metres (0 when unknown)


class Topology:
    """Upstream tracing and outage areas of one version of the grid."""

    def __init__(self, rows: GridRows, version: int = 0):
        self.version = version
        #: The rows it was built from (what-if questions start from them without a database read).
        self.rows = rows
        edges: list[tuple[Device | None, int, int]] = [(None, a, b) for _, _, a, b in rows.lines]
        edges += [(Device("switch", i, code) if kind in PROTECTIVE_KINDS else None, a, b)
                  for i, code, a, b, kind, is_open in rows.switches if not is_open]
        edges += [(Device("transformer", i, code), hv, lv) for i, code, hv, lv in rows.transformers]
        adjacent: dict[int, list[tuple[int, int]]] = {bus: [] for bus in rows.buses}
        for index, (_, a, b) in enumerate(edges):
            adjacent[a].append((b, index))
            adjacent[b].append((a, index))
        self.source_of: dict[int, int | None] = {}
        self._parent_edge: dict[int, int] = {}
        self._parent: dict[int, int] = {}
        order = self._trace(rows, adjacent)
        self._build_areas(rows, edges, order)

    def _trace(self, rows: GridRows, adjacent: dict[int, list[tuple[int, int]]]) -> list[int]:
        """Breadth-first order from every source at once, then from each unreached island."""
        order: list[int] = []
        self._root_device: dict[int, Device | None] = {}

        def search(starts: list[tuple[int, int | None, Device | None]]) -> None:
            queue = deque()
            for bus, source_id, device in starts:
                if bus in self.source_of:
                    continue
                self.source_of[bus] = source_id
                self._root_device[bus] = device
                queue.append(bus)
            while queue:
                bus = queue.popleft()
                order.append(bus)
                for neighbour, edge in adjacent[bus]:
                    if neighbour not in self.source_of:
                        self.source_of[neighbour] = self.source_of[bus]
                        self._parent[neighbour] = bus
                        self._parent_edge[neighbour] = edge
                        queue.append(neighbour)

        search([(bus, i, Device("source", i, code)) for i, code, bus in sorted(rows.sources)])
        for bus in sorted(rows.buses):
            if bus not in self.source_of:
                search([(bus, None, None)])
        return order

    def _build_areas(self, rows: GridRows, edges: list[tuple[Device | None, int, int]], order: list[int]) -> None:
        customers = dict.fromkeys(order, 0)
        for bus in rows.customer_buses:
            if bus in customers:
                customers[bus] += 1
        transformers = dict.fromkeys(order, 0)
        for bus in order:
            edge = self._parent_edge.get(bus)
            if edge is not None and edges[edge][0] is not None and edges[edge][0].kind == "transformer":
                transformers[bus] += 1
        for bus in reversed(order):  # subtree sums, leaves first
            parent = self._parent.get(bus)
            if parent is not None:
                customers[parent] += customers[bus]
                transformers[parent] += transformers[bus]

        # Candidates in breadth-first order; consecutive ones with equal customers share an area.
        self.area_device: list[Device | None] = []
        self.area_parent: list[int | None] = []
        self.area_customers: list[int] = []
        self.area_transformers: list[int] = []
        #: True for an area that is a transformer or lies below one (inside an LV area).
        self.area_in_lv: list[bool] = []
        #: The source feeding each area (None on an island no source reaches).
        self.area_source: list[int | None] = []
        self._area_of_bus: dict[int, int] = {}
        self._transformer_of_bus: dict[int, int | None] = {}
        self.area_of_device: dict[tuple[str, int], int] = {}
        for bus in order:
            parent = self._parent.get(bus)
            device = self._root_device.get(bus) if parent is None else edges[self._parent_edge[bus]][0]
            above = None if parent is None else self._area_of_bus[parent]
            self._transformer_of_bus[bus] = (device.id if device is not None and device.kind == "transformer"
                                             else self._transformer_of_bus.get(parent))
            if parent is not None and device is None:
                self._area_of_bus[bus] = above
                continue
            if above is not None and self.area_customers[above] == customers[bus] > 0 \
                    and self.area_transformers[above] == transformers[bus]:
                area = above  # in series: the same customers (and transformers) cut off
                named = self.area_device[area]
                if device.kind == "transformer" or (named is not None and named.kind == "source"):
                    self.area_device[area] = device
                    self.area_in_lv[area] = device.kind == "transformer"
            else:
                area = len(self.area_device)
                self.area_device.append(device)
                self.area_parent.append(above)
                self.area_customers.append(customers[bus])
                self.area_transformers.append(transformers[bus])
                in_lv = (device is not None and device.kind == "transformer") or \
                    (above is not None and self.area_in_lv[above])
                self.area_in_lv.append(in_lv)
                self.area_source.append(self.source_of[bus])
            self._area_of_bus[bus] = area
            if device is not None:
                self.area_of_device[(device.kind, device.id)] = area
        self._measure_exposure(rows, edges)
        self.area_depth: list[int] = []
        for area, parent in enumerate(self.area_parent):  # parents come first
            self.area_depth.append(0 if parent is None else self.area_depth[parent] + 1)

    def _measure_exposure(self, rows: GridRows, edges: list[tuple[Device | None, int, int]]) -> None:
        """Kilometres of line and transformers in each area: an edge belongs to the area of its
        downstream bus (the smallest area whose device clears a fault on it)."""
        self.area_line_km: list[float] = [0.0] * len(self.area_device)
        self.area_transformer_count: list[int] = [0] * len(self.area_device)
        metres = [rows.line_lengths.get(line_id, 0.0) for line_id, *_ in rows.lines]
        for bus, edge in self._parent_edge.items():
            area = self._area_of_bus[bus]
            device = edges[edge][0]
            if edge < len(metres):
                self.area_line_km[area] += metres[edge] / 1000
            elif device is not None and device.kind == "transformer":
                self.area_transformer_count[area] += 1

    # -- questions about a bus -------------------------------------------------------------------

    def area_of_bus(self, bus: int) -> int | None:
        """The smallest outage area that takes ``bus`` off supply."""
        return self._area_of_bus.get(bus)

    def transformer_of_bus(self, bus: int) -> int | None:
        """The distribution transformer feeding ``bus`` (None on MV or an island)."""
        return self._transformer_of_bus.get(bus)

    def downstream_bus(self, a: int, b: int) -> int:
        """Of two buses joined by an edge, the one fed through the other."""
        return a if self._parent.get(a) == b else b

    def feeder_head(self, area: int) -> Device | None:
        """The device where the feeder holding ``area`` leaves its source: the topmost switch."""
        for top in reversed(list(self.areas_up(area))):
            device = self.area_device[top]
            if device is not None and device.kind == "switch":
                return device
        return None

    # -- questions about areas -------------------------------------------------------------------

    def areas_up(self, area: int) -> Iterable[int]:
        """``area`` and every area above it, up to the source."""
        current: int | None = area
        while current is not None:
            yield current
            current = self.area_parent[current]

    @cached_property
    def area_children(self) -> list[list[int]]:
        """The areas directly below each area."""
        children: list[list[int]] = [[] for _ in self.area_parent]
        for area, parent in enumerate(self.area_parent):
            if parent is not None:
                children[parent].append(area)
        return children

    def is_within(self, area: int, outer: int) -> bool:
        """Whether ``area`` is ``outer`` or lies below it."""
        return any(a == outer for a in self.areas_up(area))

    def buses_within(self, outer: int) -> list[int]:
        """The buses ``outer`` takes off supply: in it or in any area below it (areas are numbered
        parents first, so one pass collects the descendants)."""
        below = {outer}
        for area in range(outer + 1, len(self.area_parent)):
            if self.area_parent[area] in below:
                below.add(area)
        return [bus for bus, area in self._area_of_bus.items() if area in below]

    # -- what if: supply with switches set otherwise ----------------------------------------------

    @cached_property
    def _network(self) -> dict[str, Any]:
        """The grid as index arrays, built once per topology: switching questions then cost a
        sparse graph search, not a rebuild."""
        rows = self.rows
        index = {bus: i for i, bus in enumerate(rows.buses)}
        root = len(index)  # one node standing for every source at once
        fixed = [(index[a], index[b]) for _, _, a, b in rows.lines]
        fixed += [(index[hv], index[lv]) for _, _, hv, lv in rows.transformers]
        fixed += [(root, index[bus]) for _, _, bus in rows.sources]
        return {
            "buses": np.array(rows.buses, dtype=np.int64),
            "fixed": np.array(fixed, dtype=np.int64).reshape(-1, 2),
            "switches": np.array([(index[a], index[b]) for _, _, a, b, _, _ in rows.switches],
                                 dtype=np.int64).reshape(-1, 2),
            "open": np.array([is_open for *_, is_open in rows.switches], dtype=bool),
            "switch_index": {code: i for i, (_, code, *_) in enumerate(rows.switches)},
            "customers": np.bincount([index[bus] for bus in rows.customer_buses if bus in index],
                                     minlength=root).astype(np.int64),
        }

    def has_switch(self, code: str) -> bool:
        return code in self._network["switch_index"]

    def energized(self, switches: dict[str, bool] | None = None) -> np.ndarray:
        """Which buses (a mask in ``rows.buses`` order) a source reaches through lines, closed
        switches and transformers, with ``switches`` (code: is open) set as given."""
        network = self._network
        is_open = network["open"].copy()
        for code, state in (switches or {}).items():
            is_open[network["switch_index"][code]] = state
        ends = np.concatenate([network["fixed"], network["switches"][~is_open]])
        size = len(network["buses"]) + 1
        graph = csr_matrix((np.ones(len(ends), dtype=np.int8), (ends[:, 0], ends[:, 1])), shape=(size, size))
        mask = np.zeros(size, dtype=bool)
        mask[breadth_first_order(graph, size - 1, directed=False, return_predecessors=False)] = True
        return mask[:-1]

    def customers_at(self, mask: np.ndarray) -> int:
        """How many customers are supplied from the buses of ``mask``."""
        return int(self._network["customers"][mask].sum())

    def buses_of(self, mask: np.ndarray) -> list[int]:
        return self._network["buses"][mask].tolist()

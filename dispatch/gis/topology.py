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

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Iterable, NamedTuple

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

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


#: What a bus is fed through from its parent: a line or a disconnector (no device), a protective
#: switch, a transformer.
_PLAIN, _SWITCH, _TRANSFORMER = 0, 1, 2


def _settle(pointer: np.ndarray) -> np.ndarray:
    """Follow ``pointer`` (node -> node; it stops where a node points at itself) to its end from
    every node at once, by pointer doubling: log(depth) passes over the array, not a walk per node."""
    while True:
        further = pointer[pointer]
        if np.array_equal(further, pointer):
            return pointer
        pointer = further


def _depths(parent: np.ndarray) -> np.ndarray:
    """Each node's distance from its root (a node that is its own parent), by pointer doubling."""
    ancestor, depth = parent.copy(), (parent != np.arange(len(parent))).astype(np.int64)
    while not np.array_equal(ancestor[ancestor], ancestor):
        depth = depth + depth[ancestor]
        ancestor = ancestor[ancestor]
    return depth


class _Grid:
    """What switching leaves as it is, made once per grid and shared by the topologies of its
    switch states: the buses by position (ascending id order), the lines' and transformers' ends,
    the sources' buses, the customers on each bus and the lines' lengths."""

    def __init__(self, rows: GridRows):
        ids = np.sort(np.asarray(rows.buses, dtype=np.int64))
        self.ids = ids[np.concatenate([[True], ids[1:] != ids[:-1]])] if len(ids) else ids
        size = len(self.ids)
        # Bus ids are a sequence's: a table from id to position, unless they are too sparse for one.
        self.table = None
        if size and 0 <= self.ids[0] and self.ids[-1] < 4 * size + 1024:
            self.table = np.full(int(self.ids[-1]) + 1, -1, dtype=np.int64)
            self.table[self.ids] = np.arange(size)
        self.lines = [self.positions([row[end] for row in rows.lines]) for end in (2, 3)]
        self.transformers = [self.positions([row[end] for row in rows.transformers]) for end in (2, 3)]
        self.transformer_ids = np.asarray([row[0] for row in rows.transformers], dtype=np.int64)
        lengths = rows.line_lengths.get
        self.metres = np.asarray([lengths(line[0]) or 0.0 for line in rows.lines] or [0.0])
        #: The switches and transformers as devices, made once: (kind, id) -> Device.
        self.devices: dict[tuple[str, int], Device] = {}
        #: The source at each source's bus, by position (the lowest id, when several share one).
        self.sources: dict[int, Device] = {}
        at = self.positions([bus for *_, bus in rows.sources]).tolist()
        for position, (source_id, code, _) in sorted(zip(at, rows.sources), key=lambda s: s[1][0], reverse=True):
            self.sources[position] = Device("source", source_id, code)  # the lowest id is written last
        known = np.asarray([bus for bus in rows.customer_buses if bus is not None], dtype=np.int64)
        where = np.minimum(np.searchsorted(self.ids, known), max(size - 1, 0))
        on_grid = where[self.ids[where] == known] if size else where[:0]
        #: How many customers each bus supplies (those on buses the grid does not hold: none).
        self.customers = np.bincount(on_grid, minlength=size).astype(np.int64)

    def positions(self, bus_ids: Iterable[int]) -> np.ndarray:
        wanted = np.asarray(bus_ids if isinstance(bus_ids, list) else list(bus_ids), dtype=np.int64)
        return self.table[wanted] if self.table is not None else np.searchsorted(self.ids, wanted)


class Topology:
    """Upstream tracing and outage areas of one version of the grid.

    Built with arrays rather than a walk per bus, and after a switching from what the grid's
    previous topology holds (:meth:`switched`): a province's million and a half buses take a
    process about a second to trace again, where reading the grid and a dict per bus took
    every process 20 s after each switching (and a restoration recorded after switching traces
    the grid as it was then, under the dispatch lock).
    """

    def __init__(self, rows: GridRows, version: int = 0, grid_version: int = 0, grid: _Grid | None = None):
        self.version, self.grid_version = version, grid_version
        #: The rows it was built from (what-if questions start from them without a database read).
        self.rows = rows
        self._grid = grid or _Grid(rows)
        size = len(self._grid.ids)
        self._edge_a, self._edge_b, kind, ref = self._edges(rows)
        roots = self._roots(size)
        # One breadth-first search from a stand-in node joined to every root gives each bus its parent.
        stand_in = size
        graph = csr_matrix((np.ones(len(self._edge_a) + len(roots), dtype=np.int8),
                            (np.concatenate([self._edge_a, np.full(len(roots), stand_in)]),
                             np.concatenate([self._edge_b, roots]))), shape=(size + 1, size + 1))
        order, parent = breadth_first_order(graph, stand_in, directed=False, return_predecessors=True)
        order = order[1:]  # every bus is reached: a part no source feeds has a root of its own
        parent = parent[:size].astype(np.int64)
        is_root = parent == stand_in
        parent[is_root] = np.flatnonzero(is_root)
        self._parent = parent
        edge = self._first_edge(parent, is_root)
        fed_by = np.full(size, _PLAIN, dtype=np.int8)
        fed_by[~is_root] = kind[edge[~is_root]]  # masked: a grid of buses alone has no edge to index
        self._build_areas(rows, order, is_root, edge, fed_by, ref)
        self._measure_exposure(rows, edge, fed_by, ref)

    def switched(self, switches: list[tuple], version: int = 0) -> Topology:
        """The same grid with its switches as ``switches`` (rows as :class:`GridRows` holds them)
        say: after a switching, or as they stood at an earlier time."""
        return Topology(replace(self.rows, switches=switches), version, self.grid_version, self._grid)

    def _edges(self, rows: GridRows) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The closed edges by bus position: lines, then closed switches, then transformers (a bus
        joined to its parent twice is fed through the first); their kinds, and each one's index
        in its own list of rows."""
        closed = [index for index, row in enumerate(rows.switches) if not row[5]]
        switches = [rows.switches[index] for index in closed]
        grid = self._grid
        ends = [np.concatenate([grid.lines[end], self.positions([row[2 + end] for row in switches]),
                                grid.transformers[end]]) for end in (0, 1)]
        kind = np.concatenate([np.full(len(rows.lines), _PLAIN, dtype=np.int8),
                               np.asarray([_SWITCH if row[4] in PROTECTIVE_KINDS else _PLAIN for row in switches],
                                          dtype=np.int8),
                               np.full(len(rows.transformers), _TRANSFORMER, dtype=np.int8)])
        ref = np.concatenate([np.arange(len(rows.lines)), np.asarray(closed, dtype=np.int64),
                              np.arange(len(rows.transformers))])
        return ends[0], ends[1], kind, ref

    def _roots(self, size: int) -> np.ndarray:
        """Where tracing starts: every source's bus, then, in each part of the grid no source
        reaches, its lowest bus (an island, with no device at its top)."""
        sources = self._grid.sources
        if not size:
            return np.zeros(0, dtype=np.int64)
        graph = csr_matrix((np.ones(len(self._edge_a), dtype=np.int8), (self._edge_a, self._edge_b)), shape=(size, size))
        parts, part = connected_components(graph, directed=False)
        fed = np.zeros(parts, dtype=bool)
        fed[part[list(sources)]] = True
        lowest = np.full(parts, size, dtype=np.int64)
        np.minimum.at(lowest, part, np.arange(size))
        return np.concatenate([np.asarray(sorted(sources), dtype=np.int64), lowest[~fed]])

    def _first_edge(self, parent: np.ndarray, is_root: np.ndarray) -> np.ndarray:
        """The edge that joins each bus to its parent, the first of them when several do; -1 at a root."""
        size, count = len(parent), len(self._edge_a)
        found = np.full(size, count, dtype=np.int64)
        edges = np.arange(count)
        for child, other in ((self._edge_b, self._edge_a), (self._edge_a, self._edge_b)):
            joins = (parent[child] == other) & ~is_root[child]
            np.minimum.at(found, child[joins], edges[joins])
        found[found == count] = -1
        return found

    def _build_areas(self, rows: GridRows, order: np.ndarray, is_root: np.ndarray, edge: np.ndarray,
                     fed_by: np.ndarray, ref: np.ndarray) -> None:
        size, parent, root_device = len(self._grid.ids), self._parent, self._grid.sources
        customers = self._grid.customers.copy()
        transformers = (fed_by == _TRANSFORMER).astype(np.int64)
        # Subtree sums, the deepest buses first: a tree level at a time.
        depth = _depths(parent)
        levels = np.searchsorted(depth[order], np.arange(int(depth.max(initial=0)) + 2))
        for level in range(len(levels) - 2, 0, -1):
            below = order[levels[level]:levels[level + 1]]
            np.add.at(customers, parent[below], customers[below])
            np.add.at(transformers, parent[below], transformers[below])

        # Candidates in breadth-first order; one whose customers (and transformers) are those of the
        # area above it is in series with that area's device: the same area.
        candidate = is_root | (fed_by != _PLAIN)
        nearest = _settle(np.where(candidate, np.arange(size), parent))  # the candidate at or above each bus
        self.area_device: list[Device | None] = []
        self.area_parent: list[int | None] = []
        self.area_customers: list[int] = []
        self.area_transformers: list[int] = []
        #: True for an area that is a transformer or lies below one (inside an LV area): where its
        #: top bus lies, or its transformer when one in series names it.
        self.area_in_lv: list[bool] = []
        #: The source feeding each area (None on an island no source reaches).
        self.area_source: list[int | None] = []
        self.area_of_device: dict[tuple[str, int], int] = {}
        area_at: dict[int, int] = {}
        source_of_root = {bus: device.id for bus, device in root_device.items()}
        devices = self._grid.devices
        root_of = _settle(parent)
        # The candidates' own values, as Python lists: a hundred thousand, not every bus.
        buses = order[candidate[order]]
        rows_of = np.full(len(buses), -1, dtype=np.int64)
        fed = edge[buses] >= 0
        rows_of[fed] = ref[edge[buses][fed]]
        # Inside an LV area is where the bus lies (below a transformer), whatever order siblings come in.
        below_transformer = fed_by == _TRANSFORMER
        own = np.full(size, -1, dtype=np.int64)
        own[below_transformer] = self._grid.transformer_ids[ref[edge[below_transformer]]]
        self._transformer = own[_settle(np.where(is_root | below_transformer, np.arange(size), parent))]
        columns = zip(buses.tolist(), fed_by[buses].tolist(), rows_of.tolist(), nearest[parent[buses]].tolist(),
                      customers[buses].tolist(), transformers[buses].tolist(), root_of[buses].tolist(),
                      (self._transformer[buses] >= 0).tolist())
        for bus, kind, row_index, nearest_above, bus_customers, bus_transformers, root, in_lv in columns:
            if row_index < 0:
                device, above = root_device.get(bus), None
            else:
                row = rows.switches[row_index] if kind == _SWITCH else rows.transformers[row_index]
                key = ("switch" if kind == _SWITCH else "transformer", row[0])
                device = devices.get(key) or devices.setdefault(key, Device(*key, row[1]))
                above = area_at[nearest_above]
            if above is not None and self.area_customers[above] == bus_customers > 0 \
                    and self.area_transformers[above] == bus_transformers:
                area = above
                named = self.area_device[area]
                if device.kind == "transformer" or (named is not None and named.kind == "source"):
                    self.area_device[area] = device
                    self.area_in_lv[area] = in_lv
            else:
                area = len(self.area_device)
                self.area_device.append(device)
                self.area_parent.append(above)
                self.area_customers.append(bus_customers)
                self.area_transformers.append(bus_transformers)
                self.area_in_lv.append(in_lv)
                self.area_source.append(source_of_root.get(root))
            area_at[bus] = area
            if device is not None:
                self.area_of_device[(device.kind, device.id)] = area
        by_candidate = np.full(size, -1, dtype=np.int64)
        by_candidate[list(area_at)] = list(area_at.values())
        #: Each bus's smallest outage area, its transformer (-1: none) and its source (-1: an island).
        self._area = by_candidate[nearest]
        root_source = np.full(size, -1, dtype=np.int64)
        root_source[list(source_of_root)] = list(source_of_root.values())
        self._source = root_source[root_of]
        self.area_depth: list[int] = []
        for area, above in enumerate(self.area_parent):  # parents come first
            self.area_depth.append(0 if above is None else self.area_depth[above] + 1)

    def _measure_exposure(self, rows: GridRows, edge: np.ndarray, fed_by: np.ndarray, ref: np.ndarray) -> None:
        """Kilometres of line and transformers in each area: an edge belongs to the area of its
        downstream bus (the smallest area whose device clears a fault on it)."""
        areas = len(self.area_device)
        by_line = np.flatnonzero((edge >= 0) & (edge < len(rows.lines)))
        metres = self._grid.metres
        self.area_line_km: list[float] = np.bincount(self._area[by_line], weights=metres[ref[edge[by_line]]] / 1000,
                                                     minlength=areas).tolist()
        self.area_transformer_count: list[int] = np.bincount(self._area[fed_by == _TRANSFORMER],
                                                             minlength=areas).tolist()

    # -- questions about a bus -------------------------------------------------------------------

    def positions(self, bus_ids: Iterable[int]) -> np.ndarray:
        """Where buses stand in the arrays (ascending id order). Only for ids the grid holds: an
        unknown id raises or, when the ids are too sparse for a table, stands for its neighbour."""
        return self._grid.positions(bus_ids)

    def _position(self, bus: int | None) -> int | None:
        if bus is None:
            return None
        grid = self._grid
        if grid.table is not None:
            at = int(grid.table[bus]) if 0 <= bus < len(grid.table) else -1
            return at if at >= 0 else None
        at = int(np.searchsorted(grid.ids, bus))
        return at if at < len(grid.ids) and grid.ids[at] == bus else None

    def area_of_bus(self, bus: int | None) -> int | None:
        """The smallest outage area that takes ``bus`` off supply."""
        at = self._position(bus)
        return None if at is None else int(self._area[at])

    def transformer_of_bus(self, bus: int | None) -> int | None:
        """The distribution transformer feeding ``bus`` (None on MV or an island)."""
        at = self._position(bus)
        return None if at is None or self._transformer[at] < 0 else int(self._transformer[at])

    def source_of_bus(self, bus: int | None) -> int | None:
        """The source feeding ``bus`` (None on an island no source reaches, or off the grid)."""
        at = self._position(bus)
        return None if at is None or self._source[at] < 0 else int(self._source[at])

    def downstream_bus(self, a: int, b: int) -> int:
        """Of two buses joined by an edge, the one fed through the other."""
        at, other = self._position(a), self._position(b)
        return a if at is not None and other is not None and at != other and self._parent[at] == other else b

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
        inside = np.zeros(len(self.area_parent), dtype=bool)
        inside[list(below)] = True
        return self._grid.ids[inside[self._area]].tolist()

    # -- what if: supply with switches set otherwise ----------------------------------------------

    @cached_property
    def _network(self) -> dict[str, Any]:
        """The grid as index arrays, built once per topology: switching questions then cost a
        sparse graph search, not a rebuild."""
        rows, grid = self.rows, self._grid
        root = len(grid.ids)  # one node standing for every source at once
        sources = self.positions([bus for *_, bus in rows.sources])
        return {
            "fixed": np.column_stack([np.concatenate([grid.lines[0], grid.transformers[0], np.full(len(sources), root)]),
                                      np.concatenate([grid.lines[1], grid.transformers[1], sources])]),
            "switches": np.column_stack([self.positions([row[2] for row in rows.switches]),
                                         self.positions([row[3] for row in rows.switches])]),
            "open": np.array([is_open for *_, is_open in rows.switches], dtype=bool),
            "switch_index": {code: i for i, (_, code, *_) in enumerate(rows.switches)},
            "customers": self._grid.customers,
        }

    def has_switch(self, code: str) -> bool:
        return code in self._network["switch_index"]

    def energized(self, switches: dict[str, bool] | None = None) -> np.ndarray:
        """Which buses (a mask in ascending id order, as :meth:`positions`) a source reaches through lines, closed
        switches and transformers, with ``switches`` (code: is open) set as given."""
        network = self._network
        is_open = network["open"].copy()
        for code, state in (switches or {}).items():
            is_open[network["switch_index"][code]] = state
        ends = np.concatenate([network["fixed"], network["switches"][~is_open]])
        size = len(self._grid.ids) + 1
        graph = csr_matrix((np.ones(len(ends), dtype=np.int8), (ends[:, 0], ends[:, 1])), shape=(size, size))
        mask = np.zeros(size, dtype=bool)
        mask[breadth_first_order(graph, size - 1, directed=False, return_predecessors=False)] = True
        return mask[:-1]

    def customers_at(self, mask: np.ndarray) -> int:
        """How many customers are supplied from the buses of ``mask``."""
        return int(self._network["customers"][mask].sum())

    def buses_of(self, mask: np.ndarray) -> list[int]:
        return self._grid.ids[mask].tolist()

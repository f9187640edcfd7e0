"""Exact driving times at province scale: a Customizable Contraction Hierarchy (CCH).

One Dijkstra over the whole graph per fault (graph.py) costs ~50 ms at a million edges and grows
with the graph; a province's dispatch needs every crew's exact time to a fault in a few
milliseconds. RoutingKit's CCH (the ``routingkit-cch`` bindings) answers in three phases:

* an order of the nodes by nested dissection of their positions (inertial flow) and the
  contraction built on it: the slow part (about a minute at two million edges), done once per road
  network (:class:`RoadHierarchy`, rebuilt only when an import changes the roads);
* customisation with travel times: under a second at two million edges, done again whenever a
  closure is set, lifted or runs out (a closed road's arcs get RoutingKit's infinite weight) by
  making a new :class:`HierarchyGraph`; the hierarchy is kept;
* queries: the times from every crew to a fault (or from a crew to every waiting incident) in one
  sweep of the crews' and the fault's ancestors in the hierarchy, and a fastest path with its arcs.

Answers are exact: CCH finds the same shortest distances as Dijkstra on the same weights. Weights
are whole milliseconds per arc (RoutingKit's are integers), so a time can differ from graph.py's
float seconds by at most half a millisecond per road on the way, far below the tenth of a second
dispatch shows. tests/routing/test_hierarchy.py checks every answer against SciPy's Dijkstra
(graph.py, on the same millisecond weights), on the town and on a province of two million edges.

A search holds per-search state (arrays the size of the graph), so each is used by one thread at a
time: a graph keeps the searches not in use and lends them out, as many as were ever in use at once
(not one per thread: a worker has hundreds). A graph, its hierarchy and its customised weights are
read-only once made, so every thread of a worker shares them, and workers forked from a master that built them share their memory pages (README, "Routing
at province scale").
"""
from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np
import routingkit_cch as rk
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from dispatch.routing.graph import DirectedEdges

#: RoutingKit's infinite weight: an arc that has it does not exist (a closed road).
INF_WEIGHT = 2**31 - 1


class RoadHierarchy:
    """The roads' contraction hierarchy: node order and shortcuts, independent of travel times."""

    def __init__(self, edges: DirectedEdges, lon: np.ndarray, lat: np.ndarray):
        """``lon``/``lat``: every node's position, in the order of ``np.unique`` of the edges' nodes."""
        self.node_ids = np.unique(np.concatenate([edges.source, edges.target]))
        self.tail = np.searchsorted(self.node_ids, edges.source).astype(np.uint32)
        self.head = np.searchsorted(self.node_ids, edges.target).astype(np.uint32)
        #: Each arc's travel time in whole milliseconds (0 for a zero-length road).
        self.weights_ms = np.minimum(np.rint(edges.seconds * 1000), INF_WEIGHT - 1).astype(np.uint32)
        self.road = edges.road
        # Arcs grouped by road, for closing roads: arcs_of_road[road_start[i]:road_start[i+1]].
        self._by_road = np.argsort(self.road, kind="stable")
        self._roads = self.road[self._by_road]
        order = rk.compute_order_inertial(len(self.node_ids), self.tail, self.head, lat, lon) \
            if len(self.node_ids) else []
        self.cch = rk.CCH(order, self.tail, self.head, False)

    @property
    def arc_count(self) -> int:
        return len(self.tail)

    def arcs_of(self, road_ids: np.ndarray) -> np.ndarray:
        """The arcs (one per direction driven) of the given roads."""
        roads = np.asarray(road_ids, dtype=np.int64)
        start = np.searchsorted(self._roads, roads, side="left")
        end = np.searchsorted(self._roads, roads, side="right")
        return self._by_road[np.concatenate([np.arange(a, b) for a, b in zip(start, end)] or [np.array([], int)])]

    def weights(self, closed_roads: np.ndarray) -> np.ndarray:
        """Arc weights with the closed roads' arcs infinite."""
        weights = self.weights_ms.copy()
        weights[self.arcs_of(closed_roads)] = INF_WEIGHT
        return weights


#: The hierarchy last built in this process: a worker forked from a master that built it shares its
#: pages, and another cache (another app in the same process, a test's) reuses it.
_latest: tuple[bytes, RoadHierarchy] | None = None
_building = threading.Lock()


def hierarchy_for(edges: DirectedEdges,
                  positions: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]) -> RoadHierarchy:
    """The hierarchy of ``edges``: the one built last if it was of the very same edges, else a new one
    (``positions(node_ids)`` gives the nodes' longitudes and latitudes for its order)."""
    global _latest
    digest = hashlib.blake2b(digest_size=20)
    for column in (edges.source, edges.target, edges.seconds, edges.road):
        digest.update(np.ascontiguousarray(column).tobytes())
    key = digest.digest()
    with _building:
        if _latest is None or _latest[0] != key:
            node_ids = np.unique(np.concatenate([edges.source, edges.target]))
            _latest = (key, RoadHierarchy(edges, *positions(node_ids)))
        return _latest[1]


class HierarchyGraph:
    """The road graph at one road version: the hierarchy customised with the roads open then. It
    answers what :class:`~dispatch.routing.graph.RoadGraph` does, the same way."""

    def __init__(self, hierarchy: RoadHierarchy, closed_roads: np.ndarray | None = None, version: int = 0):
        self.version = version
        self.hierarchy = hierarchy
        #: Snapped nodes of fixed places (depots), valid for this graph only.
        self.snapped: dict[tuple[float, float], int | None] = {}
        self.node_ids = hierarchy.node_ids
        self.weights_ms = hierarchy.weights(np.array([], np.int64) if closed_roads is None else closed_roads)
        self.metric = rk.CCHMetric(hierarchy.cch, self.weights_ms)
        #: Searches not in use, by kind, each with the nodes it is pinned to.
        self._idle: dict[str, list[list]] = {"to_target": [], "from_source": [], "route": []}
        self._idle_lock = threading.Lock()

    @property
    def edge_count(self) -> int:
        """Open arcs (parallel ones counted each)."""
        return int(np.count_nonzero(self.weights_ms < INF_WEIGHT))

    def index_of(self, node_ids: np.ndarray | list[int]) -> np.ndarray:
        """Graph indices of stored node ids (-1 for a node not in the graph)."""
        ids = np.asarray(node_ids, dtype=np.int64)
        if len(self.node_ids) == 0:
            return np.full(len(ids), -1)
        found = np.minimum(np.searchsorted(self.node_ids, ids), len(self.node_ids) - 1)
        return np.where(self.node_ids[found] == ids, found, -1)

    def seconds_to(self, target_node: int, from_nodes: list[int], limit: float = np.inf) -> np.ndarray:
        """Shortest driving seconds from each of ``from_nodes`` to ``target_node`` (inf: no way, or
        farther than ``limit``)."""
        target = self.index_of([target_node])[0]
        sources = self.index_of(from_nodes)
        known = sources >= 0
        times = np.full(len(sources), np.inf)
        if target < 0 or not known.any():
            return times
        with self._search("to_target", sources[known]) as search:
            times[known] = _seconds(search.distances_to(int(target)))
        return np.where(times <= limit, times, np.inf)

    def seconds_from(self, from_node: int, to_nodes: list[int], limit: float = np.inf) -> np.ndarray:
        """Shortest driving seconds from ``from_node`` to each of ``to_nodes`` (inf: no way, or
        farther than ``limit``)."""
        start = self.index_of([from_node])[0]
        targets = self.index_of(to_nodes)
        known = targets >= 0
        times = np.full(len(targets), np.inf)
        if start < 0 or not known.any():
            return times
        with self._search("from_source", targets[known]) as search:
            times[known] = _seconds(search.distances_from(int(start)))
        return np.where(times <= limit, times, np.inf)

    def route(self, from_node: int, to_node: int) -> tuple[float, list[int], list[int]]:
        """(seconds, stored node ids along the way, roads used) of the fastest way; inf when none."""
        start, end = self.index_of([from_node, to_node])
        if start < 0 or end < 0:
            return np.inf, [], []
        if start == end:
            return 0.0, [int(self.node_ids[start])], []
        with self._search("route") as query:
            found = query.run(int(start), int(end))
            if found.distance is None:
                return np.inf, [], []
            return (found.distance / 1000, self.node_ids[found.node_path].tolist(),
                    self.hierarchy.road[found.arc_path].tolist())

    def strongly_connected(self) -> tuple[int, np.ndarray]:
        """(number of strongly connected components of the open roads, whether each node is in the largest)."""
        n = len(self.node_ids)
        open_arcs = self.weights_ms < INF_WEIGHT
        adjacency = csr_matrix((np.ones(int(open_arcs.sum())), (self.hierarchy.tail[open_arcs],
                                                                 self.hierarchy.head[open_arcs])), shape=(n, n))
        count, labels = connected_components(adjacency, directed=True, connection="strong")
        return count, labels == np.bincount(labels).argmax()

    @contextmanager
    def _search(self, kind: str, nodes: np.ndarray | None = None) -> Iterator:
        """A search of ``kind`` for this thread alone: a many-to-one (``to_target``) or one-to-many
        (``from_source``) search pinned to ``nodes``, or a point-to-point one (``route``). An idle one
        already pinned to the same nodes is preferred (the same crews, fault after fault), another
        is re-pinned, a new one made only when all are in use."""
        key = b"" if nodes is None else nodes.tobytes()
        with self._idle_lock:
            idle = self._idle[kind]
            held = next((h for h in idle if h[1] == key), idle[-1] if idle else None)
            if held is not None:
                idle.remove(held)
        if held is None:
            made = {"to_target": rk.CCHManyToOne, "from_source": rk.CCHOneToMany}.get(kind)
            held = [rk.CCHQuery(self.metric) if made is None else made(self.metric, nodes.tolist()), key]
        elif held[1] != key:
            (held[0].repin_sources if kind == "to_target" else held[0].repin_targets)(nodes.tolist())
            held[1] = key
        try:
            yield held[0]
        finally:
            with self._idle_lock:
                self._idle[kind].append(held)


def _seconds(distances: list[int | None]) -> np.ndarray:
    return np.array([np.inf if d is None else d / 1000 for d in distances])

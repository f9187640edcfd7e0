"""Exact driving times at province scale: a Customizable Contraction Hierarchy (CCH).

One Dijkstra over the whole graph per fault (graph.py) costs ~50 ms at a million edges and grows
with the graph; a province's dispatch needs every crew's exact time to a fault in a few
milliseconds. RoutingKit's CCH (the ``routingkit-cch`` bindings) answers in three phases:

* an order of the nodes by nested dissection of their positions (inertial flow) and the
  contraction built on it: the slow part (25-30 s of CPU at two million edges), done once per road
  network (:class:`RoadHierarchy`, rebuilt only when an import changes the roads);
* customisation with travel times: ~0.2 s of CPU at two million edges, once; when a closure is
  set, lifted or runs out, only the arcs of the roads it closes or opens are re-customised (a closed
  road's arcs get RoutingKit's infinite weight): ~6 ms for 20 roads (:meth:`HierarchyGraph.reweighted`);
* queries: the times from every crew to a fault (or from a crew to every waiting incident) in one
  sweep of the crews' and the fault's ancestors in the hierarchy, and a fastest path with its arcs.

Answers are exact: CCH finds the same shortest distances as Dijkstra on the same weights. Weights
are whole milliseconds per arc (RoutingKit's are integers), so a time can differ from graph.py's
float seconds by at most half a millisecond per road on the way, far below the tenth of a second
dispatch shows. tests/routing/test_hierarchy.py checks every answer against SciPy's Dijkstra
(graph.py, on the same millisecond weights), on the town and on a province of two million edges.

A search holds per-search state (arrays the size of the graph) and the bindings let only the thread
that made it use or free it, so every search of a process runs on one thread of its own
(:class:`SearchThread`): one set of searches per process, not one per request thread (a gthread
worker has hundreds). A worker's searches run one after another, a few milliseconds each; more
workers use more cores. A graph, its hierarchy and its customised weights are read-only once made,
so every thread of a worker shares them, and workers forked from a master that built them share
their memory pages (README, "Routing at province scale").
"""
from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np
import routingkit_cch as rk
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from dispatch.routing.graph import DirectedEdges, indices_of

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
        # No roads at all: no hierarchy (RoutingKit dies of a division by zero on an empty graph).
        self.cch = rk.CCH(rk.compute_order_inertial(len(self.node_ids), self.tail, self.head, lat, lon),
                          self.tail, self.head, False) if len(self.node_ids) else None

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

    def __init__(self, hierarchy: RoadHierarchy, closed_roads: np.ndarray | None = None, version: int = 0,
                 metric: rk.CCHMetric | None = None):
        """A whole customisation (~0.2 s of CPU at two million edges), unless given the ``metric``
        already customised with these closed roads (:meth:`reweighted`)."""
        self.version = version
        self.hierarchy = hierarchy
        #: Snapped nodes of fixed places (depots), valid for this graph only.
        self.snapped: dict[tuple[float, float], int | None] = {}
        self.node_ids = hierarchy.node_ids
        self.weights_ms = hierarchy.weights(np.array([], np.int64) if closed_roads is None else closed_roads)
        if metric is None and hierarchy.cch is not None:
            metric = rk.CCHMetric(hierarchy.cch, self.weights_ms)
        self.metric = metric

    def reweighted(self, closed_roads: np.ndarray, version: int) -> HierarchyGraph:
        """The graph with ``closed_roads`` closed instead, its weights changed in place, arc by arc
        (RoutingKit's partial customisation: ~6 ms for 20 roads at two million
        edges). It takes this graph's weights over: a search still asked of this graph answers with
        the new ones, as the newer graph would (only its ``weights_ms`` and ``edge_count`` stay)."""
        weights = self.hierarchy.weights(closed_roads)
        changed = np.nonzero(weights != self.weights_ms)[0]
        if self.metric is not None and len(changed):
            updates = dict(zip(changed.tolist(), weights[changed].tolist()))
            SEARCHES.run(lambda: SEARCHES.update(self.hierarchy, self.metric, updates))
        return HierarchyGraph(self.hierarchy, closed_roads, version, self.metric)

    @property
    def edge_count(self) -> int:
        """Open arcs (parallel ones counted each)."""
        return int(np.count_nonzero(self.weights_ms < INF_WEIGHT))

    def index_of(self, node_ids: np.ndarray | list[int]) -> np.ndarray:
        """Graph indices of stored node ids (-1 for a node not in the graph)."""
        return indices_of(self.node_ids, node_ids)

    def seconds_to(self, target_node: int, from_nodes: list[int], limit: float = np.inf) -> np.ndarray:
        """Shortest driving seconds from each of ``from_nodes`` to ``target_node`` (inf: no way, or
        farther than ``limit``)."""
        return self._times("to_target", target_node, from_nodes, limit)

    def seconds_from(self, from_node: int, to_nodes: list[int], limit: float = np.inf) -> np.ndarray:
        """Shortest driving seconds from ``from_node`` to each of ``to_nodes`` (inf: no way, or
        farther than ``limit``)."""
        return self._times("from_source", from_node, to_nodes, limit)

    def seconds_from_nearest(self, from_nodes: list[int], to_nodes: list[int], limit: float = np.inf) -> np.ndarray:
        """Shortest driving seconds to each of ``to_nodes`` from the nearest of ``from_nodes`` (inf:
        no way, or farther than ``limit``): one search from all of them at once, where a search per
        origin would cost as many (a sweep's fastest qualified crew to each of thousands of
        waiting incidents: one search per set of skills, not one per crew)."""
        sources = sorted({int(i) for i in self.index_of(from_nodes) if i >= 0})
        pinned = self.index_of(to_nodes)
        known = pinned >= 0
        times = np.full(len(pinned), np.inf)
        if not sources or not known.any():
            return times
        times[known] = SEARCHES.run(lambda: _seconds(
            self._search("from_source", pinned[known]).distances_from_multi([(s, 0) for s in sources])))
        return np.where(times <= limit, times, np.inf)

    def _times(self, direction: str, one: int, many: list[int], limit: float) -> np.ndarray:
        """One search between the node ``one`` and the pinned ``many``: towards ``one`` for
        "to_target", from it for "from_source"."""
        anchor = self.index_of([one])[0]
        pinned = self.index_of(many)
        known = pinned >= 0
        times = np.full(len(pinned), np.inf)
        if anchor < 0 or not known.any():
            return times
        distances = "distances_to" if direction == "to_target" else "distances_from"
        times[known] = SEARCHES.run(
            lambda: _seconds(getattr(self._search(direction, pinned[known]), distances)(int(anchor))))
        return np.where(times <= limit, times, np.inf)

    def route(self, from_node: int, to_node: int) -> tuple[float, list[int], list[int]]:
        """(seconds, stored node ids along the way, roads used) of the fastest way; inf when none."""
        start, end = self.index_of([from_node, to_node])
        if start < 0 or end < 0:
            return np.inf, [], []
        if start == end:
            return 0.0, [int(self.node_ids[start])], []

        def fastest():
            found = self._search("route").run(int(start), int(end))
            return found.distance, np.array(found.node_path, dtype=np.int64), np.array(found.arc_path, dtype=np.int64)

        distance, path, arcs = SEARCHES.run(fastest)
        if distance is None:
            return np.inf, [], []
        return distance / 1000, self.node_ids[path].tolist(), self.hierarchy.road[arcs].tolist()

    def strongly_connected(self) -> tuple[int, np.ndarray]:
        """(number of strongly connected components of the open roads, whether each node is in the largest)."""
        n = len(self.node_ids)
        open_arcs = self.weights_ms < INF_WEIGHT
        adjacency = csr_matrix((np.ones(int(open_arcs.sum())), (self.hierarchy.tail[open_arcs],
                                                                 self.hierarchy.head[open_arcs])), shape=(n, n))
        count, labels = connected_components(adjacency, directed=True, connection="strong")
        return count, labels == np.bincount(labels).argmax()

    def _search(self, kind: str, nodes: np.ndarray | None = None):
        """On the search thread: its many-to-one (``to_target``) or one-to-many (``from_source``)
        search on this graph pinned to ``nodes`` (kept while the same nodes are asked for again: the
        same crews, fault after fault), or its point-to-point one (``route``)."""
        held = SEARCHES.held(self)
        key = b"" if nodes is None else nodes.tobytes()
        if kind not in held:
            made = {"to_target": rk.CCHManyToOne, "from_source": rk.CCHOneToMany}.get(kind)
            held[kind] = [rk.CCHQuery(self.metric) if made is None else made(self.metric, nodes.tolist()), key]
        elif held[kind][1] != key:
            (held[kind][0].repin_sources if kind == "to_target" else held[kind][0].repin_targets)(nodes.tolist())
            held[kind][1] = key
        return held[kind][0]


class SearchThread:
    """The thread of this process that runs every search, and the searches it holds: those of the
    graph last searched (a search on an older graph is freed, on this thread, when a newer one is
    first searched). Started in each process on first use (a thread does not survive a fork)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._executor: ThreadPoolExecutor | None = None
        #: The searches and their graph, as the search thread's own: freed on it when it ends.
        self._local = threading.local()
        # A forked child frees the other threads' data on its own thread: free the searches first.
        os.register_at_fork(before=self._forget_before_fork)

    def run(self, job: Callable[[], Any]) -> Any:
        """``job()`` on the search thread; its result (or its exception)."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._executor = os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="road-search")
        return self._executor.submit(job).result()

    def _forget_before_fork(self) -> None:
        if self._executor is not None and self._pid == os.getpid():
            self._executor.submit(lambda: self._local.__dict__.clear()).result()  # run there, its own dict

    def update(self, hierarchy: RoadHierarchy, metric: rk.CCHMetric, weights: dict[int, int]) -> None:
        """On the search thread: change arcs' ``weights`` in ``metric``, its searches freed first
        (RoutingKit refuses to change weights a search is using)."""
        self._local.searches, self._local.graph = {}, None
        if getattr(self._local, "updater", (None,))[0] is not hierarchy:
            self._local.updater = (hierarchy, rk.CCHMetricPartialUpdater(hierarchy.cch))
        self._local.updater[1].apply(metric, weights)

    def held(self, graph: HierarchyGraph) -> dict[str, list]:
        """On the search thread: the searches made on ``graph``, by kind (with their pinned nodes)."""
        if getattr(self._local, "graph", None) is not graph:
            self._local.searches = {}  # the older graph's are freed here, on the thread that made them
            self._local.graph = graph
        return self._local.searches


SEARCHES = SearchThread()


def _seconds(distances: list[int | None]) -> np.ndarray:
    return np.array([np.inf if d is None else d / 1000 for d in distances])

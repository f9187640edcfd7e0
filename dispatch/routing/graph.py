"""The road graph as a sparse matrix, and exact shortest driving times on it by Dijkstra.

Directed edges come from the stored roads (a two-way road gives two). They are held as a
compressed sparse row matrix, so that one Dijkstra from the fault over the *reversed* graph gives
every crew's driving time to it at once (SciPy's compiled Dijkstra: 1.7 ms on a city of 31k edges,
but 80-125 ms at two million). Parallel edges keep the fastest.

Dispatch routes on the contraction hierarchy (hierarchy.py), milliseconds at province scale. This
engine stays for two things: the import's check of the network's strongly connected parts, and
the independent shortest path the hierarchy's answers are tested against (tests/routing/) and
measured beside (bench/routing.py, bench/routing_province.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra


@dataclass(frozen=True)
class DirectedEdges:
    """Edges as parallel arrays: stored node ids, travel seconds, and the road each comes from."""

    source: np.ndarray
    target: np.ndarray
    seconds: np.ndarray
    road: np.ndarray


def indices_of(graph_nodes: np.ndarray, node_ids: np.ndarray | list[int]) -> np.ndarray:
    """Positions in ``graph_nodes`` (a graph's sorted stored node ids) of ``node_ids``; -1 for a node
    not in the graph (or a graph without roads at all)."""
    ids = np.asarray(node_ids, dtype=np.int64)
    if len(graph_nodes) == 0:
        return np.full(len(ids), -1)
    found = np.minimum(np.searchsorted(graph_nodes, ids), len(graph_nodes) - 1)
    return np.where(graph_nodes[found] == ids, found, -1)


class RoadGraph:
    def __init__(self, edges: DirectedEdges, version: int = 0):
        self.version = version
        #: Snapped nodes of fixed places (depots), valid for this graph only.
        self.snapped: dict[tuple[float, float], int | None] = {}
        self.node_ids = np.unique(np.concatenate([edges.source, edges.target]))
        u = np.searchsorted(self.node_ids, edges.source)
        v = np.searchsorted(self.node_ids, edges.target)
        # Keep the fastest of parallel edges: sort by (u, v, seconds) and take each pair's first.
        order = np.lexsort((edges.seconds, v, u))
        u, v, seconds, road = u[order], v[order], edges.seconds[order], edges.road[order]
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        self._u, self._v, self._seconds, self._road = u[first], v[first], seconds[first], road[first]
        n = len(self.node_ids)
        # Dijkstra treats explicit zeros as missing edges; a zero-length edge costs a microsecond.
        weights = np.maximum(self._seconds, 1e-6)
        self.forward = csr_matrix((weights, (self._u, self._v)), shape=(n, n))
        self.backward = self.forward.T.tocsr()

    @property
    def edge_count(self) -> int:
        return len(self._u)

    def index_of(self, node_ids: np.ndarray | list[int]) -> np.ndarray:
        """Graph indices of stored node ids (-1 for a node not in the graph)."""
        return indices_of(self.node_ids, node_ids)

    def seconds_to(self, target_node: int, from_nodes: list[int], limit: float = np.inf) -> np.ndarray:
        """Shortest driving seconds from each of ``from_nodes`` to ``target_node`` (inf: no way, or
        farther than ``limit``: the search stops there)."""
        target = self.index_of([target_node])[0]
        sources = self.index_of(from_nodes)
        if target < 0:
            return np.full(len(from_nodes), np.inf)
        times = dijkstra(self.backward, directed=True, indices=int(target), limit=limit)
        return np.where(sources >= 0, times[np.maximum(sources, 0)], np.inf)

    def seconds_from(self, from_node: int, to_nodes: list[int], limit: float = np.inf) -> np.ndarray:
        """Shortest driving seconds from ``from_node`` to each of ``to_nodes`` (inf: no way, or
        farther than ``limit``)."""
        start = self.index_of([from_node])[0]
        targets = self.index_of(to_nodes)
        if start < 0:
            return np.full(len(to_nodes), np.inf)
        times = dijkstra(self.forward, directed=True, indices=int(start), limit=limit)
        return np.where(targets >= 0, times[np.maximum(targets, 0)], np.inf)

    def route(self, from_node: int, to_node: int) -> tuple[float, list[int], list[int]]:
        """(seconds, stored node ids along the way, roads used) of the fastest way; inf when none."""
        start, end = self.index_of([from_node, to_node])
        if start < 0 or end < 0:
            return np.inf, [], []
        times, previous = dijkstra(self.forward, directed=True, indices=int(start), return_predecessors=True)
        if not np.isfinite(times[end]):
            return np.inf, [], []
        path = [int(end)]
        while path[-1] != start:
            path.append(int(previous[path[-1]]))
        path.reverse()
        roads = [int(self._road[self._edge_index(a, b)]) for a, b in zip(path, path[1:])]
        return float(times[end]), [int(self.node_ids[i]) for i in path], roads

    def _edge_index(self, a: int, b: int) -> int:
        """Position of edge a -> b in the sorted edge arrays (the matrix rows follow that order)."""
        lo, hi = self.forward.indptr[a], self.forward.indptr[a + 1]
        return int(lo + np.nonzero(self._v[lo:hi] == b)[0][0])

    def strongly_connected(self) -> tuple[int, np.ndarray]:
        """(number of strongly connected components, whether each node is in the largest)."""
        count, labels = connected_components(self.forward, directed=True, connection="strong")
        largest = np.bincount(labels).argmax()
        return count, labels == largest

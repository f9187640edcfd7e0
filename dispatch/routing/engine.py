"""Each worker's road graph, kept current with imports and closures, and what dispatch asks of it."""
from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.routing import store
from dispatch.routing.hierarchy import HierarchyGraph, RoadHierarchy, hierarchy_for
from dispatch.routing.speeds import speed_table


class RoadGraphCache:
    """One road graph per worker, made anew when the stored road version moves on (an import, a
    closure set or lifted, by any worker) or when a closure runs out. Only an import that changes
    the roads (the road network version) rebuilds the contraction hierarchy; a closure only
    re-customises the weights of the arcs it closes or opens (dispatch/routing/hierarchy.py)."""

    def __init__(self, speeds_kmh: dict[str, float] | None = None):
        self.speeds = speeds_kmh or speed_table()
        self._hierarchy: RoadHierarchy | None = None
        self._network_version: int | None = None
        self._graph: HierarchyGraph | None = None
        self._stale_at: datetime | None = None
        self._lock = threading.Lock()

    def current(self, session: Session) -> HierarchyGraph:
        connection = session.connection()
        now = clock.now()
        version, network_version, next_expiry = store.road_version(connection, now)
        with self._lock:
            expired = self._stale_at is not None and now >= self._stale_at
            if self._graph is None or self._graph.version != version or expired:
                if self._hierarchy is None or self._network_version != network_version:
                    self._hierarchy = hierarchy_for(store.directed_edges(connection, self.speeds, open_at=None),
                                                    lambda node_ids: store.node_positions(connection, node_ids))
                    self._network_version = network_version
                closed = store.closed_roads(connection, now)
                if self._graph is not None and self._graph.hierarchy is self._hierarchy:
                    self._graph = self._graph.reweighted(closed, version)  # only the arcs that changed
                else:
                    self._graph = HierarchyGraph(self._hierarchy, closed, version)
                self._stale_at = next_expiry
            return self._graph

"""Each worker's road graph, kept current with imports and closures, and what dispatch asks of it."""
from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.routing import store
from dispatch.routing.graph import RoadGraph
from dispatch.routing.speeds import speed_table


class RoadGraphCache:
    """One road graph per worker, rebuilt when the stored road version moves on (an import, a
    closure opened or lifted, by any worker) or when a closure runs out."""

    def __init__(self, speeds_kmh: dict[str, float] | None = None):
        self.speeds = speeds_kmh or speed_table()
        self._graph: RoadGraph | None = None
        self._stale_at: datetime | None = None
        self._lock = threading.Lock()

    def current(self, session: Session) -> RoadGraph:
        connection = session.connection()
        now = clock.now()
        version, next_expiry = store.road_version(connection, now)
        with self._lock:
            expired = self._stale_at is not None and now >= self._stale_at
            if self._graph is None or self._graph.version != version or expired:
                self._graph = RoadGraph(store.directed_edges(connection, self.speeds, open_at=now), version)
                self._stale_at = next_expiry
            return self._graph

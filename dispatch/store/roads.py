"""The road network as the routing engine needs it."""
from __future__ import annotations

import numpy as np
from sqlalchemy import Connection, text

from dispatch.routing.graph import DirectedEdges
from dispatch.routing.speeds import FALLBACK_KMH


def directed_edges(connection: Connection, speeds_kmh: dict[str, float]) -> DirectedEdges:
    """Every drivable direction of every road, with its travel time."""
    rows = connection.execute(text(
        "SELECT id, source_node_id, target_node_id, oneway, highway, coalesce(maxspeed_kmh, 0), length_m "
        "FROM roads")).all()
    if not rows:
        empty = np.array([], dtype=np.int64)
        return DirectedEdges(empty, empty, np.array([], dtype=float), empty)
    road, a, b, oneway, highway, maxspeed, length = (np.array(column) for column in zip(*rows))
    class_speed = np.array([speeds_kmh.get(h, FALLBACK_KMH) for h in highway])
    seconds = length.astype(float) / (np.where(maxspeed > 0, maxspeed, class_speed) / 3.6)
    ahead, back = oneway != "-1", oneway != "yes"
    return DirectedEdges(
        source=np.concatenate([a[ahead], b[back]]).astype(np.int64),
        target=np.concatenate([b[ahead], a[back]]).astype(np.int64),
        seconds=np.concatenate([seconds[ahead], seconds[back]]),
        road=np.concatenate([road[ahead], road[back]]).astype(np.int64),
    )

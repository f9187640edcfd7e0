"""The road network as the routing engine needs it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.routing.graph import DirectedEdges
from dispatch.routing.speeds import FALLBACK_KMH

#: A closure in force at ``:now`` (the application's clock, read when asked: a long transaction
#: must see a closure run out when it does): not reopened and not run out.
ACTIVE = "reopened_at IS NULL AND (until IS NULL OR until > :now)"
#: A position farther than this from every road is not placed on the road graph.
MAX_SNAP_M = 1000
POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"


def directed_edges(connection: Connection, speeds_kmh: dict[str, float], *, open_at: datetime | None) -> DirectedEdges:
    """Every drivable direction of every road open at ``open_at`` (of every road, closed or not,
    when it is None), with its travel time."""
    closed = "" if open_at is None else \
        f"WHERE id NOT IN (SELECT unnest(road_ids) FROM road_closures WHERE {ACTIVE})"
    rows = connection.execute(text(
        "SELECT id, source_node_id, target_node_id, oneway, highway, coalesce(maxspeed_kmh, 0), length_m "
        f"FROM roads {closed}"), {"now": open_at}).all()
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


def road_version(connection: Connection, now: datetime) -> tuple[int, int, datetime | None]:
    """The road graph's version (imports and closures), the road network's (imports that change
    roads), and when the next closure active at ``now`` runs out (a re-customisation is due)."""
    row = connection.execute(text(
        f"SELECT road_version, road_network_version, (SELECT min(until) FROM road_closures WHERE {ACTIVE}) "
        "FROM grid_state WHERE id = 1"), {"now": now}).one()
    return row[0], row[1], row[2]


def bump_road_version(connection: Connection, *, network: bool = False) -> None:
    """Routing reads the roads anew; with ``network`` (the roads themselves changed) it rebuilds its
    hierarchy too."""
    also = ", road_network_version = n.v" if network else ""
    connection.execute(text(f"UPDATE grid_state SET road_version = n.v{also} "
                            "FROM (SELECT nextval('grid_versions') AS v) AS n WHERE id = 1"))


def closed_roads(connection: Connection, now: datetime) -> np.ndarray:
    """The roads closed at ``now``."""
    return np.array(connection.execute(text(
        f"SELECT DISTINCT unnest(road_ids) FROM road_closures WHERE {ACTIVE}"), {"now": now}).scalars().all(),
        dtype=np.int64)


def node_positions(connection: Connection, node_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(longitudes, latitudes) of road nodes, in the order of ``node_ids``."""
    rows = connection.execute(text(
        "SELECT n.x_e7, n.y_e7 FROM unnest(CAST(:ids AS bigint[])) WITH ORDINALITY AS i(id, k) "
        "JOIN road_nodes n ON n.id = i.id ORDER BY i.k"), {"ids": node_ids.tolist()}).all()
    positions = np.array(rows, dtype=float).reshape(-1, 2) / 1e7
    return positions[:, 0], positions[:, 1]


def flag_routable(connection: Connection, node_ids: list[int], routable: list[bool]) -> int:
    """Mark which road nodes lie in the largest strongly connected part of the network; return
    how many changed."""
    return connection.execute(text(
        "UPDATE road_nodes n SET routable = f.routable FROM unnest(CAST(:ids AS bigint[]), CAST(:flags AS bool[])) "
        "AS f(id, routable) WHERE n.id = f.id AND n.routable IS DISTINCT FROM f.routable"),
        {"ids": node_ids, "flags": routable}).rowcount


#: The routable road node at (:lon, :lat): the nearer end of the nearest road, if that road is
#: within :max_m (a position far from every road is not on the graph). The five nearest roads
#: come from the GiST index alone (a join would defeat it).
NEAREST_NODE = (
    "(SELECT CASE WHEN ST_LineLocatePoint(r.geom, p) < 0.5 AND a.routable OR NOT b.routable "
    "THEN r.source_node_id ELSE r.target_node_id END "
    f"FROM (SELECT id, geom, source_node_id, target_node_id, {POINT} AS p FROM roads "
    f"ORDER BY geom <-> {POINT} LIMIT 5) AS r "
    "JOIN road_nodes a ON a.id = r.source_node_id JOIN road_nodes b ON b.id = r.target_node_id "
    "WHERE (a.routable OR b.routable) AND ST_DWithin(r.geom::geography, r.p::geography, :max_m) "
    "ORDER BY r.geom <-> r.p LIMIT 1)"
)


def nearest_node(connection: Connection, lon: float, lat: float) -> int | None:
    """The road node a position snaps to (see NEAREST_NODE), or None."""
    return connection.execute(text(f"SELECT {NEAREST_NODE}"),
                              {"lon": lon, "lat": lat, "max_m": MAX_SNAP_M}).scalar()


def roads_near(connection: Connection, geojson: str, within_m: float) -> list[int]:
    """Roads within ``within_m`` metres of a GeoJSON geometry."""
    return connection.execute(text(
        "WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326) AS g) "
        "SELECT r.id FROM roads r, g WHERE r.geom && ST_Expand(g.g, :deg) "
        "AND ST_DWithin(r.geom::geography, g.g::geography, :m) ORDER BY r.id"),
        {"g": geojson, "m": within_m, "deg": within_m / 90_000}).scalars().all()


def existing_roads(connection: Connection, road_ids: list[int]) -> list[int]:
    return connection.execute(text("SELECT id FROM roads WHERE id = ANY(:ids) ORDER BY id"),
                              {"ids": road_ids}).scalars().all()


def insert_closure(connection: Connection, road_ids: list[int], reason: str, until: datetime | None,
                   geojson: str | None) -> int:
    return connection.execute(text(
        "INSERT INTO road_closures (road_ids, reason, until, geom) VALUES (:roads, :reason, :until, "
        "ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326)) RETURNING id"),
        {"roads": road_ids, "reason": reason, "until": until, "g": geojson}).scalar_one()


def reopen_closure(connection: Connection, closure_id: int, now: datetime) -> bool:
    return connection.execute(text(
        f"UPDATE road_closures SET reopened_at = :now WHERE id = :id AND {ACTIVE} RETURNING id"),
        {"id": closure_id, "now": now}).scalar() is not None


#: A closure's line on the map: the one drawn at the desk, else its closed roads merged (a closure
#: by road ids, from an integration).
CLOSURE_GEOMETRY = ("coalesce(ST_AsGeoJSON(c.geom, 7), (SELECT ST_AsGeoJSON(ST_LineMerge(ST_Collect(r.geom)), 7) "
                    "FROM roads r WHERE r.id = ANY(c.road_ids)))::json")


#: A closure as the live map draws it, as outbox.record_query's columns (one statement: the
#: closure need not come to Python and go back; times as PostgreSQL writes them in JSON).
CLOSURE_MESSAGE = (
    f"SELECT jsonb_build_object('id', c.id, 'geometry', {CLOSURE_GEOMETRY}, 'reason', c.reason, 'until', c.until, "
    f"'lifted', NOT ({ACTIVE})) AS payload, CAST('{{}}' AS int[]) AS crews, c.id AS n FROM road_closures c "
    "WHERE c.id = :id"
)


def closures(connection: Connection, now: datetime, *, include_lifted: bool = False, before_id: int | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
    """Closures newest first: those in force at ``now`` (with the reopened and run-out ones too
    when ``include_lifted``), below id ``before_id`` (the paging cursor), at most ``limit``."""
    conditions = [] if include_lifted else [f"({ACTIVE})"]
    if before_id is not None:
        conditions.append("c.id < :before_id")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = connection.execute(text(
        "SELECT c.id, c.road_ids, c.reason, c.until, c.created_at, c.reopened_at, "
        f"({ACTIVE}) AS active, {CLOSURE_GEOMETRY} AS geometry FROM road_closures c {where} "
        "ORDER BY c.id DESC LIMIT :limit"),
        {"now": now, "before_id": before_id, "limit": limit})
    return [dict(r) for r in rows.mappings()]


def road_lines(connection: Connection, road_ids: list[int]) -> dict[int, tuple[int, list[list[float]]]]:
    """Each road's source node and drawn coordinates, for stitching a route."""
    rows = connection.execute(text(
        "SELECT id, source_node_id, ST_AsGeoJSON(geom, 7)::json -> 'coordinates' FROM roads WHERE id = ANY(:ids)"),
        {"ids": road_ids})
    return {road: (source, coordinates) for road, source, coordinates in rows}

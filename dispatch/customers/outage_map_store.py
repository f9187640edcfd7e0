"""What the public outage map reads: the outages to show and the shapes of their areas."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.incidents.store import OPEN


def outages(connection: Connection, restored_since: datetime) -> list[dict[str, Any]]:
    """Open incidents and those restored since ``restored_since``, with what the map may say of them.
    Faults on a customer's own side are one customer's business, never on a public map; merged and
    cancelled incidents are no outage of their own."""
    rows = connection.execute(text(
        "SELECT i.id, i.status, i.device_kind, i.device_id, i.zone_id, z.code AS zone, z.name AS zone_name, "
        "i.customers_affected, i.first_report_at, i.etr_at, i.restored_at, i.cause, i.crew_id, i.on_site_at "
        "FROM incidents i LEFT JOIN zones z ON z.id = i.zone_id WHERE i.customer_side IS NULL "
        f"AND (i.status IN {OPEN} OR i.status IN ('restored', 'closed') AND i.restored_at >= :since) "
        "ORDER BY i.first_report_at, i.id"), {"since": restored_since})
    return [dict(row) for row in rows.mappings()]


def transformer_hulls(connection: Connection, areas: dict[int, list[int]], buffer_m: float) -> dict[int, str]:
    """For each outage (id -> the ids of the transformers it cut off), a polygon around them as
    GeoJSON text: their convex hull widened by ``buffer_m`` (one transformer: a disc), simplified.
    The transformers' places, never a customer's, make the shape."""
    pairs = [(outage, transformer) for outage, transformers in areas.items() for transformer in transformers]
    if not pairs:
        return {}
    rows = connection.execute(text(
        "SELECT a.outage, ST_AsGeoJSON(ST_SimplifyPreserveTopology(ST_Buffer(ST_ConvexHull(ST_Collect(t.geom))"
        "::geography, :buffer, 'quad_segs=4')::geometry, 0.00005), 5) "
        "FROM unnest(CAST(:outages AS bigint[]), CAST(:transformers AS bigint[])) AS a(outage, transformer) "
        "JOIN transformers t ON t.id = a.transformer GROUP BY a.outage"),
        {"outages": [p[0] for p in pairs], "transformers": [p[1] for p in pairs], "buffer": buffer_m})
    return {row[0]: row[1] for row in rows}


def zone_shapes(connection: Connection, zone_ids: set[int]) -> dict[int, str]:
    """Zones' outlines as GeoJSON text, simplified (an outage located no better than its zone)."""
    if not zone_ids:
        return {}
    rows = connection.execute(text(
        "SELECT id, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.0002), 5) FROM zones WHERE id = ANY(:ids)"),
        {"ids": sorted(zone_ids)})
    return {row[0]: row[1] for row in rows}


def service_bounds(connection: Connection) -> list[float] | None:
    """The grid's extent (minlon, minlat, maxlon, maxlat), where the map opens with no outage."""
    row = connection.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM buses) b")).one()
    return None if row[0] is None else [round(v, 4) for v in row]


def planned_outages(connection: Connection, now: datetime, notice_ahead: timedelta,
                    restored_since: datetime) -> list[dict[str, Any]]:
    """Planned outages to show: upcoming ones once their notice is due (customers hear of them
    a week ahead: the map says the same then, not earlier), those out, and those restored since
    ``restored_since``; with the transformers they cut off (by id) for their area's shape."""
    rows = connection.execute(text(
        "SELECT p.id, p.state, p.zone_id, z.code AS zone, z.name AS zone_name, p.customers_affected, "
        "p.window_start, p.window_end, p.started_at, p.finished_at, "
        "ARRAY(SELECT t.id FROM transformers t JOIN unnest(p.buses) AS b(id) ON b.id = t.lv_bus_id ORDER BY t.id) "
        "AS transformers "
        "FROM planned_outages p LEFT JOIN zones z ON z.id = p.zone_id "
        "WHERE p.state = 'upcoming' AND p.window_start - :ahead <= :now OR p.state = 'out' "
        "OR p.state = 'restored' AND p.finished_at >= :since ORDER BY p.window_start, p.id"),
        {"now": now, "ahead": notice_ahead, "since": restored_since})
    return [dict(row) for row in rows.mappings()]

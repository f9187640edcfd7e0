"""The area an incident's predicted device has taken off supply: its buses (the customers cut off
are counted from them, dispatch/incidents/hotline.py) and, for the desk's map when the incident is
selected, its lines and transformers drawn, so that a dispatcher sees at a glance what the fault
covers and where calls are still to come from."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.core.db import text
from dispatch.gis.grid import TopologyCache

#: The area's lines (both ends inside it) and its transformers (their low-voltage side inside it),
#: each part one collected geometry (a feeder's thousand spans are one feature, not a thousand).
DRAWN = (
    "SELECT 'lines' AS part, count(*) AS count, ST_AsGeoJSON(ST_Collect(geom), 6)::json AS geometry FROM lines "
    "WHERE from_bus_id = ANY(CAST(:buses AS bigint[])) AND to_bus_id = ANY(CAST(:buses AS bigint[])) "
    "UNION ALL SELECT 'transformers', count(*), ST_AsGeoJSON(ST_Collect(geom), 6)::json FROM transformers "
    "WHERE lv_bus_id = ANY(CAST(:buses AS bigint[]))"
)


def buses_downstream(session: Session, topologies: TopologyCache, incident_id: int) -> list[int] | None:
    """The buses downstream of the incident's device (none for an incident at a place, not on a
    device); None: no such incident."""
    incident = session.connection().execute(text(
        "SELECT device_kind, device_id FROM incidents WHERE id = :id"), {"id": incident_id}).mappings().first()
    if incident is None:
        return None
    topology = topologies.current(session)
    outer = topology.area_of_device.get((incident["device_kind"], incident["device_id"]))
    return topology.buses_within(outer) if outer is not None else []


def drawn(session: Session, topologies: TopologyCache, incident_id: int) -> dict[str, Any] | None:
    """The area as GeoJSON: a feature for its lines and one for its transformers (each with how
    many), those it has; None: no such incident."""
    buses = buses_downstream(session, topologies, incident_id)
    if buses is None:
        return None
    rows = session.connection().execute(text(DRAWN), {"buses": buses}).mappings().all() if buses else []
    return {"type": "FeatureCollection", "incident": incident_id, "features": [
        {"type": "Feature", "geometry": row["geometry"], "properties": {"part": row["part"], "count": row["count"]}}
        for row in rows if row["count"]]}

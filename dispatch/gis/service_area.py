"""The area a deployment serves: a report located far outside it is a typo or an attack, not a fault.

Without a box configured (``SERVICE_AREA_BBOX``), the area is the bounding box of the imported
zones, so a new grid brings its own area; both are widened by ``SERVICE_AREA_MARGIN_KM`` on every
side (a customer just past the last zone is still served, flagged as outside every zone).
"""
from __future__ import annotations

import math

from sqlalchemy import Connection

from dispatch.core.config import Settings
from dispatch.core.db import text
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.gis.geojson import GeometryProblem, bbox_of

KM_PER_DEGREE = 111.32

Box = tuple[float, float, float, float]


def served_box(connection: Connection, settings: Settings) -> Box | None:
    """The configured box, else the zones' bounding box, widened by the margin; None: no zones, no limit."""
    if settings.service_area_bbox.strip():
        try:
            box = bbox_of(settings.service_area_bbox)
        except GeometryProblem as why:
            raise ValueError(f"SERVICE_AREA_BBOX: {why}") from None
    else:
        row = connection.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM zones) z"
        )).one()
        if row[0] is None:
            return None
        box = tuple(float(v) for v in row)  # type: ignore[assignment]
    min_lon, min_lat, max_lon, max_lat = box
    margin_lat = settings.service_area_margin_km / KM_PER_DEGREE
    widest_lat = min(max(abs(min_lat), abs(max_lat)) + margin_lat, 89.0)
    margin_lon = settings.service_area_margin_km / (KM_PER_DEGREE * math.cos(math.radians(widest_lat)))
    return (max(min_lon - margin_lon, -180.0), max(min_lat - margin_lat, -90.0),
            min(max_lon + margin_lon, 180.0), min(max_lat + margin_lat, 90.0))


def refuse_outside_service_area(connection: Connection, settings: Settings, lon: float, lat: float,
                                field: str = "location") -> None:
    """Raise a 422 when (lon, lat) is outside the served area and its margin."""
    box = served_box(connection, settings)
    if box is None:
        return
    min_lon, min_lat, max_lon, max_lat = box
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        raise InvalidInput(
            "the location is far outside the area this service covers",
            [FieldProblem(field, f"({lon}, {lat}) is outside the served area "
                                 f"{min_lon:.4f},{min_lat:.4f},{max_lon:.4f},{max_lat:.4f} (margin included)")],
            service_area=[round(v, 6) for v in box])

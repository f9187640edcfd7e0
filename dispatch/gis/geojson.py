"""Checks on GeoJSON geometries (RFC 7946, WGS 84) before anything reaches the database.

PostGIS would accept a latitude of 200 or silently store NaN; a dispatcher would then see a fault
in the sea. So every position is checked here, with a message that says which rule it broke.
"""
from __future__ import annotations

import math
import struct
from typing import Any

POSITION_DEPTH = {"Point": 0, "LineString": 1, "Polygon": 2, "MultiPolygon": 3}


class GeometryProblem(ValueError):
    """The geometry cannot be stored; the message says why."""


def check_position(position: Any) -> None:
    """A ``[lon, lat]`` pair of finite numbers inside WGS 84's range."""
    try:  # the common case, cheaply: comparisons with NaN are false, so NaN takes the long way
        if type(position[0]) is float and type(position[1]) is float \
                and -180 <= position[0] <= 180 and -90 <= position[1] <= 90:
            return
    except (TypeError, IndexError, KeyError):
        pass
    if not isinstance(position, (list, tuple)) or len(position) < 2:
        raise GeometryProblem("a position must be [lon, lat]")
    lon, lat = position[0], position[1]
    for value in (lon, lat):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise GeometryProblem(f"coordinate {value!r} is not a number")
        if not math.isfinite(value):
            raise GeometryProblem(f"coordinate {value!r} is not a finite number")
    if not -180 <= lon <= 180:
        raise GeometryProblem(f"longitude {lon} is out of range [-180, 180]")
    if not -90 <= lat <= 90:
        raise GeometryProblem(f"latitude {lat} is out of range [-90, 90]")


def _check_line(positions: Any, minimum: int, what: str) -> None:
    if not isinstance(positions, list) or len(positions) < minimum:
        raise GeometryProblem(f"a {what} needs at least {minimum} positions")
    for position in positions:
        check_position(position)


def _check_polygon(rings: Any) -> None:
    if not isinstance(rings, list) or not rings:
        raise GeometryProblem("a polygon needs at least one ring")
    for ring in rings:
        _check_line(ring, 4, "polygon ring")
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise GeometryProblem("a polygon ring must end where it starts")


def check_geometry(geometry: Any, allowed: tuple[str, ...]) -> str:
    """Validate ``geometry`` and return its type; raise :class:`GeometryProblem` otherwise."""
    if not isinstance(geometry, dict):
        raise GeometryProblem(f"expected a {' or '.join(allowed)} geometry")
    kind = geometry.get("type")
    if kind not in allowed:
        raise GeometryProblem(f"geometry type {kind!r} is not allowed here; expected {' or '.join(allowed)}")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        check_position(coordinates)
    elif kind == "LineString":
        _check_line(coordinates, 2, "line")
    elif kind == "Polygon":
        _check_polygon(coordinates)
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryProblem("a multipolygon needs at least one polygon")
        for polygon in coordinates:
            _check_polygon(polygon)
    return kind


def bbox_of(text: str) -> tuple[float, float, float, float]:
    """Parse a ``minlon,minlat,maxlon,maxlat`` box; raise :class:`GeometryProblem` when it is not one."""
    parts = text.split(",")
    if len(parts) != 4:
        raise GeometryProblem("bbox must be minlon,minlat,maxlon,maxlat")
    try:
        minlon, minlat, maxlon, maxlat = (float(p) for p in parts)
    except ValueError:
        raise GeometryProblem("bbox must be four numbers") from None
    check_position([minlon, minlat])
    check_position([maxlon, maxlat])
    if minlon > maxlon or minlat > maxlat:
        raise GeometryProblem("bbox minimum must not exceed its maximum")
    return minlon, minlat, maxlon, maxlat


# Extended WKB (little endian, SRID 4326) for the geometry types the import accepts: PostGIS reads
# it without parsing text, which makes bulk loads several times faster than GeoJSON or WKT.
_WKB_TYPES = {"Point": 1, "LineString": 2, "Polygon": 3, "MultiPolygon": 6}
_SRID_FLAG = 0x20000000


def _points(positions: list) -> bytes:
    return struct.pack("<I", len(positions)) + b"".join(struct.pack("<dd", p[0], p[1]) for p in positions)


def _polygon_body(rings: list) -> bytes:
    return struct.pack("<I", len(rings)) + b"".join(_points(ring) for ring in rings)


def ewkb_hex(geometry: dict[str, Any]) -> str:
    """Hex EWKB of a checked Point, LineString, Polygon or MultiPolygon (2-D, EPSG:4326)."""
    kind, coordinates = geometry["type"], geometry["coordinates"]
    header = struct.pack("<BII", 1, _WKB_TYPES[kind] | _SRID_FLAG, 4326)
    if kind == "Point":
        body = struct.pack("<dd", coordinates[0], coordinates[1])
    elif kind == "LineString":
        body = _points(coordinates)
    elif kind == "Polygon":
        body = _polygon_body(coordinates)
    else:
        body = struct.pack("<I", len(coordinates)) + b"".join(
            struct.pack("<BI", 1, _WKB_TYPES["Polygon"]) + _polygon_body(polygon) for polygon in coordinates)
    return (header + body).hex()

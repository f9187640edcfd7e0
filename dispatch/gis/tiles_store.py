"""The map's base layers as Mapbox Vector Tiles, cut from PostGIS (``ST_AsMVT``).

The dispatcher's console draws its map from these tiles, so it needs no tile server and no
internet. Each layer has a smallest zoom (a whole county's customers are noise on a city-wide
view) and, for roads, the classes worth drawing at each zoom; geometries are simplified to one
pixel of the tile. Tiles change only when the map does (an import, a switch opened or closed):
the map version says when, so a client's cached tile is checked with one indexed read.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

#: Tile resolution, and the border drawn beyond it so that lines and labels join across tiles.
EXTENT = 4096
BUFFER = 64
#: Web Mercator's width in metres: a tile at zoom z is this / 2**z wide.
WORLD_M = 40075016.685578488
MAX_ZOOM = 22
#: Road classes drawn below each zoom (all of them from zoom 14 on).
MAJOR_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link")
SECONDARY_ROADS = (*MAJOR_ROADS, "secondary", "secondary_link", "tertiary", "tertiary_link")


@dataclass(frozen=True)
class TileLayer:
    """One layer of the map: its table, the attributes a tile carries, and from which zoom."""

    table: str
    attributes: str
    min_zoom: int
    points: bool = False


TILE_LAYERS = {
    "zones": TileLayer("zones", 'code, name, "class" AS zone_class', 0),
    "roads": TileLayer("roads", "id, code, highway, name, oneway", 10),
    "lines": TileLayer("lines", "code, voltage_kv, feeder", 8),
    "switches": TileLayer("switches", "code, kind, is_open, normally_open", 12, points=True),
    "transformers": TileLayer("transformers", "code, name, kva", 12, points=True),
    "customers": TileLayer("customers", "account_no, name, address, priority", 16, points=True),
}


def map_version(connection: Connection) -> int:
    return connection.execute(text("SELECT map_version FROM grid_state WHERE id = 1")).scalar_one()


def bump_map_version(connection: Connection) -> int:
    """Every cached tile is stale (an import changed a layer, a switch changed state)."""
    return connection.execute(text(
        "UPDATE grid_state SET map_version = nextval('grid_versions') WHERE id = 1 RETURNING map_version"
    )).scalar_one()


def _road_classes(z: int) -> tuple[str, ...] | None:
    if z < 12:
        return MAJOR_ROADS
    if z < 14:
        return SECONDARY_ROADS
    return None


def tile(connection: Connection, name: str, z: int, x: int, y: int) -> bytes:
    """Layer ``name``'s tile z/x/y (XYZ scheme, as MapLibre asks for it); empty below the layer's zoom."""
    layer = TILE_LAYERS[name]
    if z < layer.min_zoom:
        return b""
    classes = _road_classes(z) if name == "roads" else None
    only = "AND f.highway = ANY(:classes)" if classes else ""
    # Points need no simplifying; lines and areas lose what is smaller than a pixel.
    geometry = "ST_Transform(f.geom, 3857)" if layer.points else \
        "ST_Simplify(ST_Transform(f.geom, 3857), :pixel_m, true)"
    sql = (
        "WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS tile, "
        "ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS area) "
        f"SELECT ST_AsMVT(t, :name, {EXTENT}, 'geom') FROM ("
        f"SELECT ST_AsMVTGeom({geometry}, bounds.tile, {EXTENT}, {BUFFER}, true) AS geom, {layer.attributes} "
        f"FROM {layer.table} f, bounds WHERE f.geom && bounds.area {only}) t WHERE t.geom IS NOT NULL"
    )
    return bytes(connection.execute(text(sql), {
        "z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "name": name, "classes": list(classes or ()),
        "pixel_m": WORLD_M / 2 ** z / EXTENT,
    }).scalar_one())

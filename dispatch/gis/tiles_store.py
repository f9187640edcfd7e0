"""The map's base layers as Mapbox Vector Tiles, cut from PostGIS (``ST_AsMVT``).

The dispatcher's console draws its map from these tiles, so it needs no tile server and no
internet. Each layer has a smallest zoom (a whole county's customers are noise on a city-wide
view) and may leave out some features below some zooms (minor roads, low-voltage lines: they
would make a city-wide tile megabytes); geometries are simplified to one pixel of the tile.
Tiles change only when the map does (an import, a switch opened or closed): the map version says
when, so a client's cached tile is checked with one indexed read.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from dispatch.core import outbox

#: Tile resolution, and the border drawn beyond it so that lines and labels join across tiles.
EXTENT = 4096
BUFFER = 64
#: Web Mercator's width in metres: a tile at zoom z is this / 2**z wide.
WORLD_M = 40075016.685578488
MAX_ZOOM = 22
MAJOR_ROADS = "('motorway', 'motorway_link', 'trunk', 'trunk_link', 'primary', 'primary_link')"
SECONDARY_ROADS = MAJOR_ROADS[:-1] + ", 'secondary', 'secondary_link', 'tertiary', 'tertiary_link')"


@dataclass(frozen=True)
class TileLayer:
    """One layer of the map: its table, the attributes a tile carries, from which zoom, and what
    is left out below some zooms (``thinned``: (zoom, the condition features must meet below it),
    the lowest zoom first)."""

    table: str
    attributes: str
    min_zoom: int
    points: bool = False
    thinned: tuple[tuple[int, str], ...] = ()


TILE_LAYERS = {
    "zones": TileLayer("zones", 'code, name, "class" AS zone_class', 0),
    "roads": TileLayer("roads", "id, code, highway, name, oneway", 10, thinned=(
        (12, f"f.highway IN {MAJOR_ROADS}"), (14, f"f.highway IN {SECONDARY_ROADS}"))),
    # A city's low-voltage lines are most of its lines: medium voltage only until streets show.
    "lines": TileLayer("lines", "code, voltage_kv, feeder", 8, thinned=((14, "f.voltage_kv >= 1"),)),
    "switches": TileLayer("switches", "code, kind, is_open, normally_open", 12, points=True),
    "transformers": TileLayer("transformers", "code, name, kva", 12, points=True),
    "customers": TileLayer("customers", "account_no, name, address, priority", 16, points=True),
}


def map_version(connection: Connection) -> int:
    return connection.execute(text("SELECT map_version FROM grid_state WHERE id = 1")).scalar_one()


def bump_map_version(connection: Connection) -> int:
    """Every cached tile is stale (an import changed a layer, a switch changed state): the live
    map is told to reload its tiles (a ``map`` message)."""
    version = connection.execute(text(
        "UPDATE grid_state SET map_version = nextval('grid_versions') WHERE id = 1 RETURNING map_version"
    )).scalar_one()
    outbox.record(connection, "map", {"version": version})
    return version


def tile(connection: Connection, name: str, z: int, x: int, y: int) -> bytes:
    """Layer ``name``'s tile z/x/y (XYZ scheme, as MapLibre asks for it); empty below the layer's zoom."""
    layer = TILE_LAYERS[name]
    if z < layer.min_zoom:
        return b""
    only = next((f"AND {condition}" for below, condition in layer.thinned if z < below), "")
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
        "z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "name": name,
        "pixel_m": WORLD_M / 2 ** z / EXTENT,
    }).scalar_one())

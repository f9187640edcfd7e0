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

from sqlalchemy import Connection

from dispatch.core import outbox
from dispatch.core.db import text
from dispatch.core.models import is_one_of
from dispatch.gis.models import MEDIUM_VOLTAGE
from dispatch.routing.models import MAJOR_ROADS, SECONDARY_ROADS

#: Tile resolution, and the border drawn beyond it so that lines and labels join across tiles.
EXTENT = 4096
BUFFER = 64
#: Web Mercator's width in metres: a tile at zoom z is this / 2**z wide.
WORLD_M = 40075016.685578488
MAX_ZOOM = 22


@dataclass(frozen=True)
class TileLayer:
    """One layer of the map: its table, the attributes a tile carries, from which zoom, and what
    is left out below some zooms (``thinned``: (zoom, the condition features must meet below it),
    the lowest zoom first), and which attributes only close views carry (``detail``: (zoom,
    attributes)): a label nobody can read city-wide is most of a tile's bytes."""

    table: str
    attributes: str
    min_zoom: int
    points: bool = False
    thinned: tuple[tuple[int, str], ...] = ()
    detail: tuple[int, str] | None = None

    def attributes_at(self, z: int) -> str:
        if self.detail and z >= self.detail[0]:
            return f"{self.attributes}, {self.detail[1]}"
        return self.attributes


TILE_LAYERS = {
    "zones": TileLayer("zones", 'code, name, "class" AS zone_class', 0),
    # The conditions are those of the tables' partial spatial indexes, word for word (the planner
    # then reads only the features drawn: a few per cent of the lines and roads at low zooms).
    # Names and codes from zoom 14, where streets can be told apart: below it they were 57 % of a
    # dense city tile's bytes and a third of its time (BENCHMARKS.md, "Map tiles").
    "roads": TileLayer("roads", "id, highway, oneway", 10, thinned=(
        (12, is_one_of("f.highway", MAJOR_ROADS)), (14, is_one_of("f.highway", SECONDARY_ROADS))),
        detail=(14, "code, name")),
    # A city's low-voltage lines are most of its lines: medium voltage only until streets show.
    "lines": TileLayer("lines", "code, voltage_kv, feeder", 8, thinned=((14, f"f.{MEDIUM_VOLTAGE}"),)),
    # A device SCADA reported tripped is drawn open (it is), and says so.
    "switches": TileLayer("switches", "code, kind, is_open OR tripped_at IS NOT NULL AS is_open, normally_open, "
                          "tripped_at IS NOT NULL AS tripped", 12, points=True),
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
    # A map view asks for a score of tiles at once, each its own request: a tile's query gets no
    # parallel workers (on a few cores they queue behind the other tiles) and no JIT (the planner
    # costs ST_AsMVTGeom high, and compiling it took longer than a low-zoom tile's whole query).
    connection.execute(text(
        "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"))
    # Points need no simplifying; lines and areas lose what is smaller than a pixel.
    geometry = "ST_Transform(f.geom, 3857)" if layer.points else \
        "ST_Simplify(ST_Transform(f.geom, 3857), :pixel_m, true)"
    # The features are a fenced (materialised) step: merged into the outer query, each feature's
    # ST_AsMVTGeom was computed twice, once for the IS NOT NULL test and once for the tile.
    sql = (
        "WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS tile, "
        "ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS area), "
        f"t AS MATERIALIZED (SELECT ST_AsMVTGeom({geometry}, bounds.tile, {EXTENT}, {BUFFER}, true) AS geom, "
        f"{layer.attributes_at(z)} FROM {layer.table} f, bounds WHERE f.geom && bounds.area {only}) "
        f"SELECT ST_AsMVT(t, :name, {EXTENT}, 'geom') FROM t WHERE t.geom IS NOT NULL"
    )
    return bytes(connection.execute(text(sql), {
        "z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "name": name,
        "pixel_m": WORLD_M / 2 ** z / EXTENT,
    }).scalar_one())

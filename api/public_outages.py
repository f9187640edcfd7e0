"""The public outage feed (`/api/v1/public/outages`): GeoJSON for the outage map and anyone who
wants it, no sign-in, no personal data (dispatch/customers/outage_map.py), served from a body kept
in each process (dispatch/customers/outage_cache.py) with an ETag, so that a storm's traffic does
not reach the database on every request. And the roads as vector tiles, the public map's base
(the other layers of the grid are for signed-in users: api/tiles.py)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from api.access import public
from api.context import database, settings, topologies
from api.openapi import operation
from dispatch.core.errors import NotFound
from dispatch.customers.outage_cache import PublicOutageCache
from dispatch.customers.outage_map import MapRules
from dispatch.gis.road_tiles import RoadTileCache
from dispatch.gis.tiles_store import MAX_ZOOM

blueprint = Blueprint("public_outages", __name__, url_prefix="/api/v1/public")


def outage_cache() -> PublicOutageCache:
    """The process's kept feed (made on first use: after gunicorn forked, not before)."""
    cache = current_app.extensions.get("public_outages")
    if cache is None:
        s = settings()
        cache = current_app.extensions.setdefault("public_outages", PublicOutageCache(
            database(), current_app.extensions["redis"], topologies(), MapRules.of(s),
            s.public_outages_min_age_s, s.public_outages_max_age_s))
    return cache


def road_tiles() -> RoadTileCache:
    """The process's kept road tiles (made on first use, after gunicorn forked)."""
    return current_app.extensions.setdefault("public_road_tiles", RoadTileCache(database()))


@blueprint.get("/outages")
@public
@operation("The public outage map's feed: areas out (transformer areas or zones, never a customer), customers out, "
           "since when, cause category, estimated restoration; restored ones for 7 days. No sign-in, no personal data",
           "public", responses={200: ("GeoJSON FeatureCollection {generated_at, totals, features: [{geometry, properties: "
                                      "{status, reopened, stage, customers_out, since, etr, restored_at, cause_category, "
                                      "cause_label, zone, zone_name, area, transformers}}]}", {"type": "object"},
                                  "application/geo+json"),
                                304: ("Unchanged since the ETag sent in If-None-Match", None)})
def outage_feed():
    feed = outage_cache().feed()
    headers = {"ETag": feed.etag, "Cache-Control": f"public, max-age={settings().public_outages_http_max_age_s}",
               "Access-Control-Allow-Origin": "*"}
    if feed.etag in request.if_none_match or request.if_none_match.contains_weak(feed.etag.strip('"')):
        return Response(status=304, headers=headers)
    return Response(feed.body, mimetype="application/geo+json", headers=headers)


@blueprint.get("/tiles/roads/<int:z>/<int:x>/<int:y>.mvt")
@public
@operation("One tile of the roads layer (Mapbox Vector Tile, XYZ scheme), the public map's base map", "public",
           path_params={"z": {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
                        "x": {"type": "integer", "minimum": 0}, "y": {"type": "integer", "minimum": 0}},
           responses={200: ("The tile", None), 304: ("Unchanged since the ETag sent", None),
                      404: ("No such tile", None)})
def road_tile(z: int, x: int, y: int) -> Response:
    if z > MAX_ZOOM or x >= 2 ** z or y >= 2 ** z:
        raise NotFound(f"there is no tile {z}/{x}/{y}: zoom 0 to {MAX_ZOOM}, x and y below 2^zoom")
    tiles = road_tiles()
    # Roads change with an import or a closure, rarely: browsers and proxies keep tiles for an hour.
    headers = {"Cache-Control": "public, max-age=3600"}
    known = f"roads-{tiles.version()}"
    if known in request.if_none_match:
        return Response(status=304, headers={**headers, "ETag": f'"{known}"'})
    version, body = tiles.tile(z, x, y)
    return Response(body, mimetype="application/vnd.mapbox-vector-tile", headers={**headers, "ETag": f'"roads-{version}"'})

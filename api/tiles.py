"""The map's base layers as vector tiles, ``/tiles/{layer}/{z}/{x}/{y}.mvt``, for MapLibre.

A tile is answered with the map version as its ETag: a client sending it back in
``If-None-Match`` gets 304 after one indexed read, until an import or a switching operation
moves the version on.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from api.access import DESK, SIGNED_IN, allow, identity
from api.context import session
from api.openapi import operation
from dispatch.core.errors import Forbidden, NotFound
from dispatch.gis.tiles_store import MAX_ZOOM, TILE_LAYERS, map_version, tile

blueprint = Blueprint("tiles", __name__, url_prefix="/tiles")
MVT = "application/vnd.mapbox-vector-tile"
#: Customers' names and addresses are for the desk's roles only.
LAYER_AUDIENCE = {"customers": DESK}


@blueprint.get("/<layer>/<int:z>/<int:x>/<int:y>.mvt")
@allow(*SIGNED_IN)
@operation(
    "One map tile of a base layer (Mapbox Vector Tile, XYZ scheme); customers for desk roles", "map",
    path_params={"layer": {"type": "string", "enum": list(TILE_LAYERS)},
                 "z": {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
                 "x": {"type": "integer", "minimum": 0}, "y": {"type": "integer", "minimum": 0}},
    responses={200: ("The tile (empty below the layer's smallest zoom)", None),
               304: ("The tile is unchanged since the ETag sent", None),
               403: ("A layer not for this role", None), 404: ("No such layer or tile", None)},
)
def map_tile(layer: str, z: int, x: int, y: int) -> Response:
    if layer not in TILE_LAYERS:
        raise NotFound(f"there is no map layer {layer!r}; layers are {', '.join(TILE_LAYERS)}")
    if z > MAX_ZOOM or x >= 2 ** z or y >= 2 ** z:
        raise NotFound(f"there is no tile {z}/{x}/{y}: zoom 0 to {MAX_ZOOM}, x and y below 2^zoom")
    if identity().role not in LAYER_AUDIENCE.get(layer, SIGNED_IN):
        raise Forbidden(f"a {identity().role} may not read the {layer} layer")
    connection = session().connection()
    etag = f"map-{map_version(connection)}"
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    return Response(tile(connection, layer, z, x, y), mimetype=MVT, headers=headers)

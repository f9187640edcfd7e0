"""What the dispatcher's console needs to know before it draws anything: the desk's time zone, the
optional raster base map, where the grid is, from which zoom each map layer has features, and the
utility's skill words in each language."""
from __future__ import annotations

from flask import Blueprint, jsonify

from api.access import SIGNED_IN, allow
from api.context import session, settings
from api.openapi import operation
from dispatch.core.db import text
from dispatch.gis.skills import skill_rules
from dispatch.gis.tiles_store import TILE_LAYERS

blueprint = Blueprint("desk", __name__, url_prefix="/api/v1/desk")


@blueprint.get("/settings")
@allow(*SIGNED_IN)
@operation("The console's settings: time zone, base map, the grid's bounds, layers' smallest zooms", "map",
           responses={200: ("{timezone, basemap_url, bounds, tile_layers, skills (word: labels by language)}",
                           {"type": "object"})})
def desk_settings():
    bounds = session().connection().execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM buses) b"
    )).one()
    return jsonify(timezone=settings().dispatch_timezone, basemap_url=settings().desk_basemap_url or None,
                   bounds=None if bounds[0] is None else [round(v, 6) for v in bounds],
                   tile_layers={name: layer.min_zoom for name, layer in TILE_LAYERS.items()},
                   skills=skill_rules(settings().skill_rules_file).labels)

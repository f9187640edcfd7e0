"""Grid layers as GeoJSON for the dispatcher's map and for integrations."""
from __future__ import annotations

from flask import Blueprint, Response, json, jsonify
from pydantic import BaseModel, ConfigDict, Field

from api.access import DESK, READERS, SIGNED_IN, allow, identity
from api.context import session, settings, topologies
from api.openapi import operation
from api.validation import bbox_param, json_body, page_links, page_size, query_args
from dispatch.core.errors import Forbidden, NotFound
from dispatch.gis.grid import operate_switch, switching_effect
from dispatch.gis.layers import IMPORT_ORDER
from dispatch.gis.layers_store import feature, features_page
from dispatch.incidents.messages import record_incidents

blueprint = Blueprint("grid", __name__, url_prefix="/api/v1/grid")
#: Layers holding personal data (customers' names, phones, addresses; crews' members and phones)
#: are for the desk's roles only; crews need the network and the roads.
LAYER_AUDIENCE = {"customers": DESK, "crews": READERS}


class LayerQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat (WGS 84)")
    limit: int | None = Field(None, ge=1, description="features per page (default 1000, at most 5000)")
    after: int = Field(0, ge=0, description="paging cursor: the value from the previous page's next link")


@blueprint.get("/<layer>")
@allow(*SIGNED_IN)
@operation(
    "One grid layer as a GeoJSON FeatureCollection, paged (customers: desk roles; crews: desk and viewers)",
    "grid", query=LayerQuery,
    path_params={"layer": {"type": "string", "enum": list(IMPORT_ORDER)}},
    responses={200: ("GeoJSON FeatureCollection; a `next` link while more features remain",
                     {"type": "object", "required": ["type", "features"]}, "application/geo+json"), 403: ("A layer not for this role", None), 404: ("No such layer", None),
               422: ("Bad query", None)},
)
def layer_features(layer: str) -> Response:
    if layer not in IMPORT_ORDER:
        raise NotFound(f"there is no grid layer {layer!r}; layers are {', '.join(IMPORT_ORDER)}")
    if identity().role not in LAYER_AUDIENCE.get(layer, SIGNED_IN):
        raise Forbidden(f"a {identity().role} may not read the {layer} layer")
    query = query_args(LayerQuery)
    limit = page_size(query.limit, settings().page_default, settings().page_max)
    rows = features_page(session().connection(), layer, bbox_param(query.bbox), query.after, limit + 1)
    rows, links = page_links(rows, limit, "application/geo+json", layer=layer)
    body = ('{"type":"FeatureCollection","features":[' + ",".join(feature for _, feature in rows)
            + f'],"numberReturned":{len(rows)},"links":' + json.dumps(links) + "}")
    return Response(body, mimetype="application/geo+json")


class SwitchChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_open: bool = Field(strict=True, description="true opens the switch, false closes it")


@blueprint.patch("/switches/<code>")
@allow(*DESK)
@operation("Open or close a switch; what is downstream follows at once", "grid", body=SwitchChange,
           responses={200: ("The switch as a GeoJSON Feature", {"type": "object"}), 404: ("No such switch", None),
                      422: ("Bad body", None)})
def change_switch(code: str) -> Response:
    change = json_body(SwitchChange)
    operate_switch(session(), topologies(), code, change.is_open,
                   rehomed=lambda incidents: record_incidents(session().connection(), incidents))
    return Response(feature(session().connection(), "switches", code), mimetype="application/geo+json")


class SwitchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_open: bool = Field(description="the state to try: true opens the switch")


@blueprint.get("/switches/<code>/effect")
@allow(*DESK)
@operation("What opening or closing a switch would do: customers cut off or restored, critical ones by name",
           "grid", query=SwitchQuery,
           responses={200: ("{switch, is_open, customers_off, customers_on, critical_off: [...]}", {"type": "object"}),
                      404: ("No such switch", None)})
def switch_effect(code: str):
    return jsonify(switching_effect(session(), topologies(), code, query_args(SwitchQuery).is_open))

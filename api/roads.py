"""Road closures, for the dispatch desk and for integrations (a storm's fallen trees)."""
from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from api.access import DESK, SIGNED_IN, allow
from api.context import dispatcher, session, settings
from api.idempotency import idempotent
from api.openapi import operation
from api.times import coming
from api.validation import MAX_ID, json_body, non_null, page_links, query_args
from dispatch.core import clock
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.gis.geojson import GeometryProblem, check_geometry
from dispatch.routing.closures import close_roads, reopen
from dispatch.routing.store import closures

blueprint = Blueprint("roads", __name__, url_prefix="/api/v1/roads")
#: A closure is local: its geometry fits in a box this many degrees wide (about 50 km).
MAX_EXTENT_DEG = 0.5


GEOMETRY_SCHEMA = {
    "type": "object", "required": ["type", "coordinates"],
    "properties": {"type": {"enum": ["Point", "LineString", "Polygon", "MultiPolygon"]},
                   "coordinates": {"type": "array"}},
}


class ClosureIn(BaseModel):
    """Either ``road_ids`` or a ``geometry`` (every road within ``within_m`` of it is closed)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "description": "Give road_ids or a geometry (or both).",
        "anyOf": [{"required": ["road_ids"]}, {"required": ["geometry"]}]})
    reason: str = Field(min_length=1, max_length=500)
    until: AwareDatetime | None = Field(
        None, json_schema_extra=non_null, description="when the road reopens by itself: in the future, "
                                                       "at most a year ahead")
    road_ids: list[StrictInt] | None = Field(None, min_length=1, max_length=10_000, json_schema_extra=non_null)
    geometry: dict[str, Any] | None = Field(
        None, json_schema_extra=lambda schema: (non_null(schema), schema.update(GEOMETRY_SCHEMA)),
        description=f"GeoJSON Point, LineString, Polygon or MultiPolygon (WGS 84) spanning at most "
                    f"{MAX_EXTENT_DEG} degrees, with at most CLOSURE_MAX_VERTICES positions (default 2000)")
    within_m: float = Field(15.0, gt=0, le=500, allow_inf_nan=False, strict=True)

    _until = field_validator("until")(coming)

    @field_validator("geometry")
    @classmethod
    def valid_geometry(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                check_geometry(value, ("Point", "LineString", "Polygon", "MultiPolygon"))
            except GeometryProblem as why:
                raise ValueError(str(why)) from None
            positions = list(_positions(value["coordinates"]))
            if any(len(p) != 2 for p in positions):
                raise ValueError("positions are [lon, lat], without height")
            lons, lats = [p[0] for p in positions], [p[1] for p in positions]
            if max(lons) - min(lons) > MAX_EXTENT_DEG or max(lats) - min(lats) > MAX_EXTENT_DEG:
                raise ValueError(f"a closure spans at most {MAX_EXTENT_DEG} degrees")
        return value

    @field_validator("road_ids")
    @classmethod
    def valid_ids(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(not 0 < i <= MAX_ID for i in value):
            raise ValueError("road ids are positive 64-bit integers")
        return value

    @model_validator(mode="after")
    def something_to_close(self) -> "ClosureIn":
        if not self.road_ids and self.geometry is None:
            raise ValueError("give road_ids or a geometry")
        return self


def _positions(coordinates: Any):
    if coordinates and isinstance(coordinates[0], (int, float)):
        yield coordinates
    else:
        for part in coordinates:
            yield from _positions(part)


@blueprint.post("/closures")
@idempotent
@allow(*DESK)
@operation("Close roads: routing avoids them from the next query on", "roads", body=ClosureIn,
           responses={201: ("The closure", {"type": "object"}), 422: ("Nothing to close", None)})
def create_closure():
    closure = json_body(ClosureIn)
    largest = settings().closure_max_vertices
    if closure.geometry is not None and sum(1 for _ in _positions(closure.geometry["coordinates"])) > largest:
        raise InvalidInput("the closure's geometry is too detailed", [FieldProblem(
            "geometry", f"at most {largest} positions; draw the closed streets, or give their road_ids")])
    created = close_roads(session(), reason=closure.reason, until=closure.until, road_ids=closure.road_ids,
                          geometry=closure.geometry, within_m=closure.within_m)
    return jsonify(created), 201


class ClosureQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include: Literal["lifted"] | None = Field(
        None, description="lifted: also the closures reopened or run out (default: only those in force)")
    limit: int = Field(100, ge=1, le=500, description="closures per page (default 100, at most 500)")
    after: int | None = Field(None, ge=1, description="paging cursor: the value from the previous page's next link")


@blueprint.get("/closures")
@allow(*SIGNED_IN)
@operation("Closures in force (with ?include=lifted also the lifted ones), newest first, paged", "roads",
           query=ClosureQuery, responses={200: ("{closures: [...], links: [self, next]}", {"type": "object"})})
def list_closures():
    query = query_args(ClosureQuery)
    rows = closures(session().connection(), clock.now(), include_lifted=query.include == "lifted",
                    before_id=query.after, limit=query.limit + 1)
    page, links = page_links([(row["id"], row) for row in rows], query.limit, "application/json")
    return jsonify(closures=[row for _, row in page], links=links)


@blueprint.delete("/closures/<int:closure_id>")
@allow(*DESK)
@operation("Reopen the roads of a closure", "roads", path_params={"closure_id": {"type": "integer"}},
           responses={204: ("Reopened", None), 404: ("No such closure in force", None)})
def delete_closure(closure_id: int):
    reopen(session(), min(closure_id, MAX_ID), _free_crews_take_waiting_jobs)
    return Response(status=204)


def _free_crews_take_waiting_jobs(now) -> None:
    """Crews that could not reach a waiting incident may now (in the reopening's transaction)."""
    dispatcher().fill_free_crews(now)
    dispatcher().record_messages(now)

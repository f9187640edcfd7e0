"""Incidents for the dispatch desk: the list on the map and one incident with its timeline."""
from __future__ import annotations

from flask import Blueprint, Response, json, request, url_for
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.context import session, settings
from api.openapi import operation
from api.validation import query_args
from dispatch.errors import FieldProblem, InvalidInput, NotFound
from dispatch.gis.geojson import GeometryProblem, bbox_of
from dispatch.models.base import INCIDENT_STATUSES, ZONE_CLASSES
from dispatch.store.incident_views import incident_detail, incidents_page

blueprint = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents")


class IncidentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = Field(None, description=f"comma-separated: {', '.join(INCIDENT_STATUSES)}")
    zone: str | None = Field(None, description="zone code")
    zone_class: str | None = Field(None, alias="class", description=", ".join(ZONE_CLASSES))
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")
    since: AwareDatetime | None = Field(None, description="first report at or after (ISO 8601 with offset)")
    limit: int | None = Field(None, ge=1, description="page size (default 1000, at most 5000)")
    after: int = Field(0, ge=0, description="paging cursor from the previous page's next link")

    @field_validator("status")
    @classmethod
    def known_statuses(cls, value: str | None) -> str | None:
        if value is not None and (unknown := set(value.split(",")) - set(INCIDENT_STATUSES)):
            raise ValueError(f"unknown status {', '.join(sorted(unknown))}; use {', '.join(INCIDENT_STATUSES)}")
        return value

    @field_validator("zone_class")
    @classmethod
    def known_class(cls, value: str | None) -> str | None:
        if value is not None and value not in ZONE_CLASSES:
            raise ValueError(f"must be one of {', '.join(ZONE_CLASSES)}")
        return value


@blueprint.get("")
@operation("Incidents, newest first, filtered and paged", "incidents", query=IncidentQuery,
           responses={200: ("{incidents: [...], links: [...]}", {"type": "object"}), 422: ("Bad query", None)})
def list_incidents() -> Response:
    query = query_args(IncidentQuery)
    bbox = None
    if query.bbox is not None:
        try:
            bbox = bbox_of(query.bbox)
        except GeometryProblem as why:
            raise InvalidInput("bbox is not valid", [FieldProblem("bbox", str(why))]) from None
    limit = min(query.limit or settings().page_default, settings().page_max)
    rows = incidents_page(session().connection(), statuses=query.status.split(",") if query.status else None,
                          zone=query.zone, zone_class=query.zone_class, bbox=bbox, since=query.since,
                          after=query.after, limit=limit + 1)
    links = [{"rel": "self", "href": request.url}]
    if len(rows) > limit:
        rows = rows[:limit]
        args = {k: v for k, v in request.args.items() if k != "after"}
        links.append({"rel": "next", "href": url_for(".list_incidents", _external=True, **args, after=rows[-1][0])})
    body = '{"incidents":[' + ",".join(r for _, r in rows) + '],"links":' + json.dumps(links) + "}"
    return Response(body, mimetype="application/json")


@blueprint.get("/<int:incident_id>")
@operation("One incident: device, location, reports and timeline", "incidents",
           path_params={"incident_id": {"type": "integer"}},
           responses={200: ("The incident", {"type": "object"}), 404: ("No such incident", None)})
def get_incident(incident_id: int) -> Response:
    body = incident_detail(session().connection(), incident_id)
    if body is None:
        raise NotFound(f"there is no incident {incident_id}")
    return Response(body, mimetype="application/json")

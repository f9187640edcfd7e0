"""Incidents for the dispatch desk: the list on the map and one incident with its timeline."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint, Response, json, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.access import DESK, READERS, actor, allow, identity
from api.context import dispatcher, session, settings, topologies
from api.idempotency import idempotent
from api.openapi import operation
from api.times import recent
from api.validation import MAX_ID, Point, bbox_param, json_body, page_links, page_size, query_args
from dispatch.core import clock
from dispatch.core.errors import Conflict, NotFound
from dispatch.gis.models import ZONE_CLASSES
from dispatch.incidents.area import drawn
from dispatch.incidents.corrections import merge
from dispatch.incidents.explain import inference_view
from dispatch.incidents.hotline import customers_out
from dispatch.incidents.lifecycle import EVENT_TYPES, record_event
from dispatch.incidents.models import INCIDENT_STATUSES
from dispatch.incidents.queries import incident_detail, incidents_page
from dispatch.incidents.sweeper import current_sla
from dispatch.incidents.verification import meters_of
from dispatch.reporting.interruptions import record_restoration

blueprint = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents")


class IncidentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = Field(None, description=f"comma-separated: {', '.join(INCIDENT_STATUSES)}")
    zone: str | None = Field(None, description="zone code")
    zone_class: str | None = Field(None, alias="class", description=", ".join(ZONE_CLASSES))
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")
    since: AwareDatetime | None = Field(None, description="first report at or after (ISO 8601 with offset)")
    arrival_unverified: bool | None = Field(None, description="true: crews said on site far from the incident")
    q: str | None = Field(None, min_length=1, max_length=200,
                          description="incident number, or a call's account number, phone or address")
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
@allow(*READERS)
@operation("Incidents, newest first, filtered and paged (a user limited to zones: theirs)", "incidents", query=IncidentQuery,
           responses={200: ("{incidents: [...], links: [...]}", {"type": "object"}), 422: ("Bad query", None)})
def list_incidents() -> Response:
    query = query_args(IncidentQuery)
    bbox = bbox_param(query.bbox)
    limit = page_size(query.limit, settings().page_default, settings().page_max)
    rows = incidents_page(session().connection(), statuses=query.status.split(",") if query.status else None,
                          zone=query.zone, zone_class=query.zone_class, bbox=bbox, since=query.since,
                          arrival_unverified=query.arrival_unverified, after=query.after, limit=limit + 1,
                          search=query.q and query.q.strip(), scope=identity().zones)
    rows, links = page_links(rows, limit, "application/json")
    body = '{"incidents":[' + ",".join(r for _, r in rows) + '],"links":' + json.dumps(links) + "}"
    return Response(body, mimetype="application/json")


ID = {"incident_id": {"type": "integer"}}


@blueprint.get("/<int:incident_id>")
@allow(*READERS)
@operation("One incident: device, location, reports, timeline, SLA state, why its device (inference: "
           "customers and calls per branch below it), its meters (last gasps, power restored, still out) and "
           "nested outages (parent_incident, nested)", "incidents", path_params=ID,
           responses={200: ("The incident", {"type": "object"}), 404: ("No such incident", None)})
def get_incident(incident_id: int) -> Response:
    body = incident_detail(session().connection(), min(incident_id, MAX_ID))
    if body is None:
        raise NotFound(f"there is no incident {incident_id}")
    incident = json.loads(body)
    clocks = {k: incident[k] and datetime.fromisoformat(incident[k])
              for k in ("arrival_deadline", "on_site_at", "restore_deadline", "restored_at")}
    incident["sla"] = current_sla(dispatcher(), [{**incident, **clocks}], clock.now())[incident_id]
    incident["inference"] = inference_view(session().connection(), topologies().current(session()), incident_id)
    incident["meters"] = meters_of(session(), topologies().current(session()), incident_id)
    return jsonify(incident)


class CustomersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(100, ge=1, le=1000, description="how many to list (the total is always given)")


@blueprint.get("/<int:incident_id>/customers")
@allow(*DESK)
@operation("The customers the incident has cut off (downstream of its device): critical ones first, then callers",
           "incidents", path_params=ID, query=CustomersQuery,
           responses={200: ("{incident, total, customers: [{account_no, name, phone, address, priority, called}]}",
                            {"type": "object"}), 404: ("No such incident", None)})
def incident_customers(incident_id: int):
    out = customers_out(session(), topologies(), min(incident_id, MAX_ID), query_args(CustomersQuery).limit)
    if out is None:
        raise NotFound(f"there is no incident {incident_id}")
    return jsonify(out)


@blueprint.get("/<int:incident_id>/area")
@allow(*READERS)
@operation("The area the incident's device has taken off supply, for the map: its lines and its transformers "
           "(GeoJSON, each part one feature with how many)", "incidents", path_params=ID,
           responses={200: ("A FeatureCollection (no features: an incident at a place, not on a device)",
                            {"type": "object"}), 404: ("No such incident", None)})
def incident_area(incident_id: int):
    area = drawn(session(), topologies(), min(incident_id, MAX_ID))
    if area is None:
        raise NotFound(f"there is no incident {incident_id}")
    return jsonify(area)


@blueprint.get("/<int:incident_id>/candidates")
@allow(*READERS)
@operation("Crews that could go, with their driving time, the fastest first", "incidents", path_params=ID,
           responses={200: ("{candidates: [...]}", {"type": "object"}), 404: ("No such incident", None)})
def incident_candidates(incident_id: int):
    listed = dispatcher().candidates(min(incident_id, MAX_ID), clock.now())
    return jsonify(candidates=[{k: v for k, v in c.items() if k != "id"} for c in listed])


@blueprint.get("/<int:incident_id>/route")
@allow(*READERS)
@operation("The assigned crew's fastest route to the incident, with its driving time", "incidents",
           path_params=ID, responses={200: ("GeoJSON Feature (LineString) with crew and eta_s", {"type": "object"}),
                                      404: ("No such incident, or no crew yet", None),
                                      409: ("No way by road now", None)})
def incident_route(incident_id: int):
    route = dispatcher().route(min(incident_id, MAX_ID), clock.now())
    return Response(json.dumps(route), mimetype="application/geo+json")


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    crew: str | None = Field(None, min_length=1, max_length=40, description="crew code; none: the best crew")
    queue: bool = Field(False, strict=True, description="a busy crew takes the waiting incident as its next job")


@blueprint.post("/<int:incident_id>/assign")
@idempotent
@allow(*DESK)
@operation("Send a crew (a dispatcher's choice or the best), send another one, or queue it for a busy crew",
           "incidents", path_params=ID,
           body=Assignment, responses={200: ("The crew sent", {"type": "object"}), 404: ("No such incident or crew", None),
                                       409: ("The crew cannot take it, or the incident is past assigning", None)})
def assign_crew(incident_id: int):
    choice = json_body(Assignment)
    chosen = dispatcher().assign(min(incident_id, MAX_ID), choice.crew, clock.now(), actor(),
                                 queue=choice.queue)
    dispatcher().record_messages(clock.now())
    session().commit()
    return jsonify(crew=chosen["crew"], eta_s=chosen["eta_s"], queued=chosen.get("queued", False))


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: int = Field(strict=True, ge=1, le=MAX_ID, description="the incident that carries on")


@blueprint.post("/<int:incident_id>/merge")
@idempotent
@allow(*DESK)
@operation("Merge an incident into another that is the same fault: its calls move over, its crew is freed",
           "incidents", path_params=ID, body=Merge,
           responses={200: ("{incident, into}", {"type": "object"}), 404: ("No such incident", None),
                      409: ("Its crew has set out, or the other is no longer open", None)})
def merge_incident(incident_id: int):
    target = json_body(Merge)
    return jsonify(merge(session(), dispatcher(), min(incident_id, MAX_ID), target.into,
                         clock.now(), actor()))


class LifecycleEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    at: AwareDatetime | None = Field(None, description="when it happened (the phone's clock); default now")
    location: Point | None = None
    note: str | None = Field(None, max_length=4000)
    cause: str | None = Field(None, max_length=200, description=(
        "for restored: free text kept on the event; the order's cause is the closing report's (GET /api/v1/causes)"))

    _at = field_validator("at")(recent)


@blueprint.post("/<int:incident_id>/events")
@idempotent
@allow(*DESK)
@operation("Record a lifecycle event: accepted, en_route, on_site, restored or cancelled (closed: by review)", "incidents",
           path_params=ID, body=LifecycleEvent,
           responses={200: ("The new status and the events allowed next", {"type": "object"}),
                      404: ("No such incident", None), 409: ("Not allowed now (the allowed ones are listed)", None)})
def add_event(incident_id: int):
    event = json_body(LifecycleEvent)
    if event.type == "closed":
        raise Conflict("an order is archived by accepting its closing report: "
                       f"POST /api/v1/incidents/{incident_id}/closing-report/review")
    point = event.location
    result = record_event(session(), dispatcher(), min(incident_id, MAX_ID), event.type, event.at or clock.now(),
                          actor(), point and point.lon, point and point.lat, event.note, event.cause,
                          on_restored=lambda restored: record_restoration(session(), topologies(), restored))
    return jsonify(result)

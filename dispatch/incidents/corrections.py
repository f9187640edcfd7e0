"""The desk correcting outage inference: two incidents that are one fault are merged, a call
grouped with the wrong fault is moved to the right one (or to an incident of its own).

Inference works from calls and the network model, both of which can mislead; the dispatcher who
hears the callers has the last word. Each correction is kept in the timelines of every incident
it touches, with who made it, so that reports and reviews can tell inference from the desk.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.core.db import text
from dispatch.core.errors import Conflict, InvalidInput, NotFound
from dispatch.gis.grid import TopologyCache
from dispatch.gis.skills import SkillRules
from dispatch.incidents import store
from dispatch.incidents.intake import MERGEABLE, device_fields, fault_at
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.models import OPEN_INCIDENT_STATUSES


def _lock(session: Session, incident_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The incidents, locked in id order (two desks correcting the same pair cannot deadlock)."""
    rows = session.connection().execute(text(
        "SELECT id, status, crew_id, report_count FROM incidents WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"
    ), {"ids": incident_ids}).mappings()
    found = {row["id"]: dict(row) for row in rows}
    for incident_id in incident_ids:
        if incident_id not in found:
            raise NotFound(f"there is no incident {incident_id}")
    return found


def merge(session: Session, dispatcher: CrewDispatch, incident_id: int, into: int, now: datetime,
          actor: str) -> dict[str, Any]:
    """Merge ``incident_id`` into ``into``: its calls move over, its crew is freed. Commits, with
    the live messages."""
    if incident_id == into:
        raise InvalidInput("an incident cannot be merged into itself")
    dispatcher.lock()
    incidents = _lock(session, [incident_id, into])
    merged, survivor = incidents[incident_id], incidents[into]
    if survivor["status"] not in OPEN_INCIDENT_STATUSES:
        raise Conflict(f"incident {into} is {survivor['status']}: only an open incident can take others in")
    if merged["status"] not in MERGEABLE:  # as inference: once a crew is on the road, cancel instead
        raise Conflict(f"incident {incident_id} is {merged['status']}: only one whose crew has not set out "
                       "can be merged; cancel it instead")
    connection = session.connection()
    store.merge_incidents(connection, into, [incident_id])
    store.add_event(connection, incident_id, "merged", now, {"into": into, "by": "desk"}, actor)
    store.add_event(connection, into, "absorbed", now, {"incidents": [incident_id], "by": "desk"}, actor)
    store.refresh_incident(connection, incident_id)
    store.refresh_incident(connection, into)
    if merged["crew_id"] is not None and merged["crew_id"] != survivor["crew_id"]:
        dispatcher.release(merged["crew_id"], now)
    dispatcher.assign_best(into, now)
    dispatcher.record_messages(now, [incident_id, into])
    session.commit()
    return {"incident": incident_id, "into": into}


def move_call(session: Session, topologies: TopologyCache, dispatcher: CrewDispatch, skills: SkillRules,
              report_id: int, target: int | None, now: datetime, actor: str) -> dict[str, Any]:
    """Move one call to incident ``target``, or to a new incident of its own when ``target`` is
    None (at the caller's transformer, or the caller's place). An incident left without calls is
    cancelled and its crew freed. Commits, with the live messages."""
    connection = session.connection()
    dispatcher.lock()
    call = connection.execute(text(
        "SELECT r.id, r.incident_id, r.bus_id, r.received_at, r.hazard, r.zone_id, r.zone_defaulted, "
        "r.source_id, r.arrival_deadline, r.located_method, ST_X(r.located_geom) AS lon, "
        "ST_Y(r.located_geom) AS lat, coalesce(z.class, i.zone_class) AS zone_class, z.code AS zone "
        "FROM reports r JOIN incidents i ON i.id = r.incident_id LEFT JOIN zones z ON z.id = r.zone_id "
        "WHERE r.id = :id"), {"id": report_id}).mappings().first()
    if call is None:
        raise NotFound(f"there is no report {report_id}")
    source = call["incident_id"]
    if target == source:
        raise InvalidInput(f"report {report_id} is in incident {source} already")
    incidents = _lock(session, [source] if target is None else [source, target])
    if incidents[source]["status"] not in OPEN_INCIDENT_STATUSES:
        raise Conflict(f"incident {source} is {incidents[source]['status']}: its calls stay with it")
    if target is not None and incidents[target]["status"] not in OPEN_INCIDENT_STATUSES:
        raise Conflict(f"incident {target} is {incidents[target]['status']}: a call can only join an open incident")
    if target is None:
        target = _open_for(session, topologies, skills, call)
    connection.execute(text("UPDATE reports SET incident_id = :target WHERE id = :id"),
                       {"target": target, "id": report_id})
    store.add_event(connection, source, "call_moved_out", now, {"report": report_id, "to": target}, actor)
    store.add_event(connection, target, "call_moved_in", now, {"report": report_id, "from": source}, actor)
    store.refresh_incident(connection, source)
    store.refresh_incident(connection, target)
    left = incidents[source]
    if left["report_count"] == 1:  # that was its only call: nothing is left to repair there
        store.update_incident(connection, source, status="cancelled")
        store.add_event(connection, source, "cancelled", now, {"reason": "its only call was moved"}, actor)
        if left["crew_id"] is not None:
            dispatcher.release(left["crew_id"], now)
    dispatcher.assign_best(target, now)
    dispatcher.record_messages(now, [source, target])
    session.commit()
    return {"report": report_id, "incident": target, "from": source}


def _open_for(session: Session, topologies: TopologyCache, skills: SkillRules, call: dict[str, Any]) -> int:
    """A new incident for one call: at the device of the caller's own area (its transformer, when
    the caller is on the grid), else at the caller's place."""
    connection = session.connection()
    topology = topologies.current(session)
    area = topology.area_of_bus(call["bus_id"]) if call["bus_id"] is not None else None
    device = topology.area_device[area] if area is not None else None
    needs = skills.needs(fault_at(topology, area, call["hazard"], call["zone"], call["zone_class"]))
    fields = device_fields(connection, topology, device, area, (call["lon"], call["lat"]), needs)
    incident_id = store.insert_incident(
        connection, **fields, source_id=call["source_id"], zone_id=call["zone_id"],
        zone_class=call["zone_class"], zone_defaulted=call["zone_defaulted"],
        unlocated=call["located_method"] is None, hazard=call["hazard"],
        first_report_at=call["received_at"], arrival_deadline=call["arrival_deadline"])
    store.add_event(connection, incident_id, "opened", call["received_at"],
                    {"device": fields["device_code"], "kind": fields["device_kind"], "by": "desk"})
    return incident_id

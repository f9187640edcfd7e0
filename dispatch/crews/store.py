"""Crews: their records, positions, and where each would start driving from."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.incidents.queries import WARNING
from dispatch.routing.store import MAX_SNAP_M, NEAREST_NODE

#: A job without an address a caller gave is placed "near" the nearest named street this close.
NEAREST_STREET_M = 150
#: Callers' numbers a job lists for the crew to call back (the first ones to call).
CALLBACKS_SHOWN = 10

CREW = (
    "SELECT c.id, c.code, c.name, d.code AS depot, c.members, c.headcount, c.phone, c.skills, c.on_duty, "
    "c.status, c.position_at, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, "
    "(SELECT i.id FROM incidents i WHERE i.crew_id = c.id "
    "AND i.status IN ('assigned', 'accepted', 'en_route', 'on_site') LIMIT 1) AS incident "
    "FROM crews c JOIN depots d ON d.id = c.depot_id"
)


def crew(connection: Connection, code: str) -> dict[str, Any] | None:
    row = connection.execute(text(CREW + " WHERE c.code = :code"), {"code": code}).mappings().first()
    return None if row is None else dict(row)


def crews(connection: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in connection.execute(text(CREW + " ORDER BY c.code")).mappings()]


def depot_id(connection: Connection, code: str) -> int | None:
    return connection.execute(text("SELECT id FROM depots WHERE code = :c"), {"c": code}).scalar()


def insert_crew(connection: Connection, **values: Any) -> int | None:
    """The new crew's id, or None when the code is taken."""
    return connection.execute(text(
        "INSERT INTO crews (code, name, depot_id, members, headcount, phone, skills, on_duty, status) "
        "VALUES (:code, :name, :depot_id, CAST(:members AS jsonb), :headcount, :phone, :skills, :on_duty, "
        "CASE WHEN :on_duty THEN 'available' ELSE 'off_duty' END) ON CONFLICT (code) DO NOTHING RETURNING id"
    ), {**values, "members": json.dumps(values["members"])}).scalar()


def update_crew(connection: Connection, crew_id: int, changes: dict[str, Any]) -> None:
    sets = {"name": ":name", "depot_id": ":depot_id", "phone": ":phone", "skills": ":skills",
            "members": "CAST(:members AS jsonb)", "headcount": ":headcount", "on_duty": ":on_duty",
            "status": ":status"}
    params = {**changes, "id": crew_id}
    if "members" in params:
        params["members"] = json.dumps(params["members"])
    assignments = ", ".join(f"{column} = {sets[column]}" for column in changes)
    connection.execute(text(f"UPDATE crews SET {assignments}, updated_at = now() WHERE id = :id"), params)


def add_positions(connection: Connection, crew_id: int, positions: list[dict[str, Any]]) -> int:
    """Append to the position history (one per instant: a replayed one is skipped); returns how
    many were new. The batch travels as one JSON parameter: binding hundreds of values one by
    one costs more than the insert."""
    return connection.execute(text(
        "INSERT INTO crew_positions (crew_id, at, geom, accuracy_m, speed_mps, heading_deg) "
        "SELECT :crew, p.at, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), p.accuracy, p.speed, p.heading "
        "FROM json_to_recordset(CAST(:positions AS json)) "
        "AS p(at timestamptz, lon float8, lat float8, accuracy float8, speed float8, heading float8) "
        "ON CONFLICT (crew_id, at) DO NOTHING"
    ), {"crew": crew_id, "positions": orjson.dumps(positions).decode()}).rowcount


def set_latest_position(connection: Connection, crew_id: int, at: datetime, lon: float, lat: float) -> bool:
    """Keep the newest position, snapped to the road graph, as the crew's own (a late, older
    batch does not overwrite it, and is not snapped)."""
    return connection.execute(text(
        "UPDATE crews SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), position_at = :at, "
        f"position_node_id = {NEAREST_NODE} WHERE id = :id AND (position_at IS NULL OR position_at < :at) "
        "RETURNING id"
    ), {"id": crew_id, "at": at, "lon": lon, "lat": lat, "max_m": MAX_SNAP_M}).scalar() is not None


def position_near(connection: Connection, crew_id: int, at: datetime, within_s: float) -> tuple[float, float] | None:
    """Where the crew's GPS put it closest in time to ``at`` (within ``within_s``), if anywhere.
    Only the phones' history counts: an imported position is no evidence of where a crew was.
    Both sides are bounded in time, so that only the days of the window are read (partitions)."""
    row = connection.execute(text(
        "SELECT ST_X(p.geom), ST_Y(p.geom) FROM ("
        "(SELECT geom, at FROM crew_positions WHERE crew_id = :crew AND at <= :at AND at >= :earliest "
        "ORDER BY at DESC LIMIT 1) "
        "UNION ALL (SELECT geom, at FROM crew_positions WHERE crew_id = :crew AND at > :at AND at <= :latest "
        "ORDER BY at LIMIT 1)) AS p "
        "ORDER BY abs(extract(epoch FROM p.at - :at)) LIMIT 1"
    ), {"crew": crew_id, "at": at, "earliest": at - timedelta(seconds=within_s),
        "latest": at + timedelta(seconds=within_s)}).first()
    return None if row is None else (row[0], row[1])


def lock_crew_reports(connection: Connection, crew_id: int) -> None:
    """Serialise what one crew's phones send (positions, events): an arrival and the positions
    that prove it, sent at the same moment, must each see the other."""
    connection.execute(text("SELECT pg_advisory_xact_lock(3, :crew)"), {"crew": crew_id})


def any_free_with(connection: Connection, skills: list[str]) -> bool:
    """Whether a free on-duty crew has every one of ``skills`` (:func:`dispatch.gis.skills.has_skills`)."""
    return connection.execute(text(
        "SELECT EXISTS (SELECT 1 FROM crews WHERE on_duty AND status = 'available' "
        "AND skills @> CAST(:skills AS text[]))"), {"skills": list(skills)}).scalar_one()


def origins(connection: Connection, fresh_since: datetime, free_only: bool = False) -> list[dict[str, Any]]:
    """On-duty crews (only the free ones with ``free_only``) and where each would start from: a
    fresh position (with its snapped node, if the phone reported it; an imported position has none
    yet), else its depot."""
    rows = connection.execute(text(
        "SELECT c.id, c.code, c.status, c.skills, "
        "CASE WHEN c.position_at >= :fresh THEN c.position_node_id END AS node, "
        "CASE WHEN c.position_at >= :fresh THEN 'position' ELSE 'depot' END AS origin, "
        "ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, ST_X(d.geom) AS depot_lon, ST_Y(d.geom) AS depot_lat "
        "FROM crews c JOIN depots d ON d.id = c.depot_id WHERE c.on_duty "
        "AND (NOT :free_only OR c.status = 'available') ORDER BY c.code"
    ), {"fresh": fresh_since, "free_only": free_only})
    return [dict(r) for r in rows.mappings()]


def crew_jobs(connection: Connection, crew_id: int) -> list[dict[str, Any]]:
    """The crew's job at work (assigned .. on_site), then those queued for it, then those it restored
    and still owes (or has filed) a closing report for, until the desk archives them."""
    rows = connection.execute(text(
        "SELECT i.id, i.status, i.hazard, i.device_kind, i.device_code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, "
        "i.zone_class, i.customers_affected, i.critical_customers, i.assigned_at, i.arrival_deadline, "
        "i.restore_deadline, i.on_site_at, i.restored_at, i.arrival_unverified, i.eta_s, i.queued_at, "
        "r.kind, r.description, COALESCE(said.address, served.address, near.name) AS address, "
        "CASE WHEN said.address IS NOT NULL THEN 'caller' WHEN served.address IS NOT NULL THEN 'customer' "
        "WHEN near.name IS NOT NULL THEN 'road' END AS address_source, callers.list AS callers, "
        f"{WARNING} AS warning FROM incidents i "
        "LEFT JOIN LATERAL (SELECT kind, description FROM reports WHERE incident_id = i.id "
        "ORDER BY hazard DESC, received_at, id LIMIT 1) r ON true "
        # Where to go, in the words a crew can drive to: what a caller said, else the address of a
        # calling customer, else the street nearest the faulted device.
        "LEFT JOIN LATERAL (SELECT address FROM reports WHERE incident_id = i.id AND address IS NOT NULL "
        "ORDER BY hazard DESC, received_at, id LIMIT 1) said ON true "
        "LEFT JOIN LATERAL (SELECT c.address FROM reports rc JOIN customers c ON c.id = rc.customer_id "
        "WHERE rc.incident_id = i.id ORDER BY rc.hazard DESC, rc.received_at, rc.id LIMIT 1) served ON true "
        "LEFT JOIN LATERAL (SELECT name, geom FROM roads WHERE name IS NOT NULL AND i.geom IS NOT NULL "
        "AND said.address IS NULL AND served.address IS NULL ORDER BY geom <-> i.geom LIMIT 1) near "
        f"ON ST_DWithin(near.geom::geography, i.geom::geography, {NEAREST_STREET_M}) "
        # Whom to call back: the first people who called, each number once (the one they gave, else
        # their account's); a smart meter's last gasp is no call, its customer no caller.
        "LEFT JOIN LATERAL (SELECT json_agg(json_build_object('phone', x.phone, 'name', x.name, "
        "'received_at', x.received_at) ORDER BY x.received_at) AS list FROM (SELECT * FROM (SELECT DISTINCT ON "
        "(COALESCE(rp.phone, cp.phone)) COALESCE(rp.phone, cp.phone) AS phone, cp.name, rp.received_at "
        "FROM reports rp LEFT JOIN customers cp ON cp.id = rp.customer_id WHERE rp.incident_id = i.id "
        "AND rp.channel <> 'ami' AND COALESCE(rp.phone, cp.phone) IS NOT NULL ORDER BY COALESCE(rp.phone, cp.phone), rp.received_at) d "
        f"ORDER BY received_at LIMIT {CALLBACKS_SHOWN}) x) callers ON true "
        "WHERE i.crew_id = :crew AND i.status IN ('assigned', 'accepted', 'en_route', 'on_site', 'restored') "
        "OR i.queued_crew_id = :crew AND i.status = 'new' "
        "ORDER BY i.status = 'restored', i.queued_at NULLS FIRST, i.restored_at DESC, i.id"
    ), {"crew": crew_id})
    return [dict(r) for r in rows.mappings()]


def trails(connection: Connection, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Each crew's positions between ``since`` and ``until``, oldest first, as [lon, lat, at]:
    the tails the desk draws behind the crews (per crew, so the (crew_id, at) index serves it)."""
    rows = connection.execute(text(
        "SELECT c.code AS crew, t.points FROM crews c CROSS JOIN LATERAL (SELECT json_agg(json_build_array("
        "round(ST_X(p.geom)::numeric, 6), round(ST_Y(p.geom)::numeric, 6), p.at) ORDER BY p.at) AS points "
        "FROM crew_positions p WHERE p.crew_id = c.id AND p.at > :since AND p.at <= :until) t "
        "WHERE t.points IS NOT NULL ORDER BY c.code"), {"since": since, "until": until})
    return [dict(r) for r in rows.mappings()]

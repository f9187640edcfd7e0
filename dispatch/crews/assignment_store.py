"""What assignment reads and writes: incidents awaiting crews, crews taking and leaving jobs."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text

INCIDENT = (
    "SELECT id, status, crew_id, road_node_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, required_skills, "
    "arrival_deadline, hazard, critical_customers, customers_affected, queued_crew_id, queued_at FROM incidents"
)


def incident(connection: Connection, incident_id: int) -> dict[str, Any] | None:
    row = connection.execute(text(INCIDENT + " WHERE id = :id"), {"id": incident_id}).mappings().first()
    return None if row is None else dict(row)


def locked_incident(connection: Connection, incident_id: int) -> dict[str, Any] | None:
    """:func:`incident`, its row locked for the change (one round trip)."""
    row = connection.execute(text(INCIDENT + " WHERE id = :id FOR UPDATE"), {"id": incident_id}).mappings().first()
    return None if row is None else dict(row)


def incidents(connection: Connection, incident_ids: list[int]) -> list[dict[str, Any]]:
    rows = connection.execute(text(INCIDENT + " WHERE id = ANY(:ids) ORDER BY id"), {"ids": incident_ids})
    return [dict(r) for r in rows.mappings()]


def set_road_node(connection: Connection, incident_id: int, node_id: int | None) -> None:
    connection.execute(text("UPDATE incidents SET road_node_id = :n WHERE id = :id"), {"id": incident_id, "n": node_id})


def waiting(connection: Connection) -> list[dict[str, Any]]:
    """Incidents with no crew yet, that a crew can drive to."""
    rows = connection.execute(text(
        INCIDENT + " WHERE status = 'new' AND crew_id IS NULL AND road_node_id IS NOT NULL ORDER BY id"))
    return [dict(r) for r in rows.mappings()]


def take_crew(connection: Connection, crew_id: int, incident_id: int) -> bool:
    """Claim a crew for an incident: only an on-duty crew that is free, or already on this
    incident, can be claimed (the row lock makes two claims at once wait for each other)."""
    return connection.execute(text(
        "UPDATE crews c SET status = 'assigned', updated_at = now() WHERE c.id = :crew AND c.on_duty "
        "AND (c.status = 'available' OR EXISTS (SELECT FROM incidents i WHERE i.id = :incident "
        "AND i.crew_id = c.id)) RETURNING c.id"), {"crew": crew_id, "incident": incident_id}).scalar() is not None


def give_job(connection: Connection, incident_id: int, crew_id: int, at: datetime, eta_s: float,
             replacing: bool = False) -> bool:
    """Put the claimed crew on the incident, if the incident still waits for one (or, ``replacing``,
    has a crew that has not set out)."""
    return connection.execute(text(
        "UPDATE incidents SET crew_id = :crew, status = 'assigned', assigned_at = :at, eta_s = :eta, "
        "queued_crew_id = NULL, queued_at = NULL, updated_at = now() "
        "WHERE id = :id AND (status = 'new' AND crew_id IS NULL "
        "OR :replacing AND status IN ('new', 'assigned', 'accepted')) RETURNING id"),
        {"id": incident_id, "crew": crew_id, "at": at, "eta": eta_s, "replacing": replacing}).scalar() is not None


def unqualified_crew(connection: Connection, incident_id: int) -> dict[str, Any] | None:
    """The crew on an incident not yet under way, if it lacks the skill the incident needs."""
    row = connection.execute(text(
        "SELECT c.id, c.code, i.required_skills FROM incidents i JOIN crews c ON c.id = i.crew_id "
        "WHERE i.id = :id AND i.status IN ('assigned', 'accepted') AND NOT c.skills @> i.required_skills"),
        {"id": incident_id}).mappings().first()
    return None if row is None else dict(row)


def take_job_back(connection: Connection, incident_id: int) -> None:
    """The incident waits for a crew again (its crew is taken off before setting out)."""
    connection.execute(text(
        "UPDATE incidents SET crew_id = NULL, status = 'new', assigned_at = NULL, eta_s = NULL, updated_at = now() "
        "WHERE id = :id"), {"id": incident_id})


def queue_job(connection: Connection, incident_id: int, crew_id: int, at: datetime) -> bool:
    """Line a waiting incident up as a crew's next job; False when it is no longer waiting."""
    return connection.execute(text(
        "UPDATE incidents SET queued_crew_id = :crew, queued_at = :at, updated_at = now() "
        "WHERE id = :id AND status = 'new' AND crew_id IS NULL RETURNING id"),
        {"id": incident_id, "crew": crew_id, "at": at}).scalar() is not None


def queued_jobs(connection: Connection, crew_id: int) -> list[dict[str, Any]]:
    """The jobs queued for a crew (id and the skills each needs), in the order queued."""
    rows = connection.execute(text(
        "SELECT id, required_skills FROM incidents WHERE queued_crew_id = :crew AND status = 'new' "
        "ORDER BY queued_at, id"), {"crew": crew_id})
    return [dict(r) for r in rows.mappings()]


def unqualified_at_work(connection: Connection) -> list[dict[str, Any]]:
    """Crews on a job that lack a skill it needs: {crew, incident, missing}."""
    return [dict(row) for row in connection.execute(text(
        "SELECT c.code AS crew, i.id AS incident, ARRAY(SELECT unnest(i.required_skills) EXCEPT "
        "SELECT unnest(c.skills) ORDER BY 1) AS missing FROM incidents i JOIN crews c ON c.id = i.crew_id "
        "WHERE i.status IN ('assigned', 'accepted', 'en_route', 'on_site') AND NOT c.skills @> i.required_skills "
        "ORDER BY c.code, i.id")).mappings()]


def unqualified_queues(connection: Connection) -> list[tuple[dict[str, Any], list[int]]]:
    """Each crew ({id, code}) with the jobs queued for it that it lacks a skill for."""
    rows = connection.execute(text(
        "SELECT c.id, c.code, array_agg(i.id ORDER BY i.queued_at, i.id) AS jobs FROM incidents i "
        "JOIN crews c ON c.id = i.queued_crew_id WHERE i.status = 'new' AND NOT c.skills @> i.required_skills "
        "GROUP BY c.id, c.code ORDER BY c.code")).mappings()
    return [({"id": row["id"], "code": row["code"]}, row["jobs"]) for row in rows]


def unqueue_jobs(connection: Connection, crew_id: int, incident_ids: list[int] | None = None) -> list[int]:
    """Return a crew's queued jobs (all, or those listed) to the common waiting list."""
    return connection.execute(text(
        "UPDATE incidents SET queued_crew_id = NULL, queued_at = NULL, updated_at = now() "
        "WHERE queued_crew_id = :crew AND status = 'new' AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(:ids)) "
        "RETURNING id"), {"crew": crew_id, "ids": incident_ids}).scalars().all()


def set_crew_status(connection: Connection, crew_id: int, status: str) -> None:
    """A crew's status follows its job; off-duty crews stay off duty."""
    connection.execute(text(
        "UPDATE crews SET status = CASE WHEN on_duty THEN :status ELSE 'off_duty' END, updated_at = now() "
        "WHERE id = :id"), {"id": crew_id, "status": status})


def free_crews(connection: Connection) -> list[int]:
    return connection.execute(text(
        "SELECT id FROM crews WHERE on_duty AND status = 'available' ORDER BY code")).scalars().all()

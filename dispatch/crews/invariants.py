"""The invariants of dispatch, checked against the database as it is (docs/dispatch-invariants.md).

Whatever requests ran at once, once they have committed:

1. ``crew_busy_without_job``: a crew is busy (assigned, en route, on site) only with an active job
   (an incident assigned .. on site with it as its crew) ...
2. ``crew_free_with_job``: ... and a crew with an active job is not free or off duty;
3. ``crew_status_off_job``: a busy crew's status is its job's step (assigned or accepted ->
   assigned, en_route -> en_route, on_site -> on_site);
4. ``crew_with_two_jobs``: no crew has two active jobs;
5. ``incident_with_two_crews``: no incident has two crews: an active incident has its one crew
   and no other lined up, a waiting one has none (a crew that believes it is on an incident
   another crew holds shows as rule 1);
6. ``unqualified_crew``: the crew on an incident has every skill it needs at its current device;
7. ``duty``: a crew off duty is ``off_duty``, and only such a crew;
8. ``waiting_while_crew_idle``: no incident waits while a free, on-duty crew that could take it
   (the skills, not lined up for another crew, a way there by road) stands idle.

Each check is one query; :func:`violations` runs them all. Reachability by road (rule 8) needs the
road graph: pass the dispatcher, else every crew is taken to reach every incident with a place
on the roads.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.crews.assignment import Dispatcher

ACTIVE = "('assigned', 'accepted', 'en_route', 'on_site')"
BUSY = "('assigned', 'en_route', 'on_site')"

CHECKS: dict[str, str] = {
    "crew_busy_without_job": (
        f"SELECT c.code AS crew, NULL::bigint AS incident, c.status AS detail FROM crews c WHERE c.status IN {BUSY} "
        f"AND NOT EXISTS (SELECT FROM incidents i WHERE i.crew_id = c.id AND i.status IN {ACTIVE})"),
    "crew_free_with_job": (
        "SELECT c.code AS crew, i.id AS incident, c.status || ' with a job ' || i.status AS detail "
        f"FROM crews c JOIN incidents i ON i.crew_id = c.id AND i.status IN {ACTIVE} "
        "WHERE c.status IN ('available', 'off_duty')"),
    "crew_status_off_job": (
        "SELECT c.code AS crew, i.id AS incident, c.status || ' on a job ' || i.status AS detail "
        f"FROM crews c JOIN incidents i ON i.crew_id = c.id AND i.status IN {ACTIVE} "
        f"WHERE c.status IN {BUSY} AND c.status <> CASE i.status WHEN 'accepted' THEN 'assigned' ELSE i.status END"),
    "crew_with_two_jobs": (
        "SELECT c.code AS crew, min(i.id) AS incident, string_agg(i.id::text, ', ' ORDER BY i.id) AS detail "
        f"FROM crews c JOIN incidents i ON i.crew_id = c.id AND i.status IN {ACTIVE} "
        "GROUP BY c.id, c.code HAVING count(*) > 1"),
    "incident_with_two_crews": (
        "SELECT c.code AS crew, i.id AS incident, i.status || coalesce(', queued for ' || q.code, '') AS detail "
        "FROM incidents i LEFT JOIN crews c ON c.id = i.crew_id LEFT JOIN crews q ON q.id = i.queued_crew_id "
        f"WHERE i.status IN {ACTIVE} AND (i.crew_id IS NULL OR i.queued_crew_id IS NOT NULL) "
        "OR i.status = 'new' AND i.crew_id IS NOT NULL"),
    "unqualified_crew": (
        "SELECT c.code AS crew, i.id AS incident, "
        "array_to_string(i.required_skills, '+') || ' needed at ' || i.device_kind || ' ' "
        "|| coalesce(i.device_code, '') || ', crew has ' || array_to_string(c.skills, '+') AS detail "
        f"FROM incidents i JOIN crews c ON c.id = i.crew_id WHERE i.status IN {ACTIVE} "
        "AND NOT c.skills @> i.required_skills"),
    "duty": (
        "SELECT c.code AS crew, NULL::bigint AS incident, "
        "CASE WHEN c.on_duty THEN 'on duty' ELSE 'off duty' END || ' but ' || c.status AS detail "
        "FROM crews c WHERE c.on_duty = (c.status = 'off_duty')"),
    "waiting_while_crew_idle": (
        "SELECT c.code AS crew, i.id AS incident, 'waiting since ' || i.first_report_at AS detail "
        "FROM incidents i JOIN crews c ON c.on_duty AND c.status = 'available' AND c.skills @> i.required_skills "
        "AND (i.queued_crew_id IS NULL OR i.queued_crew_id = c.id) "
        "WHERE i.status = 'new' AND i.crew_id IS NULL AND i.road_node_id IS NOT NULL"),
}


def violations(connection: Connection, dispatcher: Dispatcher | None = None,
               now: datetime | None = None) -> list[dict[str, Any]]:
    """Every broken invariant as ``{"rule", "crew", "incident", "detail"}``, by rule; an empty list
    when dispatch is sound. With ``dispatcher`` (on a session of ``connection``) and ``now``, an idle
    crew counts against a waiting incident only if it can reach it by road now."""
    found = []
    for rule, query in CHECKS.items():
        rows = [dict(row) for row in connection.execute(text(query + " ORDER BY 1, 2")).mappings()]
        if rule == "waiting_while_crew_idle" and dispatcher is not None and rows:
            rows = [row for row in rows if _reaches(dispatcher, row["crew"], row["incident"], now)]
        found += [{"rule": rule, **row} for row in rows]
    return found


def _reaches(dispatcher: Dispatcher, crew: str, incident_id: int, now: datetime | None) -> bool:
    if now is None:
        raise ValueError("reachability by road needs the time")
    listed = {c["crew"]: c for c in dispatcher.candidates(incident_id, now)}
    return crew in listed and listed[crew]["eta_s"] is not None

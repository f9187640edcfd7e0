"""Fanning notices out: each incident notice (dispatch/incidents/notices.py) becomes one
notification per customer it concerns, and one for the service person of the incident's zone; a
deadline warning's notice (dispatch/incidents/escalation.py) becomes one notification, for the
supply-station head of the incident's zone, at once.

Who: the customers who called about the incident (every stage) and, from "on the way" on, every
customer downstream of its device in the topology (the customers of GET
/api/v1/incidents/{id}/customers), less those who opted out. One INSERT ... SELECT per notice,
however many customers (a storm's feeder has thousands); the unique (customer, incident, stage,
revision) index makes it safe to run again, so a worker that dies mid-way leaves nothing half
done: the notice stays unfanned and the next pass writes only what is missing.

When: at once, except non-urgent stages (received, ETR changed) inside quiet hours, which wait
for their end. On the way, on site and restored go at once at any hour: the customer in the
dark wants to know that someone is coming, that the crew at the gate is ours, and that power is
back (or that it is not back for them, which starts a call). The service person is staff on
duty for their zone and is told at once.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.core.db import text
from dispatch.gis.grid import TopologyCache
from dispatch.incidents.escalation import WARNING_STAGES

#: Stages that wait out quiet hours.
NON_URGENT = frozenset({"received", "etr_changed"})
_DOWNSTREAM = ("SELECT c.id FROM customers c LEFT JOIN transformers t ON t.id = c.transformer_id "
               "JOIN unnest(CAST(:buses AS bigint[])) AS b(id) ON b.id = coalesce(c.bus_id, t.lv_bus_id)")


def after_quiet_hours(now: datetime, settings: Settings) -> datetime:
    """``now``, or the end of the quiet hours ``now`` falls in."""
    quiet = settings.quiet_hours
    if quiet is None:
        return now
    start, end = quiet
    local = now.astimezone(ZoneInfo(settings.dispatch_timezone))
    at = local.time()
    inside = (start <= at or at < end) if start > end else (start <= at < end)
    if not inside:
        return now
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def fan_out(session: Session, topologies: TopologyCache, settings: Settings, now: datetime, limit: int = 50) -> int:
    """Fan out up to ``limit`` notices not yet fanned out (several workers share them: each takes
    its own with SKIP LOCKED); commits; returns how many notices."""
    connection = session.connection()
    notices = connection.execute(text(
        "SELECT n.id, n.incident_id, n.stage, n.revision, i.device_kind, i.device_id, i.zone_id "
        "FROM incident_notices n JOIN incidents i ON i.id = n.incident_id WHERE n.fanned_out_at IS NULL "
        "ORDER BY n.id LIMIT :limit FOR UPDATE OF n SKIP LOCKED"), {"limit": limit}).mappings().all()
    if not notices:
        session.commit()
        return 0
    topology = topologies.current(session)
    for notice in notices:
        if notice["stage"] in WARNING_STAGES.values():
            connection.execute(text(
                "INSERT INTO notifications (notice_id, incident_id, stage, revision, zone_id, next_attempt_at, "
                "created_at) SELECT :notice, :incident, :stage, :revision, z.id, :now, :now FROM zones z "
                "WHERE z.id = :zone AND coalesce(z.props->>'station_head_phone', '') <> '' ON CONFLICT DO NOTHING"),
                {"notice": notice["id"], "incident": notice["incident_id"], "stage": notice["stage"],
                 "revision": notice["revision"], "zone": notice["zone_id"], "now": now})
            continue
        area = topology.area_of_device.get((notice["device_kind"], notice["device_id"]))
        downstream = notice["stage"] != "received" and area is not None
        due = after_quiet_hours(now, settings) if notice["stage"] in NON_URGENT else now
        values = {"notice": notice["id"], "incident": notice["incident_id"], "stage": notice["stage"],
                  # One "received" per customer, whichever call's notice brought it.
                  "revision": notice["revision"] if notice["stage"] == "etr_changed" else 0,
                  "due": due, "now": now, "zone": notice["zone_id"],
                  "buses": topology.buses_within(area) if downstream else []}
        connection.execute(text(
            "INSERT INTO notifications (notice_id, incident_id, stage, revision, customer_id, next_attempt_at, "
            "created_at) SELECT :notice, :incident, :stage, :revision, c.id, :due, :now "
            "FROM (SELECT customer_id AS id FROM reports WHERE incident_id = :incident AND customer_id IS NOT NULL "
            f"UNION {_DOWNSTREAM}) who JOIN customers c ON c.id = who.id WHERE NOT c.notify_opt_out "
            "ON CONFLICT DO NOTHING"), values)
        connection.execute(text(
            "INSERT INTO notifications (notice_id, incident_id, stage, revision, zone_id, next_attempt_at, created_at) "
            "SELECT :notice, :incident, :stage, :revision, z.id, :now, :now FROM zones z "
            "WHERE z.id = :zone AND coalesce(z.props->>'service_phone', '') <> '' ON CONFLICT DO NOTHING"), values)
    connection.execute(text("UPDATE incident_notices SET fanned_out_at = :now WHERE id = ANY(:ids)"),
                       {"now": now, "ids": [n["id"] for n in notices]})
    session.commit()
    return len(notices)

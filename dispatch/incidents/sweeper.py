"""The SLA sweeper: every open incident's clocks, checked on a timer; each at_risk, breached and
restoration_breached warning is recorded (event row) and sent to the desk (the incident's message
and an alert, through the outbox) once, however many sweepers run (a unique index on the event
table decides).

Before a deadline, warnings escalate in levels (SLA_WARNING_LEVELS: at 50 % of the time to the
deadline the crew is warned, at 80 % the supply station head, at 90 % the desk...): each level is a
``deadline_warning`` event naming whom it is for and whom it reached (dispatch/incidents/escalation.py:
the crew's phone, the station head's phone, else the desk as an alert), recorded once per clock (its
key says which)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.core.db import text
from dispatch.incidents.alerts import record_alerts
from dispatch.incidents.escalation import recipient, record_station_head_notices
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.sla import states
from dispatch.incidents.store import OPEN, add_events

ACTOR = "sla-sweeper"
SWEEPER_EVENTS = "('deadline_warning', 'at_risk', 'breached', 'restoration_breached')"
#: While the crew has not arrived, the arrival clock depends on its driving time.
ON_THE_WAY = ("new", "assigned", "accepted", "en_route")


def current_sla(dispatcher: CrewDispatch, incidents: list[dict[str, Any]], now: datetime) -> dict[int, dict[str, Any]]:
    """Each incident's SLA states at ``now``, with the driving time they assume."""
    etas = dispatcher.driving_times([i["id"] for i in incidents if i["status"] in ON_THE_WAY], now)
    return {i["id"]: states(i, now, etas.get(i["id"])) | {"eta_s": etas.get(i["id"])} for i in incidents}


def warning_for(incident: dict[str, Any], clocks: dict[str, str | None]) -> str | None:
    if incident["on_site_at"] is None:
        return clocks["arrival"] if clocks["arrival"] in ("at_risk", "breached") else None
    return "restoration_breached" if clocks["restoration"] == "breached" else None


def levels_reached(incident: dict[str, Any], now: datetime,
                   levels: tuple[tuple[int, str], ...]) -> tuple[str, list[tuple[int, str]]]:
    """The clock that runs (arrival, then restoration) and the warning levels it has passed."""
    if incident["on_site_at"] is None:
        clock_name, start, deadline = "arrival", incident["first_report_at"], incident["arrival_deadline"]
    else:
        clock_name, start, deadline = "restoration", incident["on_site_at"], incident["restore_deadline"]
    if deadline is None or deadline <= start:
        return clock_name, []
    share = (now - start) / (deadline - start) * 100
    return clock_name, [(percent, who) for percent, who in levels if share >= percent]


def due(connection: Connection, now: datetime, levels: tuple[tuple[int, str], ...]) -> list[dict[str, Any]]:
    """The open incidents a sweep at ``now`` may have a warning for, each with what the sweeper
    recorded for it (``recorded``: level keys and warning types): a level reached and not recorded,
    a deadline passed and not recorded, or an arrival clock whose at_risk depends on a driving time
    (while some crew is on duty). A superset (levels from a point early): :func:`sweep` decides."""
    rows = connection.execute(text(
        "SELECT i.id, i.status, i.crew_id, i.first_report_at, i.arrival_deadline, i.on_site_at, i.restore_deadline, "
        "i.restored_at, r.recorded, (SELECT code FROM crews WHERE id = i.crew_id) AS crew, "
        "z.props->>'station_head' AS station_head, nullif(z.props->>'station_head_phone', '') AS station_head_phone "
        "FROM incidents i LEFT JOIN zones z ON z.id = i.zone_id "
        "CROSS JOIN LATERAL (SELECT ARRAY(SELECT coalesce(e.idempotency_key, e.type) FROM incident_events e "
        f"  WHERE e.incident_id = i.id AND e.actor = :actor AND e.type IN {SWEEPER_EVENTS}) AS recorded) r "
        "CROSS JOIN LATERAL (SELECT CASE WHEN i.on_site_at IS NULL THEN 'arrival' ELSE 'restoration' END AS name, "
        "  coalesce(i.on_site_at, i.first_report_at) AS start, "
        "  CASE WHEN i.on_site_at IS NULL THEN i.arrival_deadline ELSE i.restore_deadline END AS deadline) c "
        f"WHERE i.status IN {OPEN} AND ("
        "  (c.deadline > c.start AND EXISTS (SELECT FROM unnest(CAST(:percents AS int[])) AS p(percent) "
        "    WHERE :now >= c.start + (c.deadline - c.start) * (p.percent - 1) / 100.0 "
        "    AND NOT (i.id || ':' || c.name || ':' || p.percent) = ANY(r.recorded))) "
        "  OR (i.on_site_at IS NULL AND NOT 'breached' = ANY(r.recorded) AND (i.arrival_deadline <= :now "
        "      OR (NOT 'at_risk' = ANY(r.recorded) AND EXISTS (SELECT FROM crews WHERE on_duty)))) "
        "  OR (i.on_site_at IS NOT NULL AND i.restore_deadline <= :now AND NOT 'restoration_breached' = ANY(r.recorded))"
        ") ORDER BY i.id"), {"actor": ACTOR, "now": now, "percents": [percent for percent, _ in levels]})
    keys = list(rows.keys())
    return [dict(zip(keys, row)) for row in rows.all()]


def sweep(session: Session, dispatcher: CrewDispatch, now: datetime,
          levels: tuple[tuple[int, str], ...] = ()) -> list[tuple[int, str]]:
    """Check every open incident at ``now``; return the warnings recorded by this sweep (a level
    as ``deadline_warning:<percent>``). Commits.

    A storm holds tens of thousands of open incidents and a sweep runs every few seconds: the
    database picks the incidents that may have something new (:func:`due`), each with the warnings
    the sweeper has already recorded for it, and only the new ones are written, together in one
    statement (the unique indexes still let each in once when two sweepers run at the same time)."""
    connection = session.connection()
    incidents = due(connection, now, levels)
    new: list[tuple[int, str, dict[str, Any], str | None]] = []
    for incident in incidents:
        clock_name, reached = levels_reached(incident, now, levels)
        for percent, who in reached:
            key = f"{incident['id']}:{clock_name}:{percent}"
            if key not in incident["recorded"]:
                new.append((incident["id"], "deadline_warning",
                            {"clock": clock_name, "percent": percent, "notify": who} | recipient(incident, who), key))
    slas = current_sla(dispatcher, incidents, now)
    for incident in incidents:
        clocks = slas[incident["id"]]
        warning = warning_for(incident, clocks)
        if warning is not None and warning not in incident["recorded"]:
            new.append((incident["id"], warning, {"eta_s": clocks["eta_s"]}, None))
    written = add_events(connection, now, ACTOR, new)
    recorded = [(e["incident_id"], f"deadline_warning:{e['data']['percent']}" if e["type"] == "deadline_warning"
                 else e["type"]) for e in written]
    dispatcher.record_messages(now, [incident_id for incident_id, _ in recorded])
    record_alerts(connection, [e["id"] for e in written])
    record_station_head_notices(connection, now, written)
    session.commit()
    # A crew left idle by a lifted closure (or, before issue 13, by a race): in a transaction of its
    # own, so that the dispatch lock is taken before any row lock and not held while the clocks are read.
    dispatcher.fill_free_crews(now)
    dispatcher.record_messages(now)
    session.commit()
    return recorded

"""The figures an operator watches while the system runs (``/metrics``): how many reports came in,
what is open and who is on it, how far live updates lag, how many deadlines are missed, whether
the worker sweeps. Read from the database at the moment they are asked for, so every API process
reports the same numbers and none has to be kept in step."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.crews.models import CREW_STATUSES
from dispatch.incidents.models import OPEN_INCIDENT_STATUSES, SLA_EVENT_TYPES
from dispatch.incidents.store import OPEN

#: The SLA events that mean a deadline was missed (at_risk only warns).
BREACHES = tuple(kind for kind in SLA_EVENT_TYPES if kind != "at_risk")


def figures(connection: Connection, now: datetime) -> dict[str, Any]:
    """{reports, incidents_open: {status: n}, assignments, crews: {status: n}, outbox_unrelayed,
    outbox_lag_s, sla_breaches_open, worker_sweep_age_s (None: no worker ever swept)}."""
    incidents = dict.fromkeys(OPEN_INCIDENT_STATUSES, 0) | dict(connection.execute(text(
        f"SELECT status, count(*) FROM incidents WHERE status IN {OPEN} GROUP BY status")).all())
    crews = dict.fromkeys(CREW_STATUSES, 0) | dict(connection.execute(text(
        "SELECT status, count(*) FROM crews GROUP BY status")).all())
    row = connection.execute(text(
        "SELECT (SELECT count(*) FROM reports) AS reports, "
        f"(SELECT count(*) FROM incidents WHERE status IN {OPEN} AND crew_id IS NOT NULL) AS assignments, "
        "(SELECT count(*) FROM outbox WHERE id > r.relayed_to) AS outbox_unrelayed, "
        "(SELECT min(at) FROM outbox WHERE id > r.relayed_to) AS oldest_unrelayed, "
        "(SELECT count(DISTINCT e.incident_id) FROM incident_events e JOIN incidents i ON i.id = e.incident_id "
        f" WHERE e.type = ANY(:breaches) AND i.status IN {OPEN}) AS sla_breaches_open, "
        "(SELECT max(last_sweep_at) FROM worker_heartbeats) AS last_sweep_at "
        "FROM outbox_relay r WHERE r.id = 1"
    ), {"breaches": list(BREACHES)}).mappings().one()
    return {
        "reports": row["reports"],
        "incidents_open": incidents,
        "assignments": row["assignments"],
        "crews": crews,
        "outbox_unrelayed": row["outbox_unrelayed"],
        "outbox_lag_s": max(0.0, (now - row["oldest_unrelayed"]).total_seconds()) if row["oldest_unrelayed"] else 0.0,
        "sla_breaches_open": row["sla_breaches_open"],
        "worker_sweep_age_s": (now - row["last_sweep_at"]).total_seconds() if row["last_sweep_at"] else None,
    }

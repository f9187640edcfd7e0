"""The SQL of the complaints report: complaints and fault calls of a period, per zone or cause."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.incidents.models import COMPLAINT_KINDS

#: The group key and its label, for a complaint (k: the complaint, i: its incident) and for an incident.
GROUPS = {
    "zone": ("coalesce(z.code, '')", "coalesce(z.name, z.code, '')"),
    "cause": ("coalesce(i.cause, '')", "coalesce(i.cause, '')"),
}


def complaint_rows(connection: Connection, group_by: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per group: complaints received in the period, by kind, with the incidents they are about;
    and the calls of the incidents first reported in the period (as the response-time report
    counts them). The all-groups row last, with ``group`` None."""
    key, label = GROUPS[group_by]
    kinds = ", ".join(f"count(*) FILTER (WHERE kind = '{kind}') AS {kind}" for kind in COMPLAINT_KINDS)
    rows = connection.execute(text(
        "WITH counted AS ("
        f" SELECT {key} AS key, {label} AS label, k.kind, k.incident_id, 0 AS calls FROM complaints k"
        " LEFT JOIN zones z ON z.id = k.zone_id LEFT JOIN incidents i ON i.id = k.incident_id"
        " WHERE k.received_at >= :start AND k.received_at < :end"
        " UNION ALL"
        f" SELECT {key}, {label}, NULL, NULL, i.report_count FROM incidents i LEFT JOIN zones z ON z.id = i.zone_id"
        " WHERE i.first_report_at >= :start AND i.first_report_at < :end AND i.status NOT IN ('merged', 'cancelled'))"
        " SELECT CASE WHEN grouping(key) = 0 THEN key END AS \"group\", CASE WHEN grouping(key) = 0 THEN min(label) END"
        f" AS label, count(kind) AS complaints, {kinds}, coalesce(sum(calls), 0) AS calls,"
        " coalesce(array_agg(DISTINCT incident_id ORDER BY incident_id) FILTER (WHERE incident_id IS NOT NULL),"
        " '{}') AS incidents FROM counted GROUP BY GROUPING SETS ((key), ()) ORDER BY grouping(key), 1"
    ), {"start": start, "end": end})
    return [dict(row) for row in rows.mappings()]

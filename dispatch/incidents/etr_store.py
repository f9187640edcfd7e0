"""What the restoration estimate reads and writes: past repair times and the estimate on the incident."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from dispatch.core.db import id_match, text
from dispatch.incidents.store import OPEN


def open_incidents(connection: Connection, incident_ids: list[int]) -> list[dict[str, Any]]:
    """The open ones of ``incident_ids`` with what their estimate depends on."""
    if not incident_ids:
        return []
    match, ids = id_match("i.id", "ids", incident_ids)
    rows = connection.execute(text(
        "SELECT i.id, i.status, i.crew_id, i.assigned_at, i.eta_s, i.on_site_at, i.cause, i.device_kind, "
        "i.zone_id, z.code AS zone, i.etr_at, i.etr_basis FROM incidents i LEFT JOIN zones z ON z.id = i.zone_id "
        f"WHERE {match} AND i.status IN {OPEN} ORDER BY i.id"), {"ids": ids})
    return [dict(row) for row in rows.mappings()]


def repair_times(connection: Connection, since: datetime, cause: str | None, device_kind: str,
                 zone_id: int | None) -> list[dict[str, Any]]:
    """The median on-site -> restored time (seconds) and the number of past repairs restored since
    ``since`` in each group, from the narrowest (same cause, device kind and zone) to all repairs.
    One scan serves every group: the estimate picks the narrowest with enough repairs."""
    groups = (
        ("cause_kind_zone", "cause = :cause AND device_kind = :kind AND zone_id = :zone"),
        ("cause_kind", "cause = :cause AND device_kind = :kind"),
        ("kind_zone", "device_kind = :kind AND zone_id = :zone"),
        ("kind", "device_kind = :kind"),
        ("all", "true"),
    )
    columns = ", ".join(
        f"count(*) FILTER (WHERE {where}) AS {name}_n, "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY repair_s) FILTER (WHERE {where}) AS {name}_s"
        for name, where in groups)
    row = connection.execute(text(
        f"SELECT {columns} FROM (SELECT cause, device_kind, zone_id, "
        "extract(epoch FROM restored_at - on_site_at) AS repair_s FROM incidents "
        "WHERE restored_at >= :since AND on_site_at IS NOT NULL AND restored_at >= on_site_at "
        "AND status IN ('restored', 'closed') AND customer_side IS NULL) past"),
        {"since": since, "cause": cause, "kind": device_kind, "zone": zone_id}).mappings().one()
    return [{"group": name, "samples": row[f"{name}_n"], "median_s": row[f"{name}_s"]} for name, _ in groups]


def write_estimate(connection: Connection, incident_id: int, etr_at: datetime | None, basis: dict[str, Any]) -> None:
    """The estimate now given; the first one ever given is kept beside it (for the accuracy report)."""
    connection.execute(text(
        "UPDATE incidents SET etr_at = :etr, etr_basis = CAST(:basis AS jsonb), "
        "etr_first_at = coalesce(etr_first_at, :etr) WHERE id = :id"),
        {"id": incident_id, "etr": etr_at, "basis": orjson.dumps(basis).decode()})

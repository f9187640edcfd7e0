"""Writing complaints and finding the incident a complaint is about."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.incidents.store import OPEN


def complaint_by_external_id(connection: Connection, external_id: str) -> int | None:
    return connection.execute(text("SELECT id FROM complaints WHERE external_id = :e"),
                              {"e": external_id}).scalar()


def surviving_incident(connection: Connection, incident_id: int) -> int | None:
    """The incident itself, or the one it was merged into (the fault it turned out to be); None
    when there is no such incident."""
    return connection.execute(text(
        "WITH RECURSIVE chain AS (SELECT id, merged_into_id FROM incidents WHERE id = :id "
        "UNION ALL SELECT i.id, i.merged_into_id FROM incidents i JOIN chain ON i.id = chain.merged_into_id) "
        "SELECT id FROM chain WHERE merged_into_id IS NULL"), {"id": incident_id}).scalar()


def candidate_incidents(connection: Connection, customer_id: int, received_at: datetime,
                        since: datetime) -> list[dict[str, Any]]:
    """Incidents open at ``received_at`` or restored since ``since`` (not merged away or cancelled),
    each with whether the customer called about it: what a complaint may be about. A restored one
    began at most a week before ``since`` (no outage lasts longer), so that the search stays on the
    indexes of status and first report, not years of incidents."""
    rows = connection.execute(text(
        "SELECT i.id, i.device_kind, i.device_id, i.first_report_at, "
        f"i.status IN {OPEN} AS open, EXISTS (SELECT FROM reports r WHERE r.incident_id = i.id "
        "AND r.customer_id = :customer) AS called FROM incidents i "
        "WHERE i.first_report_at <= :received AND i.status NOT IN ('merged', 'cancelled') "
        f"AND (i.status IN {OPEN} OR (i.restored_at >= :since AND i.first_report_at >= :oldest))"
    ), {"customer": customer_id, "received": received_at, "since": since, "oldest": since - timedelta(days=7)})
    return [dict(row) for row in rows.mappings()]


def incident_zone(connection: Connection, incident_id: int) -> int | None:
    return connection.execute(text("SELECT zone_id FROM incidents WHERE id = :id"), {"id": incident_id}).scalar()


def insert_complaint(connection: Connection, **values: Any) -> int:
    return connection.execute(text(
        "INSERT INTO complaints (external_id, channel, received_at, kind, account_no, phone, customer_id, zone_id, "
        "incident_id, description) VALUES (:external_id, :channel, :received_at, :kind, :account_no, :phone, "
        ":customer_id, :zone_id, :incident_id, :description) RETURNING id"), values).scalar_one()


def complaint(connection: Connection, complaint_id: int) -> dict[str, Any]:
    row = connection.execute(text(
        "SELECT k.id, k.kind, k.channel, k.received_at, c.account_no, z.code AS zone, k.incident_id AS incident "
        "FROM complaints k LEFT JOIN customers c ON c.id = k.customer_id LEFT JOIN zones z ON z.id = k.zone_id "
        "WHERE k.id = :id"), {"id": complaint_id}).mappings().one()
    return dict(row)

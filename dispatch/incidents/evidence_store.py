"""SQL of the evidence beyond calls: meter events, device events, tripped switches."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text


def customers_named(connection: Connection, accounts: list[str], meters: list[str]) -> tuple[dict, dict]:
    """(account -> customer, meter -> customer) of the customers named; a customer is (id, account,
    where it is supplied: its transformer, else its bus)."""
    columns = "c.id, c.account_no, coalesce('t' || c.transformer_id, 'b' || c.bus_id)"
    by_account = {row[1]: tuple(row[:3]) for row in connection.execute(text(
        f"SELECT {columns} FROM customers c WHERE c.account_no = ANY(:accounts)"), {"accounts": accounts})}
    by_meter = {row[3]: tuple(row[:3]) for row in connection.execute(text(
        f"SELECT {columns}, c.props->>'meter' FROM customers c WHERE c.props ? 'meter' "
        "AND c.props->>'meter' = ANY(:meters)"), {"meters": meters})}
    return by_account, by_meter


def latest_restored(connection: Connection, customer_ids: list[int]) -> dict[int, datetime]:
    """Each customer's latest power-restored, for those that have one."""
    return dict(connection.execute(text(
        "SELECT customer_id, max(at) FROM meter_events WHERE customer_id = ANY(:ids) AND kind = 'power_restored' "
        "GROUP BY customer_id"), {"ids": customer_ids}).all())


def insert_meter_events(connection: Connection, rows: list[tuple[str, str, datetime, int]],
                        received_at: datetime) -> dict[str, int]:
    """Store meter events (key, kind, at, customer id) in one statement; the ids of those stored now
    by key (one stored before, by a resent batch, is not)."""
    if not rows:
        return {}
    keys, kinds, times, customers = (list(column) for column in zip(*rows))
    return dict(connection.execute(text(
        "INSERT INTO meter_events (event_key, kind, at, received_at, customer_id) "
        "SELECT e.key, e.kind, e.at, CAST(:received_at AS timestamptz), e.customer FROM unnest(CAST(:keys AS text[]), "
        "CAST(:kinds AS text[]), CAST(:times AS timestamptz[]), CAST(:customers AS int[])) AS e(key, kind, at, customer) "
        "ON CONFLICT (event_key) DO NOTHING RETURNING event_key, id"),
        {"keys": keys, "kinds": kinds, "times": times, "customers": customers, "received_at": received_at}).all())


def attach_reports(connection: Connection, reports: dict[int, int]) -> None:
    """Note the report each last gasp (event id: report id) became."""
    connection.execute(text(
        "UPDATE meter_events m SET report_id = r.report FROM unnest(CAST(:events AS bigint[]), "
        "CAST(:reports AS bigint[])) AS r(event, report) WHERE m.id = r.event"),
        {"events": list(reports), "reports": list(reports.values())})


def meters_of_incident(connection: Connection, buses: list[int], started: datetime,
                       restored: datetime | None) -> list[dict[str, Any]]:
    """The meters on ``buses`` that sent a last gasp from ``started`` on (until ``restored``, when
    given): each customer's account, its last gasp and its first power-restored after it."""
    rows = connection.execute(text(
        "SELECT c.account_no, g.at AS gasp_at, (SELECT min(r.at) FROM meter_events r WHERE r.customer_id = c.id "
        "AND r.kind = 'power_restored' AND r.at >= g.at) AS restored_at "
        "FROM (SELECT customer_id, max(at) AS at FROM meter_events WHERE kind = 'last_gasp' AND at >= :started "
        "AND (CAST(:restored AS timestamptz) IS NULL OR at <= :restored) GROUP BY customer_id) g "
        "JOIN customers c ON c.id = g.customer_id LEFT JOIN transformers t ON t.id = c.transformer_id "
        "JOIN unnest(CAST(:buses AS bigint[])) AS b(id) ON b.id = coalesce(c.bus_id, t.lv_bus_id) "
        "ORDER BY c.account_no"), {"buses": buses, "started": started, "restored": restored})
    return [dict(row) for row in rows.mappings()]


def lock_device_event(connection: Connection, key: str) -> bool:
    """Take the transaction's lock on a device event's key; whether the event was stored before."""
    connection.execute(text("SELECT pg_advisory_xact_lock(6, hashtext(:key))"), {"key": key})
    return connection.execute(text("SELECT EXISTS (SELECT FROM device_events WHERE event_key = :key)"),
                              {"key": key}).scalar_one()


def insert_device_event(connection: Connection, **values: Any) -> None:
    connection.execute(text(
        "INSERT INTO device_events (event_key, device_code, operation, at, received_at, effect, incident_id) "
        "VALUES (:key, :device, :operation, :at, :received_at, :effect, :incident)"), values)


def switch_for_update(connection: Connection, code: str) -> dict[str, Any] | None:
    row = connection.execute(text(
        "SELECT id, code, kind, is_open, tripped_at FROM switches WHERE code = :code FOR UPDATE"),
        {"code": code}).mappings().first()
    return None if row is None else dict(row)


def switches_named(connection: Connection, codes: list[str]) -> set[str]:
    return set(connection.execute(text("SELECT code FROM switches WHERE code = ANY(:codes)"),
                                  {"codes": codes}).scalars())


def set_tripped(connection: Connection, switch_id: int, at: datetime | None) -> None:
    connection.execute(text("UPDATE switches SET tripped_at = :at, updated_at = now() WHERE id = :id"),
                       {"id": switch_id, "at": at})


def open_incidents_at(connection: Connection, switch_id: int) -> list[dict[str, Any]]:
    """The open incidents put at a switch, oldest first."""
    rows = connection.execute(text(
        "SELECT id, status, on_site_at FROM incidents WHERE device_kind = 'switch' AND device_id = :id "
        "AND status IN ('new', 'assigned', 'accepted', 'en_route', 'on_site') ORDER BY id"), {"id": switch_id})
    return [dict(row) for row in rows.mappings()]


def carrying_on(connection: Connection, incident_ids: list[int]) -> set[int]:
    """The incidents that carry these on: each, or the one it was merged into."""
    return set(connection.execute(text(
        "SELECT DISTINCT coalesce(merged_into_id, id) FROM incidents WHERE id = ANY(:ids)"),
        {"ids": incident_ids}).scalars())

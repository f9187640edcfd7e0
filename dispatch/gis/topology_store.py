"""The grid's connectivity as plain rows, the topology version, and switch operation."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.gis.topology import GridRows


def topology_version(connection: Connection) -> tuple[int, int]:
    """The topology's version (switching and imports) and the grid's (imports only)."""
    row = connection.execute(text("SELECT topology_version, grid_version FROM grid_state WHERE id = 1")).one()
    return row[0], row[1]


def bump_topology_version(connection: Connection, *, grid: bool = False) -> tuple[int, int]:
    """Tell every worker that what feeds what has changed; with ``grid``, that the grid itself did
    (an import), not only switches' states. The new version comes from a sequence, so a version
    seen once is never reused, even after a rollback. Returns both versions, as
    :func:`topology_version`."""
    also = ", grid_version = n.v" if grid else ""
    row = connection.execute(text(
        f"UPDATE grid_state SET topology_version = n.v{also} FROM (SELECT nextval('grid_versions') AS v) AS n "
        "WHERE id = 1 RETURNING topology_version, grid_version")).one()
    return row[0], row[1]


SWITCHES = "SELECT id, code, from_bus_id, to_bus_id, kind, is_open FROM switches"


def _fetched(connection: Connection, sql: str) -> list[tuple]:
    """All rows, as the driver's own tuples: for a province's millions of rows SQLAlchemy's row
    objects doubled the time every process takes to read the grid. Executed by SQLAlchemy all the
    same, so that its errors (a statement timeout: 503) and a lost connection are handled as
    everywhere else."""
    result = connection.exec_driver_sql(sql)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def switch_rows(connection: Connection) -> list[tuple]:
    """Every switch as :class:`GridRows` holds it (what a switching changes)."""
    return _fetched(connection, SWITCHES)


def grid_rows(connection: Connection) -> GridRows:
    def rows(sql: str) -> list[tuple]:
        return _fetched(connection, sql)

    lines = rows("SELECT id, code, from_bus_id, to_bus_id, length_m FROM lines")
    return GridRows(
        buses=[bus for (bus,) in rows("SELECT id FROM buses")],
        lines=[line[:4] for line in lines],
        line_lengths={line[0]: line[4] for line in lines},
        switches=rows(SWITCHES),
        transformers=rows("SELECT id, code, hv_bus_id, lv_bus_id FROM transformers"),
        sources=rows("SELECT id, code, bus_id FROM sources"),
        customer_buses=[bus for (bus,) in rows(
            "SELECT coalesce(c.bus_id, t.lv_bus_id) FROM customers c "
            "LEFT JOIN transformers t ON t.id = c.transformer_id")],
    )


def set_switch_open(connection: Connection, code: str, is_open: bool, at: datetime) -> bool | None:
    """Set a switch's state and log the change at ``at``; return its previous state, or None when
    there is no such switch.

    The row is locked first, so that of two operators switching at once the second sees the
    first one's result (and a change is never missed)."""
    before = connection.execute(text("SELECT is_open FROM switches WHERE code = :code FOR UPDATE"),
                                {"code": code}).scalar()
    if before is not None and before != is_open:
        connection.execute(text("UPDATE switches SET is_open = :open, updated_at = now() WHERE code = :code"),
                           {"code": code, "open": is_open})
        connection.execute(text("INSERT INTO switch_operations (switch_code, is_open, at) VALUES (:code, :open, :at)"),
                           {"code": code, "open": is_open, "at": at})
    return before


def switch_operations_since(connection: Connection, since: datetime) -> list[tuple[str, bool, datetime]]:
    """(switch code, opened?, when) of every switching operation after ``since``, oldest first."""
    return [tuple(row) for row in connection.execute(text(
        "SELECT switch_code, is_open, at FROM switch_operations WHERE at > :since ORDER BY at, id"),
        {"since": since})]


def open_device_incidents(connection: Connection) -> list[tuple[int, str, int]]:
    """(id, device kind, device id) of every open incident predicted at a grid device."""
    return [tuple(row) for row in connection.execute(text(
        "SELECT id, device_kind, device_id FROM incidents "
        "WHERE status IN ('new', 'assigned', 'accepted', 'en_route', 'on_site') AND device_id IS NOT NULL"))]


def rehome_incidents(connection: Connection, homes: list[tuple[int, int | None]]) -> list[int]:
    """Set the feeding source of incidents (and of their reports) after switching; returns the
    incidents whose source changed."""
    if not homes:
        return []
    ids, sources = [i for i, _ in homes], [s for _, s in homes]
    moved = connection.execute(text(
        "UPDATE incidents i SET source_id = h.source_id FROM unnest(CAST(:ids AS bigint[]), CAST(:sources AS int[])) "
        "AS h(id, source_id) WHERE i.id = h.id AND i.source_id IS DISTINCT FROM h.source_id RETURNING i.id"),
        {"ids": ids, "sources": sources}).scalars().all()
    connection.execute(text(
        "UPDATE reports r SET source_id = i.source_id FROM incidents i "
        "WHERE r.incident_id = i.id AND i.id = ANY(:ids) AND r.source_id IS DISTINCT FROM i.source_id"),
        {"ids": ids})
    return moved


def critical_customers(connection: Connection, buses: list[int]) -> list[dict[str, Any]]:
    """The critical and life-support customers supplied from ``buses`` (joined, not ``= ANY``:
    thousands of buses against every customer would be a nested loop)."""
    return [dict(r) for r in connection.execute(text(
        "SELECT c.account_no, c.name, c.priority FROM customers c LEFT JOIN transformers t ON t.id = c.transformer_id "
        "JOIN unnest(CAST(:buses AS bigint[])) AS b(id) ON b.id = coalesce(c.bus_id, t.lv_bus_id) "
        "WHERE c.priority IN ('critical', 'life_support') "
        "ORDER BY c.priority DESC, c.account_no"), {"buses": buses}).mappings()]

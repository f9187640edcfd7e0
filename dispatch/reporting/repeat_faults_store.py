"""The SQL of the repeat-fault list: faults of a recent window per device, per transformer area,
and the devices and places the list shows."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text

#: The faults counted: incidents first reported in the window, on a grid device (not merged into
#: another, which is the same fault, nor cancelled, which was none).
WINDOW = ("WHERE i.first_report_at >= :since AND i.status NOT IN ('merged', 'cancelled') "
          "AND i.device_kind <> 'location'")
FAULTS = f"FROM incidents i {WINDOW}"
#: Where each kind of device stands, and its name.
PLACE = {
    "switch": "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, kind || ' ' || code AS name FROM switches WHERE id = :id",
    "transformer": "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, name FROM transformers WHERE id = :id",
    "source": "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, name FROM sources WHERE id = :id",
}


def faults_per_device(connection: Connection, since: datetime, least: int) -> list[dict[str, Any]]:
    """Devices with at least ``least`` faults since ``since``: kind, id, code, faults, last, incidents."""
    rows = connection.execute(text(
        "SELECT i.device_kind AS kind, i.device_id AS id, min(i.device_code) AS code, count(*) AS faults, "
        "max(i.first_report_at) AS last_fault_at, array_agg(i.id ORDER BY i.id) AS incidents "
        f"{FAULTS} GROUP BY i.device_kind, i.device_id HAVING count(*) >= :least"
    ), {"since": since, "least": least})
    return [dict(row) for row in rows.mappings()]


def faults(connection: Connection, since: datetime) -> list[dict[str, Any]]:
    """Every fault since ``since``: id, device kind and id, first report."""
    rows = connection.execute(text(
        f"SELECT i.id, i.device_kind, i.device_id, i.first_report_at {FAULTS} ORDER BY i.id"), {"since": since})
    return [dict(row) for row in rows.mappings()]


def faults_per_transformer_area(connection: Connection, since: datetime, least: int) -> list[dict[str, Any]]:
    """Transformer areas with at least ``least`` faults since ``since``: a fault counts in an area
    when its device is the area's transformer or a call about it came from the area."""
    rows = connection.execute(text(
        "WITH touched AS ("
        f" SELECT i.id, i.first_report_at, i.device_id AS transformer_id {FAULTS} AND i.device_kind = 'transformer'"
        " UNION"
        " SELECT i.id, i.first_report_at, r.transformer_id FROM incidents i JOIN reports r ON r.incident_id = i.id"
        f" {WINDOW} AND r.transformer_id IS NOT NULL)"
        " SELECT t.code, t.name, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, count(*) AS faults,"
        " max(f.first_report_at) AS last_fault_at, array_agg(f.id ORDER BY f.id) AS incidents"
        " FROM touched f JOIN transformers t ON t.id = f.transformer_id"
        " GROUP BY t.id HAVING count(*) >= :least"
    ), {"since": since, "least": least})
    return [dict(row) for row in rows.mappings()]


def device_place(connection: Connection, kind: str, device_id: int) -> dict[str, Any] | None:
    row = connection.execute(text(PLACE[kind]), {"id": device_id}).mappings().first()
    return None if row is None else dict(row)


def feeder_name(connection: Connection, switch_id: int) -> str | None:
    """The feeder name the lines leaving a feeder's head switch carry, if the import gave one."""
    return connection.execute(text(
        "SELECT min(l.feeder) FROM switches s JOIN lines l ON l.from_bus_id = s.to_bus_id WHERE s.id = :id"),
        {"id": switch_id}).scalar()

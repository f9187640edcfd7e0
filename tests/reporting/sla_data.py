"""Hand-built incidents for the report tests: each with the times and timeline a test sets."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import text

TARGET = {"urban": 45, "rural": 90, "remote": 120}
RESTORE = {"urban": 180, "rural": 240, "remote": 240}
TABLES = {"switch": "switches", "transformer": "transformers"}


def minutes(at: datetime, n: float | None) -> datetime | None:
    return None if n is None else at + timedelta(minutes=n)


def incident(connection, received: datetime, zone: str | None = "Z1", arrival: float | None = None,
             restoration: float | None = None, crews: tuple[tuple[str, float], ...] = (), calls: int = 1,
             unverified: bool = False, cause: str | None = None, customer_side_deadline: float | None = None,
             status: str | None = None, device: tuple[str, str] | None = None) -> int:
    """An incident first reported at ``received`` in ``zone``; the crew on site ``arrival`` minutes
    later, power back ``restoration`` minutes after that; ``crews``: (crew code, minutes after receipt
    it was assigned), the last one keeps it; ``device``: (switch or transformer, code) it is on."""
    zone_row = connection.execute(text("SELECT id, class FROM zones WHERE code = :z"), {"z": zone}).first()
    zone_id, zone_class = zone_row if zone_row else (None, "rural")
    on_site = minutes(received, arrival)
    restored = minutes(on_site, restoration) if on_site else None
    status = status or ("restored" if restored else "on_site" if on_site else "assigned" if crews else "new")
    crew_id = crews and connection.execute(text("SELECT id FROM crews WHERE code = :c"), {"c": crews[-1][0]}).scalar()
    deadline = minutes(received, customer_side_deadline or TARGET[zone_class])
    kind, code = device or ("location", None)
    device_id = code and connection.execute(text(f"SELECT id FROM {TABLES[kind]} WHERE code = :c"),
                                            {"c": code}).scalar_one()
    incident_id = connection.execute(text(
        "INSERT INTO incidents (device_kind, device_id, device_code, status, zone_id, zone_class, first_report_at, arrival_deadline, "
        "restore_deadline, on_site_at, restored_at, crew_id, arrival_unverified, report_count, customer_side, "
        "assigned_at, dispatched_at, crews_assigned, cause) VALUES (:kind, :device_id, :code, :status, :zone_id, :zone_class, "
        ":received, :deadline, :restore_by, :on_site, :restored, :crew_id, :unverified, :calls, :side, :assigned_at, "
        ":dispatched_at, :crews_assigned, :cause) RETURNING id"),
        {"kind": kind, "device_id": device_id, "code": code, "status": status, "zone_id": zone_id, "zone_class": zone_class, "received": received, "deadline": deadline,
         "restore_by": minutes(on_site, RESTORE[zone_class]) if on_site else None, "on_site": on_site,
         "restored": restored, "crew_id": crew_id or None, "unverified": unverified, "calls": calls,
         "side": "behind_meter" if customer_side_deadline else None,
         "assigned_at": minutes(received, crews[-1][1]) if crews else None,
         "dispatched_at": minutes(received, crews[0][1]) if crews else None, "crews_assigned": len(crews),
         "cause": cause}).scalar_one()
    events = [("opened", received, {})] + [("assigned", minutes(received, at), {"crew": code}) for code, at in crews]
    if on_site:
        events.append(("on_site", on_site, {}))
    if restored:
        events.append(("restored", restored, {"cause": cause} if cause else {}))
    for kind, at, data in events:
        connection.execute(text("INSERT INTO incident_events (incident_id, type, at, data) "
                                "VALUES (:i, :t, :at, CAST(:d AS jsonb))"),
                           {"i": incident_id, "t": kind, "at": at, "d": json.dumps(data)})
    return incident_id

"""Why an incident is at its device: what the desk shows beside the prediction.

Inference (:mod:`dispatch.gis.inference`) puts an incident at the device that best explains the
calls; a dispatcher checks it by looking one level down: the customers and calls of each branch
below the device. Calls from several branches point at the device itself; calls from one branch
only would have pointed at that branch.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.gis.inference import branches
from dispatch.gis.topology import Device, Topology


def _device(device: Device | None) -> dict[str, str] | None:
    return None if device is None else {"kind": device.kind, "code": device.code}


def inference_view(connection: Connection, topology: Topology, incident_id: int) -> dict[str, Any] | None:
    """The incident's device with its customers and calls, and the same per branch below it
    (``device`` None: the customers on the device's own section); None for an incident not at a
    device of the current grid."""
    at = connection.execute(text("SELECT device_kind, device_id FROM incidents WHERE id = :id"),
                            {"id": incident_id}).first()
    area = None if at is None or at[1] is None else topology.area_of_device.get((at[0], at[1]))
    if area is None:
        return None
    rows = connection.execute(text(
        "SELECT DISTINCT ON (coalesce(customer_id, -id)) bus_id FROM reports "
        "WHERE incident_id = :id AND NOT hazard AND bus_id IS NOT NULL"), {"id": incident_id}).scalars()
    called = [a for bus in rows if (a := topology.area_of_bus(bus)) is not None and topology.is_within(a, area)]
    customers = topology.area_customers[area]
    return {
        "device": _device(topology.area_device[area]),
        "customers": customers,
        "calls": len(called),
        "call_share": round(len(called) / customers, 4) if customers else None,
        # Kilometres of line the device itself clears: why it can beat a single called branch.
        "own_line_km": round(topology.area_line_km[area], 2),
        "branches": [{"device": _device(b.device), "customers": b.customers, "calls": b.calls}
                     for b in branches(topology, area, called)],
    }

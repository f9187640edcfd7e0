"""Taking a call at the desk: find the caller among the customers as they spell themselves out
(account number, phone, address), and show the outage they are already in before a new report is
made of it (most calls in a storm are about a fault the desk knows)."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from dispatch.core.db import text
from dispatch.gis.grid import TopologyCache
from dispatch.incidents.area import buses_downstream
from dispatch.incidents.queries import like_literal
from dispatch.incidents.store import OPEN

SUGGESTIONS = (
    "SELECT c.account_no, c.name, c.phone, c.address, c.priority, c.bus_id, c.transformer_id, "
    "ST_AsGeoJSON(c.geom, 7)::json AS location, "
    "(SELECT r.incident_id FROM reports r JOIN incidents i ON i.id = r.incident_id "
    f" WHERE r.customer_id = c.id AND i.status IN {OPEN} ORDER BY r.received_at DESC LIMIT 1) AS called_about "
    "FROM customers c "
    "WHERE c.account_no LIKE :prefix ESCAPE '\\' OR (length(:digits) >= 4 AND c.phone_digits LIKE :digits || '%') "
    "OR c.address ILIKE :fragment ESCAPE '\\' "
    "ORDER BY c.account_no = :q DESC, c.phone_digits = :digits DESC, c.account_no LIMIT :limit"
)
OUTAGES = (
    "SELECT id, device_kind, device_id FROM incidents "
    f"WHERE status IN {OPEN} AND NOT unlocated AND device_kind <> 'location'"
)


def suggest_customers(session: Session, topologies: TopologyCache, typed: str, limit: int) -> list[dict[str, Any]]:
    """Customers matching what the call-taker typed: an account number's beginning, a phone's
    first digits, or part of an address; each with the open incident it is already in (one it
    called about, else the one whose device is nearest upstream of it), or None."""
    literal = like_literal(typed)
    connection = session.connection()
    rows = [dict(r) for r in connection.execute(text(SUGGESTIONS), {
        "q": typed, "prefix": literal + "%", "digits": re.sub(r"[^0-9]", "", typed),
        "fragment": f"%{literal}%", "limit": limit}).mappings()]
    topology = topologies.current(session) if rows else None
    outages = None
    for row in rows:
        bus = row.pop("bus_id")
        # A customer on record at a bus is fed by whichever transformer the network says.
        transformer = row.pop("transformer_id") or (topology.transformer_of_bus(bus) if bus is not None else None)
        row["transformer"] = transformer
        row["open_incident"] = row.pop("called_about")
        if row["open_incident"] is None and bus is not None:
            if outages is None:
                outages = [(i["id"], topology.area_of_device.get((i["device_kind"], i["device_id"])))
                           for i in connection.execute(text(OUTAGES)).mappings()]
            area = topology.area_of_bus(bus)
            around = [(topology.area_depth[outer], incident) for incident, outer in outages
                      if area is not None and outer is not None and topology.is_within(area, outer)]
            row["open_incident"] = max(around)[1] if around else None  # the nearest device up
    codes = dict(connection.execute(text("SELECT id, code FROM transformers WHERE id = ANY(:ids)"),
                                    {"ids": [r["transformer"] for r in rows if r["transformer"]]}).all())
    for row in rows:
        row["transformer"] = codes.get(row["transformer"])
    return rows


def customers_out(session: Session, topologies: TopologyCache, incident_id: int,
                  limit: int) -> dict[str, Any] | None:
    """The customers downstream of an incident's predicted device (those it has taken off supply):
    how many, and the first ``limit`` of them, critical and life-support first, each marked when
    they called about it; None: no such incident."""
    buses = buses_downstream(session, topologies, incident_id)
    if buses is None:
        return None
    connection = session.connection()
    rows = connection.execute(text(
        "SELECT c.account_no, c.name, c.phone, c.address, c.priority, "
        "EXISTS (SELECT FROM reports r WHERE r.customer_id = c.id AND r.incident_id = :id) AS called, "
        "count(*) OVER () AS total FROM customers c LEFT JOIN transformers t ON t.id = c.transformer_id "
        "JOIN unnest(CAST(:buses AS bigint[])) AS b(id) ON b.id = coalesce(c.bus_id, t.lv_bus_id) "
        "ORDER BY c.priority IN ('critical', 'life_support') DESC, called DESC, c.account_no LIMIT :limit"),
        {"id": incident_id, "buses": buses, "limit": limit}).mappings().all()
    return {"incident": incident_id, "total": rows[0]["total"] if rows else 0,
            "customers": [{k: v for k, v in row.items() if k != "total"} for row in rows]}

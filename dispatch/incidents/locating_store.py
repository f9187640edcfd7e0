"""Finding where a report is on the grid: customers by account, phone or address; the nearest
customer, transformer or line to a point; the zone of a point."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.gis.zoning import SMALLEST_FIRST

POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"


def _zone_at(point_sql: str) -> str:
    """SQL: the zone a point belongs to (dispatch/gis/zoning.py), as :func:`zone_at` gives it."""
    return (f"SELECT z.id, z.code, z.class AS zone_class, z.arrival_target_min FROM zones z "
            f"WHERE ST_Covers(z.geom, {point_sql}) ORDER BY {SMALLEST_FIRST} LIMIT 1")


#: A customer with its zone (``zone``: as :func:`zone_at` gives it, None when no zone covers it):
#: a call located by its customer needs both, read in one round trip.
CUSTOMER = (
    "SELECT c.id, coalesce(c.bus_id, t.lv_bus_id) AS bus_id, "
    "c.transformer_id, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, to_jsonb(z) AS zone {extra} "
    "FROM customers c LEFT JOIN transformers t ON t.id = c.transformer_id "
    f"LEFT JOIN LATERAL ({_zone_at('c.geom')}) z ON true"
)


def _one(connection: Connection, sql: str, **params: Any) -> dict[str, Any] | None:
    row = connection.execute(text(sql), params).mappings().first()
    return None if row is None else dict(row)


def customer_by_account(connection: Connection, account_no: str) -> dict[str, Any] | None:
    return _one(connection, CUSTOMER.format(extra="") + " WHERE c.account_no = :account_no",
                account_no=account_no)


def customer_by_phone(connection: Connection, digits: str) -> dict[str, Any] | None:
    """The customer with this phone number (the lowest account number when several share it)."""
    return _one(connection, CUSTOMER.format(extra="") + " WHERE c.phone_digits = :digits "
                "ORDER BY c.account_no LIMIT 1", digits=digits)


def customer_by_address(connection: Connection, address: str, min_similarity: float) -> dict[str, Any] | None:
    """The customer whose address best contains what the caller said (trigram word similarity:
    "12 Fin Street" matches "12 Fin Street, Kashan Centre East"), if alike enough."""
    # The five nearest by the GiST index alone (a join or a second sort key would turn the index
    # scan into a full sort), then a deterministic pick among them.
    row = _one(connection, CUSTOMER.format(extra=", word_similarity(:address, c.address) AS similarity")
               + " WHERE c.id IN (SELECT id FROM customers ORDER BY :address <<-> address LIMIT 5) "
               "ORDER BY similarity DESC, c.account_no LIMIT 1", address=address)
    return row if row is not None and row["similarity"] >= min_similarity else None


NEAREST = {
    "customer": CUSTOMER.format(extra=f", ST_Distance(c.geom::geography, {POINT}::geography) AS distance_m")
    + f" ORDER BY c.geom <-> {POINT} LIMIT 1",
    "transformer": f"SELECT id, code, lv_bus_id AS bus_id, ST_X(geom) AS lon, ST_Y(geom) AS lat, "
                   f"ST_Distance(geom::geography, {POINT}::geography) AS distance_m "
                   f"FROM transformers ORDER BY geom <-> {POINT} LIMIT 1",
    "line": f"SELECT id, code, from_bus_id, to_bus_id, ST_X(p) AS lon, ST_Y(p) AS lat, "
            f"ST_Distance(p::geography, {POINT}::geography) AS distance_m "
            f"FROM (SELECT id, code, from_bus_id, to_bus_id, ST_ClosestPoint(geom, {POINT}) AS p "
            f"FROM lines ORDER BY geom <-> {POINT} LIMIT 1) AS nearest",
}


def nearest(connection: Connection, what: str, lon: float, lat: float, radius_m: float) -> dict[str, Any] | None:
    """The nearest customer, transformer or line to a point, if within ``radius_m`` metres."""
    row = _one(connection, NEAREST[what], lon=lon, lat=lat)
    return row if row is not None and row["distance_m"] <= radius_m else None


def zone_at(connection: Connection, lon: float, lat: float) -> dict[str, Any] | None:
    """The zone a point belongs to (the smallest covering it: dispatch/gis/zoning.py)."""
    return _one(connection, _zone_at(POINT), lon=lon, lat=lat)


def device_location(connection: Connection, kind: str, device_id: int) -> tuple[float, float] | None:
    """Where a switch, transformer or source stands."""
    table = {"switch": "switches", "transformer": "transformers", "source": "sources"}[kind]
    row = connection.execute(text(f"SELECT ST_X(geom), ST_Y(geom) FROM {table} WHERE id = :id"),
                             {"id": device_id}).first()
    return None if row is None else (row[0], row[1])

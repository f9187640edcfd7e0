"""Reading grid layers back as GeoJSON, built by PostGIS so that large pages stay cheap."""
from __future__ import annotations

from sqlalchemy import Connection

from dispatch.core.db import text


def _code(table: str, column: str) -> str:
    return f"(SELECT code FROM {table} WHERE id = t.{column})"


#: For each layer: its table, its key and the SQL of its documented properties.
LAYER_SQL: dict[str, tuple[str, str, str]] = {
    "zones": ("zones", "code", "'code', t.code, 'name', t.name, 'class', t.class, "
              "'arrival_target_min', t.arrival_target_min, 'restore_target_min', t.restore_target_min"),
    "buses": ("buses", "code", "'code', t.code, 'voltage_kv', t.voltage_kv"),
    "sources": ("sources", "code", f"'code', t.code, 'name', t.name, 'bus', {_code('buses', 'bus_id')}"),
    "lines": ("lines", "code", f"'code', t.code, 'from_bus', {_code('buses', 'from_bus_id')}, "
              f"'to_bus', {_code('buses', 'to_bus_id')}, 'voltage_kv', t.voltage_kv, 'feeder', t.feeder, "
              "'length_m', round(t.length_m::numeric, 1)"),
    "switches": ("switches", "code", f"'code', t.code, 'from_bus', {_code('buses', 'from_bus_id')}, "
                 f"'to_bus', {_code('buses', 'to_bus_id')}, 'kind', t.kind, "
                 "'normally_open', t.normally_open, 'is_open', t.is_open"),
    "transformers": ("transformers", "code", f"'code', t.code, 'name', t.name, "
                     f"'hv_bus', {_code('buses', 'hv_bus_id')}, 'lv_bus', {_code('buses', 'lv_bus_id')}, "
                     "'kva', t.kva"),
    "customers": ("customers", "account_no", "'account_no', t.account_no, 'name', t.name, 'phone', t.phone, "
                  f"'address', t.address, 'bus', {_code('buses', 'bus_id')}, "
                  f"'transformer', {_code('transformers', 'transformer_id')}, 'priority', t.priority"),
    "depots": ("depots", "code", "'code', t.code, 'name', t.name"),
    "crews": ("crews", "code", f"'code', t.code, 'name', t.name, 'depot', {_code('depots', 'depot_id')}, "
              "'members', t.members, 'headcount', t.headcount, 'phone', t.phone, 'skills', to_jsonb(t.skills), "
              "'on_duty', t.on_duty, 'status', t.status, 'position_at', t.position_at"),
    "roads": ("roads", "code", "'code', t.code, 'highway', t.highway, 'maxspeed', t.maxspeed_kmh, "
              "'oneway', t.oneway, 'name', t.name, 'length_m', round(t.length_m::numeric, 1), "
              "'source_node', t.source_node_id, 'target_node', t.target_node_id"),
}


def _feature_sql(layer: str) -> tuple[str, str]:
    table, key, properties = LAYER_SQL[layer]
    select = (f"SELECT t.id, json_build_object('type', 'Feature', 'id', t.{key}, "
              f"'geometry', ST_AsGeoJSON(t.geom, 7)::json, "
              f"'properties', t.props || jsonb_build_object({properties}))::text FROM {table} AS t")
    return select, key


def feature(connection: Connection, layer: str, key: str) -> str | None:
    """One feature of ``layer`` by its code, as GeoJSON text."""
    select, key_column = _feature_sql(layer)
    row = connection.execute(text(f"{select} WHERE t.{key_column} = :key"), {"key": key}).first()
    return None if row is None else row[1]


def features_page(
    connection: Connection, layer: str, bbox: tuple[float, float, float, float] | None,
    after: int, limit: int,
) -> list[tuple[int, str]]:
    """Up to ``limit`` features of ``layer`` with id > ``after`` (keyset paging), as (id, GeoJSON text).

    Extra properties from the import come first so documented ones always win a name clash.
    """
    select, _ = _feature_sql(layer)
    where = "t.id > :after"
    params: dict[str, float | int] = {"after": after, "limit": limit}
    if bbox is not None:
        where += " AND t.geom && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)"
        params.update(zip(("minlon", "minlat", "maxlon", "maxlat"), bbox))
    statement = text(f"{select} WHERE {where} ORDER BY t.id LIMIT :limit")
    return [(row[0], row[1]) for row in connection.execute(statement, params)]


def zone_codes(connection: Connection, codes: list[str]) -> set[str]:
    """Which of ``codes`` are zones."""
    return set(connection.execute(text("SELECT code FROM zones WHERE code = ANY(:codes)"), {"codes": codes}).scalars())

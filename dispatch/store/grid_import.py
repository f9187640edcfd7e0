"""Bulk writes of validated grid features.

Each layer is COPYed into a temporary staging table and merged into its table with one
``INSERT ... SELECT ... ON CONFLICT DO UPDATE``: tens of thousands of rows a second instead of one
round trip per row. Rows whose values did not change are not touched, so a re-import is a no-op.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from sqlalchemy import Connection, text

from dispatch.gis.layers import Feature, Layer

GEOM = "ST_SetSRID(ST_GeomFromGeoJSON(s.geom), 4326)"


def _ref(table: str, column: str) -> str:
    return f"(SELECT id FROM {table} WHERE code = s.{column})"


@dataclass(frozen=True)
class Target:
    """How a layer's staged columns become its table's columns (SQL expressions over ``s``)."""

    table: str
    key_column: str
    columns: dict[str, str]
    #: Columns set when a row is created and then left to the application (operating state).
    insert_only: dict[str, str] = field(default_factory=dict)
    #: Columns staged besides the layer's fields, computed from each feature.
    derived: Callable[[Feature], dict[str, Any]] | None = None
    #: Statements run after staging and before the merge.
    prepare: tuple[str, ...] = ()


def _road_end_points(feature: Feature) -> dict[str, Any]:
    coordinates = feature.geometry["coordinates"]
    (x0, y0), (x1, y1) = coordinates[0][:2], coordinates[-1][:2]
    return {"x0": round(x0 * 1e7), "y0": round(y0 * 1e7), "x1": round(x1 * 1e7), "y1": round(y1 * 1e7)}


def _node(x: str, y: str) -> str:
    return f"(SELECT id FROM road_nodes WHERE x_e7 = s.{x}::bigint AND y_e7 = s.{y}::bigint)"


TARGETS: dict[str, Target] = {
    "zones": Target("zones", "code", {
        "code": "s.code", "name": "s.name", "class": "s.class",
        "arrival_target_min": "s.arrival_target_min::int",
        "restore_target_min": "s.restore_target_min::int", "geom": f"ST_Multi({GEOM})",
    }),
    "buses": Target("buses", "code", {"code": "s.code", "voltage_kv": "s.voltage_kv::float8", "geom": GEOM}),
    "sources": Target("sources", "code", {
        "code": "s.code", "name": "s.name", "bus_id": _ref("buses", "bus"), "geom": GEOM,
    }),
    "lines": Target("lines", "code", {
        "code": "s.code", "from_bus_id": _ref("buses", "from_bus"), "to_bus_id": _ref("buses", "to_bus"),
        "voltage_kv": "s.voltage_kv::float8", "feeder": "s.feeder",
        "length_m": f"ST_Length({GEOM}::geography)", "geom": GEOM,
    }),
    "switches": Target("switches", "code", {
        "code": "s.code", "from_bus_id": _ref("buses", "from_bus"), "to_bus_id": _ref("buses", "to_bus"),
        "kind": "s.kind", "normally_open": "s.normally_open::bool", "geom": GEOM,
    }, insert_only={"is_open": "s.normally_open::bool"}),
    "transformers": Target("transformers", "code", {
        "code": "s.code", "name": "s.name", "hv_bus_id": _ref("buses", "hv_bus"),
        "lv_bus_id": _ref("buses", "lv_bus"), "kva": "s.kva::float8", "geom": GEOM,
    }),
    "customers": Target("customers", "account_no", {
        "account_no": "s.account_no", "name": "s.name", "phone": "s.phone", "address": "s.address",
        "bus_id": _ref("buses", "bus"), "transformer_id": _ref("transformers", "transformer"),
        "priority": "s.priority", "geom": GEOM,
    }),
    "depots": Target("depots", "code", {"code": "s.code", "name": "s.name", "geom": GEOM}),
    "crews": Target("crews", "code", {
        "code": "s.code", "name": "s.name", "depot_id": _ref("depots", "depot"), "phone": "s.phone",
        "members": "CASE WHEN jsonb_typeof(s.members::jsonb) = 'array' THEN s.members::jsonb ELSE '[]' END",
        "headcount": "CASE WHEN jsonb_typeof(s.members::jsonb) = 'array' "
                     "THEN jsonb_array_length(s.members::jsonb) ELSE s.members::int END",
        "skills": "ARRAY(SELECT jsonb_array_elements_text(s.skills::jsonb))",
    }, insert_only={"geom": GEOM, "position_at": "CASE WHEN s.geom IS NULL THEN NULL ELSE now() END"}),
    "roads": Target("roads", "code", {
        "code": "s.code", "source_node_id": _node("x0", "y0"), "target_node_id": _node("x1", "y1"),
        "highway": "s.highway", "maxspeed_kmh": "s.maxspeed::float8",
        "oneway": "coalesce(s.oneway, 'no')", "name": "s.name",
        "length_m": f"ST_Length({GEOM}::geography)", "geom": GEOM,
    }, derived=_road_end_points, prepare=(
        """INSERT INTO road_nodes (x_e7, y_e7, geom)
           SELECT x, y, ST_SetSRID(ST_MakePoint(x / 1e7, y / 1e7), 4326)
           FROM (SELECT x0::bigint AS x, y0::bigint AS y FROM _staging
                 UNION SELECT x1::bigint, y1::bigint FROM _staging) AS ends
           ON CONFLICT (x_e7, y_e7) DO NOTHING""",
    )),
}


def existing_keys(connection: Connection, layer: Layer) -> set[str]:
    """Keys of the layer already stored, for checking references across imports."""
    target = TARGETS[layer.name]
    rows = connection.execute(text(f"SELECT {target.key_column} FROM {target.table}"))
    return {key for (key,) in rows}


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def upsert(connection: Connection, layer: Layer, features: Iterable[Feature]) -> tuple[int, int]:
    """Merge ``features`` into the layer's table; return (inserted, updated) counts."""
    target = TARGETS[layer.name]
    fields = [f.name for f in layer.fields]
    derived_names: list[str] = []
    rows = []
    for feature in features:
        extra = target.derived(feature) if target.derived else {}
        derived_names = derived_names or list(extra)
        rows.append([_as_text(feature.values.get(name)) for name in fields]
                    + [_as_text(extra[name]) for name in derived_names]
                    + [feature.geometry_json, feature.extra_json])
    staged = [*fields, *derived_names, "geom", "props"]
    column_list = ", ".join(f'"{name}"' for name in staged)
    connection.execute(text(
        "CREATE TEMPORARY TABLE _staging (" + ", ".join(f'"{n}" text' for n in staged) + ")"))
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY _staging ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    for statement in target.prepare:
        connection.execute(text(statement))
    inserted, updated = _merge(connection, target)
    connection.execute(text("DROP TABLE _staging"))
    return inserted, updated


def _merge(connection: Connection, target: Target) -> tuple[int, int]:
    columns = {**target.columns, "props": "s.props::jsonb"}
    created = {**columns, **target.insert_only}
    updatable = [c for c in columns if c != target.key_column]
    quoted = [f'"{c}"' for c in updatable]
    statement = (
        f'INSERT INTO {target.table} ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in created)}) '
        f'SELECT {", ".join(created.values())} FROM _staging AS s '
        f'ON CONFLICT ({target.key_column}) DO UPDATE SET '
        + ", ".join(f"{q} = EXCLUDED.{q}" for q in quoted) + ", updated_at = now() "
        f'WHERE ({", ".join(f"{target.table}.{q}" for q in quoted)}) IS DISTINCT FROM '
        f'({", ".join(f"EXCLUDED.{q}" for q in quoted)}) '
        "RETURNING (xmax = 0) AS inserted"
    )
    flags = [row.inserted for row in connection.execute(text(statement))]
    inserted = sum(flags)
    return inserted, len(flags) - inserted

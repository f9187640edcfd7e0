"""Bulk writes of validated grid features.

Each layer is COPYed into a temporary staging table and merged into its table with one
``INSERT ... SELECT ... ON CONFLICT DO UPDATE``: tens of thousands of rows a second instead of one
round trip per row. Rows whose values did not change are not touched, so a re-import is a no-op.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.gis.layers import ADVANCE_EVERY, Feature, Layer

GEOM = "s.geom::geometry"  # staged as hex EWKB


def _ref(column: str) -> str:
    """The id of the object a staged code names (joined in :func:`_merge`)."""
    return f"ref_{column}.id"


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
    #: Staged columns holding the code of an object in another table: column -> table.
    references: dict[str, str] = field(default_factory=dict)
    #: Further joins the column expressions use.
    joins: tuple[str, ...] = ()
    #: Columns lookups filter on besides the key and references, kept in the planner's statistics.
    looked_up: tuple[str, ...] = ()

    @property
    def statistics_columns(self) -> list[str]:
        return [self.key_column, *(f"{c}_id" for c in self.references), *self.looked_up]


def _road_end_points(feature: Feature) -> dict[str, Any]:
    coordinates = feature.geometry["coordinates"]
    (x0, y0), (x1, y1) = coordinates[0][:2], coordinates[-1][:2]
    return {"x0": round(x0 * 1e7), "y0": round(y0 * 1e7), "x1": round(x1 * 1e7), "y1": round(y1 * 1e7)}


def _node_join(alias: str, x: str, y: str) -> str:
    return f"JOIN road_nodes AS {alias} ON {alias}.x_e7 = s.{x}::bigint AND {alias}.y_e7 = s.{y}::bigint"


TARGETS: dict[str, Target] = {
    "zones": Target("zones", "code", {
        "code": "s.code", "name": "s.name", "class": "s.class",
        "arrival_target_min": "s.arrival_target_min::int",
        "restore_target_min": "s.restore_target_min::int", "geom": f"ST_Multi({GEOM})",
    }),
    "buses": Target("buses", "code", {"code": "s.code", "voltage_kv": "s.voltage_kv::float8", "geom": GEOM}),
    "sources": Target("sources", "code", {
        "code": "s.code", "name": "s.name", "bus_id": _ref("bus"), "geom": GEOM,
    }, references={"bus": "buses"}),
    "lines": Target("lines", "code", {
        "code": "s.code", "from_bus_id": _ref("from_bus"), "to_bus_id": _ref("to_bus"),
        "voltage_kv": "s.voltage_kv::float8", "feeder": "s.feeder",
        "length_m": f"ST_Length({GEOM}::geography)", "geom": GEOM,
    }, references={"from_bus": "buses", "to_bus": "buses"}),
    "switches": Target("switches", "code", {
        "code": "s.code", "from_bus_id": _ref("from_bus"), "to_bus_id": _ref("to_bus"),
        "kind": "s.kind", "normally_open": "s.normally_open::bool", "geom": GEOM,
    }, references={"from_bus": "buses", "to_bus": "buses"},
        insert_only={"is_open": "s.normally_open::bool"}, looked_up=("tripped_at",)),
    "transformers": Target("transformers", "code", {
        "code": "s.code", "name": "s.name", "hv_bus_id": _ref("hv_bus"),
        "lv_bus_id": _ref("lv_bus"), "kva": "s.kva::float8", "geom": GEOM,
    }, references={"hv_bus": "buses", "lv_bus": "buses"}),
    "customers": Target("customers", "account_no", {
        "account_no": "s.account_no", "name": "s.name", "phone": "s.phone", "address": "s.address",
        "bus_id": _ref("bus"), "transformer_id": _ref("transformer"),
        "priority": "s.priority", "geom": GEOM,
    }, references={"bus": "buses", "transformer": "transformers"}, looked_up=("phone_digits",)),
    "depots": Target("depots", "code", {"code": "s.code", "name": "s.name", "geom": GEOM}),
    "crews": Target("crews", "code", {
        "code": "s.code", "name": "s.name", "depot_id": _ref("depot"), "phone": "s.phone",
        "members": "CASE WHEN jsonb_typeof(s.members::jsonb) = 'array' THEN s.members::jsonb ELSE '[]' END",
        "headcount": "CASE WHEN jsonb_typeof(s.members::jsonb) = 'array' "
                     "THEN jsonb_array_length(s.members::jsonb) ELSE s.members::int END",
        "skills": "ARRAY(SELECT jsonb_array_elements_text(s.skills::jsonb))",
    }, references={"depot": "depots"},
        insert_only={"geom": GEOM, "position_at": "CASE WHEN s.geom IS NULL THEN NULL ELSE :imported_at END"}),
    "roads": Target("roads", "code", {
        "code": "s.code", "source_node_id": "node_from.id", "target_node_id": "node_to.id",
        "highway": "s.highway", "maxspeed_kmh": "s.maxspeed::float8",
        "oneway": "coalesce(s.oneway, 'no')", "name": "s.name",
        "length_m": f"ST_Length({GEOM}::geography)", "geom": GEOM,
    }, derived=_road_end_points,
        joins=(_node_join("node_from", "x0", "y0"), _node_join("node_to", "x1", "y1")), prepare=(
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
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


#: A layer at least this large loaded into an empty table is loaded in bulk (see _defer_upkeep).
BULK_ROWS = 5000


def _defer_upkeep(connection: Connection, table: str) -> list[str]:
    """Drop ``table``'s secondary indexes and foreign keys; return the statements that restore
    them. For a first load, as pg_restore does: one index build and one validating join cost less
    than keeping every index and checking every reference row by row. The table is locked until
    the import commits, which matters to nobody while it is empty."""
    rows = connection.execute(text(
        "SELECT format('DROP INDEX %I', i.indexname), i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = :t "
        "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conname = i.indexname) "
        "UNION ALL SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', :t, conname), "
        "format('ALTER TABLE %I ADD CONSTRAINT %I %s', :t, conname, pg_get_constraintdef(oid)) "
        "FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"
    ), {"t": table}).all()
    for drop, _ in rows:
        connection.exec_driver_sql(drop)
    return [restore for _, restore in rows]


def upsert(connection: Connection, layer: Layer, features: Sequence[Feature], imported_at: datetime,
           advance: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Merge ``features`` into the layer's table (a crew's position given in the file counts as
    taken at ``imported_at``); return (inserted, updated) counts. ``advance`` is told the rows
    staged, :data:`ADVANCE_EVERY` at a time (an import's progress)."""
    target = TARGETS[layer.name]
    fields = [f.name for f in layer.fields]
    derived_names = list(target.derived(features[0])) if target.derived and features else []
    staged = [*fields, *derived_names, "geom", "props"]
    column_list = ", ".join(f'"{name}"' for name in staged)
    connection.execute(text(
        "CREATE TEMPORARY TABLE _staging (" + ", ".join(f'"{n}" text' for n in staged) + ")"))
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY _staging ({column_list}) FROM STDIN") as copy:
            # Row by row, not a list of rows first: a province's layer would hold gigabytes twice.
            for done, feature in enumerate(features, 1):
                extra = target.derived(feature) if target.derived else {}
                copy.write_row([_as_text(feature.values.get(name)) for name in fields]
                               + [_as_text(extra[name]) for name in derived_names]
                               + [feature.geometry_ewkb, feature.extra_json])
                if advance is not None and done % ADVANCE_EVERY == 0:
                    advance(ADVANCE_EVERY)
    if advance is not None and len(features) % ADVANCE_EVERY:
        advance(len(features) % ADVANCE_EVERY)
    for statement in target.prepare:
        connection.execute(text(statement))
    bulk = len(features) >= BULK_ROWS and connection.execute(
        text(f"SELECT NOT EXISTS (SELECT FROM {target.table})")).scalar()
    restore = _defer_upkeep(connection, target.table) if bulk else []
    inserted, updated = _merge(connection, target, imported_at)
    for statement in restore:
        connection.exec_driver_sql(statement)
    connection.execute(text("DROP TABLE _staging"))
    if inserted or updated:
        # Fresh statistics on what lookups filter by, or the planner would guess at the new rows
        # until autovacuum runs (a phone lookup then walked the whole account index).
        connection.execute(text(f"ANALYZE {target.table} ({', '.join(target.statistics_columns)})"))
    return inserted, updated


def _merge(connection: Connection, target: Target, imported_at: datetime) -> tuple[int, int]:
    """Update the stored rows whose values changed, then insert the new ones.

    Two set-based statements rather than ``INSERT ... ON CONFLICT``: with no speculative insertion
    per row, a first import is about a third faster. Imports are serialised (see
    :func:`lock_imports`), so no other writer can slip a row in between the two.
    """
    columns = {**target.columns, "props": "s.props::jsonb"}
    created = {**columns, **target.insert_only}
    joins = " ".join([f"LEFT JOIN {table} AS ref_{column} ON ref_{column}.code = s.{column}"
                      for column, table in target.references.items()] + list(target.joins))
    key = target.key_column
    changeable = [f'"{c}"' for c in columns if c != key]
    update = (
        f"UPDATE {target.table} AS t SET " + ", ".join(f"{c} = v.{c}" for c in changeable)
        + ", updated_at = now() FROM (SELECT " + ", ".join(f'{e} AS "{c}"' for c, e in columns.items())
        + f" FROM _staging AS s {joins}) AS v WHERE t.{key} = v.{key} AND ("
        + ", ".join(f"t.{c}" for c in changeable) + ") IS DISTINCT FROM ("
        + ", ".join(f"v.{c}" for c in changeable) + ")"
    )
    insert = (
        f"INSERT INTO {target.table} (" + ", ".join(f'"{c}"' for c in created) + ") SELECT "
        + ", ".join(created.values()) + f" FROM _staging AS s {joins} WHERE NOT EXISTS "
        f"(SELECT FROM {target.table} AS t WHERE t.{key} = s.{key})"
    )
    updated = connection.execute(text(update)).rowcount
    inserted = connection.execute(text(insert), {"imported_at": imported_at}).rowcount
    return inserted, updated


def lock_imports(connection: Connection) -> None:
    """Hold the grid-import lock until the transaction ends: one import at a time."""
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('grid-import'))"))


def crew_skills(connection: Connection) -> dict[str, list[str]]:
    """Every crew's skills, by code."""
    return dict(connection.execute(text("SELECT code, skills FROM crews ORDER BY code")).all())


def zones_without_crews(connection: Connection) -> list[str]:
    """Codes of the zones in which no crew's depot lies."""
    return connection.execute(text(
        "SELECT z.code FROM zones z WHERE NOT EXISTS (SELECT 1 FROM crews c JOIN depots d ON d.id = c.depot_id "
        "WHERE ST_Intersects(z.geom, d.geom)) ORDER BY z.code")).scalars().all()

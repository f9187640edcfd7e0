"""The grid's connectivity as plain rows, the topology version, and switch operation."""
from __future__ import annotations

from sqlalchemy import Connection, text

from dispatch.gis.topology import GridRows


def topology_version(connection: Connection) -> int:
    return connection.execute(text("SELECT topology_version FROM grid_state WHERE id = 1")).scalar_one()


def bump_topology_version(connection: Connection) -> int:
    """Tell every worker that what feeds what has changed. The new version comes from a sequence,
    so a version seen once is never reused, even after a rollback."""
    return connection.execute(text(
        "UPDATE grid_state SET topology_version = nextval('topology_versions') WHERE id = 1 "
        "RETURNING topology_version"
    )).scalar_one()


def grid_rows(connection: Connection) -> GridRows:
    def rows(sql: str) -> list[tuple]:
        return [tuple(r) for r in connection.execute(text(sql))]

    return GridRows(
        buses=[bus for (bus,) in rows("SELECT id FROM buses")],
        lines=rows("SELECT id, code, from_bus_id, to_bus_id FROM lines"),
        switches=rows("SELECT id, code, from_bus_id, to_bus_id, kind, is_open FROM switches"),
        transformers=rows("SELECT id, code, hv_bus_id, lv_bus_id FROM transformers"),
        sources=rows("SELECT id, code, bus_id FROM sources"),
        customer_buses=[bus for (bus,) in rows(
            "SELECT coalesce(c.bus_id, t.lv_bus_id) FROM customers c "
            "LEFT JOIN transformers t ON t.id = c.transformer_id")],
    )


def set_switch_open(connection: Connection, code: str, is_open: bool) -> bool | None:
    """Set a switch's state; return its previous state, or None when there is no such switch."""
    row = connection.execute(text(
        "UPDATE switches AS s SET is_open = :open, updated_at = now() FROM switches AS before "
        "WHERE s.code = :code AND before.id = s.id RETURNING before.is_open"
    ), {"code": code, "open": is_open}).first()
    return None if row is None else row[0]

"""Which zone a place belongs to: one rule for the desk and every report.

Zones may overlap (a town's urban zone drawn inside a county's rural one). A place covered by
several belongs to the smallest of them, the most specific (ties: the lowest code): an incident's
zone at intake (its service class and targets), a complaint's, a customer's when an interruption
is recorded or imported, and the customers a zone serves (N_T of its reliability indices) all
follow it, so no customer counts in two zones and none in a zone other than where its
interruptions and incidents are counted.
"""
from __future__ import annotations

#: The order of zones covering one place: the one it belongs to first.
SMALLEST_FIRST = "ST_Area(z.geom), z.code"


def zone_of(point_sql: str, column: str = "code") -> str:
    """SQL for ``column`` of the zone the point ``point_sql`` (an SQL expression) belongs to, or NULL."""
    return (f"(SELECT z.{column} FROM zones z WHERE ST_Covers(z.geom, {point_sql}) "
            f"ORDER BY {SMALLEST_FIRST} LIMIT 1)")


def belongs_to(point_sql: str, zone_alias: str) -> str:
    """SQL: the point lies in zone ``zone_alias`` and no smaller zone covers it (a join condition
    for counting a zone's places, cheaper than :func:`zone_of` for each place)."""
    return (f"ST_Covers({zone_alias}.geom, {point_sql}) AND NOT EXISTS (SELECT 1 FROM zones z "
            f"WHERE ST_Covers(z.geom, {point_sql}) AND (ST_Area(z.geom), z.code) < "
            f"(ST_Area({zone_alias}.geom), {zone_alias}.code))")

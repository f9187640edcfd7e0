"""Driving speeds by OpenStreetMap road class.

A road's posted ``maxspeed`` wins over its class's speed (dispatch/routing/store.py). The defaults are urban repair-truck
speeds, not legal limits; a deployment overrides them with ``ROAD_SPEEDS_KMH`` (e.g.
``"primary=50,residential=20"``).
"""
from __future__ import annotations

DEFAULT_SPEEDS_KMH = {
    "motorway": 90, "motorway_link": 50, "trunk": 70, "trunk_link": 40, "primary": 50,
    "primary_link": 35, "secondary": 45, "secondary_link": 30, "tertiary": 35, "tertiary_link": 25,
    "unclassified": 30, "residential": 25, "living_street": 10, "service": 15, "track": 15,
}
FALLBACK_KMH = 25.0


def speed_table(overrides: str = "") -> dict[str, float]:
    """The default table with ``class=km/h`` pairs from ``overrides`` applied."""
    table = {k: float(v) for k, v in DEFAULT_SPEEDS_KMH.items()}
    for pair in filter(None, (p.strip() for p in overrides.split(","))):
        name, _, value = pair.partition("=")
        speed = float(value)
        if not speed > 0:
            raise ValueError(f"road speed for {name!r} must be positive")
        table[name.strip()] = speed
    return table


"""Locating a fault report on the grid.

The locators are tried from the most to the least certain: the account number, then the phone
number, then the address (trigram similarity), then the caller's coordinates (the nearest
customer service point within a radius, else the nearest transformer, else the nearest line).
A report that matches nothing is still kept, at the caller's place if known, flagged unlocated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from dispatch.core.config import Settings
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.gis.distance import haversine_m
from dispatch.gis.topology import Topology
from dispatch.incidents import locating_store as store


@dataclass(frozen=True)
class Locators:
    """What the caller told us about where they are."""

    account_no: str | None = None
    phone: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None

    @property
    def has_point(self) -> bool:
        return self.lon is not None and self.lat is not None


@dataclass
class Located:
    #: account_no, phone, address, nearest_customer, nearest_transformer, nearest_line; None: unlocated
    method: str | None
    lon: float | None
    lat: float | None
    distance_m: float | None = None
    customer_id: int | None = None
    bus_id: int | None = None
    transformer_id: int | None = None
    zone: dict[str, Any] | None = None
    zone_class: str = "rural"
    zone_defaulted: bool = False
    #: Whether ``zone`` was read with the customer (then None means no zone covers it).
    zone_read: bool = False
    #: The smallest outage area of the topology holding the located bus, and its source.
    area: int | None = None
    source_id: int | None = None


def _from_customer(method: str, row: dict[str, Any], locators: Locators) -> Located:
    distance = (haversine_m(locators.lon, locators.lat, row["lon"], row["lat"])
                if locators.has_point else None)
    return Located(method, row["lon"], row["lat"], row.get("distance_m", distance), row["id"], row["bus_id"],
                   row["transformer_id"], zone=row["zone"], zone_read=True)


def _by_customer(connection: Connection, locators: Locators, settings: Settings) -> Located | None:
    if locators.account_no is not None:
        row = store.customer_by_account(connection, locators.account_no)
        if row is None:
            raise InvalidInput("the account number matches no customer", [FieldProblem(
                "account_no", f"no customer has account number {locators.account_no!r}")])
        return _from_customer("account_no", row, locators)
    digits = re.sub(r"\D", "", locators.phone or "")
    if len(digits) >= 5 and (row := store.customer_by_phone(connection, digits)) is not None:
        return _from_customer("phone", row, locators)
    if locators.address and (row := store.customer_by_address(
            connection, locators.address, settings.address_min_similarity)) is not None:
        return _from_customer("address", row, locators)
    return None


def _by_point(connection: Connection, topology: Topology, locators: Locators, settings: Settings) -> Located | None:
    lon, lat = locators.lon, locators.lat
    if (row := store.nearest(connection, "customer", lon, lat, settings.locate_customer_radius_m)) is not None:
        return _from_customer("nearest_customer", row, locators)
    if (row := store.nearest(connection, "transformer", lon, lat, settings.locate_transformer_radius_m)) is not None:
        return Located("nearest_transformer", row["lon"], row["lat"], row["distance_m"],
                       bus_id=row["bus_id"], transformer_id=row["id"])
    if (row := store.nearest(connection, "line", lon, lat, settings.locate_line_radius_m)) is not None:
        bus = topology.downstream_bus(row["from_bus_id"], row["to_bus_id"])
        return Located("nearest_line", row["lon"], row["lat"], row["distance_m"], bus_id=bus)
    return None


def locate(connection: Connection, topology: Topology, locators: Locators, settings: Settings) -> Located:
    """Where on the grid the report is; raises :class:`InvalidInput` for an unknown account number."""
    located = _by_customer(connection, locators, settings)
    if located is None and locators.has_point:
        located = _by_point(connection, topology, locators, settings)
    if located is None:
        located = Located(None, locators.lon, locators.lat)
    if located.bus_id is not None:
        if located.transformer_id is None:
            located.transformer_id = topology.transformer_of_bus(located.bus_id)
        located.area = topology.area_of_bus(located.bus_id)
        located.source_id = topology.source_of_bus(located.bus_id)
    if located.lon is not None and not located.zone_read:
        located.zone = store.zone_at(connection, located.lon, located.lat)
    if located.zone is not None:
        located.zone_class = located.zone["zone_class"]
    else:
        located.zone_class, located.zone_defaulted = settings.default_zone_class, True
    return located

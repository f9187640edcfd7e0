"""Declarative base, shared column helpers and the domain's enumerations.

The enumerations are the single source for the CHECK constraints (migrations import them) and
for input validation, so the database and the API never disagree on what a valid value is.
"""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, DateTime, Index, MetaData, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ZONE_CLASSES = ("urban", "rural", "remote")
SWITCH_KINDS = ("breaker", "recloser", "fuse", "sectionalizer", "disconnector")
CUSTOMER_PRIORITIES = ("normal", "important", "critical", "life_support")
ONEWAY_VALUES = ("no", "yes", "-1")
CREW_STATUSES = ("available", "assigned", "en_route", "on_site", "off_duty")
REPORT_CHANNELS = ("hotline", "app", "wechat", "sms", "ami", "staff")
REPORT_KINDS = ("no_power", "partial_power", "low_voltage", "flicker", "wire_down", "fire", "other")
INCIDENT_STATUSES = (
    "new", "assigned", "accepted", "en_route", "on_site", "restored", "closed", "cancelled", "merged",
)
OPEN_INCIDENT_STATUSES = ("new", "assigned", "accepted", "en_route", "on_site")
DEVICE_KINDS = ("source", "switch", "transformer", "location")
#: Who may sign in: admin (everything but crew work), supervisor (the desk and crew records),
#: dispatcher (the desk), crew (its own jobs, bound to one crew), viewer (reads).
ROLES = ("admin", "supervisor", "dispatcher", "crew", "viewer")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def geometry(kind: str, nullable: bool = False) -> Mapped:
    """A WGS 84 geometry column; its GiST index is declared with :func:`gist`."""
    return mapped_column(Geometry(kind, srid=4326, spatial_index=False), nullable=nullable)


def gist(table: str, column: str = "geom") -> Index:
    return Index(f"ix_{table}_{column}", column, postgresql_using="gist")


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or column)


def props() -> Mapped[dict]:
    """Extra GeoJSON properties kept from the import."""
    return mapped_column(JSONB, nullable=False, server_default="{}")


def updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

"""The declarative base and the column helpers every package's models share.

Each package's ``models`` module holds its own enumerations (zone classes, crew statuses,
roles...), the single source for their CHECK constraints and for input validation, so the
database and the API never disagree on what a valid value is.
"""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, DateTime, Index, MetaData, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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

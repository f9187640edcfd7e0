"""The declarative base and the column helpers every package's models share.

Each package's ``models`` module holds its own enumerations (zone classes, crew statuses,
roles...), the single source for their CHECK constraints and for input validation, so the
database and the API never disagree on what a valid value is.
"""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, DateTime, Index, MetaData, func, text
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


def gist(table: str, column: str = "geom", only: tuple[str, str] | None = None) -> Index:
    """The spatial index of ``table.column``; with ``only`` = (name, condition), a partial one over
    the rows meeting the condition, named ``ix_TABLE_COLUMN_NAME``."""
    if only is None:
        return Index(f"ix_{table}_{column}", column, postgresql_using="gist")
    name, condition = only
    return Index(f"ix_{table}_{column}_{name}", column, postgresql_using="gist", postgresql_where=text(condition))


def is_one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL condition ``column IN ('a', 'b', ...)``."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    return CheckConstraint(is_one_of(column, values), name=name or column)


def props() -> Mapped[dict]:
    """Extra GeoJSON properties kept from the import."""
    return mapped_column(JSONB, nullable=False, server_default="{}")


def updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())

"""The road network crews drive on: segments between nodes that are their shared end points."""
from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.models.base import ONEWAY_VALUES, Base, geometry, gist, one_of, props, updated_at


class RoadNode(Base):
    """A junction or dead end; ``x_e7``/``y_e7`` are lon/lat in 1e-7 degrees, the identity of an end point."""

    __tablename__ = "road_nodes"
    __table_args__ = (UniqueConstraint("x_e7", "y_e7"), gist("road_nodes"))
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    x_e7: Mapped[int] = mapped_column(BigInteger)
    y_e7: Mapped[int] = mapped_column(BigInteger)
    geom = geometry("POINT")


class Road(Base):
    """A drivable road segment between two nodes; ``oneway`` says which directions are allowed."""

    __tablename__ = "roads"
    __table_args__ = (
        one_of("oneway", ONEWAY_VALUES),
        CheckConstraint("maxspeed_kmh IS NULL OR maxspeed_kmh > 0", name="maxspeed_positive"),
        gist("roads"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    source_node_id: Mapped[int] = mapped_column(ForeignKey("road_nodes.id"), index=True)
    target_node_id: Mapped[int] = mapped_column(ForeignKey("road_nodes.id"), index=True)
    highway: Mapped[str] = mapped_column(Text)
    maxspeed_kmh: Mapped[float | None] = mapped_column(Float)
    oneway: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    length_m: Mapped[float] = mapped_column(Float)
    geom = geometry("LINESTRING")
    props: Mapped[dict] = props()
    updated_at = updated_at()

"""The road network crews drive on: segments between nodes that are their shared end points."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Float, ForeignKey, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.models import Base, geometry, gist, is_one_of, one_of, props, updated_at

ONEWAY_VALUES = ("no", "yes", "-1")
#: The road classes a city-wide map draws (dispatch/gis/tiles_store.py: below zoom 12), and those
#: it draws until streets show (below zoom 14). Each set has a partial spatial index of its own, so
#: that a low-zoom tile reads only its few roads, not every street under it.
MAJOR_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link")
SECONDARY_ROADS = MAJOR_ROADS + ("secondary", "secondary_link", "tertiary", "tertiary_link")


class RoadNode(Base):
    """A junction or dead end; ``x_e7``/``y_e7`` are lon/lat in 1e-7 degrees, the identity of an end point."""

    __tablename__ = "road_nodes"
    __table_args__ = (UniqueConstraint("x_e7", "y_e7"), gist("road_nodes"))
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    x_e7: Mapped[int] = mapped_column(BigInteger)
    y_e7: Mapped[int] = mapped_column(BigInteger)
    geom = geometry("POINT")
    #: In the largest strongly connected part of the network: reachable from, and able to reach,
    #: almost everywhere. Positions snap only to such nodes.
    routable: Mapped[bool] = mapped_column(server_default="true")


class Road(Base):
    """A drivable road segment between two nodes; ``oneway`` says which directions are allowed."""

    __tablename__ = "roads"
    __table_args__ = (
        one_of("oneway", ONEWAY_VALUES),
        CheckConstraint("maxspeed_kmh IS NULL OR maxspeed_kmh > 0", name="maxspeed_positive"),
        gist("roads"),
        gist("roads", only=("major", is_one_of("highway", MAJOR_ROADS))),
        gist("roads", only=("secondary", is_one_of("highway", SECONDARY_ROADS))),
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


class RoadClosure(Base):
    """Roads out of use (a tree across the road): routing avoids them until reopened or ``until``."""

    __tablename__ = "road_closures"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    road_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom = geometry("GEOMETRY", nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

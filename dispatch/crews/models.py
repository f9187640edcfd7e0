"""Repair crews, the depots they start from, and the history of their positions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Float, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.models import Base, geometry, gist, one_of, props, updated_at

CREW_STATUSES = ("available", "assigned", "en_route", "on_site", "off_duty")


class Depot(Base):
    __tablename__ = "depots"
    __table_args__ = (gist("depots"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    geom = geometry("POINT")
    props: Mapped[dict] = props()
    updated_at = updated_at()


class Crew(Base):
    __tablename__ = "crews"
    __table_args__ = (
        one_of("status", CREW_STATUSES),
        CheckConstraint("headcount > 0", name="headcount_positive"),
        gist("crews"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depots.id"), index=True)
    members: Mapped[list] = mapped_column(JSONB, server_default="[]")
    headcount: Mapped[int]
    phone: Mapped[str] = mapped_column(Text)
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    on_duty: Mapped[bool] = mapped_column(server_default="true")
    status: Mapped[str] = mapped_column(Text, server_default="available")
    #: Last known position (null: at the depot), and the road node it snaps to.
    geom = geometry("POINT", nullable=True)
    position_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    position_node_id: Mapped[int | None] = mapped_column(BigInteger)
    props: Mapped[dict] = props()
    updated_at = updated_at()


class CrewPosition(Base):
    """GPS history; the latest position also lives in Redis for fast lookups. One partition per day
    (dispatch/core/partitions.py): the key holds ``at``, as a partitioned table's keys must."""

    __tablename__ = "crew_positions"
    __table_args__ = (
        # A replayed batch adds nothing: one position per crew and instant.
        Index("uq_crew_positions_crew_id_at", "crew_id", "at", unique=True),
        CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0", name="accuracy_nonnegative"),
        {"postgresql_partition_by": "RANGE (at)"},
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    crew_id: Mapped[int] = mapped_column(ForeignKey("crews.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    geom = geometry("POINT")
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict] = mapped_column(JSONB, server_default="{}")

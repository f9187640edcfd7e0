"""Customer interruptions: who was without supply, from when to when, and why.

One row per customer per interruption (IEEE 1366 counts customer interruptions, not outages), so
that every index is a set-based aggregate over one table, a step restoration is simply rows of one
event with different ends, and the frequent-outage list is a GROUP BY account. Whether a row is
momentary is not stored: it follows from its duration and the setting of the day
(RELIABILITY_MOMENTARY_S), so changing the setting re-classifies the history.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, Float, Index, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.models import Base, one_of

INTERRUPTION_SOURCES = ("recorded", "imported")


class CustomerInterruption(Base):
    """One customer off supply during one interruption event (an incident, or an imported ``ref``)."""

    __tablename__ = "customer_interruptions"
    __table_args__ = (
        one_of("source", INTERRUPTION_SOURCES),
        CheckConstraint("restored_at >= started_at", name="restored_after_start"),
        CheckConstraint("(incident_id IS NOT NULL) <> (event_ref IS NOT NULL)", name="one_event"),
        # Recording a restoration twice, or importing a file again, writes nothing new.
        Index("uq_customer_interruptions_incident_account", "incident_id", "account_no", unique=True,
              postgresql_where=text("incident_id IS NOT NULL")),
        Index("uq_customer_interruptions_ref_account", "event_ref", "account_no", unique=True,
              postgresql_where=text("event_ref IS NOT NULL")),
        # Every report reads a period: the rows by start, carrying what the indices aggregate.
        Index("ix_customer_interruptions_started_at", "started_at",
              postgresql_include=["restored_at", "planned", "zone_code", "account_no", "cause"]),
        Index("ix_customer_interruptions_account_no", "account_no"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The customer's account (kept as text: history may name accounts closed since).
    account_no: Mapped[str] = mapped_column(Text)
    #: The zone the customer's service point lies in when the row was written (null: in none).
    zone_code: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    restored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    planned: Mapped[bool] = mapped_column(server_default="false")
    cause: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    #: The incident whose restoration recorded it, or the imported event's reference.
    incident_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    event_ref: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InterruptionTally(Base):
    """Customer interruptions counted by quarter hour of their start (UTC), zone, planned, cause and
    exact duration: what the indices' totals and the daily SAIDI of the major-event threshold sum.
    The customers of one outage step share all five, so a year of a million customer
    interruptions is some ten thousand tallies; the exact duration leaves the momentary and
    short thresholds settings that apply to all history (dispatch/reporting/tallies.py)."""

    __tablename__ = "interruption_tallies"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    quarter: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    zone_code: Mapped[str | None] = mapped_column(Text)
    planned: Mapped[bool]
    cause: Mapped[str | None] = mapped_column(Text)
    #: Each interruption's duration (``date_part('epoch', restored_at - started_at)``).
    seconds: Mapped[float] = mapped_column(Float)
    interruptions: Mapped[int] = mapped_column(Integer)


class CustomersServed(Base):
    """How many customers the utility (or one zone) served from a day on, as its own records say.

    IEEE 1366 divides by the customers served; today's customer table is the right count for today
    but not for a year five years back, when the grid was smaller, and the major-event threshold
    reads five years of daily SAIDI. A utility that imports its history can import these counts
    with it (``flask data import-customers-served``); the indices then divide each day by the count
    in effect that day, and by today's customers where no count is given."""

    __tablename__ = "customers_served"
    __table_args__ = (
        CheckConstraint("customers > 0", name="customers_positive"),
        Index("uq_customers_served_company_since", "since", unique=True,
              postgresql_where=text("zone_code IS NULL")),
        Index("uq_customers_served_zone_since", "zone_code", "since", unique=True,
              postgresql_where=text("zone_code IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The zone counted, or null for the whole utility.
    zone_code: Mapped[str | None] = mapped_column(Text)
    #: The first day (in DISPATCH_TIMEZONE) the count applies to; it holds until the next one.
    since: Mapped[date] = mapped_column(Date)
    customers: Mapped[int] = mapped_column(Integer)

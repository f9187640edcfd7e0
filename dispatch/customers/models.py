"""Machine clients: the systems that post reports and look outages up for customers, each with
its own key and rate limit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.models import Base, one_of
from dispatch.incidents.models import REPORT_CHANNELS, REPORT_KINDS


class ChannelClient(Base):
    """One system of a channel (an IVR, a WeChat service account...) and its key.

    Only a digest of the key is kept: the key is shown once, when the client is created. A
    revoked client stays (its reports name it); its key opens nothing from then on."""

    __tablename__ = "channel_clients"
    __table_args__ = (
        one_of("channel", REPORT_CHANNELS),
        CheckConstraint("rate_count > 0 AND rate_period_s > 0", name="rate_positive"),
        CheckConstraint("name = lower(name)", name="name_lower_case"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    #: The channel every report of this client carries; the client cannot claim another.
    channel: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the key, hex (the key is 256 random bits: a slow password hash would add
    #: nothing but ~50 ms to every request of a channel in a storm).
    key_hash: Mapped[str] = mapped_column(Text, unique=True)
    #: The key's first characters, to tell keys apart in a listing and a log without the key.
    key_prefix: Mapped[str] = mapped_column(Text)
    #: At most ``rate_count`` requests per ``rate_period_s`` seconds (a burst of rate_count, then evenly).
    rate_count: Mapped[int] = mapped_column(Integer)
    rate_period_s: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


#: pending: due at next_attempt_at; sending: a worker has it until next_attempt_at (its lease:
#: a worker that died mid-send leaves it to be sent again then); sent; failed: given up (or
#: refused for good by the receiver); skipped: opted out since, or no address on this adapter.
NOTIFICATION_STATUSES = ("pending", "sending", "sent", "failed", "skipped")


class Notification(Base):
    """One message to one customer (or a zone's service person) about one stage of an incident,
    or about a planned outage (its notices before the work, a changed window, a cancellation).

    Unique per customer (or zone), incident (or planned outage), stage and revision: each customer
    gets each stage once, however often the stage's notice is fanned out again. Its id is the
    idempotency key every attempt carries, so a receiver can drop a message a crashed worker sent
    twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        one_of("status", NOTIFICATION_STATUSES),
        CheckConstraint("(customer_id IS NULL) <> (zone_id IS NULL)", name="one_recipient"),
        CheckConstraint("(incident_id IS NULL) <> (planned_outage_id IS NULL)", name="one_subject"),
        Index("uq_notifications_customer", "customer_id", "incident_id", "stage", "revision", unique=True,
              postgresql_where=text("customer_id IS NOT NULL")),
        Index("uq_notifications_planned", "customer_id", "planned_outage_id", "stage", "revision", unique=True,
              postgresql_where=text("planned_outage_id IS NOT NULL")),
        Index("uq_notifications_zone", "zone_id", "incident_id", "stage", "revision", unique=True,
              postgresql_where=text("zone_id IS NOT NULL")),
        Index("ix_notifications_due", "next_attempt_at", postgresql_where=text("status IN ('pending', 'sending')")),
        Index("ix_notifications_incident_id", "incident_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The incident's notice it was fanned out from, and the incident (null: a planned outage's).
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("incident_notices.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    planned_outage_id: Mapped[int | None] = mapped_column(ForeignKey("planned_outages.id"))
    stage: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    #: A customer, or else the zone whose service person (片区服务员) is told (of a deadline warning:
    #: its supply-station head, dispatch/incidents/escalation.py).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


#: upcoming (待停电): planned, not begun; out (停电中); restored (已复电); cancelled before it began.
PLANNED_STATES = ("upcoming", "out", "restored", "cancelled")


class PlannedOutage(Base):
    """Planned work on the grid (预安排停电): a switch opened for the work, and any other switching
    planned with it, for a published window.

    The buses it takes off supply are computed from the topology with that switching when it is
    planned (or its switching changed) and kept: the customers on them are those told before,
    whose calls join it, and whose interruptions are counted, whatever the grid does meanwhile.
    ``revision`` counts changes of the window; each customer hears of each revision once."""

    __tablename__ = "planned_outages"
    __table_args__ = (
        one_of("state", PLANNED_STATES),
        CheckConstraint("window_end > window_start", name="window_ends_after_start"),
        Index("ix_planned_outages_window_start", "window_start"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The switch opened for the work.
    switch_id: Mapped[int] = mapped_column(ForeignKey("switches.id"))
    #: Other switching planned with it: {switch code: is open} (a tie closed to back-feed, say).
    switching: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    planned_by: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, server_default="upcoming")
    revision: Mapped[int] = mapped_column(Integer, server_default="0")
    #: The buses off supply during the work (see the class's docstring), and their customers' count.
    buses: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    customers_affected: Mapped[int] = mapped_column(Integer)
    #: When the work actually began and ended, and who said so ("worker": the window's time, as nobody did).
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_by: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the worker wrote the 7-day and the 24-hour notices of the current window (null: not yet).
    notice_7d_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice_24h_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlannedOutageCall(Base):
    """A call from inside an active planned outage: kept, answered with the outage, opening no
    incident (nothing a channel was told was received is lost)."""

    __tablename__ = "planned_outage_calls"
    __table_args__ = (
        one_of("channel", REPORT_CHANNELS),
        one_of("kind", REPORT_KINDS),
        Index("uq_planned_outage_calls_client_external_id", "channel_client_id", "external_id", unique=True,
              postgresql_where=text("channel_client_id IS NOT NULL")),
        Index("uq_planned_outage_calls_desk_external_id", "external_id", unique=True,
              postgresql_where=text("channel_client_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    planned_outage_id: Mapped[int] = mapped_column(ForeignKey("planned_outages.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    channel_client_id: Mapped[int | None] = mapped_column(ForeignKey("channel_clients.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    account_no: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    bus_id: Mapped[int | None] = mapped_column(ForeignKey("buses.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


#: pending: to be asked; power_back and still_out: answered; unreachable: CALLBACK_ATTEMPTS calls
#: went unanswered.
CALLBACK_STATUSES = ("pending", "power_back", "still_out", "unreachable")


class Callback(Base):
    """Asking a customer who called about an incident, once it is restored, whether their power is
    back (回访). One per customer (or, for a caller not found on the grid, per phone number) and
    incident, however often they called; "still out" opens a nested outage (``new_incident_id``)."""

    __tablename__ = "callbacks"
    __table_args__ = (
        one_of("status", CALLBACK_STATUSES),
        CheckConstraint("customer_id IS NOT NULL OR phone IS NOT NULL", name="someone_to_call"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index("uq_callbacks_customer", "incident_id", "customer_id", unique=True,
              postgresql_where=text("customer_id IS NOT NULL")),
        Index("uq_callbacks_phone", "incident_id", "phone", unique=True, postgresql_where=text("customer_id IS NULL")),
        Index("ix_callbacks_pending_due", "due_at", "id", postgresql_where=text("status = 'pending'")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    #: The number to call: the one the caller gave (digits only), else the customer's on record.
    phone: Mapped[str | None] = mapped_column(Text)
    #: The customer's latest call about the incident: the channel they reached us by.
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    #: The restoration plus CALLBACK_WITHIN_H: pending after it, the call-back is overdue.
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Calls that went unanswered.
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Who recorded the answer: a desk user's name, or ``channel:<client>``.
    answered_by: Mapped[str | None] = mapped_column(Text)
    #: The machine client the answer came through; null: the desk.
    answer_client_id: Mapped[int | None] = mapped_column(ForeignKey("channel_clients.id"))
    note: Mapped[str | None] = mapped_column(Text)
    #: The incident a "still out" opened (or joined).
    new_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

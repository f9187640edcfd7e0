"""Customer fault reports, the incidents they are grouped into, and each incident's timeline."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.models import Base, geometry, gist, one_of
from dispatch.gis.models import DEVICE_KINDS, ZONE_CLASSES

#: Where a report came from: the hotline (its work-order system or the desk typing a call in), the
#: IVR, the customer app, the WeChat service account, SMS, smart meters (AMI) and the utility's staff.
REPORT_CHANNELS = ("hotline", "ivr", "app", "wechat", "sms", "ami", "staff")
REPORT_KINDS = ("no_power", "partial_power", "low_voltage", "flicker", "wire_down", "fire", "other")
INCIDENT_STATUSES = (
    "new", "assigned", "accepted", "en_route", "on_site", "restored", "closed", "cancelled", "merged",
)
OPEN_INCIDENT_STATUSES = ("new", "assigned", "accepted", "en_route", "on_site")

#: Warnings the SLA sweeper records, each at most once per incident.
SLA_EVENT_TYPES = ("at_risk", "breached", "restoration_breached")


class Incident(Base):
    """One fault on the grid (or at a place, when no report could be located on the grid)."""

    __tablename__ = "incidents"
    __table_args__ = (
        one_of("status", INCIDENT_STATUSES),
        one_of("device_kind", DEVICE_KINDS),
        one_of("zone_class", ZONE_CLASSES),
        CheckConstraint("customers_affected >= 0", name="customers_affected_nonnegative"),
        CheckConstraint(
            "(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged_has_target"
        ),
        Index("ix_incidents_status", "status"),
        # A crew works one incident at a time, whatever races the application loses.
        Index("uq_incidents_crew_at_work", "crew_id", unique=True,
              postgresql_where=text("status IN ('assigned', 'accepted', 'en_route', 'on_site')")),
        # The intake's hot path: the open, located, non-hazard incidents of one feeder source.
        Index("ix_incidents_open_by_source", "source_id",
              postgresql_where=text("status IN ('new', 'assigned', 'accepted', 'en_route', 'on_site') "
                                    "AND NOT hazard AND NOT unlocated")),
        gist("incidents"),
        # The managers' reports select a period's incidents by their first report.
        Index("ix_incidents_first_report_at", "first_report_at"),
        # Nested outages (the incidents restored in the last hour, read for every incident opened) and
        # the restoration estimate (the repairs restored in a recent window it learns from).
        Index("ix_incidents_restored_at", "restored_at"),
        CheckConstraint("crews_assigned >= 0", name="crews_assigned_nonnegative"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(Text, server_default="new")
    device_kind: Mapped[str] = mapped_column(Text)
    device_id: Mapped[int | None] = mapped_column(BigInteger)
    device_code: Mapped[str | None] = mapped_column(Text)
    #: Where the fault is thought to be: the device, or the caller's place; null when unknown.
    geom = geometry("POINT", nullable=True)
    #: The feeder source whose network holds the device (calls are grouped per source).
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"), index=True)
    zone_class: Mapped[str] = mapped_column(Text)
    #: The location is in no zone; ``zone_class`` is the configured default.
    zone_defaulted: Mapped[bool] = mapped_column(server_default="false")
    unlocated: Mapped[bool] = mapped_column(server_default="false")
    report_count: Mapped[int] = mapped_column(server_default="0")
    hazard: Mapped[bool] = mapped_column(server_default="false")
    customers_affected: Mapped[int] = mapped_column(server_default="0")
    first_report_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    arrival_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    restore_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crews.id"), index=True)
    #: A waiting incident the dispatcher lined up for a busy crew: its next job, in queue order.
    queued_crew_id: Mapped[int | None] = mapped_column(ForeignKey("crews.id"), index=True)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: A customer on critical or life-support supply has called (it moves up the queue).
    critical_customers: Mapped[bool] = mapped_column(server_default="false")
    #: The skills a crew needs, all of them (the utility's rules: dispatch/gis/skills.py; by
    #: default "mv" above the transformers, "lv" at or below them).
    required_skills: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    #: The road node the incident's location snaps to (where crews drive to).
    road_node_id: Mapped[int | None] = mapped_column(BigInteger)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the first crew was sent (the work order's "dispatched"), and how many crews were sent
    #: in all (more than one: reassigned). Kept here, not only in the timeline, so that a month's
    #: report reads no events.
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    crews_assigned: Mapped[int] = mapped_column(server_default="0")
    eta_s: Mapped[float | None] = mapped_column(Float)
    on_site_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    restored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The crew's phone said "on site" farther from the incident than ARRIVAL_RADIUS_M (or
    #: without a position): accepted, but flagged for the dispatcher and the reports.
    arrival_unverified: Mapped[bool] = mapped_column(server_default="false")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    #: A nested outage: the restored incident whose area this one lies in (customers still out
    #: after it was restored, or out again within NESTED_OUTAGE_WINDOW_MIN of it).
    parent_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    #: The call-taker found the fault on the customer's side (behind the meter, arrears...): the
    #: reason, and ``arrival_deadline`` is the time agreed with the customer, not the target.
    customer_side: Mapped[str | None] = mapped_column(Text)
    #: The fault's cause from the taxonomy: the crew's latest closing report's, else the one given
    #: with "restored" (for the reports by cause).
    cause: Mapped[str | None] = mapped_column(Text)
    #: The estimated restoration time last given (dispatch/incidents/etr.py), kept at restoration,
    #: with what it was made of for the desk; and the first one given (for the accuracy report).
    etr_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    etr_basis: Mapped[dict | None] = mapped_column(JSONB)
    etr_first_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Report(Base):
    """A trouble call as received, and where on the grid it was located."""

    __tablename__ = "reports"
    __table_args__ = (
        one_of("channel", REPORT_CHANNELS),
        one_of("kind", REPORT_KINDS),
        CheckConstraint("distance_m IS NULL OR distance_m >= 0", name="distance_nonnegative"),
        gist("reports", "located_geom"),
        Index("ix_reports_source_id_received_at", "source_id", "received_at"),
        # An external id is the sender's own: unique per machine client, and among the desk's reports.
        Index("uq_reports_client_external_id", "channel_client_id", "external_id", unique=True,
              postgresql_where=text("channel_client_id IS NOT NULL")),
        Index("uq_reports_desk_external_id", "external_id", unique=True,
              postgresql_where=text("channel_client_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    #: The machine client (dispatch/customers) that posted it; null: a signed-in user at the desk.
    channel_client_id: Mapped[int | None] = mapped_column(ForeignKey("channel_clients.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(Text, server_default="no_power")
    hazard: Mapped[bool] = mapped_column(server_default="false")
    description: Mapped[str | None] = mapped_column(Text)
    account_no: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    reported_geom = geometry("POINT", nullable=True)
    located_method: Mapped[str | None] = mapped_column(Text)
    located_geom = geometry("POINT", nullable=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    bus_id: Mapped[int | None] = mapped_column(ForeignKey("buses.id"))
    transformer_id: Mapped[int | None] = mapped_column(ForeignKey("transformers.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    zone_defaulted: Mapped[bool] = mapped_column(server_default="false")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    #: The arrival deadline this report sets on its own (receipt + its zone's target); an
    #: incident's deadline is the earliest of its reports'.
    arrival_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    distance_m: Mapped[float | None] = mapped_column(Float)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IncidentEvent(Base):
    """One change in an incident's life: the audit trail and the timeline (who, when, where, what)."""

    __tablename__ = "incident_events"
    __table_args__ = (
        Index("ix_incident_events_incident_id_at", "incident_id", "at"),
        # The SLA sweeper records each warning once, however many sweepers run.
        Index("uq_incident_events_sla_once", "incident_id", "type", unique=True,
              postgresql_where=text(f"type IN {SLA_EVENT_TYPES}")),
        # Arrivals a phone reported without a location, checked again when late GPS comes in.
        Index("ix_incident_events_unplaced_arrivals", "at",
              postgresql_where=text("type = 'on_site' AND geom IS NULL")),
        # A phone's event replayed with its Idempotency-Key is recorded once.
        Index("uq_incident_events_actor_idempotency_key", "actor", "idempotency_key", unique=True,
              postgresql_where=text("idempotency_key IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    type: Mapped[str] = mapped_column(Text)
    #: When it happened (a phone's own clock for crew events) ...
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: ... and when the server learnt of it, by the application's clock (add_event always gives
    #: it; the default, the statement's time, is for rows written by hand).
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.statement_timestamp())
    actor: Mapped[str | None] = mapped_column(Text)
    geom = geometry("POINT", nullable=True)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    #: The phone's Idempotency-Key for a crew's event (unique per actor).
    idempotency_key: Mapped[str | None] = mapped_column(Text)


#: What a customer complains about (the hotline's complaint categories the supply stations are judged by).
COMPLAINT_KINDS = ("late_arrival", "repeat_outage", "no_notice", "other")


class Complaint(Base):
    """A call that is a complaint, not a fault: it sends no crew and opens no incident; it is linked
    to the incident it is about when there is one (the customer's open or recent outage)."""

    __tablename__ = "complaints"
    __table_args__ = (
        one_of("channel", REPORT_CHANNELS),
        one_of("kind", COMPLAINT_KINDS),
        Index("ix_complaints_received_at", "received_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(Text, unique=True)
    channel: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(Text)
    account_no: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    #: The customer's zone (else the incident's): complaints are counted per zone.
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


METER_EVENT_KINDS = ("last_gasp", "power_restored")
DEVICE_OPERATIONS = ("open", "lockout", "closed")


class MeterEvent(Base):
    """A smart meter's last gasp (its customer is certainly out) or power-restored (certainly on),
    as the AMI head-end sent it; each event once, however often the head-end resends it."""

    __tablename__ = "meter_events"
    __table_args__ = (
        one_of("kind", METER_EVENT_KINDS),
        # A customer's latest event says whether its meter has power (inference, verification).
        Index("ix_meter_events_customer_id_at", "customer_id", "at"),
        Index("ix_meter_events_at", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The head-end's event id, else "meter or account|kind|time": what makes a resent event the same.
    event_key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    #: The report a last gasp became (it is located and grouped like a call).
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))


class DeviceEvent(Base):
    """A breaker's or recloser's operation reported by SCADA or a feeder terminal, once each."""

    __tablename__ = "device_events"
    __table_args__ = (
        one_of("operation", DEVICE_OPERATIONS),
        Index("ix_device_events_device_code_at", "device_code", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_key: Mapped[str] = mapped_column(Text, unique=True)
    device_code: Mapped[str] = mapped_column(Text)
    operation: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: What it did: tripped (an incident opened or joined), echo (the desk's own switching),
    #: closed (the device closed again), unchanged (it was so already).
    effect: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))


#: The stages of an incident that customers are told of (dispatch/incidents/notices.py), and the
#: deadline warnings its zone's station head is told of (dispatch/incidents/escalation.py).
NOTICE_STAGES = ("received", "en_route", "on_site", "etr_changed", "restored", "arrival_warning", "restoration_warning")


class IncidentNotice(Base):
    """A stage of an incident that customers are to be told of: the notification outbox, written in
    the transaction of the change (:meth:`dispatch.crews.assignment.Dispatcher.record_messages`).

    One row per incident and stage, however many customers it concerns: the change's transaction
    stays short in a storm, and the worker fans each notice out to its customers afterwards
    (dispatch/customers/notify_fanout.py)."""

    __tablename__ = "incident_notices"
    __table_args__ = (
        one_of("stage", NOTICE_STAGES),
        UniqueConstraint("incident_id", "stage", "revision"),
        Index("ix_incident_notices_pending", "id", postgresql_where=text("fanned_out_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    stage: Mapped[str] = mapped_column(Text)
    #: received: the incident's number of calls (each new caller is told); etr_changed: the
    #: change's number (1, 2...); a warning: its level's percent; 0 for the other stages, which come once.
    revision: Mapped[int] = mapped_column(server_default="0")
    #: The incident's restoration estimate when the notice was written (what the message says).
    etr_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: When the worker wrote its customers' notifications; null: not yet.
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

"""The electric grid: buses joined by lines, switches and transformers; sources feed it; customers
hang off low-voltage buses or transformers; zones set the service-level class."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Computed, DateTime, Float, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.config import SERVICE_CLASSES
from dispatch.core.models import Base, geometry, gist, one_of, props, updated_at

#: Service-level classes of zones (their targets are settings per class).
ZONE_CLASSES = SERVICE_CLASSES
SWITCH_KINDS = ("breaker", "recloser", "fuse", "sectionalizer", "disconnector")
CUSTOMER_PRIORITIES = ("normal", "important", "critical", "life_support")
#: Medium-voltage lines (1 kV and up): the lines a city-wide map draws (dispatch/gis/tiles_store.py),
#: a few per cent of all; they have a partial spatial index of their own.
MEDIUM_VOLTAGE = "voltage_kv >= 1"
#: Where an incident is put: at a source (feeder head), a switch, a transformer, or only a place.
DEVICE_KINDS = ("source", "switch", "transformer", "location")


class Zone(Base):
    __tablename__ = "zones"
    __table_args__ = (
        one_of("class", ZONE_CLASSES, "class"),
        CheckConstraint("arrival_target_min > 0", name="arrival_target_positive"),
        CheckConstraint("restore_target_min > 0", name="restore_target_positive"),
        gist("zones"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    zone_class: Mapped[str] = mapped_column("class", Text)
    arrival_target_min: Mapped[int | None] = mapped_column(Integer)
    restore_target_min: Mapped[int | None] = mapped_column(Integer)
    geom = geometry("MULTIPOLYGON")
    props: Mapped[dict] = props()
    updated_at = updated_at()


class Bus(Base):
    __tablename__ = "buses"
    __table_args__ = (CheckConstraint("voltage_kv > 0", name="voltage_positive"), gist("buses"))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    voltage_kv: Mapped[float] = mapped_column(Float)
    geom = geometry("POINT")
    props: Mapped[dict] = props()
    updated_at = updated_at()


class Source(Base):
    """A feeder head: the substation busbar that energises the network below it."""

    __tablename__ = "sources"
    __table_args__ = (gist("sources"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    bus_id: Mapped[int] = mapped_column(ForeignKey("buses.id"), index=True)
    geom = geometry("POINT")
    props: Mapped[dict] = props()
    updated_at = updated_at()


class Line(Base):
    __tablename__ = "lines"
    __table_args__ = (
        CheckConstraint("from_bus_id <> to_bus_id", name="distinct_buses"),
        CheckConstraint("voltage_kv > 0", name="voltage_positive"),
        gist("lines"),
        gist("lines", only=("mv", MEDIUM_VOLTAGE)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    from_bus_id: Mapped[int] = mapped_column(ForeignKey("buses.id"), index=True)
    to_bus_id: Mapped[int] = mapped_column(ForeignKey("buses.id"), index=True)
    voltage_kv: Mapped[float] = mapped_column(Float)
    feeder: Mapped[str | None] = mapped_column(Text)
    length_m: Mapped[float] = mapped_column(Float)
    geom = geometry("LINESTRING")
    props: Mapped[dict] = props()
    updated_at = updated_at()


class Switch(Base):
    """A switching device between two buses; ``is_open`` is its present state."""

    __tablename__ = "switches"
    __table_args__ = (
        CheckConstraint("from_bus_id <> to_bus_id", name="distinct_buses"),
        one_of("kind", SWITCH_KINDS),
        gist("switches"),
        # Inference reads the tripped ones on most storm calls: a few among a province's thousands.
        Index("ix_switches_tripped", "id", postgresql_where=text("tripped_at IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    from_bus_id: Mapped[int] = mapped_column(ForeignKey("buses.id"), index=True)
    to_bus_id: Mapped[int] = mapped_column(ForeignKey("buses.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    normally_open: Mapped[bool]
    is_open: Mapped[bool]
    #: SCADA reported the device open or locked out without the desk's switching (a fault): the
    #: map shows it open, but dispatch still traces through it (the incident on it is the fault,
    #: as for a blown fuse) until it is reported closed again.
    tripped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom = geometry("POINT")
    props: Mapped[dict] = props()
    updated_at = updated_at()


class SwitchOperation(Base):
    """A switch opened or closed, and when: the switching of any past moment is the present state
    with the later operations undone (customer interruptions need the switching as it was)."""

    __tablename__ = "switch_operations"
    __table_args__ = (Index("ix_switch_operations_at", "at"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    switch_code: Mapped[str] = mapped_column(Text)
    is_open: Mapped[bool]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Transformer(Base):
    """A distribution transformer (台区): the low-voltage area behind ``lv_bus`` hangs off it."""

    __tablename__ = "transformers"
    __table_args__ = (
        CheckConstraint("hv_bus_id <> lv_bus_id", name="distinct_buses"),
        CheckConstraint("kva > 0", name="kva_positive"),
        gist("transformers"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    hv_bus_id: Mapped[int] = mapped_column(ForeignKey("buses.id"), index=True)
    lv_bus_id: Mapped[int] = mapped_column(ForeignKey("buses.id"), index=True)
    kva: Mapped[float] = mapped_column(Float)
    geom = geometry("POINT")
    props: Mapped[dict] = props()
    updated_at = updated_at()


class Customer(Base):
    """A customer service point (metering point) on an LV bus and/or a transformer."""

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("bus_id IS NOT NULL OR transformer_id IS NOT NULL", name="attached"),
        one_of("priority", CUSTOMER_PRIORITIES),
        gist("customers"),
        # GiST, not GIN: it orders by word similarity (KNN), ~1 ms where GIN took ~130 ms.
        Index("ix_customers_address_trgm", "address", postgresql_using="gist",
              postgresql_ops={"address": "gist_trgm_ops"}),
        # Head-ends name meters, not accounts: the meter number is the customer layer's "meter" property.
        Index("ix_customers_meter", text("(props->>'meter')"), postgresql_where=text("props ? 'meter'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    #: The phone number's digits only, so "139 0000-0001" finds "13900000001".
    phone_digits: Mapped[str] = mapped_column(
        Text, Computed("regexp_replace(phone, '[^0-9]', '', 'g')", persisted=True), index=True)
    address: Mapped[str] = mapped_column(Text)
    bus_id: Mapped[int | None] = mapped_column(ForeignKey("buses.id"), index=True)
    transformer_id: Mapped[int | None] = mapped_column(ForeignKey("transformers.id"), index=True)
    priority: Mapped[str] = mapped_column(Text)
    geom = geometry("POINT")
    props: Mapped[dict] = props()
    updated_at = updated_at()
    #: The customer asked for no outage notices (``POST /api/v1/customers/{account}/notifications``).
    #: A column, not a property: a re-import of the customer layer must not undo it.
    notify_opt_out: Mapped[bool] = mapped_column(server_default="false")


class GridState(Base):
    """One row: the topology version, bumped whenever switching changes what feeds what, so that
    every worker knows when to rebuild its in-memory topology."""

    __tablename__ = "grid_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    topology_version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    #: The grid itself (imports only, not switching): a process whose topology is of the same grid
    #: rebuilds it from the switches' states alone when ``topology_version`` alone moves.
    grid_version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    #: Likewise for the road graph (imports and closures).
    road_version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    #: The roads themselves (imports only, not closures): the routing engine's hierarchy is rebuilt
    #: when it moves, only re-customised when ``road_version`` alone does.
    road_network_version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    #: And for the map's tiles (imports and switching).
    map_version: Mapped[int] = mapped_column(BigInteger, server_default="1")


class GridImport(Base):
    """An import that was applied, as its report said it (``flask data import`` and
    ``POST /api/v1/grid/imports`` alike): the warnings outlive the terminal or the answer they were
    shown in, so whoever finds crews sent to nothing later can see what the import said. Refused
    imports change nothing and are not kept."""

    __tablename__ = "grid_imports"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The application's clock (dispatch.core.clock), as every time a rule or a person reads.
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Who imported: ``cli`` (the command line, scripts) or the signed-in user's name.
    actor: Mapped[str] = mapped_column(Text)
    #: {layer: {features, inserted, updated, unchanged}}, the roads' with their graph's figures.
    counts: Mapped[dict] = mapped_column(JSONB)
    #: [{layer, message}], as the command line prints them.
    warnings: Mapped[list] = mapped_column(JSONB)

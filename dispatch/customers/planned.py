"""Planned outages (预安排停电): work planned on a switch for a published window.

Who is out: the customers on the buses a source no longer reaches with the work's switch open and
any other planned switching set (a tie closed to back-feed part of the feeder, say), computed from
the topology when the outage is planned and kept with it. Those customers are the ones told
before, the ones whose calls join it, and the ones whose interruptions are counted.

States: ``upcoming`` (待停电) -> ``out`` (停电中) -> ``restored`` (已复电), or ``cancelled`` before it
began. A supervisor records the start and the end as the work goes; if nobody does, the worker
moves it at the window's times (:func:`advance`): the published window is the commitment made to
the customers, so work that will overrun gets its window's end changed, which tells them.

While it is active (out, or upcoming with its window begun, until the window's end), a call from one
of its buses joins it (:func:`join_call`) instead of opening an incident: kept, and answered with
the window. A hazard (flagged, or a kind the intake treats as one) still opens an incident.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.core.db import text
from dispatch.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from dispatch.customers.notify_fanout import after_quiet_hours
from dispatch.gis.grid import TopologyCache
from dispatch.gis.topology import Topology
from dispatch.gis.zoning import zone_of
from dispatch.incidents.intake import HAZARD_KINDS, NewReport
from dispatch.incidents.locating import locate

#: The published commitment: the notice a week ahead, the reminder a day ahead.
NOTICE_AHEAD = timedelta(days=7)
REMINDER_AHEAD = timedelta(hours=24)
#: Crews switch out the work's section up to this long before the window's start.
SWITCHING_AHEAD = timedelta(hours=2)
#: A notice that quiet hours hold still reaches the customer this long before the work begins.
QUIET_HOURS_MARGIN = timedelta(hours=1)
#: Customers on the buses ``:buses`` (through their transformer's LV bus when they name no bus):
#: a join to the unnested array (a hash join), not ``= ANY`` per customer (buses x customers).
AFFECTED = ("SELECT c.id, c.notify_opt_out FROM customers c "
            "LEFT JOIN transformers t ON t.id = c.transformer_id "
            "JOIN unnest(CAST(:buses AS bigint[])) AS b(id) ON b.id = coalesce(c.bus_id, t.lv_bus_id)")
#: An outage whose customers were off supply at the call's time ``:now`` (a call may reach us late:
#: an IVR's queue, a channel's retries): from the work's start (the window's while nobody recorded
#: one) to the window's end while it lasts, to its recorded end once it is over.
ACTIVE = ("(p.state IN ('upcoming', 'out') AND coalesce(p.started_at, p.window_start) <= :now AND :now < p.window_end "
          "OR p.state = 'restored' AND p.started_at <= :now AND :now < p.finished_at)")
_VIEW = ("SELECT p.id, s.code AS switch, p.switching, p.window_start, p.window_end, p.reason, z.code AS zone, "
         "z.name AS zone_name, p.planned_by, p.state, p.revision, p.buses, p.customers_affected, p.started_at, "
         "p.started_by, p.finished_at, p.finished_by, p.cancelled_at, p.notice_7d_at, p.notice_24h_at, "
         "p.created_at, p.updated_at FROM planned_outages p JOIN switches s ON s.id = p.switch_id "
         "LEFT JOIN zones z ON z.id = p.zone_id ")


@dataclass(frozen=True)
class Plan:
    """What a supervisor plans: the switch opened for the work, other switching, the window."""

    switch: str
    window_start: datetime
    window_end: datetime
    reason: str
    switching: dict[str, bool]
    zone: str | None = None


def cut_off(topology: Topology, switch: str, switching: dict[str, bool]) -> tuple[list[int], int]:
    """The buses supplied now that the planned switching leaves without supply, and their customers."""
    unknown = [code for code in (switch, *switching) if not topology.has_switch(code)]
    if unknown:
        field = "switch" if switch in unknown else "switching"
        raise InvalidInput(f"there is no switch {unknown[0]!r}", [FieldProblem(field, "unknown switch")])
    now, then = topology.energized(), topology.energized({**switching, switch: True})
    lost = now & ~then
    customers = topology.customers_at(lost)
    if not customers:
        raise InvalidInput("this switching takes no customer off supply (the switch is open already, or other "
                           "switching supplies everything beyond it)", [FieldProblem("switch", "cuts off nobody")])
    return sorted(topology.buses_of(lost)), customers


def _check_window(start: datetime, end: datetime, now: datetime, start_may_be_past: bool = False) -> None:
    problems = []
    if start < now and not start_may_be_past:
        problems.append(FieldProblem("window_start", "in the past"))
    if end <= start:
        problems.append(FieldProblem("window_end", "not after window_start"))
    elif end <= now:
        problems.append(FieldProblem("window_end", "in the past"))
    if problems:
        raise InvalidInput("the window is not one that can still be kept", problems)


def plan(session: Session, topologies: TopologyCache, request: Plan, by: str, now: datetime) -> int:
    """Record a planned outage (in the caller's transaction); returns its id."""
    _check_window(request.window_start, request.window_end, now)
    connection = session.connection()
    buses, customers = cut_off(topologies.current(session), request.switch, request.switching)
    zone_id = None
    if request.zone is not None:
        zone_id = connection.execute(text("SELECT id FROM zones WHERE code = :code"),
                                     {"code": request.zone}).scalar()
        if zone_id is None:
            raise InvalidInput(f"there is no zone {request.zone!r}", [FieldProblem("zone", "unknown zone")])
    return connection.execute(text(
        "INSERT INTO planned_outages (switch_id, switching, window_start, window_end, reason, zone_id, planned_by, "
        "buses, customers_affected, created_at, updated_at) SELECT s.id, CAST(:switching AS jsonb), :start, :end, "
        f":reason, coalesce(CAST(:zone AS int), {zone_of('s.geom', 'id')}), :by, CAST(:buses AS bigint[]), "
        ":customers, :now, :now FROM switches s WHERE s.code = :switch RETURNING id"),
        {"switching": json.dumps(request.switching, sort_keys=True), "start": request.window_start, "end": request.window_end,
         "reason": request.reason, "zone": zone_id, "by": by, "buses": buses, "customers": customers,
         "now": now, "switch": request.switch}).scalar_one()


def outage(connection: Connection, outage_id: int, lock: bool = False) -> dict[str, Any]:
    row = connection.execute(text(_VIEW + "WHERE p.id = :id" + (" FOR UPDATE OF p" if lock else "")),
                             {"id": outage_id}).mappings().first()
    if row is None:
        raise NotFound(f"there is no planned outage {outage_id}")
    return dict(row)


def view(connection: Connection, outage_id: int) -> dict[str, Any]:
    """One planned outage as the desk sees it: its window, state, customers and transformers."""
    row = outage(connection, outage_id)
    transformers = connection.execute(text(
        "SELECT t.code FROM transformers t JOIN unnest(CAST(:buses AS bigint[])) AS b(id) ON b.id = t.lv_bus_id "
        "ORDER BY t.code"),
        {"buses": row["buses"]}).scalars().all()
    calls = connection.execute(text("SELECT count(*) FROM planned_outage_calls WHERE planned_outage_id = :id"),
                               {"id": outage_id}).scalar_one()
    return {**_brief(row), "transformers": list(transformers), "calls": calls}


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in (
        "id", "switch", "switching", "window_start", "window_end", "reason", "zone", "planned_by", "state", "revision",
        "customers_affected", "started_at", "started_by", "finished_at", "finished_by", "cancelled_at",
        "notice_7d_at", "notice_24h_at", "created_at", "updated_at")}


def listing(connection: Connection, state: str | None, start: datetime | None, end: datetime | None,
            limit: int) -> list[dict[str, Any]]:
    """Planned outages (of one state; whose window meets [start, end)), soonest first."""
    rows = connection.execute(text(
        _VIEW + "WHERE (CAST(:state AS text) IS NULL OR p.state = :state) "
        "AND (CAST(:start AS timestamptz) IS NULL OR p.window_end > :start) "
        "AND (CAST(:end AS timestamptz) IS NULL OR p.window_start < :end) ORDER BY p.window_start, p.id LIMIT :limit"),
        {"state": state, "start": start, "end": end, "limit": limit}).mappings()
    return [_brief(dict(row)) for row in rows]


def _announced(row: dict[str, Any]) -> bool:
    """Whether its customers were told of it already (a change of what nobody heard of tells nobody)."""
    return row["notice_7d_at"] is not None or row["notice_24h_at"] is not None or row["state"] == "out"


def notify(connection: Connection, settings: Settings, outage_id: int, stage: str, revision: int, now: datetime) -> int:
    """Write one notification of ``stage`` to every affected customer not opted out (once each per
    stage and revision; a planned notice is not urgent: it waits out quiet hours, see :func:`_due`)."""
    return connection.execute(text(
        "INSERT INTO notifications (planned_outage_id, stage, revision, customer_id, next_attempt_at, created_at) "
        f"SELECT :id, :stage, :revision, c.id, :due, :now FROM ({AFFECTED}) c WHERE NOT c.notify_opt_out "
        "ON CONFLICT DO NOTHING"),
        {"id": outage_id, "stage": stage, "revision": revision, "due": _due(connection, settings, outage_id, now),
         "now": now, "buses": _buses(connection, outage_id)}).rowcount


def _due(connection: Connection, settings: Settings, outage_id: int, now: datetime) -> datetime:
    """When a notice goes out: after quiet hours, but never later than QUIET_HOURS_MARGIN before the
    work begins (a reminder written at 23:00 for work at 06:00 goes at 05:00, not 07:00); at once
    for work under way (its end moved: the customers are in the dark now) or done (that margin is
    past: power is back, news wanted at any hour)."""
    state, start = connection.execute(text("SELECT state, window_start FROM planned_outages WHERE id = :id"),
                                      {"id": outage_id}).one()
    if state == "out":
        return now
    return min(after_quiet_hours(now, settings), max(now, start - QUIET_HOURS_MARGIN))


def _buses(connection: Connection, outage_id: int) -> list[int]:
    return connection.execute(text("SELECT buses FROM planned_outages WHERE id = :id"), {"id": outage_id}).scalar_one()


def change_window(connection: Connection, settings: Settings, outage_id: int, start: datetime | None,
                  end: datetime | None, now: datetime) -> None:
    """Move the window (an outage under way: its end only). Customers already told hear of the
    change at once, and the notices still ahead are due again by the new start (those whose time
    has passed are what the change's message says); customers not told yet get the notices of the
    new window when they are due."""
    row = outage(connection, outage_id, lock=True)
    if row["state"] not in ("upcoming", "out"):
        raise Conflict(f"planned outage {outage_id} is {row['state']}: its window cannot change")
    if row["state"] == "out" and start is not None and start != row["window_start"]:
        raise InvalidInput("the outage has begun: only its end can change",
                           [FieldProblem("window_start", "the outage has begun")])
    start, end = start or row["window_start"], end or row["window_end"]
    _check_window(start, end, now, start_may_be_past=row["state"] == "out")
    if (start, end) == (row["window_start"], row["window_end"]):
        return
    revision = row["revision"] + 1
    told = _announced(row)
    connection.execute(text(
        "UPDATE planned_outages SET window_start = :start, window_end = :end, revision = :revision, updated_at = :now, "
        "notice_7d_at = CASE WHEN :told AND :start - :week <= :now THEN :now END, "
        "notice_24h_at = CASE WHEN :told AND :start - :day <= :now THEN :now END WHERE id = :id"),
        {"id": outage_id, "start": start, "end": end, "revision": revision, "now": now, "told": told,
         "week": NOTICE_AHEAD, "day": REMINDER_AHEAD})
    if told:
        notify(connection, settings, outage_id, "planned_changed", revision, now)


def cancel(connection: Connection, settings: Settings, outage_id: int, now: datetime) -> None:
    """Call the work off before it began; customers already told are told it is off."""
    row = outage(connection, outage_id, lock=True)
    if row["state"] != "upcoming":
        raise Conflict(f"planned outage {outage_id} is {row['state']}: only an upcoming one can be cancelled")
    connection.execute(text("UPDATE planned_outages SET state = 'cancelled', cancelled_at = :now, updated_at = :now "
                            "WHERE id = :id"), {"id": outage_id, "now": now})
    if _announced(row):
        notify(connection, settings, outage_id, "planned_cancelled", row["revision"], now)


def start(connection: Connection, outage_id: int, at: datetime, by: str) -> None:
    """The work began (the switch opened): the customers are out from ``at``."""
    row = outage(connection, outage_id, lock=True)
    if row["state"] != "upcoming":
        raise Conflict(f"planned outage {outage_id} is {row['state']}: only an upcoming one can start")
    connection.execute(text("UPDATE planned_outages SET state = 'out', started_at = :at, started_by = :by, "
                            "updated_at = :at WHERE id = :id"), {"id": outage_id, "at": at, "by": by})


def finish(connection: Connection, settings: Settings, outage_id: int, at: datetime, by: str) -> None:
    """The work is done and supply is back from ``at`` (not before it started); its customers are told."""
    row = outage(connection, outage_id, lock=True)
    if row["state"] != "out":
        raise Conflict(f"planned outage {outage_id} is {row['state']}: only one under way can finish")
    if at < row["started_at"]:
        raise InvalidInput("supply cannot be back before the outage began", [FieldProblem("at", "before started_at")])
    connection.execute(text("UPDATE planned_outages SET state = 'restored', finished_at = :at, finished_by = :by, "
                            "updated_at = :at WHERE id = :id"), {"id": outage_id, "at": at, "by": by})
    notify(connection, settings, outage_id, "planned_restored", row["revision"], clock.now())


def advance(connection: Connection, settings: Settings, now: datetime) -> list[int]:
    """The worker's part: start at the window's start the outages nobody started, finish at the
    window's end those nobody finished and tell their customers; returns the ids it finished
    (their interruptions are due)."""
    connection.execute(text(
        "UPDATE planned_outages SET state = 'out', started_at = window_start, started_by = 'worker', updated_at = :now "
        "WHERE state = 'upcoming' AND window_start <= :now"), {"now": now})
    finished = connection.execute(text(
        "UPDATE planned_outages SET state = 'restored', finished_at = greatest(window_end, started_at), "
        "finished_by = 'worker', updated_at = :now WHERE state = 'out' AND window_end <= :now RETURNING id, revision"),
        {"now": now}).all()
    for outage_id, revision in finished:
        notify(connection, settings, outage_id, "planned_restored", revision, now)
    return [outage_id for outage_id, _ in finished]


def kept_and_active(connection: Connection, external_id: str | None, client_id: int | None,
                    now: datetime) -> tuple[int | None, bool]:
    """The call kept before under this sender's ``external_id`` (None: none, or no id), and whether
    any planned outage was active at ``now``: one small read, what every call pays while none is
    (calls look further only then)."""
    first, active = connection.execute(text(
        "SELECT (SELECT id FROM planned_outage_calls WHERE external_id = :external "
        "AND channel_client_id IS NOT DISTINCT FROM :client), "
        f"EXISTS (SELECT 1 FROM planned_outages p WHERE {ACTIVE})"),
        {"external": external_id, "client": client_id, "now": now}).one()
    return first, active


def active_at_bus(connection: Connection, bus_id: int, now: datetime) -> dict[str, Any] | None:
    """The planned outage that had ``bus_id`` off supply at ``now`` (the one ending last, if several)."""
    row = connection.execute(text(
        f"SELECT p.id FROM planned_outages p WHERE {ACTIVE} "
        "AND :bus = ANY(p.buses) ORDER BY p.window_end DESC, p.id LIMIT 1"), {"now": now, "bus": bus_id}).scalar()
    return None if row is None else outage(connection, row)


def switched_for_work(connection: Connection, code: str, at: datetime) -> bool:
    """Whether switch ``code`` opening at ``at`` is planned work's switching: the work's switch (or
    one of its planned switching) from SWITCHING_AHEAD before its start to its window's end."""
    return connection.execute(text(
        "SELECT EXISTS (SELECT 1 FROM planned_outages p JOIN switches s ON s.id = p.switch_id "
        "WHERE p.state IN ('upcoming', 'out') AND coalesce(p.started_at, p.window_start) - :ahead <= :at "
        "AND :at < p.window_end AND (s.code = :code OR p.switching ? :code))"),
        {"code": code, "at": at, "ahead": SWITCHING_AHEAD}).scalar_one()


def call_by_external_id(connection: Connection, external_id: str, client_id: int | None) -> int | None:
    return connection.execute(text(
        "SELECT id FROM planned_outage_calls WHERE external_id = :external AND channel_client_id IS NOT DISTINCT FROM :client"),
        {"external": external_id, "client": client_id}).scalar()


def record_call(connection: Connection, outage_id: int, call: dict[str, Any], now: datetime) -> int:
    """Keep a call that joined the outage; returns its id."""
    return connection.execute(text(
        "INSERT INTO planned_outage_calls (planned_outage_id, external_id, channel, channel_client_id, received_at, "
        "kind, description, account_no, phone, address, customer_id, bus_id, created_at) VALUES (:outage, :external_id, "
        ":channel, :channel_client_id, :received_at, :kind, :description, :account_no, :phone, :address, "
        ":customer_id, :bus_id, :now) RETURNING id"), {**call, "outage": outage_id, "now": now}).scalar_one()


def call_outage(connection: Connection, call_id: int) -> int:
    return connection.execute(text("SELECT planned_outage_id FROM planned_outage_calls WHERE id = :id"),
                              {"id": call_id}).scalar_one()


@dataclass(frozen=True)
class JoinedCall:
    """A call kept with the planned outage it came from inside of."""

    call_id: int
    created: bool
    located_method: str | None
    outage: dict[str, Any]


def join_call(session: Session, topologies: TopologyCache, settings: Settings, report: NewReport) -> JoinedCall | None:
    """Keep ``report`` with the active planned outage its caller is inside of, and commit; None
    when there is none (or it is a hazard: that still opens an incident). A repeat of a call kept
    before (same sender, same external id) returns the first. Costs one indexed read while no
    planned outage is active: a storm's calls pay nothing more."""
    connection = session.connection()
    if report.hazard or report.kind in HAZARD_KINDS:
        return None
    first, active = kept_and_active(connection, report.external_id, report.channel_client_id, report.received_at)
    if first is not None:
        return JoinedCall(first, False, None, outage(connection, call_outage(connection, first)))
    if not active:
        return None
    located = locate(connection, topologies.current(session), report.locators, settings)
    found = None if located.bus_id is None else active_at_bus(connection, located.bus_id, report.received_at)
    if found is None:
        return None
    locators = report.locators
    call = {"external_id": report.external_id, "channel": report.channel, "channel_client_id": report.channel_client_id,
            "received_at": report.received_at, "kind": report.kind, "description": report.description,
            "account_no": locators.account_no, "phone": locators.phone, "address": locators.address,
            "customer_id": located.customer_id, "bus_id": located.bus_id}
    try:
        call_id = record_call(connection, found["id"], call, clock.now())
        session.commit()
    except IntegrityError:  # the same call, sent twice at once: the other request kept it
        session.rollback()
        first = call_by_external_id(session.connection(), report.external_id, report.channel_client_id)
        if first is None:
            raise
        return JoinedCall(first, False, None, outage(session.connection(), call_outage(session.connection(), first)))
    return JoinedCall(call_id, True, located.method, found)

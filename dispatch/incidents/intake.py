"""Taking in a customer fault report: locate it, attach it to an incident (opening, rolling up or
merging incidents as outage inference says), all in one transaction.

Hazard reports (wire down, fire, or flagged by the caller) always get an incident of their own,
are never merged away, and are kept out of outage inference. A report that cannot be located
opens an incident at the caller's place, flagged unlocated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.gis.grid import TopologyCache
from dispatch.gis.inference import Rules, branches, outages
from dispatch.gis.skills import Fault, SkillRules, has_skills, skill_rules
from dispatch.gis.topology import Device, Topology
from dispatch.incidents import locating_store as places
from dispatch.incidents import nested, store
from dispatch.incidents.alerts import record_alerts
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.locating import Located, Locators, locate
from dispatch.incidents.models import OPEN_INCIDENT_STATUSES
from dispatch.incidents.moving_down import Regrouping, may_move_down, regroup
from dispatch.incidents.sla import arrival_deadline

HAZARD_KINDS = frozenset({"wire_down", "fire"})
#: Open statuses from the least to the most advanced.
PROGRESS = OPEN_INCIDENT_STATUSES
#: Incidents that can be merged away: no crew is moving yet.
MERGEABLE = frozenset({"new", "assigned", "accepted"})
#: Incidents whose crew is on the road or on site.
MOVING = frozenset({"en_route", "on_site"})


@dataclass(frozen=True)
class NewReport:
    channel: str
    received_at: datetime
    locators: Locators
    kind: str = "no_power"
    hazard: bool = False
    description: str | None = None
    #: The sender's own id of the report: a repeat from the same sender returns the first.
    external_id: str | None = None
    #: The machine client that sent it (dispatch/customers); None: the desk.
    channel_client_id: int | None = None
    #: The restored incident this report says left the customer out (a call-back's "still out"):
    #: a new incident it opens is nested in it, even after NESTED_OUTAGE_WINDOW_MIN.
    nested_in: int | None = None


@dataclass
class FeederView:
    """A feeder as intake read it for one call: its open incidents as stored (``read``, to see
    whether they changed before the decision), the same with their areas, the one the call falls
    in, and, unless the call simply joins that one, where the call is predicted with the feeder's
    active calls and what that means for the holder."""

    read: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    holder: dict[str, Any] | None
    #: The holder's active calls, one per caller, when it might move down.
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: Where the call is predicted, and the incidents with active calls.
    target: int | None = None
    recent: set[int] = field(default_factory=set)
    #: The call simply joins ``holder`` (no roll-up, merge or move down); else how the holder
    #: moves down first, if it does.
    joins: bool = False
    regrouping: Regrouping | None = None


@dataclass
class Intake:
    """What became of a report."""

    report_id: int
    created: bool
    located: dict[str, Any] | None
    incident: dict[str, Any]


def fault_at(topology: Topology, area: int | None, hazard: bool, zone: str | None, zone_class: str | None) -> Fault:
    """What the skill rules look at, for an incident put at ``area``'s device (None: a place)."""
    if area is None:
        return Fault("lv", "location", hazard, zone, zone_class)
    return Fault("lv" if topology.area_in_lv[area] else "mv", topology.area_device[area].kind, hazard, zone, zone_class)


def device_fields(connection: Connection, topology: Topology, device: Device | None, area: int | None,
                  place: tuple[float | None, float | None], needs: list[str]) -> dict[str, Any]:
    """An incident's columns for the device it is put at, or for ``place`` when there is none;
    ``needs``: the skills a crew must have there."""
    if device is None or area is None:
        return {"device_kind": "location", "device_id": None, "device_code": None,
                "lon": place[0], "lat": place[1], "customers_affected": 0, "required_skills": needs}
    lon, lat = places.device_location(connection, device.kind, device.id)
    return {"device_kind": device.kind, "device_id": device.id, "device_code": device.code,
            "lon": lon, "lat": lat, "customers_affected": topology.area_customers[area], "required_skills": needs}


def tripped(connection: Connection, topology: Topology) -> set[int]:
    """The outage areas of the switches SCADA says tripped."""
    return {area for switch in store.tripped_switches(connection)
            if (area := topology.area_of_device.get(("switch", switch))) is not None}


def lacks(crew_skills: list[str] | None, needs: list[str]) -> bool:
    """A crew (when there is one) without every skill needed."""
    return crew_skills is not None and not has_skills(crew_skills, needs)


class ReportIntake:
    def __init__(self, session: Session, settings: Settings, topologies: TopologyCache,
                 dispatcher: CrewDispatch):
        self.session = session
        self.settings = settings
        self.topologies = topologies
        self.dispatcher = dispatcher
        self.rules = Rules.from_settings(settings)
        self.skills: SkillRules = skill_rules(settings.skill_rules_file)

    def submit(self, report: NewReport) -> Intake:
        """Store the report and its incident, and write what changed to the outbox; the same
        ``external_id`` again returns the first (and writes nothing)."""
        connection = self.session.connection()
        if report.external_id is not None:
            existing = store.report_by_external_id(connection, report.external_id, report.channel_client_id)
            if existing is not None:
                return self._repeat(existing)
        topology = self.topologies.current(self.session)
        located = locate(connection, topology, report.locators, self.settings)
        hazard = report.hazard or report.kind in HAZARD_KINDS
        deadline = arrival_deadline(report.received_at, located.zone_class,
                                    located.zone and located.zone["arrival_target_min"],
                                    self.settings.arrival_targets)
        incident_id, merged, split = self._incident_for(report, located, hazard, deadline, topology)
        try:
            report_id = store.insert_report(
                connection, external_id=report.external_id, channel=report.channel,
                channel_client_id=report.channel_client_id,
                received_at=report.received_at, kind=report.kind, hazard=hazard,
                description=report.description, account_no=report.locators.account_no,
                phone=report.locators.phone, address=report.locators.address,
                reported_lon=report.locators.lon, reported_lat=report.locators.lat,
                located_method=located.method, lon=located.lon, lat=located.lat,
                customer_id=located.customer_id, bus_id=located.bus_id,
                transformer_id=located.transformer_id, zone_id=located.zone and located.zone["id"],
                zone_defaulted=located.zone_defaulted, source_id=located.source_id,
                arrival_deadline=deadline, distance_m=located.distance_m, incident_id=incident_id)
            store.refresh_incident(connection, incident_id)
            if self.dispatcher.holds_lock or self.dispatcher.holds_lock_shared:  # else it only joined one
                self.dispatcher.assign_best(incident_id, clock.now())
            for other in split:  # calls split out of an incident that moved down
                if other != incident_id and other not in merged:
                    self.dispatcher.assign_best(other, clock.now())
            located_view, summary = self._answer(report_id, topology)
            self.dispatcher.record_messages(clock.now(), [incident_id, *merged, *split])
            if hazard:  # a hazard opens an incident of its own: its opening is the alert
                record_alerts(connection, store.event_ids(connection, incident_id, "opened"))
            self.session.commit()
        except IntegrityError as why:
            # Another request stored the same external_id first: answer with that one.
            self.session.rollback()
            if getattr(why.orig.diag, "constraint_name", None) not in store.EXTERNAL_ID_INDEXES:
                raise
            return self._repeat(store.report_by_external_id(self.session.connection(), report.external_id,
                                                            report.channel_client_id))
        return Intake(report_id, True, located_view, summary)

    def attach(self, report: NewReport, incident_id: int) -> int | None:
        """Store a report, located, in an incident already chosen for it, without inference (the
        last gasps of one transformer in a burst: the next report through :meth:`submit`
        re-predicts for them all); returns its id, or None when the incident is no longer open
        (merged meanwhile: the report needs inference). In the caller's transaction (it commits)."""
        connection = self.session.connection()
        topology = self.topologies.current(self.session)
        located = locate(connection, topology, report.locators, self.settings)
        if located.source_id is not None:
            store.lock_source(connection, located.source_id)
        self.dispatcher.lock()
        if store.incident_summary(connection, incident_id)["status"] not in OPEN_INCIDENT_STATUSES:
            return None
        deadline = arrival_deadline(report.received_at, located.zone_class,
                                    located.zone and located.zone["arrival_target_min"],
                                    self.settings.arrival_targets)
        report_id = store.insert_report(
            connection, external_id=report.external_id, channel=report.channel,
            channel_client_id=report.channel_client_id, received_at=report.received_at,
            kind=report.kind, hazard=False, description=report.description, account_no=report.locators.account_no,
            phone=None, address=None, reported_lon=None, reported_lat=None, located_method=located.method,
            lon=located.lon, lat=located.lat, customer_id=located.customer_id, bus_id=located.bus_id,
            transformer_id=located.transformer_id, zone_id=located.zone and located.zone["id"],
            zone_defaulted=located.zone_defaulted, source_id=located.source_id, arrival_deadline=deadline,
            distance_m=located.distance_m, incident_id=incident_id)
        store.refresh_incident(connection, incident_id)
        return report_id

    def _repeat(self, report_id: int) -> Intake:
        return Intake(report_id, False, *self._answer(report_id, self.topologies.current(self.session)))

    # -- choosing the incident -------------------------------------------------------------------

    def _incident_for(self, report: NewReport, located: Located, hazard: bool, deadline: datetime,
                      topology: Topology) -> tuple[int, list[int], list[int]]:
        """The incident the report joins, the incidents merged into it, and those opened for calls
        split out of an incident that moved down (:mod:`dispatch.incidents.moving_down`).

        The feeder is read and its calls predicted under the feeder's inference lock only, so that
        calls on other feeders are decided meanwhile. A call that simply joins an incident then
        takes only that incident's row (:meth:`_join_alone`). Any other takes
        the dispatch lock (:mod:`dispatch.core.locks`) and reads the state of the feeder's open
        incidents again (:data:`store.STATE`): when a crew's progress, a merge or a restoration
        changed any of them in between, the feeder is read and predicted again, now under both
        locks. Either way the incidents merged, their crews and the one that carries on are as
        committed by the last decision, and stay so until this one commits. A call that only opens
        an incident (of its own: a hazard, a call on no feeder, or one the feeder read shows joining
        nothing) holds the dispatch lock shared instead while no free crew could take it
        (:meth:`CrewDispatch.lock_to_wait`, the feeder's state checked again under it)."""
        if located.method is None or located.area is None or located.source_id is None or hazard:
            if not self.dispatcher.lock_to_wait(self._needs(topology, located.area, hazard, located), lambda: True):
                self.dispatcher.lock()
            return self._open(report, located, hazard, deadline, topology, located.area), [], []
        connection = self.session.connection()
        store.lock_source(connection, located.source_id)
        feeder = self._read_feeder(located, report.received_at, topology)
        if feeder.joins and self._join_alone(feeder.holder):
            return feeder.holder["id"], [], []
        if self._opens(feeder, topology) and self.dispatcher.lock_to_wait(
                self._needs(topology, feeder.target, False, located), lambda: self._as_read(located, feeder)):
            return self._open(report, located, False, deadline, topology, feeder.target), [], []
        self.dispatcher.lock()
        if not self._as_read(located, feeder):
            feeder = self._read_feeder(located, report.received_at, topology)
        return self._decide(report, located, deadline, topology, feeder)

    def _as_read(self, located: Located, feeder: FeederView) -> bool:
        """Whether the feeder's open incidents are as ``feeder`` read them (:data:`store.STATE`)."""
        return store.open_incident_states(self.session.connection(), located.source_id) == \
            [store.state_of(incident) for incident in feeder.read]

    def _opens(self, feeder: FeederView, topology: Topology) -> bool:
        """Whether the feeder read says the call opens an incident of its own: it joins none, moves
        none down, and no recent incident lies below its target to be rolled up into it."""
        return not feeder.joins and feeder.regrouping is None and not self._members(
            feeder.incidents, feeder.recent, feeder.target, topology)

    def _needs(self, topology: Topology, area: int | None, hazard: bool, located: Located) -> list[str]:
        """The skills a crew needs at an incident the call opens at ``area``."""
        return self.skills.needs(fault_at(topology, area, hazard, located.zone and located.zone["code"],
                                          located.zone_class))

    def _join_alone(self, holder: dict[str, Any]) -> bool:
        """Lock the row of the incident the call simply joins, without the dispatch lock (most of a
        storm's calls): the call changes no crew and no other incident, so no decision of the
        desk's needs to wait for it. That holds for an incident waiting for a crew too: it waits
        because no free crew could take it when it was last offered, under the dispatch lock, and
        a crew freed since took it (or will) under that lock too, whatever calls it has; one more
        call gives no crew a reason to move (docs/dispatch-invariants.md). Only while the incident is
        as read (else the row lock is let go, in a savepoint, before the dispatch lock is taken:
        the lock order, docs/dispatch-invariants.md); afterwards this transaction never takes the
        dispatch lock."""
        savepoint = self.session.begin_nested()
        if store.locked_incident_state(self.session.connection(), holder["id"]) == store.state_of(holder):
            savepoint.commit()
            return True
        savepoint.rollback()
        return False

    def _read_feeder(self, located: Located, received_at: datetime, topology: Topology) -> FeederView:
        """The feeder's open incidents and, unless the call plainly joins the one it falls in
        (nothing else recent on the feeder), its active calls, their prediction with this call,
        and whether the call joins that incident or it moves down (no writes)."""
        connection = self.session.connection()
        since = received_at - timedelta(minutes=self.settings.inference_window_min)
        read = store.open_incidents(connection, located.source_id)
        incidents = [{**incident, "area": topology.area_of_device.get((incident["device_kind"], incident["device_id"]))}
                     for incident in read]
        # A call inside an open incident's area joins it while a crew is on it or its last report
        # is within the window; after that, a new call starts a new incident (docs/architecture.md,
        # "The life of a report").
        holding = [i for i in incidents if i["area"] is not None and topology.is_within(located.area, i["area"])
                   and (i["status"] != "new" or i["last_report_at"] >= since)]
        holder = max(holding, key=lambda i: topology.area_depth[i["area"]]) if holding else None
        feeder = FeederView(read, incidents, holder)
        if holder is not None and not may_move_down(holder, topology) and \
                not any(i["id"] != holder["id"] and i["last_report_at"] >= since for i in incidents):
            feeder.joins = True  # nothing else on the feeder it could be rolled up with, nor below it
            return feeder
        # A meter that said "power restored" after its customer called: that customer is on again.
        back_on = {row["customer_id"]: row for row in store.meters_back_on(connection, since)}
        restored = {customer: row["at"] for customer, row in back_on.items()}
        active = store.active_callers(connection, located.source_id, since, restored, located.customer_id)
        feeder.recent = set(active.incidents)
        callers: dict[int, int] = {}
        for bus, count in zip(active.buses, active.callers):
            if (area := topology.area_of_bus(bus)) is not None:
                callers[area] = callers.get(area, 0) + count
        # A caller who called before is counted once, where that call was placed (the grid may
        # have moved its customer since).
        counted_at = None if active.my_bus is None else topology.area_of_bus(active.my_bus)
        if counted_at is None:
            counted_at = located.area
            callers[located.area] = callers.get(located.area, 0) + 1
        on = [area for customer, row in back_on.items() if customer != located.customer_id
              and (area := topology.area_of_bus(row["bus_id"])) is not None
              and topology.area_source[area] == located.source_id]
        predicted = outages(topology, callers, self.rules, on)
        feeder.target = predicted[counted_at]
        # A call inside an open incident joins it, unless with this call the prediction has moved
        # above it (calls spread over a device's branches: the first ones may have been too few
        # for a roll-up); then it is rolled up with the others below the new device (_decide).
        # When it is predicted below the incident, the incident may move down to where its calls
        # now point, its other calls split out; the call then goes where its target is.
        if holder is not None and (holder["id"] not in feeder.recent or topology.is_within(feeder.target, holder["area"])):
            if feeder.target != holder["area"] and holder["id"] in feeder.recent and may_move_down(holder, topology):
                feeder.rows = store.active_calls(connection, located.source_id, since, restored, holder["id"])
                feeder.regrouping = regroup(topology, holder, feeder.rows, predicted, feeder.target,
                                            tripped(connection, topology), self.rules)
            feeder.joins = feeder.regrouping is None
        return feeder

    def _decide(self, report: NewReport, located: Located, deadline: datetime, topology: Topology,
                feeder: FeederView) -> tuple[int, list[int], list[int]]:
        """Join, open, roll up, merge or move down, as the feeder read says (under both locks)."""
        connection = self.session.connection()
        incidents, holder, rows, target = feeder.incidents, feeder.holder, feeder.rows, feeder.target
        if feeder.joins:
            return holder["id"], [], []
        recent = set(feeder.recent)
        split: list[int] = []
        if (regrouping := feeder.regrouping) is not None:
            opened = self._move_down(holder, regrouping, rows, located, topology, report.received_at)
            # The moved incident among them: its message (new device, customers out) goes out even
            # when the call itself goes elsewhere.
            split = [holder["id"], *(i["id"] for i in opened)]
            if holder["area"] != target and topology.is_within(target, holder["area"]):
                return holder["id"], [], split  # it stopped at a tripped device above the call's target
            incidents += opened
            recent |= set(split)
        members = self._members(incidents, recent, target, topology)
        if not members:
            return self._open(report, located, False, deadline, topology, target), [], split
        # The incident furthest along (a crew on the way) carries on; others not yet under way
        # are merged into it; one whose crew is already moving is left alone.
        survivor = max(members, key=lambda i: (PROGRESS.index(i["status"]), -i["id"]))
        if survivor["area"] != target:
            needs = self._needs_of(topology, target, survivor)
            self._move(survivor, target, topology, report.received_at, needs)
            if lacks(survivor["crew_skills"], needs):
                self.dispatcher.requalify(survivor["id"], clock.now())  # the skills follow the device
        others = [i["id"] for i in members if i["id"] != survivor["id"] and i["status"] in MERGEABLE]
        merged: list[int] = []
        if others:
            merged = store.merge_incidents(connection, survivor["id"], others)
            for crew_id in store.crews_of(connection, merged):  # their crews are free again
                self.dispatcher.release(crew_id, clock.now())
            for other in merged:
                store.add_event(connection, other, "merged", report.received_at, {"into": survivor["id"]})
                store.refresh_incident(connection, other)
            store.add_event(connection, survivor["id"], "absorbed", report.received_at, {"incidents": merged})
        return survivor["id"], merged, split

    def _members(self, incidents: list[dict[str, Any]], recent: set[int], target: int,
                 topology: Topology) -> list[dict[str, Any]]:
        """The recent incidents at or below ``target`` that a call there gathers into one. An
        incident whose crew is moving is never merged away (:meth:`_decide`); one whose moving crew
        lacks a skill the target device needs is not moved up either: it stays at its device with
        its crew, and the other calls go to another incident."""
        return [i for i in incidents if i["area"] is not None and i["id"] in recent
                and topology.is_within(i["area"], target)
                and not (i["status"] in MOVING and i["area"] != target
                         and lacks(i["crew_skills"], self._needs_of(topology, target, i)))]

    def _needs_of(self, topology: Topology, target: int, incident: dict[str, Any]) -> list[str]:
        """The skills ``incident`` needs once at ``target``'s device."""
        return self.skills.needs(fault_at(topology, target, False, incident["zone"], incident["zone_class"]))

    def _open(self, report: NewReport, located: Located, hazard: bool, deadline: datetime,
              topology: Topology, area: int | None) -> int:
        device = topology.area_device[area] if area is not None else None
        needs = self._needs(topology, area, hazard, located)
        fields = device_fields(self.session.connection(), topology, device, area, (located.lon, located.lat), needs)
        if hazard and located.lon is not None:  # a hazard is where the caller saw it
            fields.update(lon=located.lon, lat=located.lat)
        connection = self.session.connection()
        incident_id = store.insert_incident(
            connection, **fields, source_id=located.source_id, zone_id=located.zone and located.zone["id"],
            zone_class=located.zone_class, zone_defaulted=located.zone_defaulted,
            unlocated=located.method is None, hazard=hazard, first_report_at=report.received_at,
            arrival_deadline=deadline)
        store.add_event(connection, incident_id, "opened", report.received_at,
                        {"device": fields["device_code"], "kind": fields["device_kind"]})
        if not hazard:
            self._nest(incident_id, area, located.source_id, report.received_at, report.nested_in, topology)
        return incident_id

    def _move(self, incident: dict[str, Any], area: int, topology: Topology, at: datetime, needs: list[str]) -> None:
        device = topology.area_device[area]
        fields = device_fields(self.session.connection(), topology, device, area, (None, None), needs)
        store.move_incident_device(self.session.connection(), incident["id"], **fields)
        store.add_event(self.session.connection(), incident["id"], "rolled_up", at,
                        {"from": {"kind": incident["device_kind"], "code": incident["device_code"]},
                         "to": {"kind": device.kind, "code": device.code}})

    def _move_down(self, incident: dict[str, Any], regrouping: Regrouping, rows: list[dict[str, Any]],
                   located: Located, topology: Topology, at: datetime) -> list[dict[str, Any]]:
        """Move ``incident`` down to ``regrouping.to``, each other group of its calls split out
        into an incident of its own (returned as :func:`store.open_incidents` rows). Its timeline
        says why: the calls per branch of the device it leaves."""
        connection = self.session.connection()
        area, to = incident["area"], regrouping.to
        mine = [row for row in rows if row["incident_id"] == incident["id"]]
        called = [a for row in mine if (a := topology.area_of_bus(row["bus_id"])) is not None]
        if located.customer_id is None or located.customer_id not in {row["customer_id"] for row in mine}:
            called.append(located.area)  # the new call, unless its caller has called before
        needs = self._needs_of(topology, to, incident)
        device = topology.area_device[to]
        store.move_incident_device(connection, incident["id"],
                                   **device_fields(connection, topology, device, to, (None, None), needs))
        opened = [self._split_out(incident, split_area, calls, topology, at)
                  for split_area, calls in sorted(regrouping.split.items())]
        store.add_event(connection, incident["id"], "moved_down", at, {
            "from": {"kind": incident["device_kind"], "code": incident["device_code"]},
            "to": {"kind": device.kind, "code": device.code},
            "branches": [{"device": None if b.device is None else {"kind": b.device.kind, "code": b.device.code},
                          "customers": b.customers, "calls": b.calls} for b in branches(topology, area, called)],
            "split": [i["id"] for i in opened]})
        store.refresh_incident(connection, incident["id"])
        if lacks(incident["crew_skills"], needs):
            self.dispatcher.requalify(incident["id"], clock.now())  # the skills follow the device
        incident.update(area=to, device_kind=device.kind, device_id=device.id, device_code=device.code)
        return opened

    def _split_out(self, incident: dict[str, Any], area: int, calls: list[dict[str, Any]], topology: Topology,
                   at: datetime) -> dict[str, Any]:
        """A new incident at ``area`` for these calls of ``incident`` (and their callers' other
        reports in it)."""
        connection = self.session.connection()
        first = store.first_of_reports(connection, [row["id"] for row in calls])
        needs = self._needs_of(topology, area, first)
        device = topology.area_device[area]
        incident_id = store.insert_incident(
            connection, **device_fields(connection, topology, device, area, (None, None), needs),
            source_id=topology.area_source[area], zone_id=first["zone_id"], zone_class=first["zone_class"],
            zone_defaulted=first["zone_defaulted"], unlocated=False, hazard=False,
            first_report_at=first["received_at"], arrival_deadline=first["arrival_deadline"])
        store.move_callers(connection, incident["id"], incident_id,
                           [row["customer_id"] for row in calls if row["customer_id"] is not None],
                           [row["id"] for row in calls if row["customer_id"] is None])
        store.add_event(connection, incident_id, "opened", at,
                        {"device": device.code, "kind": device.kind, "split_from": incident["id"]})
        self._nest(incident_id, area, topology.area_source[area], first["received_at"], None, topology)
        store.refresh_incident(connection, incident_id)
        return {"id": incident_id, "status": "new", "area": area, "device_kind": device.kind,
                "device_id": device.id, "device_code": device.code, "zone": first["zone"],
                "zone_class": first["zone_class"], "last_report_at": max(row["received_at"] for row in calls),
                "crew_skills": None, "device_tripped": False}

    def _nest(self, incident_id: int, area: int | None, source_id: int | None, at: datetime,
              nested_in: int | None, topology: Topology) -> None:
        """Link a new outage to the restored incident it is nested in, if any."""
        connection = self.session.connection()
        if (parent := nested.parent_of(connection, topology, self.settings, area, source_id, at) or nested_in) \
                is not None:
            nested.link(connection, incident_id, parent, at)

    # -- the answer ------------------------------------------------------------------------------

    def _answer(self, report_id: int, topology: Topology) -> tuple[dict[str, Any], dict[str, Any]]:
        """Where the stored report was located, with codes a dispatcher knows, and its incident."""
        row, incident = store.report_answer(self.session.connection(), report_id)
        area = topology.area_of_bus(row["bus_id"]) if row["bus_id"] is not None else None
        head = topology.feeder_head(area) if area is not None else None
        return {
            "method": row["located_method"],
            "account_no": row["account_no"],
            "bus": row["bus"],
            "transformer": row["transformer"],
            "source": row["source"],
            "feeder": head.code if head is not None else None,
            "zone": {"code": row["zone"], "class": row["zone_class"], "defaulted": row["zone_defaulted"]},
            "distance_m": None if row["distance_m"] is None else round(row["distance_m"], 1),
            "location": None if row["lon"] is None else {"lon": row["lon"], "lat": row["lat"]},
        }, incident

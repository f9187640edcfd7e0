"""Device operations from SCADA or a feeder terminal: a breaker or recloser opens, locks out, closes.

A protective device that opens while dispatch's record says closed was not switched by the desk:
it tripped on a fault. An incident is opened on it at once, its customers (everyone below it) known
before anyone calls; incidents of calls already below it are merged into it, and later calls join
it as they would join any incident (:mod:`dispatch.incidents.intake`). The map shows the device
open, but dispatch keeps tracing through it (``switches.tripped_at``, not ``is_open``): the fault
is the incident, as a blown fuse is, so who is out stays who is below the device. An "open" of a
device the desk has open is the desk's own switching coming back: it changes nothing; nor is an
"open" of the switch of planned work about to begin or under way (``planned``) a trip: it is that
work's switching, recorded as the desk's would be (a lockout is a fault whatever was planned).

``closed`` records the device closed again: a tripped one is no longer shown open; one the desk
had opened is closed as the desk's own switching does it (switching log, state, tiles). It is
evidence of restoration: the incidents at the device are told, and one whose crew is on site is
restored at that moment.

Each event is taken in a transaction of its own, once by its event id.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.gis.grid import TopologyCache, operate_switch
from dispatch.gis.skills import skill_rules
from dispatch.gis.tiles_store import bump_map_version
from dispatch.gis.topology import PROTECTIVE_KINDS, Device, Topology
from dispatch.incidents import evidence_store as evidence
from dispatch.incidents import locating_store as places
from dispatch.incidents import nested, store
from dispatch.incidents.intake import MERGEABLE, device_fields, fault_at
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.lifecycle import record_event
from dispatch.incidents.sla import arrival_deadline

ACTOR = "scada"
#: An incident at a device that closes again with nobody on site: the fault cleared by itself.
CLEARED_BY_ITSELF = frozenset({"new", "assigned", "accepted", "en_route"})


@dataclass(frozen=True)
class DeviceOperation:
    row: int
    event_id: str
    device: str
    operation: str  # open, lockout, closed
    at: datetime


class DeviceEvents:
    def __init__(self, session: Session, settings: Settings, topologies: TopologyCache, dispatcher: CrewDispatch,
                 rehomed: Callable[[list[int]], object], on_restored: Callable[[int], object],
                 planned: Callable[[str, datetime], bool] | None = None):
        self.session = session
        #: Whether a device's "open" at a time is the switching of planned work (no trip, no crew).
        self.planned = planned
        self.settings = settings
        self.topologies = topologies
        self.dispatcher = dispatcher
        self.rehomed = rehomed
        self.on_restored = on_restored

    def take(self, event: DeviceOperation) -> dict[str, Any]:
        """Apply one event (commits); what it did: ``effect`` (duplicate, tripped, echo, closed,
        unchanged) and the incident it opened, joined or restored."""
        connection = self.session.connection()
        if evidence.lock_device_event(connection, event.event_id):
            self.session.rollback()
            return {"row": event.row, "event_id": event.event_id, "effect": "duplicate", "incident": None}
        switch = evidence.switch_for_update(connection, event.device)
        if event.operation == "closed":
            effect, incident = self._closed(switch, event)
        else:
            effect, incident = self._opened(switch, event)
        evidence.insert_device_event(self.session.connection(), key=event.event_id, device=event.device,
                                     operation=event.operation, at=event.at, received_at=clock.now(),
                                     effect=effect, incident=incident)
        self.session.commit()
        return {"row": event.row, "event_id": event.event_id, "effect": effect, "incident": incident}

    # -- open, lockout ---------------------------------------------------------------------------

    def _opened(self, switch: dict[str, Any], event: DeviceOperation) -> tuple[str, int | None]:
        if switch["is_open"]:
            return "echo", None
        # A disconnector does not trip: someone switched it; nor does a breaker opened for planned work.
        if switch["kind"] not in PROTECTIVE_KINDS or (
                event.operation == "open" and self.planned is not None and self.planned(switch["code"], event.at)):
            operate_switch(self.session, self.topologies, switch["code"], True, rehomed=self.rehomed, commit=False)
            return "switched", None
        connection = self.session.connection()
        topology = self.topologies.current(self.session)
        area = topology.area_of_device.get(("switch", switch["id"]))
        source = None if area is None else topology.area_source[area]
        if source is not None:
            store.lock_source(connection, source)
        self.dispatcher.lock()
        already = evidence.open_incidents_at(connection, switch["id"])
        if switch["tripped_at"] is None:
            evidence.set_tripped(connection, switch["id"], event.at)
            bump_map_version(connection)
        if already:
            store.add_event(connection, already[0]["id"], "device_tripped", event.at,
                            {"device": switch["code"], "operation": event.operation}, ACTOR)
            self.dispatcher.record_messages(clock.now(), [already[0]["id"]])
            return ("unchanged" if switch["tripped_at"] else "tripped"), already[0]["id"]
        if area is None:  # on a part no source reaches: nobody to take off supply
            return "tripped", None
        incident_id = self._open(topology, area, switch, event, source)
        merged = self._merge_below(topology, area, incident_id, source, event.at)
        self.dispatcher.assign_best(incident_id, clock.now())
        self.dispatcher.record_messages(clock.now(), [incident_id, *merged])
        return "tripped", incident_id

    def _open(self, topology: Topology, area: int, switch: dict[str, Any], event: DeviceOperation,
              source: int | None) -> int:
        connection = self.session.connection()
        device = Device("switch", switch["id"], switch["code"])
        lon, lat = places.device_location(connection, "switch", switch["id"])
        zone = places.zone_at(connection, lon, lat)
        zone_class = zone["zone_class"] if zone else self.settings.default_zone_class
        needs = skill_rules(self.settings.skill_rules_file).needs(
            fault_at(topology, area, False, zone and zone["code"], zone_class))
        fields = device_fields(connection, topology, device, area, (lon, lat), needs)
        deadline = arrival_deadline(event.at, zone_class, zone and zone["arrival_target_min"],
                                    self.settings.arrival_targets)
        incident_id = store.insert_incident(
            connection, **fields, source_id=source, zone_id=zone and zone["id"], zone_class=zone_class,
            zone_defaulted=zone is None, unlocated=False, hazard=False, first_report_at=event.at,
            arrival_deadline=deadline)
        store.add_event(connection, incident_id, "opened", event.at,
                        {"device": switch["code"], "kind": "switch", "by": ACTOR, "operation": event.operation},
                        ACTOR)
        if (parent := nested.parent_of(connection, topology, self.settings, area, source, event.at)) is not None:
            nested.link(connection, incident_id, parent, event.at)
        return incident_id

    def _merge_below(self, topology: Topology, area: int, incident_id: int, source: int | None,
                     at: datetime) -> list[int]:
        """Incidents of calls that came before the trip, below the device and not yet under way:
        the same fault, merged into the device's incident."""
        if source is None:
            return []
        connection = self.session.connection()
        since = at - timedelta(minutes=self.settings.inference_window_min)
        below = [i["id"] for i in store.open_incidents(connection, source)
                 if i["id"] != incident_id and i["status"] in MERGEABLE and i["last_report_at"] >= since
                 and (inner := topology.area_of_device.get((i["device_kind"], i["device_id"]))) is not None
                 and topology.is_within(inner, area)]
        if not below:
            return []
        merged = store.merge_incidents(connection, incident_id, below)
        for crew_id in store.crews_of(connection, merged):
            self.dispatcher.release(crew_id, clock.now())
        for other in merged:
            store.add_event(connection, other, "merged", at, {"into": incident_id}, ACTOR)
            store.refresh_incident(connection, other)
        store.add_event(connection, incident_id, "absorbed", at, {"incidents": merged}, ACTOR)
        store.refresh_incident(connection, incident_id)
        return merged

    # -- closed ----------------------------------------------------------------------------------


    def _closed(self, switch: dict[str, Any], event: DeviceOperation) -> tuple[str, int | None]:
        connection = self.session.connection()
        self.dispatcher.lock()  # before the switching moves incidents to other sources
        if switch["is_open"]:
            operate_switch(self.session, self.topologies, switch["code"], False, rehomed=self.rehomed, commit=False)
        elif switch["tripped_at"] is not None:
            evidence.set_tripped(connection, switch["id"], None)
            bump_map_version(connection)
        else:
            return "unchanged", None
        restored = None
        incidents = evidence.open_incidents_at(connection, switch["id"])
        for incident in incidents:
            store.add_event(connection, incident["id"], "device_closed", event.at, {"device": switch["code"]}, ACTOR)
            if incident["status"] == "on_site" and restored is None and event.at >= incident["on_site_at"]:
                record_event(self.session, self.dispatcher, incident["id"], "restored", event.at, ACTOR,
                             on_restored=self.on_restored, commit=False)
                restored = incident["id"]
            elif incident["status"] in CLEARED_BY_ITSELF:
                # Nobody is on site and the device is closed again: a recloser that reclosed, a
                # breaker closed from the control room. The power is back; the crew is freed.
                record_event(self.session, self.dispatcher, incident["id"], "cancelled", event.at, ACTOR,
                             note=f"power back before a crew arrived: {switch['code']} closed", commit=False)
        self.dispatcher.record_messages(clock.now(), [i["id"] for i in incidents])
        return "closed", restored

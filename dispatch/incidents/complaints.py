"""Complaints: calls about the service, not about a fault (the crew came late, the power keeps
going off, a planned outage came without notice). A complaint sends no crew and opens no
incident; it is linked to the incident it is about, so that complaints can be counted per zone
and per fault cause (the complaint rate the supply stations are judged by).

Which incident: the one the call-taker names; else, for a known customer, among the incidents
open at the time or restored within COMPLAINT_LINK_HOURS before it, one the customer called about,
then one that cut the customer off (its device upstream of the customer), open ones first, the
nearest device up, then the latest; else none.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.gis.grid import TopologyCache
from dispatch.incidents import complaints_store as store
from dispatch.incidents import locating_store as places


@dataclass(frozen=True)
class NewComplaint:
    channel: str
    received_at: datetime
    kind: str
    account_no: str | None = None
    phone: str | None = None
    incident_id: int | None = None
    description: str | None = None
    external_id: str | None = None


def _customer(session: Session, complaint: NewComplaint) -> dict[str, Any] | None:
    connection = session.connection()
    if complaint.account_no:
        found = places.customer_by_account(connection, complaint.account_no)
        if found is None:
            raise InvalidInput("unknown account", [FieldProblem("account_no", f"no customer has account "
                                                                              f"{complaint.account_no!r}")])
        return found
    digits = re.sub(r"\D", "", complaint.phone or "")
    return places.customer_by_phone(connection, digits) if len(digits) >= 5 else None


def _incident_about(session: Session, topologies: TopologyCache, customer: dict[str, Any], received_at: datetime,
                    link_hours: float) -> int | None:
    candidates = store.candidate_incidents(session.connection(), customer["id"], received_at,
                                           received_at - timedelta(hours=link_hours))
    if not candidates:
        return None
    topology = topologies.current(session)
    area = topology.area_of_bus(customer["bus_id"]) if customer["bus_id"] is not None else None
    ranked = []
    for incident in candidates:
        outer = topology.area_of_device.get((incident["device_kind"], incident["device_id"]))
        cut_off = area is not None and outer is not None and topology.is_within(area, outer)
        if incident["called"] or cut_off:
            depth = topology.area_depth[outer] if outer is not None else -1
            ranked.append(((incident["called"], incident["open"], depth, incident["first_report_at"]), incident["id"]))
    return max(ranked)[1] if ranked else None


def take_complaint(session: Session, settings: Settings, topologies: TopologyCache,
                   complaint: NewComplaint) -> tuple[dict[str, Any], bool]:
    """Store a complaint linked to its incident; returns it and whether it is new (the same
    ``external_id`` again returns the first and writes nothing). Commits."""
    connection = session.connection()
    if complaint.external_id is not None:
        existing = store.complaint_by_external_id(connection, complaint.external_id)
        if existing is not None:
            return store.complaint(connection, existing), False
    customer = _customer(session, complaint)
    if complaint.incident_id is not None:
        incident_id = store.surviving_incident(connection, complaint.incident_id)
        if incident_id is None:
            raise InvalidInput("unknown incident", [FieldProblem("incident", f"there is no incident "
                                                                             f"{complaint.incident_id}")])
    elif customer is not None:
        incident_id = _incident_about(session, topologies, customer, complaint.received_at,
                                      settings.complaint_link_hours)
    else:
        incident_id = None
    zone = customer["zone"] if customer is not None else None
    zone_id = zone["id"] if zone is not None else incident_id and store.incident_zone(connection, incident_id)
    try:
        complaint_id = store.insert_complaint(
            connection, external_id=complaint.external_id, channel=complaint.channel,
            received_at=complaint.received_at, kind=complaint.kind, account_no=complaint.account_no,
            phone=complaint.phone, customer_id=customer and customer["id"], zone_id=zone_id,
            incident_id=incident_id, description=complaint.description)
        answer = store.complaint(connection, complaint_id)
        session.commit()
    except IntegrityError as why:  # the same external_id stored by another request first
        session.rollback()
        if getattr(why.orig.diag, "constraint_name", None) != "uq_complaints_external_id":
            raise
        connection = session.connection()
        return store.complaint(connection, store.complaint_by_external_id(connection, complaint.external_id)), False
    return answer, True

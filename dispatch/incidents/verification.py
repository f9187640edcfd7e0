"""Verifying restorations with the meters: every meter that sent a last gasp during an outage
should say "power restored" soon after the incident is restored. Those still silent after
AMI_RESTORE_GRACE_S are customers still out: reported again (channel ``ami``), they open a nested
outage linked to the restored incident (:mod:`dispatch.incidents.nested`)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.core.db import text
from dispatch.gis.grid import TopologyCache
from dispatch.gis.topology import Topology
from dispatch.incidents import evidence_store as evidence
from dispatch.incidents import store
from dispatch.incidents.intake import NewReport, ReportIntake
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.locating import Locators

ACTOR = "ami"
#: How long before an incident's first sign a last gasp still belongs to it: meters', SCADA's and
#: the hotline's clocks disagree by seconds to minutes.
CLOCK_SLACK = timedelta(minutes=5)


def meters_view(session: Session, topology: Topology, incident: dict[str, Any]) -> dict[str, Any] | None:
    """The meters of an incident's area that sent a last gasp since its first sign: how many, how
    many said power restored since, and (once restored) the accounts still out; None for an
    incident not at a device of the grid."""
    area = topology.area_of_device.get((incident["device_kind"], incident["device_id"]))
    if area is None:
        return None
    meters = evidence.meters_of_incident(session.connection(), topology.buses_within(area),
                                         incident["first_report_at"] - CLOCK_SLACK, incident["restored_at"])
    back = [m for m in meters if m["restored_at"] is not None]
    still_out = [m["account_no"] for m in meters if m["restored_at"] is None]
    return {"last_gasps": len(meters), "power_restored": len(back),
            "still_out": still_out if incident["restored_at"] is not None else None}


def meters_of(session: Session, topology: Topology, incident_id: int) -> dict[str, Any] | None:
    """:func:`meters_view` of incident ``incident_id``."""
    incident = session.connection().execute(text(
        "SELECT device_kind, device_id, first_report_at, restored_at FROM incidents WHERE id = :id"),
        {"id": incident_id}).mappings().first()
    return None if incident is None or incident["device_id"] is None else meters_view(session, topology, dict(incident))


def verify_restorations(session: Session, settings: Settings, topologies: TopologyCache, dispatcher: CrewDispatch,
                        now: datetime) -> list[tuple[int, int]]:
    """Check each incident restored between NESTED_OUTAGE_WINDOW_MIN and AMI_RESTORE_GRACE_S ago,
    once; return (incident, customers still out) of those checked. Commits."""
    connection = session.connection()
    due = connection.execute(text(
        "SELECT i.id, i.device_kind, i.device_id, i.first_report_at, i.restored_at FROM incidents i "
        "WHERE i.status IN ('restored', 'closed') AND i.device_id IS NOT NULL AND NOT i.hazard "
        "AND i.restored_at BETWEEN :since AND :until AND NOT EXISTS (SELECT FROM incident_events e "
        "WHERE e.incident_id = i.id AND e.type = 'restoration_verified') "
        # Only outages some meter saw (a grid without smart meters costs one indexed read).
        "AND EXISTS (SELECT FROM meter_events m WHERE m.kind = 'last_gasp' "
        "AND m.at BETWEEN i.first_report_at - :slack AND i.restored_at) ORDER BY i.restored_at, i.id"),
        {"since": now - timedelta(minutes=settings.nested_outage_window_min),
         "until": now - timedelta(seconds=settings.ami_restore_grace_s), "slack": CLOCK_SLACK}).mappings().all()
    checked = []
    for incident in due:
        topology = topologies.current(session)
        view = meters_view(session, topology, dict(incident))
        if view is None or not view["last_gasps"]:  # gasps elsewhere on the grid: nothing to check here
            continue
        # The reports first, the mark "checked" last: a worker that dies between them leaves the
        # incident unmarked, and the next pass sends the reports again, which their external ids
        # make the same reports (marked first, a death would lose customers still out for good).
        intake = ReportIntake(session, settings, topologies, dispatcher)
        for account in view["still_out"]:
            intake.submit(NewReport(
                channel="ami", received_at=now, locators=Locators(account_no=account), kind="no_power",
                description=f"smart meter: no power restored after incident {incident['id']} was restored",
                external_id=f"ami:still-out:{incident['id']}:{account}"))
        recorded = store.add_event(session.connection(), incident["id"], "restoration_verified", now, view, ACTOR,
                                   idempotency_key=f"verified:{incident['id']}")
        session.commit()
        if recorded is not None:  # else another worker checked it at the same time
            checked.append((incident["id"], len(view["still_out"])))
    return checked

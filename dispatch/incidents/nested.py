"""Nested outages: customers still out, or out again, inside an outage just restored.

Restoring the faulted device does not always bring everyone back: a second fault below it (a fuse
that blew in the same storm, a transformer that did not survive the re-energising) was hidden by
the first. Such an outage is opened as an incident of its own, linked to the restored one as its
parent, so the desk sees at once that the first job was not the whole story. What counts as one:
a call or last gasp from inside the restored area within NESTED_OUTAGE_WINDOW_MIN of the
restoration (here), and a meter that sent a last gasp but no power-restored within
AMI_RESTORE_GRACE_S of it (:mod:`dispatch.incidents.verification`).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection

from dispatch.core.config import Settings
from dispatch.gis.topology import Topology
from dispatch.incidents import store


def parent_of(connection: Connection, topology: Topology, settings: Settings, area: int | None,
              source_id: int | None, at: datetime) -> int | None:
    """The restored incident an outage of ``area`` beginning at ``at`` is nested in: the one with
    the smallest area holding it among those restored within the window; None when there is none."""
    if area is None:
        return None
    since = at - timedelta(minutes=settings.nested_outage_window_min)
    holding = []
    for restored in store.restored_around(connection, source_id, since, at):
        outer = topology.area_of_device.get((restored["device_kind"], restored["device_id"]))
        if outer is not None and topology.is_within(area, outer):
            holding.append((topology.area_depth[outer], restored["id"]))
    return max(holding)[1] if holding else None


def link(connection: Connection, incident_id: int, parent_id: int, at: datetime) -> None:
    """Record ``incident_id`` as nested in ``parent_id``, in both timelines."""
    store.set_parent(connection, incident_id, parent_id)
    store.add_event(connection, incident_id, "nested_in", at, {"parent": parent_id})
    store.add_event(connection, parent_id, "nested_outage", at, {"incident": incident_id})

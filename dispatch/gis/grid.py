"""The live grid: each worker's in-memory topology, kept current, and switching operations."""
from __future__ import annotations

import threading
from typing import Any, Callable

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.errors import NotFound
from dispatch.gis import topology_store as store
from dispatch.gis.tiles_store import bump_map_version
from dispatch.gis.topology import Topology


class TopologyCache:
    """One topology per worker process, rebuilt when the stored topology version moves on.

    Checking the version costs one indexed read per use; any worker that operates a switch or
    imports the grid bumps it, so every worker sees the change on its next request.
    """

    def __init__(self) -> None:
        self._topology: Topology | None = None
        self._lock = threading.Lock()

    def adopt(self, topology: Topology) -> None:
        """Keep a topology just built elsewhere in this worker (after switching). Should its
        transaction fail, its version is never stored and the next use rebuilds."""
        with self._lock:
            self._topology = topology

    def current(self, session: Session) -> Topology:
        connection = session.connection()
        version, grid_version = store.topology_version(connection)
        with self._lock:
            if self._topology is None or self._topology.version != version:
                self._topology = self.rebuilt(connection, version, grid_version)
            return self._topology

    def rebuilt(self, connection: Connection, version: int, grid_version: int) -> Topology:
        """The topology at these versions: when only switching moved since the one held (the same
        grid), that one with the switches read again; else the whole grid read and traced."""
        held = self._topology
        if held is not None and held.grid_version == grid_version:
            switches = store.switch_rows(connection)
            # Each statement sees what was committed when it began: an import in between is a new grid.
            if store.topology_version(connection)[1] == grid_version:
                return held.switched(switches, version)
        return Topology(store.grid_rows(connection), version, grid_version)


def operate_switch(session: Session, topologies: TopologyCache, code: str, is_open: bool, *,
                   rehomed: Callable[[list[int]], object], commit: bool = True) -> bool:
    """Open or close switch ``code``; return whether its state changed. Commits (unless ``commit``
    is false: SCADA's events are recorded in the same transaction as the switching they report).

    Open incidents move to the source that feeds their device now, so that later calls from
    there are grouped with them; ``rehomed(ids)`` is called with those whose source changed, in
    the same transaction (incidents, which live above the grid, write their live messages).
    """
    connection = session.connection()
    before = store.set_switch_open(connection, code, is_open, clock.now())
    if before is None:
        session.rollback()
        raise NotFound(f"there is no switch {code!r}")
    if before != is_open:
        topology = topologies.rebuilt(connection, *store.bump_topology_version(connection))
        homes = []
        for incident_id, kind, device_id in store.open_device_incidents(connection):
            area = topology.area_of_device.get((kind, device_id))
            homes.append((incident_id, None if area is None else topology.area_source[area]))
        rehomed(store.rehome_incidents(connection, homes))
        bump_map_version(connection)
        if commit:
            session.commit()
        topologies.adopt(topology)
        return True
    if commit:
        session.commit()
    return False


def switching_effect(session: Session, topologies: TopologyCache, code: str, is_open: bool) -> dict[str, Any]:
    """What setting switch ``code`` open (or closed) would do, before anyone does it: how many
    customers lose supply and how many regain it, and the critical and life-support customers among
    those cut off, by name (the confirmation a dispatcher reads before switching)."""
    topology = topologies.current(session)
    if not topology.has_switch(code):
        raise NotFound(f"there is no switch {code!r}")
    now, then = topology.energized(), topology.energized({code: is_open})
    lose, gain = now & ~then, then & ~now
    return {"switch": code, "is_open": is_open, "customers_off": topology.customers_at(lose),
            "customers_on": topology.customers_at(gain),
            "critical_off": store.critical_customers(session.connection(), topology.buses_of(lose))}

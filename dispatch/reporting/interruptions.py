"""Customer interruptions recorded when an incident is restored.

Who was out: the customers downstream of the incident's device with the switching as it was when
the outage began (the switching log undoes every later operation). From when: the first sign of
the outage, the incident's first report (a call, or a meter's last gasp: AMI signals are reports
too). Until when: the restoration, or earlier for those whom switching brought back first (a
step restoration: after each switching operation during the outage, the customers supplied again
with the faulted device still open are restored at that operation).

A fault on the customer's own side interrupts no one for the indices (DL/T 836 does not count a
customer's own failure): the desk's finding before the crew went, or the closing report's
"customer-owned equipment". An incident not placed on the grid records the customers who called.

What was known at restoration is not final: the closing report names the cause, who owns what
failed and the time power came back (the crew's account, which prevails over the phone's button),
and a phone's late "restored" may carry an earlier time. Each of these records the incident's
interruptions again from its facts as they now stand (the cause is the incident's: the latest
closing report's, else the first one given with "restored").
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.core.db import text
from dispatch.gis import topology_store
from dispatch.gis.grid import TopologyCache
from dispatch.gis.topology import Topology
from dispatch.gis.zoning import zone_of
from dispatch.reporting.tallies import quarters_of_event, retally


def _incident(connection: Connection, incident_id: int) -> dict[str, Any] | None:
    """The incident's facts the interruptions follow, the latest closing report's over the clocks."""
    return connection.execute(text(
        "SELECT i.id, i.device_kind, i.device_id, i.device_code, i.first_report_at, i.cause, i.customer_side, "
        "coalesce(CAST(r.data->>'restored_at' AS timestamptz), i.restored_at) AS restored_at, "
        "coalesce(r.data->>'equipment_owner' = 'customer', false) AS customer_owned "
        "FROM incidents i LEFT JOIN LATERAL (SELECT e.data FROM incident_events e WHERE e.incident_id = i.id "
        "AND e.type = 'closing_report' ORDER BY e.id DESC LIMIT 1) r ON true WHERE i.id = :id"),
        {"id": incident_id}).mappings().first()


def _forget(connection: Connection, incident_id: int) -> None:
    """Delete what the incident recorded before."""
    connection.execute(text("DELETE FROM customer_interruptions WHERE incident_id = :incident"),
                       {"incident": incident_id})


def _states_at(operations: list[tuple[str, bool, datetime]], current: dict[str, bool], at: datetime) -> dict[str, bool]:
    """Each switch's state (code: is open) at ``at``: the present one with later operations undone."""
    states = dict(current)
    for code, opened, when in reversed(operations):
        if when > at and code in states:
            states[code] = not opened
    return states


def _topology_with(topology: Topology, states: dict[str, bool]) -> Topology:
    """``topology`` as it was with the switches set as ``states`` say (itself when nothing differs)."""
    rows = topology.rows
    if all(states.get(code, is_open) == is_open for _, code, *_, is_open in rows.switches):
        return topology
    return topology.switched([(i, code, a, b, kind, states.get(code, is_open))
                              for i, code, a, b, kind, is_open in rows.switches])


def _restoration_times(topology: Topology, incident: dict[str, Any], operations: list[tuple[str, bool, datetime]],
                       current: dict[str, bool], buses: list[int]) -> dict[int, datetime]:
    """Bus -> when switching supplied it again (only buses of ``buses`` restored before the end).

    Only a switch can be left open to isolate the fault while others back-feed what lies beyond it;
    behind a transformer or at a source nothing else supplies the customers, so they all wait
    for the restoration."""
    if incident["device_kind"] != "switch" or not topology.has_switch(incident["device_code"]):
        return {}
    waiting, restored = set(buses), {}
    index = dict(zip(buses, topology.positions(buses).tolist()))
    for when in sorted({when for *_, when in operations if incident["first_report_at"] < when < incident["restored_at"]}):
        states = _states_at(operations, current, when)
        states[incident["device_code"]] = True  # the faulted device stays out until the crew is done
        supplied = topology.energized(states)
        for bus in [bus for bus in waiting if supplied[index[bus]]]:
            restored[bus] = when
            waiting.discard(bus)
    return restored


def record_restoration(session: Session, topologies: TopologyCache, incident_id: int) -> int:
    """Write the customer interruptions of incident ``incident_id``, restored, in the caller's
    transaction, replacing any it recorded before (its facts changed: a closing report, an earlier
    restoration time); returns how many were written."""
    connection = session.connection()
    incident = _incident(connection, incident_id)
    if incident is None:
        return 0
    touched = quarters_of_event(connection, incident_id)
    _forget(connection, incident_id)
    if incident["restored_at"] is None or incident["customer_side"] is not None or incident["customer_owned"]:
        retally(connection, touched)
        return 0
    started, ended = incident["first_report_at"], max(incident["restored_at"], incident["first_report_at"])
    ends: dict[int, datetime] = {}
    area = None
    if incident["device_id"] is not None:
        topology = topologies.current(session)
        operations = topology_store.switch_operations_since(connection, started)
        current = {code: is_open for _, code, *_, is_open in topology.rows.switches}
        then = _topology_with(topology, _states_at(operations, current, started))
        area = then.area_of_device.get((incident["device_kind"], incident["device_id"]))
    if area is not None:
        buses = then.buses_within(area)
        early = _restoration_times(topology, {**incident, "restored_at": ended}, operations, current, buses)
        ends = {bus: early.get(bus, ended) for bus in buses}
        customers = ("SELECT c.account_no, b.restored_at, c.geom FROM customers c "
                     "LEFT JOIN transformers t ON t.id = c.transformer_id "
                     "JOIN unnest(CAST(:buses AS bigint[]), CAST(:ends AS timestamptz[])) AS b(id, restored_at) "
                     "ON b.id = coalesce(c.bus_id, t.lv_bus_id)")
    else:  # not on the grid: the customers who called
        customers = ("SELECT DISTINCT c.account_no, CAST(:ended AS timestamptz) AS restored_at, c.geom "
                     "FROM reports r JOIN customers c ON c.id = r.customer_id WHERE r.incident_id = :incident")
    written = connection.execute(text(
        f"WITH out AS ({customers}) "
        "INSERT INTO customer_interruptions (account_no, zone_code, started_at, restored_at, planned, cause, source, "
        f"incident_id) SELECT out.account_no, {zone_of('out.geom')}, :started, greatest(out.restored_at, :started), false, "
        ":cause, 'recorded', :incident FROM out "
        # One outage, one interruption: a customer already recorded out over this time by another
        # incident (a hazard reported during the outage opens its own incident at the same device; a
        # nested outage) or by planned work is not counted twice. Outages that began a week before this one are not
        # looked at (the started_at index then reads a few days of rows).
        "WHERE NOT EXISTS (SELECT 1 FROM customer_interruptions ci WHERE ci.account_no = out.account_no "
        "AND ci.source = 'recorded' AND ci.incident_id IS DISTINCT FROM :incident "
        "AND ci.started_at > :started - interval '7 days' "
        "AND ci.started_at < greatest(out.restored_at, :started) AND ci.restored_at > :started)"),
        {"buses": list(ends), "ends": list(ends.values()), "started": started, "ended": ended,
         "incident": incident_id, "cause": incident["cause"]}).rowcount
    retally(connection, touched + quarters_of_event(connection, incident_id))
    return written

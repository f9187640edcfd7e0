"""Customer interruptions of a planned outage (预安排停电), recorded when it ends.

Who: the customers on the buses the outage's planned switching took off supply (kept with the
outage when it was planned: the customers who were told are the ones counted). From when to when:
the outage's actual start and end (the supervisor's, or the window's when the worker moved it).
Marked ``planned``, so that the indices "without planned" leave them out, as DL/T 836 splits
预安排 from 故障. Stored under the event reference ``planned-<id>`` (a planned outage is no
incident); recording again replaces what was recorded. Its customers' interruptions recorded by
incidents that began during the work are removed: the work explains them (and an incident restored
later skips customers the work already counts).
"""
from __future__ import annotations

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.gis.zoning import zone_of
from dispatch.reporting.tallies import quarter, quarters_of_refs, retally


def planned_ref(outage_id: int) -> str:
    return f"planned-{outage_id}"


def record_planned(connection: Connection, outage_id: int) -> int:
    """Write the interruptions of restored planned outage ``outage_id`` in the caller's transaction;
    returns how many."""
    ref = planned_ref(outage_id)
    touched = quarters_of_refs(connection, [ref])
    connection.execute(text("DELETE FROM customer_interruptions WHERE event_ref = :ref"), {"ref": ref})
    written = connection.execute(text(
        "INSERT INTO customer_interruptions (account_no, zone_code, started_at, restored_at, planned, cause, source, "
        f"event_ref) SELECT DISTINCT ON (c.account_no) c.account_no, {zone_of('c.geom')}, p.started_at, p.finished_at, "
        "true, NULL, 'recorded', :ref FROM planned_outages p CROSS JOIN LATERAL unnest(p.buses) AS b(id) "
        "JOIN (customers c LEFT JOIN transformers t ON t.id = c.transformer_id) "
        "ON coalesce(c.bus_id, t.lv_bus_id) = b.id WHERE p.id = :id AND p.state = 'restored' ORDER BY c.account_no"),
        {"id": outage_id, "ref": ref}).rowcount
    # One outage, one interruption: what an incident recorded for these customers from within the
    # work (a wire reported down in the work's area, restored before the work ended) was the work.
    explained = connection.execute(text(
        "DELETE FROM customer_interruptions ci USING planned_outages p WHERE p.id = :id AND ci.incident_id IS NOT NULL "
        "AND ci.started_at >= p.started_at AND ci.started_at < p.finished_at AND ci.account_no IN "
        "(SELECT account_no FROM customer_interruptions WHERE event_ref = :ref) RETURNING ci.started_at"),
        {"id": outage_id, "ref": ref}).scalars().all()
    retally(connection, touched + quarters_of_refs(connection, [ref]) + [quarter(at) for at in explained])
    return written

"""Customer interruptions tallied by quarter hour of start, zone, planned, cause and duration.

A year's totals (SAIFI, SAIDI, MAIFI, the DL/T 836 indices) and the five years of daily SAIDI behind
the major-event threshold are sums over interruptions grouped by when they began, where, whether
planned, why and for how long: reading them from the tallies instead of a million rows a year makes
the first report as fast as the next (issue 14's "first reliability report after start").

The writers of interruptions (a restoration recorded, a history import) tally again, in their
transaction, every quarter hour in which they wrote or deleted: from the rows themselves, so the
tallies never drift. One writer at a time: two restorations that began in the same quarter hour
would each count that quarter without the other's rows, not yet committed. A quarter hour of UTC
becomes a local day exactly: every zone's offset, and every clock change, falls on a quarter hour.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection

from dispatch.core.db import text

#: The quarter hour an interruption began in (date_bin: the same bins whatever the time zone).
QUARTER = "date_bin('15 minutes', started_at, TIMESTAMPTZ '2000-01-01 00:00Z')"
BIN_ORIGIN, BIN = datetime(2000, 1, 1, tzinfo=timezone.utc), timedelta(minutes=15)
#: The advisory lock writers take to tally (an arbitrary constant, one per database).
TALLY_LOCK = 1366_0001


def quarters_of_event(connection: Connection, incident_id: int) -> list[datetime]:
    """The quarter hours in which incident ``incident_id``'s recorded interruptions began."""
    return connection.execute(text(
        f"SELECT DISTINCT {QUARTER} FROM customer_interruptions WHERE incident_id = :incident"),
        {"incident": incident_id}).scalars().all()


def quarters_of_refs(connection: Connection, refs: list[str]) -> list[datetime]:
    """The quarter hours in which the stored interruptions of imported events ``refs`` began."""
    return connection.execute(text(
        f"SELECT DISTINCT {QUARTER} FROM customer_interruptions WHERE event_ref = ANY(CAST(:refs AS text[]))"),
        {"refs": refs}).scalars().all()


def quarter(at: datetime) -> datetime:
    """The quarter hour ``at`` (aware) falls in, as :data:`QUARTER` bins it."""
    return at - (at - BIN_ORIGIN) % BIN


def retally(connection: Connection, quarters: list[datetime]) -> None:
    """Count the interruptions that began in ``quarters`` again, in the caller's transaction,
    holding the tally lock until it ends."""
    if not quarters:
        return
    connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": TALLY_LOCK})
    # After the lock: these statements see every tally writer's committed rows.
    quarters = sorted(set(quarters))
    connection.execute(text("DELETE FROM interruption_tallies WHERE quarter = ANY(CAST(:quarters AS timestamptz[]))"),
                       {"quarters": quarters})
    connection.execute(text(
        "INSERT INTO interruption_tallies (quarter, zone_code, planned, cause, seconds, interruptions) "
        "SELECT q.quarter, ci.zone_code, ci.planned, ci.cause, date_part('epoch', ci.restored_at - ci.started_at), "
        "count(*) FROM unnest(CAST(:quarters AS timestamptz[])) AS q(quarter) JOIN customer_interruptions ci "
        "ON ci.started_at >= q.quarter AND ci.started_at < q.quarter + interval '15 minutes' GROUP BY 1, 2, 3, 4, 5"),
        {"quarters": quarters})

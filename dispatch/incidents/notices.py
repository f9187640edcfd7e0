"""Notices of incidents' stages for customers, written in the transaction of the change.

Every change to an incident goes through :meth:`dispatch.crews.assignment.Dispatcher.record_messages`
just before its transaction commits; that calls :func:`record`, which compares the incidents with
the notices already written and adds one row per stage newly reached (``incident_notices``). The
notice commits with its change or not at all, like the live stream's outbox: no stage is told that
did not happen, and none that happened is lost. The worker then fans each notice out to the
customers it concerns (dispatch/customers/notify_fanout.py): a storm's thousands of customers per
incident are not written while the dispatch lock is held.

The stages: ``received`` (the callers: one notice per number of calls, so that each new caller is
told), ``en_route``, ``on_site``, ``restored`` (once each, as the incident reaches them: a crew
that reports "on site" straight away skips "on the way"), and ``etr_changed`` when the restoration
estimate moved by more than NOTIFY_ETR_MARGIN_MIN from the one last told to everyone (the first
estimate is told with the stage that came with it; a later caller's "received" names the estimate
of the moment but is no baseline, since only the callers heard it).
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection

from dispatch.core.db import id_match, text

#: The stage an incident's status stands for (statuses not here announce nothing of their own).
_STAGE = ("CASE WHEN i.status IN ('restored', 'closed') AND i.restored_at IS NOT NULL THEN 'restored' "
          "WHEN i.status = 'on_site' THEN 'on_site' WHEN i.status = 'en_route' THEN 'en_route' END")
#: Incidents that still exist on their own (not cancelled, not merged into another).
_LIVE = "i.status NOT IN ('cancelled', 'merged')"


def record(connection: Connection, incident_ids: Iterable[int], now: datetime, etr_margin_min: float) -> None:
    """Write the notices of the stages ``incident_ids`` reached since their last notices."""
    ids = sorted(set(incident_ids))
    if not ids:
        return
    match, bound = id_match("i.id", "ids", ids)
    live = f"{match} AND {_LIVE}"
    # One statement (one round trip on the intake's path): the stages first; an estimate that moved
    # is told unless a stage was told just now (its message names the estimate). The notices
    # written by the first part are not seen by the second (one snapshot): none is its baseline.
    connection.execute(text(
        "WITH staged AS (INSERT INTO incident_notices (incident_id, stage, revision, etr_at, at) "
        f"SELECT i.id, 'received', i.report_count, i.etr_at, :now FROM incidents i WHERE {live} "
        "AND i.report_count > 0 AND i.restored_at IS NULL "
        f"UNION ALL SELECT i.id, {_STAGE}, 0, i.etr_at, :now FROM incidents i WHERE {live} AND {_STAGE} IS NOT NULL "
        "ON CONFLICT DO NOTHING RETURNING incident_id, stage) "
        "INSERT INTO incident_notices (incident_id, stage, revision, etr_at, at) "
        "SELECT i.id, 'etr_changed', coalesce(changes.n, 0) + 1, i.etr_at, :now FROM incidents i "
        "JOIN LATERAL (SELECT etr_at FROM incident_notices n WHERE n.incident_id = i.id AND n.etr_at IS NOT NULL "
        "  ORDER BY n.stage = 'received', n.id DESC LIMIT 1) told ON true "
        "LEFT JOIN LATERAL (SELECT max(revision) AS n FROM incident_notices n WHERE n.incident_id = i.id "
        "  AND n.stage = 'etr_changed') changes ON true "
        f"WHERE {live} AND i.status IN ('new', 'assigned', 'accepted', 'en_route', 'on_site') "
        "AND i.etr_at IS NOT NULL AND abs(extract(epoch FROM i.etr_at - told.etr_at)) > :margin_s "
        "AND i.id NOT IN (SELECT incident_id FROM staged WHERE stage <> 'received') "
        "ON CONFLICT DO NOTHING"), {"ids": bound, "now": now, "margin_s": etr_margin_min * 60})

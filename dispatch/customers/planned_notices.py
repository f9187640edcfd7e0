"""The notices before a planned outage, written by the worker when they fall due: the notice a
week before the window (NOTICE_AHEAD) and the reminder a day before (REMINDER_AHEAD), the
published commitment. An outage planned later than that gets the due one at once; one planned
inside the last day gets the reminder alone (it says all the notice would). Each is written once
per customer and window (the notifications' unique index), then sent like every notification
(dispatch/customers/notify_sender.py), after quiet hours.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.core.db import text
from dispatch.customers.planned import NOTICE_AHEAD, REMINDER_AHEAD, notify


def fan_out_planned(session: Session, settings: Settings, now: datetime, limit: int = 20) -> int:
    """Write the notices due of up to ``limit`` upcoming outages (several workers share them with
    SKIP LOCKED); commits; returns how many notices (one per outage and stage)."""
    connection = session.connection()
    due = connection.execute(text(
        "SELECT id, revision, window_start - :day <= :now AS reminder FROM planned_outages WHERE state = 'upcoming' "
        "AND (notice_7d_at IS NULL AND window_start - :week <= :now OR notice_24h_at IS NULL AND window_start - :day <= :now) "
        "ORDER BY window_start, id LIMIT :limit FOR UPDATE SKIP LOCKED"),
        {"now": now, "week": NOTICE_AHEAD, "day": REMINDER_AHEAD, "limit": limit}).mappings().all()
    for outage in due:
        notify(connection, settings, outage["id"], "planned_24h" if outage["reminder"] else "planned_7d",
               outage["revision"], now)
    if due:
        connection.execute(text(
            "UPDATE planned_outages SET notice_7d_at = coalesce(notice_7d_at, :now), "
            "notice_24h_at = CASE WHEN window_start - :day <= :now THEN :now END WHERE id = ANY(:ids)"),
            {"now": now, "day": REMINDER_AHEAD, "ids": [o["id"] for o in due]})
    session.commit()
    return len(due)

"""Sending notifications: the worker's pass over the due ones.

1. Take up to NOTIFY_BATCH due messages (``FOR UPDATE SKIP LOCKED``: several workers share the
   work, none takes another's), mark them ``sending`` with a lease (``next_attempt_at`` moves
   NOTIFY_LEASE_S ahead) and count the attempt; commit.
2. Send them, NOTIFY_CONCURRENCY at a time, outside any transaction.
3. Note each outcome in one transaction: sent; tried again after a backoff that doubles from
   NOTIFY_BACKOFF_S; failed after NOTIFY_MAX_ATTEMPTS or a refusal for good; skipped.

A worker killed between 2 and 3 has sent messages it never noted: their lease runs out and they
are sent again, with the same ``Idempotency-Key`` (the notification's id), which the receiver
uses to drop the second copy. Delivery is at least once, never lost; exactly once needs the
receiver's help, which the key gives it. Step 3 only notes an outcome on a row that is still this
worker's (same attempt, still ``sending``), so a slow worker whose lease ran out cannot undo
what another noted since.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.core.db import text
from dispatch.customers.notify_adapters import Result, deliver
from dispatch.customers.notify_templates import Contact, planned_reference, render, render_planned, render_warning
from dispatch.incidents.escalation import WARNING_STAGES

#: A warning's clock by its stage.
_CLOCK = {stage: clock for clock, stage in WARNING_STAGES.items()}

_CLAIM = text(
    "UPDATE notifications SET status = 'sending', attempts = attempts + 1, next_attempt_at = :lease "
    "WHERE id IN (SELECT id FROM notifications WHERE status IN ('pending', 'sending') AND next_attempt_at <= :now "
    "ORDER BY next_attempt_at, id LIMIT :limit FOR UPDATE SKIP LOCKED) RETURNING id, attempts")
_MESSAGES = text(
    "SELECT n.id, n.incident_id, n.planned_outage_id, n.stage, n.attempts, k.etr_at, c.account_no, c.phone, "
    "c.notify_opt_out, c.props->>'language' AS language, c.props->>'wechat_openid' AS wechat_openid, "
    "z.name AS zone_name, z.props->>'service_person' AS service_person, z.props->>'service_phone' AS service_phone, "
    "z.props->>'station_head' AS station_head, z.props->>'station_head_phone' AS station_head_phone, "
    "n.revision, i.arrival_deadline, i.restore_deadline, n.zone_id, p.window_start, p.window_end, p.reason FROM notifications n "
    "LEFT JOIN incident_notices k ON k.id = n.notice_id LEFT JOIN incidents i ON i.id = n.incident_id "
    "LEFT JOIN planned_outages p ON p.id = n.planned_outage_id LEFT JOIN customers c ON c.id = n.customer_id "
    "LEFT JOIN zones z ON z.id = coalesce(n.zone_id, i.zone_id, p.zone_id) WHERE n.id = ANY(:ids) ORDER BY n.id")


def idempotency_key(notification_id: int) -> str:
    return f"notification-{notification_id}"


def message(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """What is sent for one notification row (the webhook's body; other adapters take parts)."""
    if row["stage"] in _CLOCK:
        return warning_message(row, settings)
    contact = Contact(row["service_person"] or "", row["service_phone"]) if row["service_phone"] else None
    staff = row["zone_id"] is not None
    language = "zh-CN" if staff else row["language"]
    if staff:
        recipient = {"kind": "service_person", "name": contact.name, "phone": contact.phone}
    else:
        recipient = {"kind": "customer", "account_no": row["account_no"], "phone": row["phone"],
                     "wechat_openid": row["wechat_openid"]}
    body = {
        "id": row["id"], "idempotency_key": idempotency_key(row["id"]), "incident": row["incident_id"],
        "stage": row["stage"], "etr_at": row["etr_at"].isoformat() if row["etr_at"] else None,
        "recipient": recipient, "service_person": None if staff or contact is None else
        {"name": contact.name, "phone": contact.phone},
    }
    if row["planned_outage_id"] is not None:
        return {**body, "reference": planned_reference(row["planned_outage_id"]),
                "planned_outage": row["planned_outage_id"],
                "etr_at": None if row["stage"] == "planned_restored" else row["window_end"].isoformat(),
                "window": {"start": row["window_start"].isoformat(), "end": row["window_end"].isoformat()},
                "text": render_planned(language, row["stage"], row["planned_outage_id"], row["window_start"],
                                       row["window_end"], row["reason"], settings.dispatch_timezone, contact)}
    return {**body, "reference": str(row["incident_id"]),
            "text": render(language, row["stage"], row["incident_id"], row["etr_at"], settings.dispatch_timezone,
                           contact, zone=row["zone_name"] if staff else None)}


def warning_message(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A deadline warning for the zone's supply-station head (staff: in zh-CN), with the deadline."""
    clock = _CLOCK[row["stage"]]
    deadline = row["arrival_deadline"] if clock == "arrival" else row["restore_deadline"]
    return {
        "id": row["id"], "idempotency_key": idempotency_key(row["id"]), "incident": row["incident_id"],
        "reference": str(row["incident_id"]), "stage": row["stage"], "etr_at": None,
        "warning": {"clock": clock, "percent": row["revision"], "deadline": deadline.isoformat()},
        "recipient": {"kind": "station_head", "name": row["station_head"] or "", "phone": row["station_head_phone"]},
        "service_person": None,
        "text": render_warning("zh-CN", clock, row["revision"], row["incident_id"], row["zone_name"], deadline,
                               settings.dispatch_timezone),
    }


def send_due(session: Session, settings: Settings, now: datetime,
             before_noting: Callable[[], object] | None = None) -> int:
    """One pass: take the due messages, send them, note the outcomes; returns how many were taken.
    ``before_noting`` runs between sending and noting (tests crash the worker there)."""
    connection = session.connection()
    claimed = dict(connection.execute(_CLAIM, {"now": now, "lease": now + timedelta(seconds=settings.notify_lease_s),
                                               "limit": settings.notify_batch}).all())
    rows = connection.execute(_MESSAGES, {"ids": list(claimed)}).mappings().all() if claimed else []
    session.commit()
    if not rows:
        return 0
    opted_out = [row for row in rows if row["notify_opt_out"]]
    to_send = [row for row in rows if not row["notify_opt_out"]]
    with ThreadPoolExecutor(max_workers=min(settings.notify_concurrency, max(len(to_send), 1))) as pool:
        results = list(pool.map(lambda row: _send_one(row, settings), to_send))
    if before_noting is not None:
        before_noting()
    outcomes = [(row, result) for row, result in zip(to_send, results)]
    outcomes += [(row, Result("skipped", "opted out")) for row in opted_out]
    _note(session, settings, now, outcomes, claimed)
    return len(rows)


def _send_one(row: Any, settings: Settings) -> Result:
    """Send one row; a row that cannot be written as a message (a zone whose service phone or
    station head's phone was removed since) is skipped rather than left to stop every later pass."""
    if row["stage"] in _CLOCK and not row["station_head_phone"]:
        return Result("skipped", "the zone has no station head's phone any more")
    if row["zone_id"] is not None and row["stage"] not in _CLOCK and not row["service_phone"]:
        return Result("skipped", "the zone has no service phone any more")
    return deliver(message(row, settings), settings)


def _note(session: Session, settings: Settings, now: datetime, outcomes: list[tuple[Any, Result]],
          claimed: dict[int, int]) -> None:
    updates = []
    for row, result in outcomes:
        attempts = claimed[row["id"]]
        status, retry_at = result.outcome, None
        if status == "retry" and attempts >= settings.notify_max_attempts:
            status = "failed"
        elif status == "retry":
            status = "pending"
            wait = min(settings.notify_backoff_s * 2 ** (attempts - 1), settings.notify_backoff_max_s)
            retry_at = now + timedelta(seconds=wait)
        updates.append({"id": row["id"], "attempts": attempts, "status": status, "retry_at": retry_at,
                        "now": now, "error": None if status == "sent" else result.detail})
    session.connection().execute(text(
        "UPDATE notifications SET status = :status, last_error = :error, "
        "next_attempt_at = coalesce(:retry_at, next_attempt_at), "
        "sent_at = CASE WHEN :status = 'sent' THEN CAST(:now AS timestamptz) END "
        "WHERE id = :id AND attempts = :attempts AND status = 'sending'"), updates)
    session.commit()

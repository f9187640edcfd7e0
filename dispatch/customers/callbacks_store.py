"""The call-backs table (dispatch/customers/callbacks.py): opening them for restored incidents,
reading them for the desk, and recording answers."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.customers.models import CALLBACK_STATUSES

#: Reports whose caller is asked: supply complaints. A flicker, a wire down or a fire is reported
#: by someone whose own power may never have been out; the smart meters (channel ``ami``) answer
#: for themselves (dispatch/incidents/verification.py).
ASKED_KINDS = ("no_power", "partial_power", "low_voltage")
_DIGITS = "nullif(regexp_replace(coalesce(r.phone, ''), '[^0-9]', '', 'g'), '')"
#: The latest number a customer gave in their calls about the incident: the one to call back on.
_GIVEN = ("(SELECT regexp_replace(p.phone, '[^0-9]', '', 'g') FROM reports p WHERE p.incident_id = r.incident_id "
          "AND p.customer_id = r.customer_id AND p.phone ~ '[0-9]' ORDER BY p.received_at DESC, p.id DESC LIMIT 1)")
#: Call-backs as the desk shows them: ``{chosen}`` is the call-backs' rows to show (a subquery
#: choosing and ordering them first: a storm's thousands pending are not all joined to be sorted).
_VIEW = (
    "SELECT b.id, b.incident_id AS incident, b.status, b.due_at, b.attempts, b.phone, b.answered_at, "
    "b.answered_by, b.note, b.new_incident_id AS new_incident, c.account_no, c.name, c.address, "
    "r.channel, i.device_code AS device, i.restored_at, b.status = 'pending' AND b.due_at < :now AS overdue "
    "FROM ({chosen}) b JOIN incidents i ON i.id = b.incident_id JOIN reports r ON r.id = b.report_id "
    "LEFT JOIN customers c ON c.id = b.customer_id ORDER BY {order}")
#: Pending call-backs in the order an agent works through them (the overdue first); the others,
#: the latest answers first.
_PENDING_ORDER, _ANSWERED_ORDER = "b.due_at, b.id", "b.answered_at DESC, b.id DESC"
#: Restored incidents whose customers are asked (a fault on the customer's own side is theirs to
#: know about), and those whose callers are not listed yet.
_ASKED = "i.status IN ('restored', 'closed') AND i.customer_side IS NULL"
_UNLISTED = "NOT EXISTS (SELECT FROM incident_events e WHERE e.incident_id = i.id AND e.type = 'callbacks_opened')"


def restored_to_ask(connection: Connection, since: datetime, limit: int) -> list[dict[str, Any]]:
    """Incidents restored since ``since`` whose callers have not been listed for a call-back yet."""
    return [dict(row) for row in connection.execute(text(
        f"SELECT i.id, i.restored_at FROM incidents i WHERE {_ASKED} AND i.restored_at >= :since AND {_UNLISTED} "
        "ORDER BY i.restored_at, i.id LIMIT :limit"),
        {"since": since, "limit": limit}).mappings()]


def restored_unlisted(connection: Connection, incident_id: int) -> dict[str, Any] | None:
    """The incident (id, restored_at) if it is restored and its callers are not listed yet."""
    row = connection.execute(text(f"SELECT i.id, i.restored_at FROM incidents i WHERE i.id = :id AND {_ASKED} "
                                  f"AND {_UNLISTED}"), {"id": incident_id}).mappings().first()
    return None if row is None else dict(row)


def asked(connection: Connection, incident_id: int, since: datetime) -> bool:
    """Whether the incident was restored since ``since`` and its customers are asked."""
    return bool(connection.execute(text(
        f"SELECT EXISTS (SELECT FROM incidents i WHERE i.id = :id AND {_ASKED} AND i.restored_at >= :since)"),
        {"id": incident_id, "since": since}).scalar())


def customer_on_buses(connection: Connection, account_no: str, buses: list[int]) -> bool:
    """Whether the customer is supplied from one of ``buses`` (directly or through its transformer)."""
    return bool(connection.execute(text(
        "SELECT EXISTS (SELECT FROM customers c LEFT JOIN transformers t ON t.id = c.transformer_id "
        "WHERE c.account_no = :account AND coalesce(c.bus_id, t.lv_bus_id) = ANY(CAST(:buses AS bigint[])))"),
        {"account": account_no, "buses": list(buses)}).scalar())


def open_callbacks(connection: Connection, incident_id: int, due_at: datetime, now: datetime) -> int:
    """One pending call-back per caller of the incident (a customer, or a phone number not found
    on the grid), on their latest call, to be called on the latest number they gave (else the one on
    record); returns how many were opened."""
    return connection.execute(text(
        "INSERT INTO callbacks (incident_id, customer_id, phone, report_id, due_at, created_at) "
        f"SELECT DISTINCT ON (coalesce(CAST(r.customer_id AS text), {_DIGITS})) r.incident_id, r.customer_id, "
        f"coalesce({_GIVEN}, {_DIGITS}, c.phone), r.id, :due, :now FROM reports r LEFT JOIN customers c ON c.id = r.customer_id "
        "WHERE r.incident_id = :incident AND r.channel <> 'ami' AND r.kind = ANY(:kinds) "
        f"AND (r.customer_id IS NOT NULL OR {_DIGITS} IS NOT NULL) "
        f"ORDER BY coalesce(CAST(r.customer_id AS text), {_DIGITS}), r.received_at DESC, r.id DESC "
        "ON CONFLICT DO NOTHING"),
        {"incident": incident_id, "due": due_at, "now": now, "kinds": list(ASKED_KINDS)}).rowcount


def listing(connection: Connection, statuses: tuple[str, ...], incident_id: int | None, overdue_only: bool,
            now: datetime, limit: int) -> list[dict[str, Any]]:
    """Call-backs in ``statuses`` (of one incident, or every one): pending ones by due time (the
    overdue first), answered ones the latest first."""
    # The statuses as literals (they are CALLBACK_STATUSES, not input): "pending" alone then reads
    # the partial index in due order, not every call-back ever made.
    allowed = ", ".join(f"'{status}'" for status in statuses if status in CALLBACK_STATUSES)
    order = _PENDING_ORDER if statuses == ("pending",) else _ANSWERED_ORDER
    chosen = (f"SELECT * FROM callbacks b WHERE status IN ({allowed}) AND (CAST(:incident AS bigint) IS NULL "
              f"OR incident_id = :incident) AND (NOT :overdue_only OR due_at < :now) ORDER BY {order} LIMIT :limit")
    rows = connection.execute(text(_VIEW.format(chosen=chosen, order=order)), {
        "incident": incident_id, "overdue_only": overdue_only, "now": now, "limit": limit})
    return [dict(row) for row in rows.mappings()]


def pending_counts(connection: Connection, now: datetime) -> dict[str, int]:
    """How many call-backs are pending, and how many of them overdue (the partial index's rows only)."""
    row = connection.execute(text(
        "SELECT count(*) AS pending, count(*) FILTER (WHERE due_at < :now) AS overdue FROM callbacks "
        "WHERE status = 'pending'"), {"now": now}).mappings().one()
    return dict(row)


def view(connection: Connection, callback_id: int, now: datetime) -> dict[str, Any] | None:
    row = connection.execute(text(_VIEW.format(chosen="SELECT * FROM callbacks WHERE id = :id", order="b.id")),
                             {"id": callback_id, "now": now}).mappings().first()
    return None if row is None else dict(row)


def lock(connection: Connection, callback_id: int) -> dict[str, Any] | None:
    """The call-back, locked until the transaction ends (two agents answering at once: one waits)."""
    row = connection.execute(text(
        "SELECT b.id, b.incident_id, b.status, b.attempts, b.new_incident_id, b.answer_client_id, b.phone, "
        "c.account_no FROM callbacks b LEFT JOIN customers c ON c.id = b.customer_id WHERE b.id = :id "
        "FOR UPDATE OF b"), {"id": callback_id}).mappings().first()
    return None if row is None else dict(row)


def find(connection: Connection, incident_id: int, account_no: str | None, phone_digits: str | None) -> int | None:
    """The call-back of an incident for a customer's account, or for a phone number (the one
    called back, or the customer's on record)."""
    return connection.execute(text(
        "SELECT b.id FROM callbacks b LEFT JOIN customers c ON c.id = b.customer_id WHERE b.incident_id = :incident "
        "AND (c.account_no = :account OR b.phone = :phone OR c.phone_digits = :phone) ORDER BY b.id LIMIT 1"),
        {"incident": incident_id, "account": account_no, "phone": phone_digits}).scalar()


def record(connection: Connection, callback_id: int, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    connection.execute(text(f"UPDATE callbacks SET {assignments} WHERE id = :id"), {"id": callback_id, **columns})


def outcomes(connection: Connection, start: datetime, end: datetime, now: datetime) -> list[dict[str, Any]]:
    """Per zone of the restored incidents, the call-backs of restorations in ``[start, end)``: how
    many, each outcome, those pending past due, and those answered after it."""
    return [dict(row) for row in connection.execute(text(
        "SELECT z.code AS zone, count(*) AS callbacks, count(*) FILTER (WHERE b.status = 'power_back') AS power_back, "
        "count(*) FILTER (WHERE b.status = 'still_out') AS still_out, "
        "count(*) FILTER (WHERE b.status = 'unreachable') AS unreachable, "
        "count(*) FILTER (WHERE b.status = 'pending') AS pending, "
        "count(*) FILTER (WHERE b.status = 'pending' AND b.due_at < :now) AS overdue, "
        "count(*) FILTER (WHERE b.answered_at > b.due_at) AS answered_late "
        "FROM callbacks b JOIN incidents i ON i.id = b.incident_id LEFT JOIN zones z ON z.id = i.zone_id "
        "WHERE i.restored_at >= :start AND i.restored_at < :end GROUP BY z.code ORDER BY z.code NULLS LAST"),
        {"start": start, "end": end, "now": now}).mappings()]

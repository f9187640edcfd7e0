"""A customer's wish about outage notices: the desk or a channel (the customer replied "TD" to a
text, unticked a box in the app) records it; the fan-out and the sender both honour it (a message
already due when the customer opted out is skipped, not sent)."""
from __future__ import annotations

from sqlalchemy import Connection

from dispatch.core.db import text


def set_opt_out(connection: Connection, account_no: str, opt_out: bool) -> bool:
    """Record the customer's choice; False: no customer has this account."""
    return connection.execute(text(
        "UPDATE customers SET notify_opt_out = :opt_out WHERE account_no = :account RETURNING id"),
        {"opt_out": opt_out, "account": account_no}).first() is not None

"""The complaints report: complaints per zone or per fault cause, by kind, and the complaint rate
the supply stations are judged by: complaints per 1,000 fault calls of the same period and group
(the calls of the incidents first reported in the period, as the response-time report counts them).

Complaints count by their own receipt in the period; per zone, by the customer's zone (else the
incident's); per cause, by the cause of the incident they are about (``""``: none linked, or no
cause recorded yet).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from dispatch.core.config import Settings
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.incidents.models import COMPLAINT_KINDS
from dispatch.reporting import complaint_rates_store as store
from dispatch.reporting.local_days import parse_period

GROUP_BY = tuple(store.GROUPS)
LONGEST_DAYS = 366
FIELDS = ("group", "label", "complaints", *COMPLAINT_KINDS, "calls", "complaint_rate", "incidents")
NONE_LABEL = "(none)"


def _row(figures: dict[str, Any]) -> dict[str, Any]:
    row = {**figures, "calls": int(figures["calls"])}
    row["complaint_rate"] = round(1000 * row["complaints"] / row["calls"], 1) if row["calls"] else None
    row["incidents"] = list(row["incidents"])
    if row["group"] is not None:
        row["label"] = row["label"] or NONE_LABEL
    return {name: row[name] for name in FIELDS}


def complaint_rates(connection: Connection, settings: Settings, first: str, last: str, group_by: str) -> dict[str, Any]:
    """The report for local days ``first``..``last``: ``rows`` per zone or cause and their ``total``."""
    if group_by not in GROUP_BY:
        raise InvalidInput("unknown group_by", [FieldProblem("group_by", f"{group_by!r} is not one of "
                                                                         f"{', '.join(GROUP_BY)}")])
    span = parse_period(first, last, settings.dispatch_timezone, LONGEST_DAYS)
    found = store.complaint_rows(connection, group_by, span.start, span.end)
    total = _row(found[-1])
    del total["group"], total["label"]
    return {"from": span.first.isoformat(), "to": span.last.isoformat(), "timezone": span.timezone,
            "group_by": group_by, "rate_per": "1000 calls",
            "rows": [_row(figures) for figures in found if figures["group"] is not None], "total": total}

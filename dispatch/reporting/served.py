"""Customers served, as the utility's own records count them, for the reliability indices.

IEEE 1366 and DL/T 836 divide by the customers served. Today's customer table gives today's count;
a utility importing five years of history also has the counts of those years (the grid grew, zones
were split), and dividing a 2021 day by 2026's customers would understate that day's SAIDI and so
the major-event threshold. The file is small and read whole: ``since`` (the first day a count holds,
YYYY-MM-DD, in DISPATCH_TIMEZONE), ``zone`` (a zone code; empty for the whole utility) and
``customers``. A count holds until the next one of the same scope. All or nothing, with row numbers;
importing the same file again changes nothing.
"""
from __future__ import annotations

import bisect
import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.core.db import text
from dispatch.core.errors import FieldProblem, ImportRejected
from dispatch.reporting.history_csv import decode

REQUIRED = ("since", "customers")


@dataclass
class ServedSummary:
    counts: int = 0
    inserted: int = 0
    updated: int = 0
    warnings: Counter = field(default_factory=Counter)

    @property
    def unchanged(self) -> int:
        return self.counts - self.inserted - self.updated


@dataclass(frozen=True)
class ServedCounts:
    """The counts of one scope in order of ``since``, and today's count for days before the first."""

    since: tuple[date, ...]
    customers: tuple[int, ...]
    today: int

    def on(self, day: date) -> int:
        """The count in effect on ``day``: the last one given from that day or before, else today's."""
        at = bisect.bisect_right(self.since, day)
        return self.customers[at - 1] if at else self.today

    def given_on(self, day: date) -> date | None:
        """The ``since`` of the imported count in effect on ``day``; None when today's count serves."""
        at = bisect.bisect_right(self.since, day)
        return self.since[at - 1] if at else None


def _row(cells: dict[str, str], line: int, problems: list[FieldProblem]) -> tuple[str | None, date, int] | None:
    where = f"row {line}"
    zone = (cells.get("zone") or "").strip() or None
    raw_since, raw_customers = (cells.get("since") or "").strip(), (cells.get("customers") or "").strip()
    since = customers = None
    try:
        since = date.fromisoformat(raw_since)
    except ValueError:
        problems.append(FieldProblem("since", f"{raw_since!r} is not a date; give YYYY-MM-DD", where))
    try:
        customers = int(raw_customers.replace(",", ""))
    except ValueError:
        problems.append(FieldProblem("customers", f"{raw_customers!r} is not a whole number", where))
    if customers is not None and customers <= 0:
        problems.append(FieldProblem("customers", "must be more than 0", where))
        customers = None
    if since is None or customers is None:
        return None
    return zone, since, customers


def read_counts(raw: bytes) -> tuple[dict[tuple[str | None, date], int], list[FieldProblem], Counter]:
    """The file's counts by (zone, since), every problem with its row, and what was skipped."""
    try:
        content, _ = decode(raw)
    except UnicodeDecodeError:
        return {}, [FieldProblem("file", "is neither UTF-8 nor GB18030 text")], Counter()
    reader = csv.DictReader(io.StringIO(content))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return {}, [FieldProblem("header", f"lacks the column(s) {', '.join(missing)}; the columns are since, "
                                           "zone (optional) and customers", "row 1")], Counter()
    reader.fieldnames = header
    counts: dict[tuple[str | None, date], int] = {}
    first_line: dict[tuple[str | None, date], int] = {}
    problems: list[FieldProblem] = []
    skipped: Counter = Counter()
    for line, cells in enumerate(reader, start=2):
        if not any((value or "").strip() for value in cells.values() if isinstance(value, str)):
            skipped["blank row(s) skipped"] += 1
            continue
        row = _row(cells, line, problems)
        if row is None:
            continue
        zone, since, customers = row
        if (zone, since) in first_line:
            problems.append(FieldProblem("since", f"repeats row {first_line[(zone, since)]} (same zone and day)",
                                         f"row {line}"))
            continue
        first_line[(zone, since)] = line
        counts[(zone, since)] = customers
    return counts, problems, skipped


def import_counts(session: Session, raw: bytes) -> ServedSummary:
    """Store the file's counts (see the module's docstring). Commits, or raises
    :class:`ImportRejected` with every problem and writes nothing."""
    counts, problems, skipped = read_counts(raw)
    if problems:
        raise ImportRejected(f"{len(problems)} problem(s) in the file; nothing was imported", problems)
    connection = session.connection()
    known = set(connection.execute(text("SELECT code FROM zones")).scalars())
    summary = ServedSummary(counts=len(counts), warnings=skipped)
    for zone in sorted({zone for zone, _ in counts if zone is not None and zone not in known}):
        summary.warnings[f"zone {zone!r} is not among today's zones: kept (history may name zones since renamed)"] += 1
    for (zone, since), customers in counts.items():
        before = connection.execute(text(
            "SELECT customers FROM customers_served WHERE zone_code IS NOT DISTINCT FROM :zone AND since = :since "
            "FOR UPDATE"), {"zone": zone, "since": since}).scalar_one_or_none()
        if before is None:
            connection.execute(text("INSERT INTO customers_served (zone_code, since, customers) "
                                    "VALUES (:zone, :since, :customers)"),
                               {"zone": zone, "since": since, "customers": customers})
            summary.inserted += 1
        elif before != customers:
            connection.execute(text("UPDATE customers_served SET customers = :customers "
                                    "WHERE zone_code IS NOT DISTINCT FROM :zone AND since = :since"),
                               {"zone": zone, "since": since, "customers": customers})
            summary.updated += 1
    session.commit()
    return summary


def served_counts(connection: Connection, zone: str | None, today: int) -> ServedCounts:
    """The imported counts of the whole utility (``zone`` None) or of one zone, with ``today``
    (the customers in scope now) for the days before the first of them."""
    rows = connection.execute(text(
        "SELECT since, customers FROM customers_served WHERE zone_code IS NOT DISTINCT FROM :zone ORDER BY since"),
        {"zone": zone}).all()
    return ServedCounts(tuple(r.since for r in rows), tuple(r.customers for r in rows), today)

"""Report periods as calendar days of the configured time zone.

A day runs from local midnight to local midnight, so in a zone with daylight saving one day a year
lasts 23 hours and one 25: the instants come from the zone's rules, never from "24 hours later".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dispatch.core.errors import FieldProblem, InvalidInput


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last`` (inclusive) and the instants they span, ``[start, end)``."""

    first: date
    last: date
    timezone: str

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.timezone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.timezone)

    @property
    def hours(self) -> float:
        """The period's length in hours, as the clocks ran (23- and 25-hour days included)."""
        return (self.end - self.start).total_seconds() / 3600

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def local_midnight(day: date, zone: str) -> datetime:
    """The instant ``day`` begins in ``zone``, in UTC (Python subtracts two times of one zone by
    their wall clocks, which would make every day 24 hours long)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def period(first: date, last: date, timezone: str, longest_days: int) -> Period:
    """The period ``first``..``last``, or a 422 when it runs backwards or is longer than allowed."""
    if last < first:
        raise InvalidInput("the period ends before it begins", [FieldProblem("to", f"{last} is before {first}")])
    if (last - first).days + 1 > longest_days:
        raise InvalidInput("the period is too long", [FieldProblem(
            "to", f"{(last - first).days + 1} days; at most {longest_days} days at once")])
    return Period(first, last, timezone)


def parse_period(first: str, last: str, timezone: str, longest_days: int) -> Period:
    """The period of two YYYY-MM-DD strings (as a query string carries them), or a 422 naming the
    parameter at fault."""
    days = {}
    for name, value in (("from", first), ("to", last)):
        try:
            days[name] = date.fromisoformat(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"{name} is not a date", [FieldProblem(name, f"{value!r} is not YYYY-MM-DD")]) from None
        if len(value) != 10:  # fromisoformat also takes 20260301 and 2026-W10-1
            raise InvalidInput(f"{name} is not a date", [FieldProblem(name, f"{value!r} is not YYYY-MM-DD")])
        if not 1900 <= days[name].year <= 9000:
            raise InvalidInput("the period is out of range", [FieldProblem(name, "give dates between 1900 and 9000")])
    return period(days["from"], days["to"], timezone, longest_days)

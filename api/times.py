"""Bounds on times people and phones send: PostgreSQL stores years 4713 BC to 294276 AD, but an
hour from 1900 or 9999 is always a mistake, and one that would break reports later."""
from __future__ import annotations

from datetime import datetime, timedelta

from dispatch.core import clock

#: How far ahead of the server's clock a device's clock may be (clocks drift).
AHEAD = timedelta(minutes=5)
#: How old a record may be when it reaches us (a phone or a meter queue replaying after an outage).
BEHIND = timedelta(days=7)
#: How far ahead an end time (a closure's) may be set.
HORIZON = timedelta(days=366)


def recent(value: datetime | None) -> datetime | None:
    """A time that happened: at most 5 minutes ahead of our clock, at most 7 days ago."""
    if value is None:
        return None
    now = clock.now()
    if value > now + AHEAD:
        raise ValueError("is in the future")
    if value < now - BEHIND:
        raise ValueError(f"is more than {BEHIND.days} days ago")
    return value


def coming(value: datetime | None) -> datetime | None:
    """A time still to come, within a year."""
    if value is None:
        return None
    now = clock.now()
    if value <= now:
        raise ValueError("is in the past")
    if value > now + HORIZON:
        raise ValueError("is more than a year ahead")
    return value

"""The application's one clock: every "now" of the code comes from :func:`now`.

Rules that read the time (a report at most 7 days old, SLA deadlines and warnings, stale crew
positions, token expiry, closures that run out) all ask here, never ``datetime.now()``, so that
time can be moved for the whole application at once: the tests run as if it were 400 days later
or earlier (``CLOCK_SHIFT_DAYS``), and a test can stop the clock at an exact instant.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

_shift = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc) + _shift


def shift(offset: timedelta) -> None:
    """Run the clock ``offset`` ahead of the real time (behind, if negative); replaces any earlier shift."""
    global _shift
    _shift = offset


def frozen_at() -> datetime | None:
    """The instant the clock is stopped at, or None while it runs (to put a freeze back afterwards)."""
    return _frozen


def freeze(at: datetime | None) -> None:
    """Stop the clock at ``at`` (aware); ``None`` lets it run again."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("a frozen time needs its offset")
    _frozen = at

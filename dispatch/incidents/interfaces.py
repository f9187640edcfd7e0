"""What the incident workflows ask of crew dispatch, which lives above them.

Taking a report in sends a crew at once, an incident restored or merged frees its crew, and the
sweeper asks for driving times; and every change a screen shows is written to the outbox with
the crews it concerns; but crews (``dispatch.crews``) build on incidents, not the other
way round. So these workflows are handed an object with this shape:
:class:`dispatch.crews.assignment.Dispatcher` is the one the application passes. It must work on
the same session as the workflow, whose transaction it joins: the workflow commits both.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable, Protocol

from dispatch.core.config import Settings


class CrewDispatch(Protocol):
    #: The application's settings (the workflows read the service-level targets from them).
    settings: Settings

    def lock(self) -> None:
        """Take the dispatch lock (:mod:`dispatch.core.locks`) for this transaction: a workflow
        that changes which crew works on which incident takes it before any incident or crew row."""

    def lock_to_wait(self, needs: list[str], still: Callable[[], bool]) -> bool:
        """Hold the dispatch lock shared to open an incident that must wait: true when no free
        on-duty crew has ``needs`` and ``still()`` holds, both read under it; else nothing is held
        and the caller takes the lock whole."""

    @property
    def holds_lock(self) -> bool:
        """Whether this transaction has taken the dispatch lock (whole)."""

    @property
    def holds_lock_shared(self) -> bool:
        """Whether this transaction holds the dispatch lock shared (:meth:`lock_to_wait`)."""

    def requalify(self, incident_id: int, now: datetime) -> dict[str, Any] | None:
        """The incident moved to another device: a crew on it without the skill now needed is taken
        off (and freed) and a qualified one sent."""

    def assign_best(self, incident_id: int, now: datetime) -> dict[str, Any] | None:
        """Send the best free crew to a new incident; None when it must wait (under the lock held
        shared, it only gets its place on the roads)."""

    def release(self, crew_id: int, now: datetime) -> int | None:
        """A crew is free again (it takes the next waiting incident it can)."""

    def follow_job(self, crew_id: int | None, status: str, now: datetime) -> None:
        """A crew's job moved on to ``status``: the crew follows (and is released when it ended)."""

    def driving_times(self, incident_ids: list[int], now: datetime) -> dict[int, float | None]:
        """Each incident's assigned crew's driving time there, in seconds."""

    def fill_free_crews(self, now: datetime) -> list[int]:
        """Give every free crew the most urgent waiting incident it can take."""

    def record_messages(self, now: datetime, incident_ids: Iterable[int] = ()) -> None:
        """Write the live messages of ``incident_ids`` and of every incident and crew dispatch
        changed in this unit of work to the outbox, once each; call it just before committing."""

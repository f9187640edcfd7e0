"""Repair crews: records, duty, and positions from their phones.

The newest position of each crew is kept on the crew's row (and sent to the live map through the
outbox); every position goes to the history table.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from dispatch.crews import assignment_store as dispatch_store
from dispatch.crews import store
from dispatch.crews.assignment import Dispatcher
from dispatch.crews.jobs import recheck_arrivals
from dispatch.crews.messages import record_crews
from dispatch.gis.skills import has_skills
from dispatch.incidents.messages import record_incidents


def _depot(session: Session, code: str) -> int:
    depot_id = store.depot_id(session.connection(), code)
    if depot_id is None:
        raise InvalidInput("unknown depot", [FieldProblem("depot", f"there is no depot {code!r}")])
    return depot_id


def crew_or_404(session: Session, code: str) -> dict[str, Any]:
    found = store.crew(session.connection(), code)
    if found is None:
        raise NotFound(f"there is no crew {code!r}")
    return found


def _members(members: list[str] | int) -> dict[str, Any]:
    """Names, or only a head count."""
    if isinstance(members, list):
        return {"members": members, "headcount": len(members)}
    return {"members": [], "headcount": members}


def create_crew(session: Session, dispatcher: Dispatcher, *, code: str, name: str, depot: str,
                members: list[str] | int, phone: str, skills: list[str], on_duty: bool) -> dict[str, Any]:
    """Create a crew; on duty, it takes the most urgent waiting incident it can. Commits, with the
    live messages."""
    dispatcher.lock()
    depot_id = _depot(session, depot)
    created = store.insert_crew(session.connection(), code=code, name=name, depot_id=depot_id,
                                **_members(members), phone=phone, skills=skills, on_duty=on_duty)
    if created is None:
        session.rollback()
        raise Conflict(f"crew {code!r} exists already")
    if on_duty:
        dispatcher.take_waiting(created, clock.now())
    dispatcher.changed(crews=[created])
    dispatcher.record_messages(clock.now())
    session.commit()
    return crew_or_404(session, code)


def _may_take_waiting(current: dict[str, Any], changes: dict[str, Any]) -> bool:
    """Whether the change can let a crew take work that waits: coming on duty, or, free and on
    duty, new skills (it may now qualify) or a new depot (without a fresh position it starts from
    there, and may now reach). Such a crew takes the work at once, not at the next sweep: an
    incident must not wait while a crew that could take it stands idle."""
    if changes.get("on_duty") is True and not current["on_duty"]:
        return True
    stays_free_on_duty = current["on_duty"] and current["status"] == "available" and changes.get("on_duty", True)
    return stays_free_on_duty and ("skills" in changes or "depot" in changes)


def _check_skills_for_job(session: Session, current: dict[str, Any], skills: list[str]) -> None:
    """A crew keeps every skill its job at work needs (the ``unqualified_crew`` invariant): as it
    cannot go off duty on a job, it cannot lose a skill the job needs. Nothing is written yet."""
    if current["incident"] is None:
        return
    job = dispatch_store.incident(session.connection(), current["incident"])
    if job is not None and not has_skills(skills, job["required_skills"]):
        missing = sorted(set(job["required_skills"]) - set(skills))
        raise Conflict(f"crew {current['code']} is on incident {job['id']}, which needs {', '.join(missing)}; "
                       "finish or reassign it first", incident=job["id"], missing_skills=missing)


def _unqualified_queue(session: Session, crew_id: int, skills: list[str]) -> list[int]:
    """The jobs queued for the crew that it no longer has the skills for."""
    return [job["id"] for job in dispatch_store.queued_jobs(session.connection(), crew_id)
            if not has_skills(skills, job["required_skills"])]


def update_crew(session: Session, dispatcher: Dispatcher, code: str, changes: dict[str, Any],
                actor: str = "system") -> dict[str, Any]:
    """Change a crew's record or duty; a crew coming on duty, or a free one whose skills or depot
    change, takes the most urgent waiting incident it can, one going off duty gives its queued jobs
    back, and so does one whose new skills miss what a queued job needs (those jobs only; free
    crews are then given the waiting work). A crew on a job neither goes off duty nor loses a
    skill the job needs (409: nothing changes). Commits, with the live messages."""
    dispatcher.lock()
    current = crew_or_404(session, code)
    columns = {k: v for k, v in changes.items() if k in ("name", "phone", "skills")}
    if "depot" in changes:
        columns["depot_id"] = _depot(session, changes["depot"])
    if "members" in changes:
        columns |= _members(changes["members"])
    takes_waiting = _may_take_waiting(current, changes)
    if "on_duty" in changes and changes["on_duty"] != current["on_duty"]:
        if not changes["on_duty"] and current["incident"] is not None:
            raise Conflict(f"crew {code} is on incident {current['incident']}; finish or reassign it first")
        columns["on_duty"] = changes["on_duty"]
        columns["status"] = "available" if changes["on_duty"] else "off_duty"
    if "skills" in changes:
        _check_skills_for_job(session, current, changes["skills"])
    if columns:
        store.update_crew(session.connection(), current["id"], columns)
    returned = []
    if changes.get("on_duty") is False:
        returned = dispatcher.unqueue(current, None, "off_duty", clock.now(), actor=actor)
    elif "skills" in changes and (lost := _unqualified_queue(session, current["id"], changes["skills"])):
        returned = dispatcher.unqueue(current, lost, "skills", clock.now(), actor=actor)
    if takes_waiting:
        dispatcher.take_waiting(current["id"], clock.now())
    if returned:
        dispatcher.fill_free_crews(clock.now())
    if "status" in columns:
        dispatcher.changed(crews=[current["id"]])
    dispatcher.record_messages(clock.now())
    session.commit()
    return crew_or_404(session, code)


def record_positions(session: Session, crew: dict[str, Any], positions: list[dict[str, Any]], *,
                     arrival_radius_m: float, position_max_age_s: float) -> int:
    """Store a batch of positions of ``crew`` (its id and code); the newest becomes the crew's own
    (and the live map's), and arrivals reported without a location near these times are checked
    again. Commits. Returns how many were new (a replayed batch stores nothing twice)."""
    connection = session.connection()
    store.lock_crew_reports(connection, crew["id"])
    stored = store.add_positions(connection, crew["id"], positions)
    newest = max(positions, key=lambda p: p["at"])
    is_newest = store.set_latest_position(connection, crew["id"], newest["at"], newest["lon"], newest["lat"])
    if stored:
        record_incidents(connection, recheck_arrivals(connection, crew["id"], min(p["at"] for p in positions),
                                                      newest["at"], arrival_radius_m, position_max_age_s))
    if is_newest:
        record_crews(connection, [crew["id"]], clock.now() - timedelta(seconds=position_max_age_s))
    session.commit()
    return stored

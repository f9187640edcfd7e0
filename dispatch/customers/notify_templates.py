"""The texts of customer notifications, in the customer's language (zh-CN unless their record says
``language: en``), from the catalog notice_templates.json: a utility rewords them there, not here."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

CATALOG = Path(__file__).with_name("notice_templates.json")
DEFAULT_LANGUAGE = "zh-CN"


@dataclass(frozen=True)
class Contact:
    """A zone's service person (片区服务员): the one person the customer deals with."""

    name: str
    phone: str


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict]:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def language_of(wanted: str | None) -> str:
    """The catalog's language for a customer's ``language`` property (zh-CN when absent or unknown)."""
    return wanted if wanted in catalog() else DEFAULT_LANGUAGE


def render(language: str, stage: str, incident: int, etr_at: datetime | None, timezone: str,
           contact: Contact | None, zone: str | None = None) -> str:
    """The message: the stage, the estimate when known (and the stage is not "restored"), and the
    service person to call; ``zone``: the text for the zone's service person instead."""
    texts = catalog()[language_of(language)]
    parts = [texts["stages"][stage].format(incident=incident)]
    if etr_at is not None and stage != "restored":
        parts.append(texts["etr"].format(etr=etr_at.astimezone(ZoneInfo(timezone)).strftime(texts["time_format"])))
    if zone is not None:
        return texts["staff"].format(zone=zone, incident=incident, stage=texts["joiner"].join(parts))
    if contact is not None:
        parts.append(texts["contact"].format(name=contact.name, phone=contact.phone))
    return texts["joiner"].join(parts)


def planned_reference(outage: int) -> str:
    """How customers and the desk name a planned outage (incidents go by their bare number)."""
    return f"P{outage}"


def render_planned(language: str, stage: str, outage: int, start: datetime, end: datetime, reason: str,
                   timezone: str, contact: Contact | None) -> str:
    """A planned outage's message: the notice, the reminder, a changed window, a cancellation or
    the end of the work, with the window in local time, the reason, and the service person to call."""
    texts = catalog()[language_of(language)]
    local = ZoneInfo(timezone)
    parts = [texts["planned"][stage].format(
        outage=planned_reference(outage), reason=reason,
        start=start.astimezone(local).strftime(texts["time_format"]), end=end.astimezone(local).strftime(texts["time_format"]))]
    if contact is not None:
        parts.append(texts["contact"].format(name=contact.name, phone=contact.phone))
    return texts["joiner"].join(parts)


def render_warning(language: str, clock: str, percent: int, incident: int, zone: str | None, deadline: datetime,
                   timezone: str) -> str:
    """A deadline warning for a zone's supply-station head: which clock, how much of its time is
    gone, and the deadline in local time."""
    texts = catalog()[language_of(language)]
    return texts["warnings"][clock].format(
        zone=zone or "", incident=incident, percent=percent,
        deadline=deadline.astimezone(ZoneInfo(timezone)).strftime(texts["time_format"]))

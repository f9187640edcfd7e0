"""Service-level targets and states: how soon a crew must be on site, and power back.

The published emergency-repair commitment (docs/domain.md, "Time limits"), per zone class from the settings
(SLA_ARRIVAL_TARGET_MIN, SLA_RESTORE_TARGET_MIN); a zone may override its targets. Each
report sets a deadline from its receipt and its zone; an incident's arrival deadline is the
earliest of its reports', and its clock stops at ``on_site``; the restoration clock runs from
``on_site`` to ``restored``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping


def arrival_deadline(first_report_at: datetime, zone_class: str, zone_override_min: int | None,
                     targets: Mapping[str, float]) -> datetime:
    """When the crew must be on site, as one report sets it: its receipt plus its zone's arrival
    target (the zone's own, else its class's from ``targets``)."""
    return first_report_at + timedelta(minutes=zone_override_min or targets[zone_class])


def restore_deadline(on_site_at: datetime, zone_class: str, zone_override_min: int | None,
                     targets: Mapping[str, float]) -> datetime:
    """When power must be back: arrival on site plus the zone's restoration target."""
    return on_site_at + timedelta(minutes=zone_override_min or targets[zone_class])


def _clock(deadline: datetime | None, done_at: datetime | None, now: datetime, eta_s: float | None) -> str | None:
    if deadline is None:
        return None
    if done_at is not None:
        return "met" if done_at <= deadline else "missed"
    if now > deadline:
        return "breached"
    if eta_s is not None and now + timedelta(seconds=eta_s) > deadline:
        return "at_risk"
    return "on_track"


def states(incident: dict[str, Any], now: datetime, eta_s: float | None) -> dict[str, str | None]:
    """Arrival and restoration states, and the one that matters now (restoration once on site).

    on_track | at_risk (now + the crew's driving time > deadline) | breached, while the clock
    runs; met | missed once it stopped. Cancelled and merged incidents have no SLA.
    """
    if incident["status"] in ("cancelled", "merged"):
        return {"state": None, "arrival": None, "restoration": None}
    arrival = _clock(incident["arrival_deadline"], incident["on_site_at"], now, eta_s)
    restoration = _clock(incident["restore_deadline"], incident["restored_at"], now, None)
    return {"state": restoration if incident["on_site_at"] else arrival, "arrival": arrival, "restoration": restoration}

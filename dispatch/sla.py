"""Service-level targets: how soon a crew must be on site, and power back, by area class.

The published emergency-repair commitment (DESIGN.md); a zone may override its targets.
"""
from __future__ import annotations

from datetime import datetime, timedelta

ARRIVAL_TARGET_MIN = {"urban": 45, "rural": 90, "remote": 120}
RESTORE_TARGET_MIN = {"urban": 180, "rural": 240, "remote": 240}


def arrival_deadline(first_report_at: datetime, zone_class: str, zone_override_min: int | None = None) -> datetime:
    """When the crew must be on site: the first report's receipt plus the zone's arrival target."""
    minutes = zone_override_min or ARRIVAL_TARGET_MIN[zone_class]
    return first_report_at + timedelta(minutes=minutes)

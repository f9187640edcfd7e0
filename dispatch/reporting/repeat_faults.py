"""Repeat faults: the devices, lines (feeders) and transformer areas that failed again and again in
the last 30 or 90 days, with where they are (for the map) and the incidents behind each count.

A fault is an incident on a grid device first reported in the window, not merged into another nor
cancelled. Per ``device``: the incident's located or predicted device. Per ``line``: the feeder
holding that device, named by its head switch (the topmost switch below the source). Per
``transformer_area``: faults on the area's transformer or with calls from the area. Each row gets a
``severity`` from REPEAT_FAULT_LEVELS (one utility flags a line at 3-4 trips as level 1, 5 as 2,
6-7 as 3, 8 or more as 4).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.gis.grid import TopologyCache
from dispatch.reporting import repeat_faults_store as store

LEVELS = ("device", "line", "transformer_area")
WINDOWS_DAYS = (30, 90)


def _row(level: str, code: str, name: str | None, found: dict[str, Any], place: dict[str, Any] | None,
         thresholds: tuple[int, ...]) -> dict[str, Any]:
    return {"level": level, "code": code, "name": name or code, "faults": found["faults"],
            "severity": sum(found["faults"] >= least for least in thresholds),
            "last_fault_at": found["last_fault_at"],
            "location": None if place is None or place["lon"] is None else [place["lon"], place["lat"]],
            "incidents": list(found["incidents"])}


def _per_line(session: Session, topologies: TopologyCache, since: datetime, least: int) -> list[tuple]:
    topology = topologies.current(session)
    feeders: dict[Any, dict[str, Any]] = defaultdict(lambda: {"faults": 0, "last_fault_at": None, "incidents": []})
    for fault in store.faults(session.connection(), since):
        area = topology.area_of_device.get((fault["device_kind"], fault["device_id"]))
        head = topology.feeder_head(area) if area is not None else None
        if head is None:
            continue  # a fault at a source itself is above every feeder
        feeder = feeders[head]
        feeder["faults"] += 1
        feeder["incidents"].append(fault["id"])
        feeder["last_fault_at"] = max(filter(None, (feeder["last_fault_at"], fault["first_report_at"])))
    connection = session.connection()
    return [(head.code, store.feeder_name(connection, head.id), found, store.device_place(connection, "switch", head.id))
            for head, found in feeders.items() if found["faults"] >= least]


def repeat_faults(session: Session, settings: Settings, topologies: TopologyCache, days: int, least: int,
                  level: str, now: datetime) -> dict[str, Any]:
    """The places with at least ``least`` faults in the ``days`` before ``now``, most faults first."""
    since = now - timedelta(days=days)
    connection = session.connection()
    if level == "device":
        found = []
        for row in store.faults_per_device(connection, since, least):
            place = store.device_place(connection, row["kind"], row["id"])
            found.append((row["code"], place and place["name"], row, place))
    elif level == "line":
        found = _per_line(session, topologies, since, least)
    else:
        found = [(row["code"], row["name"], row, row) for row in store.faults_per_transformer_area(connection, since,
                                                                                                     least)]
    rows = [_row(level, code, name, row, place, settings.repeat_fault_thresholds) for code, name, row, place in found]
    rows.sort(key=lambda r: (-r["faults"], -r["last_fault_at"].timestamp(), r["code"]))
    return {"level": level, "days": days, "min": least, "since": since, "rows": rows}

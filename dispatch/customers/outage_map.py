"""The public outage map's feed: where the power is out, for how many customers, since when, why
(the cause's category, when known) and until when (the estimated restoration), as GeoJSON.

What it never holds: a name, a phone number, an account number, an address or a customer's place.
Each outage is shown as an area no smaller than a distribution transformer's (台区): the polygon
around the transformers its device cut off, or its zone's outline when it is located no better
(a call placed only by the caller's own position stays off the map but for its zone). A fault on a
customer's own side is not shown at all.

Outages move through ``upcoming`` (planned work, from when its customers are given notice) ->
``out`` -> ``restored``; restored ones stay for ``restored_days`` (customers distrust a map that
drops an outage before their power is back). An outage that comes back on a device restored within
that time is shown ``reopened``, in place of its restoration. A planned outage is shown with
``planned: true``, its window, and the window's end as its estimated restoration; its feature's id
is the negative of its number (``reference`` "P<number>"), numeric like an incident's and never the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.customers import outage_map_store as store
from dispatch.customers.notify_templates import planned_reference
from dispatch.customers.planned import NOTICE_AHEAD
from dispatch.gis.grid import TopologyCache
from dispatch.gis.topology import Topology
from dispatch.incidents.causes import taxonomy
from dispatch.incidents.etr import etr_shown
from dispatch.incidents.models import OPEN_INCIDENT_STATUSES

#: What customers are told of the crew, by incident status.
STAGES = {"new": "reported", "assigned": "crew_assigned", "accepted": "crew_assigned", "en_route": "crew_on_the_way",
          "on_site": "crew_on_site"}


@dataclass(frozen=True)
class MapRules:
    restored_days: float
    area_buffer_m: float
    cause_taxonomy_file: str = ""
    #: For the page: the time zone its times are shown in, and a raster base map (empty: roads only).
    timezone: str = "Asia/Shanghai"
    basemap_url: str = ""

    @classmethod
    def of(cls, settings: Settings) -> "MapRules":
        return cls(settings.public_outages_restored_days, settings.public_outages_area_buffer_m,
                   settings.cause_taxonomy_file, settings.dispatch_timezone, settings.desk_basemap_url)


def outage_feed(session: Session, topologies: TopologyCache, rules: MapRules, now: datetime) -> dict[str, Any]:
    """The map's GeoJSON FeatureCollection (one feature per outage area), with totals."""
    connection = session.connection()
    rows = store.outages(connection, now - timedelta(days=rules.restored_days))
    topology = topologies.current(session)
    shown, reopened = _reopenings(rows)
    areas = {row["id"]: transformers_cut_off(topology, row) for row in shown}
    hulls = store.transformer_hulls(connection, {k: v for k, v in areas.items() if v}, rules.area_buffer_m)
    zones = store.zone_shapes(connection, {r["zone_id"] for r in shown if r["id"] not in hulls and r["zone_id"]})
    features = []
    for row in shown:
        shape = hulls.get(row["id"]) or zones.get(row["zone_id"])
        area = ("transformers" if row["id"] in hulls else "zone" if shape else "unplaced")
        features.append({"type": "Feature", "id": row["id"], "geometry": orjson.Fragment(shape) if shape else None,
                         "properties": _properties(row, area, len(areas[row["id"]]), reopened.get(row["id"]), rules, now)})
    features += _planned_features(connection, rules, now)
    out = [f["properties"] for f in features if f["properties"]["status"] == "out"]
    return {"type": "FeatureCollection", "generated_at": now, "restored_days": rules.restored_days,
            "map": {"bounds": store.service_bounds(connection), "timezone": rules.timezone,
                    "basemap_url": rules.basemap_url or None},
            "totals": {"outages": len(out), "customers_out": sum(p["customers_out"] for p in out),
                       "restored": sum(1 for f in features if f["properties"]["status"] == "restored"),
                       "upcoming": sum(1 for f in features if f["properties"]["status"] == "upcoming")},
            "features": features}


def _planned_features(connection, rules: MapRules, now: datetime) -> list[dict[str, Any]]:
    """The planned outages' features, shaped like the incidents' (a planned outage is always on the grid)."""
    rows = store.planned_outages(connection, now, NOTICE_AHEAD, now - timedelta(days=rules.restored_days))
    hulls = store.transformer_hulls(connection, {row["id"]: row["transformers"] for row in rows if row["transformers"]},
                                    rules.area_buffer_m)
    zones = store.zone_shapes(connection, {r["zone_id"] for r in rows if r["id"] not in hulls and r["zone_id"]})
    features = []
    for row in rows:
        shape = hulls.get(row["id"]) or zones.get(row["zone_id"])
        status = {"upcoming": "upcoming", "out": "out"}.get(row["state"], "restored")
        features.append({"type": "Feature", "id": -row["id"], "geometry": orjson.Fragment(shape) if shape else None,
                         "properties": {
                             "status": status, "reopened": False, "restored_before_at": None, "stage": None,
                             "planned": True, "reference": planned_reference(row["id"]),
                             "window_start": row["window_start"], "window_end": row["window_end"],
                             "customers_out": row["customers_affected"],
                             "since": row["started_at"] or row["window_start"],
                             "etr": row["window_end"] if status != "restored" else None,
                             "restored_at": row["finished_at"] if status == "restored" else None,
                             "cause_category": None, "cause_label": None, "zone": row["zone"],
                             "zone_name": row["zone_name"],
                             "area": "transformers" if row["id"] in hulls else "zone" if shape else "unplaced",
                             "transformers": len(row["transformers"])}})
    return features


def transformers_cut_off(topology: Topology, incident: dict[str, Any]) -> list[int]:
    """The transformers downstream of the incident's device (none when it is not on the grid)."""
    area = topology.area_of_device.get((incident["device_kind"], incident["device_id"]))
    if area is None:
        return []
    by_area = _transformers_by_area(topology)
    found, stack = [], [area]
    while stack:
        current = stack.pop()
        found.extend(by_area.get(current, ()))
        stack.extend(topology.area_children[current])
    return found


#: Each topology's transformers by outage area, for as long as the topology is in use.
_BY_AREA: WeakKeyDictionary[Topology, dict[int, list[int]]] = WeakKeyDictionary()


def _transformers_by_area(topology: Topology) -> dict[int, list[int]]:
    """Each outage area's own transformers (by their LV bus), once per topology."""
    if topology not in _BY_AREA:
        by_area: dict[int, list[int]] = {}
        for transformer_id, _, _, lv_bus in topology.rows.transformers:
            area = topology.area_of_bus(lv_bus)
            if area is not None:
                by_area.setdefault(area, []).append(transformer_id)
        _BY_AREA[topology] = by_area
    return _BY_AREA[topology]


def _reopenings(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[int, datetime]]:
    """The outages to show, and for those that reopened an area (an open incident on a device
    restored after the window began, the new one reported after that restoration) the time of the
    restoration they undid: it is shown as the reopened outage, not as restored."""
    restored_on: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        if row["status"] not in OPEN_INCIDENT_STATUSES and row["device_id"] is not None:
            key = (row["device_kind"], row["device_id"])
            if key not in restored_on or restored_on[key]["restored_at"] < row["restored_at"]:
                restored_on[key] = row
    reopened, undone = {}, set()
    for row in rows:
        before = restored_on.get((row["device_kind"], row["device_id"]))
        if row["status"] in OPEN_INCIDENT_STATUSES and before and before["restored_at"] <= row["first_report_at"]:
            reopened[row["id"]] = before["restored_at"]
            undone.add(before["id"])
    return [row for row in rows if row["id"] not in undone], reopened


def _properties(row: dict[str, Any], area: str, transformers: int, reopened_after: datetime | None,
                rules: MapRules, now: datetime) -> dict[str, Any]:
    is_out = row["status"] in OPEN_INCIDENT_STATUSES
    category, labels = cause_category(row["cause"], rules)
    return {
        "status": "out" if is_out else "restored",
        "reopened": reopened_after is not None, "restored_before_at": reopened_after,
        "stage": STAGES.get(row["status"]) if is_out else None,
        "planned": False, "reference": str(row["id"]), "window_start": None, "window_end": None,
        "customers_out": row["customers_affected"],
        "since": row["first_report_at"],
        "etr": etr_shown(row["etr_at"], now) if is_out else None,
        "restored_at": None if is_out else row["restored_at"],
        "cause_category": category, "cause_label": labels,
        "zone": row["zone"], "zone_name": row["zone_name"],
        "area": area, "transformers": transformers,
    }


def cause_category(cause: str | None, rules: MapRules) -> tuple[str | None, dict[str, str] | None]:
    """The cause's category and its labels per language (the public is told "weather", not which
    pole); none when the cause is unknown or not in the taxonomy."""
    if not cause:
        return None, None
    category = cause.partition(".")[0]
    body = taxonomy(rules.cause_taxonomy_file).get(category)
    return (category, dict(body["label"])) if body else (None, None)

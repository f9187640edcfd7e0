"""How good the restoration estimates were: for each incident restored in a period, the estimate
last given before restoration and the first one given, against when power actually came back.

The error is actual - estimated, in minutes: positive when power came back later than promised
(what customers complain about), negative when earlier. The spread (p10, median, p90), the mean
absolute error and the share within a margin are what a utility publishes about its estimates."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.core.errors import NotFound
from dispatch.reporting.local_days import Period

#: An estimate this close to the actual restoration counts as kept (the figure customers notice).
WITHIN_MIN = (15, 30, 60)


def etr_accuracy(connection: Connection, period: Period, zone: str | None, limit: int) -> dict[str, Any]:
    """The accuracy of the last and the first estimates of the incidents restored in ``period``
    (in ``zone``, if given), with the incidents behind the figures (at most ``limit``, worst first)."""
    if zone is not None and connection.execute(text("SELECT 1 FROM zones WHERE code = :z"), {"z": zone}).scalar() is None:
        raise NotFound(f"there is no zone {zone}")
    params = {"start": period.start, "end": period.end, "zone": zone, "limit": limit}
    restored = (
        "SELECT i.id, z.code AS zone, i.device_kind, i.cause, i.on_site_at, i.restored_at, i.etr_at, i.etr_first_at, "
        "extract(epoch FROM i.restored_at - i.etr_at) / 60 AS error_min, "
        "extract(epoch FROM i.restored_at - i.etr_first_at) / 60 AS first_error_min "
        "FROM incidents i LEFT JOIN zones z ON z.id = i.zone_id "
        "WHERE i.restored_at >= :start AND i.restored_at < :end AND i.etr_at IS NOT NULL "
        "AND (CAST(:zone AS text) IS NULL OR z.code = :zone)")
    summary = {}
    for which, column in (("last", "error_min"), ("first", "first_error_min")):
        within = ", ".join(f"avg((abs({column}) <= {m})::int) AS within_{m}_min" for m in WITHIN_MIN)
        row = connection.execute(text(
            f"SELECT count(*) AS incidents, percentile_cont(0.1) WITHIN GROUP (ORDER BY {column}) AS p10_min, "
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}) AS median_min, "
            f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {column}) AS p90_min, "
            f"avg(abs({column})) AS mean_absolute_min, avg(({column} > 0)::int) AS late_share, {within} "
            f"FROM ({restored}) r"), params).mappings().one()
        summary[which] = {k: (round(float(v), 3) if v is not None and k != "incidents" else v) for k, v in row.items()}
    rows = connection.execute(text(
        f"SELECT * FROM ({restored}) r ORDER BY abs(error_min) DESC, id LIMIT :limit"), params).mappings().all()
    return {"from": period.first, "to": period.last, "zone": zone, "error": "actual - estimated, minutes",
            "last": summary["last"], "first": summary["first"],
            "incidents": [{**row, "error_min": round(float(row["error_min"]), 1),
                           "first_error_min": round(float(row["first_error_min"]), 1)} for row in rows]}

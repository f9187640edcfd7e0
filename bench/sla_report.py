"""Response time of the managers' response-time report (GET /api/v1/reports/sla) at a large
utility's scale, over real HTTP, one gunicorn worker.

    .venv/bin/python bench/sla_report.py [--per-month 30000] [--months 12] [--runs 20]

Builds a scratch database with the demo grid, then synthesises ``--months`` months of history
before the current month, ``--per-month`` incidents each (a utility of about a million customers),
with their timelines (opened, assigned (5 % twice), accepted, en route, on site, restored, closing
report with a cause; the incident keeps its first dispatch, crews sent and cause): arrival 5-125 min, restoration 10-310 min, 1-6 calls, 3 % unverified
arrivals, 1 % still waiting for a crew. Then asks for the report of the last full month at each
``group_by``, and the drill-downs of one zone's and of all missed arrivals, ``--runs`` times each, and prints p50 / p95 / max.
"""
from __future__ import annotations

import argparse
import http.client
import platform
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bearer_headers, gunicorn, percentile, scratch_database  # noqa: E402

PORT = 5093
ZONE = ZoneInfo("Asia/Shanghai")
CAUSES = ["weather.lightning", "weather.wind", "equipment.overhead_line", "equipment.cable", "equipment.transformer",
          "external.vehicle", "other.unknown"]

INCIDENTS = """
WITH zs AS (SELECT array_agg(id ORDER BY id) AS ids FROM zones),
     cs AS (SELECT array_agg(id ORDER BY id) AS ids FROM crews),
     picked AS (
         SELECT CAST(:start AS timestamptz) + random() * (CAST(:end AS timestamptz) - CAST(:start AS timestamptz))
                    AS received,
                zs.ids[1 + floor(random() * array_length(zs.ids, 1))::int] AS zone_id,
                cs.ids[1 + floor(random() * array_length(cs.ids, 1))::int] AS crew_id,
                2 + random() * 10 AS dispatch, 5 + random() * 120 AS arrival, 10 + random() * 300 AS restoration,
                1 + floor(random() * random() * 6)::int AS calls, random() < 0.03 AS unverified,
                random() < 0.01 AS waiting, random() < 0.05 AS reassigned
         FROM generate_series(1, :n), zs, cs)
INSERT INTO incidents (status, device_kind, zone_id, zone_class, first_report_at, arrival_deadline,
                       restore_deadline, on_site_at, restored_at, closed_at, crew_id, assigned_at,
                       dispatched_at, crews_assigned, cause, arrival_unverified, report_count)
SELECT CASE WHEN waiting THEN 'new' ELSE 'closed' END, 'location', zone_id, z.class, received,
       received + interval '1 minute' * CASE z.class WHEN 'urban' THEN 45 WHEN 'rural' THEN 90 ELSE 120 END,
       CASE WHEN NOT waiting THEN received + interval '1 minute' * (arrival + CASE z.class WHEN 'urban' THEN 180
           ELSE 240 END) END,
       CASE WHEN NOT waiting THEN received + interval '1 minute' * arrival END,
       CASE WHEN NOT waiting THEN received + interval '1 minute' * (arrival + restoration) END,
       CASE WHEN NOT waiting THEN received + interval '1 minute' * (arrival + restoration + 60) END,
       CASE WHEN NOT waiting THEN crew_id END,
       CASE WHEN NOT waiting THEN received + interval '1 minute' * dispatch END,
       CASE WHEN NOT waiting THEN received + interval '1 minute' * (dispatch - CASE WHEN reassigned THEN 1 ELSE 0 END)
       END, CASE WHEN waiting THEN 0 WHEN reassigned THEN 2 ELSE 1 END,
       CASE WHEN NOT waiting THEN (CAST(:causes AS text[]))[1 + floor(random() * cardinality(CAST(:causes AS text[])))::int]
       END, unverified AND NOT waiting, calls
FROM picked JOIN zones z ON z.id = picked.zone_id
"""

EVENTS = """
INSERT INTO incident_events (incident_id, type, at, data)
SELECT i.id, e.type, e.at, e.data FROM incidents i CROSS JOIN LATERAL (VALUES
    ('opened', i.first_report_at, '{}'::jsonb),
    ('assigned', CASE WHEN i.crews_assigned > 1 THEN i.dispatched_at END, '{"crew": "other"}'::jsonb),
    ('assigned', i.assigned_at, '{}'::jsonb),
    ('accepted', i.assigned_at + interval '1 minute', '{}'::jsonb),
    ('en_route', i.assigned_at + interval '2 minutes', '{}'::jsonb),
    ('on_site', i.on_site_at, '{}'::jsonb),
    ('restored', i.restored_at, '{}'::jsonb),
    ('closing_report', i.closed_at - interval '30 minutes',
     jsonb_build_object('cause', i.cause)),
    ('closed', i.closed_at, '{}'::jsonb)
) AS e(type, at, data)
WHERE i.id > :after AND e.at IS NOT NULL
"""


def month_start(day: date) -> date:
    return day.replace(day=1)


def synthesise(url: str, per_month: int, months: int) -> tuple[date, date]:
    """Fill the history; returns the first and last day of the month to report on (the last full one)."""
    engine = create_engine(url)
    this_month = month_start(datetime.now(ZONE).date())
    first = this_month
    for _ in range(months):
        first = month_start(first - timedelta(days=1))
    with engine.begin() as db:
        db.execute(text("SELECT setseed(0.42)"))
        month = first
        while month < this_month:
            following = month_start(month + timedelta(days=32))
            after = db.execute(text("SELECT coalesce(max(id), 0) FROM incidents")).scalar_one()
            db.execute(text(INCIDENTS), {"start": datetime.combine(month, datetime.min.time(), ZONE),
                                         "end": datetime.combine(following, datetime.min.time(), ZONE),
                                         "n": per_month, "causes": CAUSES})
            db.execute(text(EVENTS), {"after": after})
            month = following
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("VACUUM ANALYZE incidents"))
        db.execute(text("VACUUM ANALYZE incident_events"))
        counts = db.execute(text("SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM incident_events)")).one()
    engine.dispose()
    print(f"history: {counts[0]:,} incidents, {counts[1]:,} events over {months} months")
    last_month = month_start(this_month - timedelta(days=1))
    return last_month, this_month - timedelta(days=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-month", type=int, default=30_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    with scratch_database("dispatch_bench_sla") as url:
        started = time.perf_counter()
        first, last = synthesise(url, args.per_month, args.months)
        print(f"synthesised in {time.perf_counter() - started:.1f} s; report for {first} .. {last}")
        headers = bearer_headers(url, "bench-manager", "manager")
        engine = create_engine(url)
        with engine.connect() as db:
            zone = db.execute(text("SELECT min(code) FROM zones")).scalar_one()
        engine.dispose()
        with gunicorn(url, PORT, 1):
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

            def call(path: str) -> tuple[float, int, bytes]:
                sent = time.perf_counter()
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                data = response.read()
                return (time.perf_counter() - sent) * 1000, response.status, data

            period = f"from={first}&to={last}"
            requests = {f"group_by={g}": f"/api/v1/reports/sla?{period}&group_by={g}"
                        for g in ("zone", "zone_class", "crew", "depot", "cause", "day", "week", "month")}
            requests["drill-down: one zone's missed"] = (
                f"/api/v1/reports/sla/incidents?{period}&group_by=zone&group={zone}&measure=arrival_missed")
            requests["drill-down: all missed"] = (
                f"/api/v1/reports/sla/incidents?{period}&group_by=zone&measure=arrival_missed")
            print(f"{'request':<34}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'KB':>8}")
            for name, path in requests.items():
                call(path)  # warm
                timings = []
                for _ in range(args.runs):
                    ms, status, data = call(path)
                    assert status == 200, (name, status, data[:300])
                    timings.append(ms)
                print(f"{name:<34}{statistics.median(timings):>8.1f}{percentile(timings, 95):>8.1f}"
                      f"{max(timings):>8.1f}{len(data) / 1024:>8.1f}")


if __name__ == "__main__":
    main()

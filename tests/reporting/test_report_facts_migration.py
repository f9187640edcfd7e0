"""Migration 0017 fills the incidents' report columns from the timelines already recorded."""
from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, text

from api.cli import alembic_config
from tests.helpers import T0


def test_the_first_dispatch_the_crews_sent_and_the_cause_come_from_the_timeline(make_database):
    url = make_database()
    config = alembic_config(url)
    command.upgrade(config, "0014")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            ids = connection.execute(text(
                "INSERT INTO incidents (device_kind, zone_class, first_report_at, arrival_deadline) "
                "SELECT 'location', 'urban', :t, :t FROM generate_series(1, 4) RETURNING id"), {"t": T0}).scalars().all()
            events = [(ids[0], "assigned", 5, {}), (ids[0], "assigned", 9, {}), (ids[0], "restored", 60,
                      {"cause": "free text"}), (ids[0], "closing_report", 90, {"cause": "weather.wind"}),
                      (ids[1], "assigned", 3, {}), (ids[1], "restored", 50, {"cause": "fuse blown"}),
                      # Two "restored" with a cause (a phone's replayed late): the first kept, as the code does;
                      # two closing reports: the latest.
                      (ids[3], "restored", 40, {"cause": "first said"}), (ids[3], "restored", 45, {"cause": "later"}),
                      (ids[0], "closing_report", 95, {"cause": "weather.lightning"})]
            for incident, kind, minutes, data in events:
                connection.execute(text(
                    "INSERT INTO incident_events (incident_id, type, at, data) VALUES (:i, :k, "
                    ":t + make_interval(mins => :m), CAST(:d AS jsonb))"),
                    {"i": incident, "k": kind, "t": T0, "m": minutes, "d": json.dumps(data)})
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT extract(epoch FROM dispatched_at - first_report_at) / 60, crews_assigned, cause "
                "FROM incidents ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(5, 2, "weather.lightning"), (3, 1, "fuse blown"), (None, 0, None),
                                            (None, 0, "first said")]
    finally:
        engine.dispose()

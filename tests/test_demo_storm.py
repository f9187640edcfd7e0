"""``flask demo storm`` plays a storm through the API on the data there is: calls, crews sent, driving,
on site, restored and reported, and one fault left waiting until it breaches; the clock runs again
afterwards and every dispatch invariant holds."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from dispatch.core import clock


def test_a_storm_is_played_through_the_api_and_leaves_a_breach(cli, city, connection, redis_db):
    assert cli.invoke(args=["demo", "users"]).exit_code == 0
    started = clock.now()
    result = cli.invoke(args=["demo", "storm", "--faults", "4", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "storm played" in result.output
    assert abs(clock.now() - started) < timedelta(minutes=5)  # the clock is not left in the past

    incidents = connection.execute(text(
        "SELECT i.id, i.status, i.first_report_at, count(r.id) AS calls FROM incidents i "
        "JOIN reports r ON r.incident_id = i.id GROUP BY i.id")).mappings().all()
    assert sum(i["calls"] for i in incidents) >= 3 * 4  # every fault's calls are stored
    assert min(i["first_report_at"] for i in incidents) < started - timedelta(minutes=90)  # it began long ago
    # The stuck fault's crew never set out: its arrival deadline passed, the sweep recorded it.
    stuck = int(result.output.split("incident #")[1].split("'")[0])
    assert connection.execute(text("SELECT status FROM incidents WHERE id = :id"), {"id": stuck}).scalar() == "assigned"
    assert connection.execute(text("SELECT count(*) FROM incident_events WHERE incident_id = :id AND type = 'breached'"),
                              {"id": stuck}).scalar() == 1
    # Others got further, with the crews' trackers along the way.
    steps = dict(connection.execute(text(
        "SELECT type, count(*) FROM incident_events WHERE type IN ('en_route', 'on_site', 'restored') GROUP BY type")).all())
    assert steps.get("on_site", 0) >= 1 and steps.get("en_route", 0) >= steps.get("on_site", 0)
    assert connection.execute(text("SELECT count(*) FROM crew_positions")).scalar() >= 2
    # Assignments were stamped at their moment in the storm, not when the command ran.
    assert connection.execute(text("SELECT max(assigned_at) FROM incidents WHERE id <> :id"), {"id": stuck}).scalar() \
        < started - timedelta(seconds=30)
    check = cli.invoke(args=["check", "invariants"])
    assert check.exit_code == 0, check.output

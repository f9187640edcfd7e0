"""GET /api/v1/reports/repeat-faults: devices, lines and transformer areas that fail again and
again, counted over the last 30 or 90 days (on the two-feeder grid of tests.factories)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.factories import LAT, LON
from tests.helpers import assert_problem
from tests.reporting.sla_data import incident


def call_from(connection, incident_id: int, transformer: str) -> None:
    """A call about the incident from a customer of the transformer's area."""
    connection.execute(text(
        "INSERT INTO reports (channel, received_at, transformer_id, arrival_deadline, incident_id) "
        "SELECT 'hotline', i.first_report_at, t.id, i.arrival_deadline, i.id FROM incidents i, transformers t "
        "WHERE i.id = :i AND t.code = :t"), {"i": incident_id, "t": transformer})


@pytest.fixture
def faults(connection, city):
    now = clock.now()
    days_ago = [now - timedelta(days=d) for d in (1, 5, 20)]
    fuse = [incident(connection, at, device=("switch", "F2")) for at in days_ago]
    for fault in fuse:
        call_from(connection, fault, "T2")  # F2 feeds T2
    old_fuse = incident(connection, now - timedelta(days=40), device=("switch", "F2"))
    incident(connection, now - timedelta(days=100), device=("switch", "F2"))  # outside both windows
    transformer = [incident(connection, now - timedelta(days=d), device=("transformer", "T1")) for d in (2, 3)]
    call_from(connection, transformer[0], "T1")  # counted once in T1's area
    merged = incident(connection, now - timedelta(days=2), device=("switch", "F2"))
    connection.execute(text("UPDATE incidents SET status = 'merged', merged_into_id = :k WHERE id = :m"),
                       {"k": fuse[0], "m": merged})
    incident(connection, now - timedelta(days=2), device=("switch", "F2"), status="cancelled")
    incident(connection, now - timedelta(days=2), device=("transformer", "T5"))  # the other feeder
    return {"fuse": fuse, "old_fuse": old_fuse, "transformer": transformer}


def repeat(client, **query) -> list[dict]:
    response = client.get("/api/v1/reports/repeat-faults", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["rows"]


def test_devices_with_three_or_more_faults_in_30_days(client, faults):
    rows = repeat(client, days=30, min=3, level="device")
    assert [(r["code"], r["faults"]) for r in rows] == [("F2", 3)]  # not the merged or cancelled ones
    fuse = rows[0]
    assert fuse["level"] == "device" and fuse["name"] == "fuse F2" and fuse["severity"] == 1
    assert fuse["incidents"] == sorted(faults["fuse"])
    assert fuse["location"] == pytest.approx([LON + 0.0115, LAT])  # where the fuse stands
    assert fuse["last_fault_at"] is not None
    assert [(r["code"], r["faults"]) for r in repeat(client, days=30, min=2, level="device")] == [("F2", 3), ("T1", 2)]
    assert [(r["code"], r["faults"]) for r in repeat(client, days=90, min=3, level="device")] == [("F2", 4)]


def test_lines_count_the_faults_of_every_device_on_the_feeder(client, faults):
    rows = repeat(client, days=30, min=3, level="line")
    # F2 and T1 both hang off breaker BR1 of substation S1; T5 is on S2's feeder (one fault).
    assert [(r["code"], r["faults"], r["severity"]) for r in rows] == [("BR1", 5, 2)]
    assert rows[0]["incidents"] == sorted(faults["fuse"] + faults["transformer"])
    assert rows[0]["location"] is not None


def test_transformer_areas_count_faults_on_their_transformer_or_with_calls_from_them(client, faults):
    rows = repeat(client, days=30, min=2, level="transformer_area")
    assert [(r["code"], r["faults"]) for r in rows] == [("T2", 3), ("T1", 2)]
    assert rows[0]["name"] == "TX T2" and rows[0]["location"] == pytest.approx([LON + 0.0115, LAT])


@pytest.mark.parametrize("query, field", [
    ({"days": 60}, "days"), ({"min": 0}, "min"), ({"level": "feeder"}, "level"), ({"days": "month"}, "days"),
])
def test_bad_queries_are_refused(client, query, field):
    body = assert_problem(client.get("/api/v1/reports/repeat-faults", query_string=query), 422)
    assert field in [e["field"] for e in body["errors"]]

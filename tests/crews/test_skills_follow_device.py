"""The skill a crew needs follows the incident's device (issue 13): a roll-up from a transformer
(lv) to the recloser above it (mv) does not keep the low-voltage crew sent to the transformer."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from dispatch.core import clock
from dispatch.crews.invariants import violations
from tests.helpers import customer, report

NOW = clock.now()


def only_the_lv_crew_on_duty(connection) -> None:
    connection.execute(text(
        "UPDATE crews SET on_duty = (code = 'CL'), status = CASE WHEN code = 'CL' THEN 'available' "
        "ELSE 'off_duty' END"))


def crew_of(connection, incident_id: int) -> tuple[str, str | None]:
    return tuple(connection.execute(text(
        "SELECT i.status, c.code FROM incidents i LEFT JOIN crews c ON c.id = i.crew_id WHERE i.id = :id"),
        {"id": incident_id}).one())


def test_a_roll_up_to_a_medium_voltage_device_replaces_the_lv_crew(client, city, connection):
    only_the_lv_crew_on_duty(connection)
    first = report(client, NOW, account_no=customer(1))["incident"]
    assert first["device"]["code"] == "T1" and first["crew"] == "CL"
    second = report(client, NOW + timedelta(minutes=1), account_no=customer(2))["incident"]
    assert second["id"] == first["id"] and second["device"]["kind"] == "switch"  # rolled up above T1 and T2
    assert crew_of(connection, first["id"]) == ("new", None)  # CL lacks mv: taken off, the incident waits
    assert connection.execute(text("SELECT status FROM crews WHERE code = 'CL'")).scalar_one() == "available"
    timeline = client.get(f"/api/v1/incidents/{first['id']}").get_json()["timeline"]
    assert [e["data"] for e in timeline if e["type"] == "unassigned"] == [{"crew": "CL", "reason": "needs mv"}]
    assert violations(connection) == []
    # A crew with the skill coming on duty takes it.
    assert client.patch("/api/v1/crews/CW", json={"on_duty": True}).status_code == 200
    assert crew_of(connection, first["id"]) == ("assigned", "CW")
    assert violations(connection) == []


def test_an_lv_crew_already_on_the_road_works_on_and_the_roll_up_opens_another_incident(client, city, connection):
    only_the_lv_crew_on_duty(connection)
    first = report(client, NOW, account_no=customer(1))["incident"]
    assert first["crew"] == "CL"
    assert client.post(f"/api/v1/incidents/{first['id']}/events", json={"type": "en_route"}).status_code == 200
    second = report(client, NOW + timedelta(minutes=1), account_no=customer(2))["incident"]
    assert second["id"] != first["id"] and second["device"]["kind"] == "switch" and second["crew"] is None
    assert crew_of(connection, first["id"]) == ("en_route", "CL")
    assert client.get(f"/api/v1/incidents/{first['id']}").get_json()["device"]["code"] == "T1"
    assert violations(connection) == []

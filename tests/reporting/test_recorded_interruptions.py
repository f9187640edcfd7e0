"""Customer interruptions recorded by a real restoration through the API: who was downstream of
the fault with the switching of the time, from the first call to restoration, earlier for those
that switching brought back first."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from dispatch.core import clock
from tests.helpers import customer, report
from tests.reporting.tallies import assert_tallies_match

SHANGHAI = ZoneInfo("Asia/Shanghai")


def interruptions(connection, incident_id: int) -> dict[str, dict]:
    rows = connection.execute(text(
        "SELECT account_no, started_at, restored_at, planned, cause, zone_code, source FROM customer_interruptions "
        "WHERE incident_id = :i ORDER BY account_no"), {"i": incident_id}).mappings()
    return {row["account_no"]: dict(row) for row in rows}


def event(client, incident_id: int, kind: str, at: datetime | None = None, **body):
    response = client.post(f"/api/v1/incidents/{incident_id}/events",
                           json={"type": kind, **({"at": at.isoformat()} if at else {}), **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_step_restoration_by_switching_ends_part_of_the_interruptions_earlier(client, city, connection):
    now = clock.now()
    first = now - timedelta(minutes=50)
    for minutes, transformer in ((50, 1), (49, 2), (48, 3)):
        incident = report(client, now - timedelta(minutes=minutes), account_no=customer(transformer))["incident"]
    assert incident["device"] == {"kind": "switch", "code": "R1"}  # T1, T2 and T3 share the recloser
    i = incident["id"]
    for kind, minutes in (("accepted", 45), ("en_route", 44), ("on_site", 30)):
        event(client, i, kind, now - timedelta(minutes=minutes))
    # The fault lies between R1 and SEC1: open SEC1 and close the tie, and T2 is fed from S2.
    assert client.patch("/api/v1/grid/switches/SEC1", json={"is_open": True}).status_code == 200
    assert client.patch("/api/v1/grid/switches/TIE", json={"is_open": False}).status_code == 200
    tie_closed = connection.execute(text(
        "SELECT at FROM switch_operations WHERE switch_code = 'TIE' AND NOT is_open")).scalar_one()
    restored = clock.now() + timedelta(minutes=2)
    event(client, i, "restored", restored, cause="tree on the line")

    out = interruptions(connection, i)
    t2 = {customer(2, k) for k in range(10)}
    t1_t3 = {customer(t, k) for t in (1, 3) for k in range(10)}
    assert set(out) == t2 | t1_t3  # T4 (beside R1) and T5 (another feeder) kept their supply
    assert {row["started_at"] for row in out.values()} == {first}
    assert {out[a]["restored_at"] for a in t2} == {tie_closed}
    assert {out[a]["restored_at"] for a in t1_t3} == {restored}
    assert {(r["planned"], r["cause"], r["zone_code"], r["source"]) for r in out.values()} == {
        (False, "tree on the line", "Z1", "recorded")}
    assert_tallies_match(connection)

    # The managers' list sees them (the local days around the outage, in the default Asia/Shanghai).
    days = [t.astimezone(SHANGHAI).date().isoformat() for t in (first, restored)]
    listed = client.get("/api/v1/reports/frequent-interruptions",
                        query_string={"from": days[0], "to": days[1], "min": 1}).get_json()["rows"]
    assert {row["account_no"] for row in listed} == t2 | t1_t3


def test_a_crew_phone_restoration_records_once_even_when_replayed(client, city, crew_phone, connection):
    now = clock.now()
    incident = report(client, now - timedelta(minutes=10), account_no=customer(2))["incident"]
    assert incident["crew"] == "CW" and incident["device"]["code"] == "T2"
    phone = crew_phone("CW")
    for kind, seconds in (("accepted", 0), ("en_route", 10), ("on_site", 20)):
        assert phone.post(f"/api/v1/me/jobs/{incident['id']}/events", headers={"Idempotency-Key": str(uuid.uuid4())},
                          json={"type": kind, "at": (now + timedelta(seconds=seconds)).isoformat()}).status_code == 201
    done = {"type": "restored", "at": (now + timedelta(seconds=60)).isoformat()}
    for _ in range(2):
        assert phone.post(f"/api/v1/me/jobs/{incident['id']}/events", headers={"Idempotency-Key": "done"},
                          json=done).status_code in (200, 201)
    out = interruptions(connection, incident["id"])
    assert set(out) == {customer(2, k) for k in range(10)}
    assert {(r["started_at"], r["restored_at"]) for r in out.values()} == {
        (now - timedelta(minutes=10), now + timedelta(seconds=60))}


def test_a_fault_on_the_customers_side_interrupts_no_one_for_the_indices(client, city, connection):
    now = clock.now()
    incident = report(client, now - timedelta(minutes=10), account_no=customer(2))["incident"]
    agreed = (now + timedelta(hours=2)).isoformat()
    assert client.post(f"/api/v1/incidents/{incident['id']}/customer-side",
                       json={"reason": "behind_meter", "agreed_arrival": agreed}).status_code == 200
    for kind in ("accepted", "en_route", "on_site", "restored"):
        event(client, incident["id"], kind)
    assert interruptions(connection, incident["id"]) == {}


def test_a_hazard_reported_during_an_outage_does_not_count_its_customers_twice(client, city, connection):
    now = clock.now()
    outage = report(client, now - timedelta(minutes=20), account_no=customer(2))["incident"]
    hazard = report(client, now - timedelta(minutes=15), account_no=customer(2, 1), hazard=True)["incident"]
    assert hazard["id"] != outage["id"] and hazard["device"]["code"] == outage["device"]["code"] == "T2"
    for incident in (outage, hazard):
        for kind in ("accepted", "en_route", "on_site", "restored"):
            event(client, incident["id"], kind)
    counted = connection.execute(text(
        "SELECT account_no, count(*) FROM customer_interruptions WHERE incident_id = ANY(:ids) GROUP BY account_no"),
        {"ids": [outage["id"], hazard["id"]]}).all()
    assert {account for account, _ in counted} == {customer(2, k) for k in range(10)}
    assert {n for _, n in counted} == {1}


def test_the_closing_report_revises_the_cause_the_end_and_who_owned_the_failure(client, city, connection):
    now = clock.now()
    incident = report(client, now - timedelta(minutes=30), account_no=customer(2))["incident"]["id"]
    for kind, minutes in (("accepted", 25), ("en_route", 24), ("on_site", 15), ("restored", 5)):
        event(client, incident, kind, now - timedelta(minutes=minutes), **({"cause": "fuse"} if kind == "restored" else {}))
    assert {r["cause"] for r in interruptions(connection, incident).values()} == {"fuse"}

    # The crew's report: lightning, and power came back at 10 minutes to, not 5.
    filed = {"cause": "weather.lightning", "equipment_owner": "utility", "work_done": "replaced the fuse link",
             "restored_at": (now - timedelta(minutes=10)).isoformat()}
    assert client.post(f"/api/v1/incidents/{incident}/closing-report", json=filed).status_code == 201
    out = interruptions(connection, incident)
    assert set(out) == {customer(2, k) for k in range(10)}
    assert {(r["cause"], r["restored_at"]) for r in out.values()} == {("weather.lightning", now - timedelta(minutes=10))}
    assert_tallies_match(connection)

    # Sent back; the report filed again finds the customer's own equipment failed: no one counts.
    assert client.post(f"/api/v1/incidents/{incident}/closing-report/review",
                       json={"accept": False, "reason": "look again"}).status_code == 200
    again = {**filed, "equipment_owner": "customer", "cause": "customer.customer_equipment"}
    response = client.post(f"/api/v1/incidents/{incident}/closing-report", json=again)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert interruptions(connection, incident) == {}
    assert_tallies_match(connection)


def test_a_late_restored_from_the_phone_with_an_earlier_time_ends_the_interruptions_then(client, city, crew_phone,
                                                                                          connection):
    now = clock.now()
    incident = report(client, now - timedelta(minutes=10), account_no=customer(2))["incident"]
    phone = crew_phone("CW")
    for kind, seconds in (("accepted", 0), ("en_route", 10), ("on_site", 20), ("restored", 120), ("restored", 60)):
        assert phone.post(f"/api/v1/me/jobs/{incident['id']}/events", headers={"Idempotency-Key": str(uuid.uuid4())},
                          json={"type": kind, "at": (now + timedelta(seconds=seconds)).isoformat()}).status_code == 201
    out = interruptions(connection, incident["id"])
    assert set(out) == {customer(2, k) for k in range(10)}
    assert {r["restored_at"] for r in out.values()} == {now + timedelta(seconds=60)}

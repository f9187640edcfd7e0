"""A phone that was offline replays its crew's events (and GPS) late, twice and out of order: the
incident ends as it would have with everything delivered in time, with the same SLA figures."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from dispatch.core import clock
from dispatch.crews.jobs import CREW_EVENTS
from dispatch.incidents.sla import states
from tests.helpers import customer, report

#: Where the phone is when it says "on site": at the fault, a kilometre off (both sent with the
#: event), only in a GPS batch sent apart from the event (at the fault), or unknown.
PLACES = ("at the fault", "a kilometre off", "tracked at the fault", "unknown")
GPS = "gps batch"


@st.composite
def crew_streams(draw):
    """What a crew pressed, in order, with the phone's times (seconds after the assignment), and
    how the network delivered it: every event once or more, in any order."""
    steps = [step for step in CREW_EVENTS if draw(st.booleans())] or ["on_site"]
    seconds = sorted(draw(st.lists(st.integers(0, 6000), min_size=len(steps), max_size=len(steps), unique=True)))
    events = [(step, offset, str(uuid.uuid4())) for step, offset in zip(steps, seconds)]
    place = draw(st.sampled_from(PLACES))
    in_time = list(events)
    if place == "tracked at the fault" and "on_site" in steps:  # the batch came before the event
        in_time.insert(steps.index("on_site"), GPS)
    copies = [item for item in in_time for _ in range(draw(st.integers(1, 3)))]
    return in_time, draw(st.permutations(copies)), place


def job_given_two_hours_ago(client, connection, now: datetime) -> dict:
    """A fault reported two hours ago near T2, given to crew CW a minute after the report."""
    received = now - timedelta(hours=2)
    incident = report(client, received, account_no=customer(2))["incident"]
    assert incident["crew"] == "CW"
    assigned = received + timedelta(minutes=1)
    connection.execute(text("UPDATE incidents SET assigned_at = :t WHERE id = :id"),
                       {"t": assigned, "id": incident["id"]})
    lon, lat = client.get(f"/api/v1/incidents/{incident['id']}").get_json()["location"]["coordinates"]
    return {"id": incident["id"], "assigned_at": assigned, "lon": lon, "lat": lat}


def deliver(phone, job, items, place, arrived_after) -> None:
    for item in items:
        if item == GPS:
            at = job["assigned_at"] + timedelta(seconds=arrived_after)
            response = phone.post("/api/v1/me/positions", json={"positions": [
                {"at": at.isoformat(), "lon": job["lon"], "lat": job["lat"] + 0.0005}]})
            assert response.status_code == 202, response.get_data(as_text=True)
            continue
        step, offset, key = item
        body = {"type": step, "at": (job["assigned_at"] + timedelta(seconds=offset)).isoformat()}
        if step == "on_site" and place in ("at the fault", "a kilometre off"):
            body["location"] = {"lon": job["lon"] + (0.01 if place == "a kilometre off" else 0), "lat": job["lat"]}
        response = phone.post(f"/api/v1/me/jobs/{job['id']}/events", json=body, headers={"Idempotency-Key": key})
        assert response.status_code in (200, 201), response.get_data(as_text=True)


def outcome(connection, job, now) -> dict:
    """The incident's final state, its crew's, and the SLA figures (all the phone can affect)."""
    incident = dict(connection.execute(text(
        "SELECT status, first_report_at, arrival_deadline, on_site_at, restore_deadline, restored_at, "
        "arrival_unverified FROM incidents WHERE id = :id"), {"id": job["id"]}).mappings().one())
    figures = states(incident, now, None)
    arrival = incident["on_site_at"] and (incident["on_site_at"] - incident["first_report_at"]).total_seconds()
    restoration = (incident["restored_at"] and incident["on_site_at"]
                   and (incident["restored_at"] - incident["on_site_at"]).total_seconds())
    recorded = connection.execute(text(
        "SELECT type, count(*) FROM incident_events WHERE incident_id = :id AND idempotency_key IS NOT NULL "
        "GROUP BY type ORDER BY type"), {"id": job["id"]}).all()
    crew = connection.execute(text("SELECT status FROM crews WHERE code = 'CW'")).scalar_one()
    del incident["first_report_at"], incident["arrival_deadline"]  # set by the report, not the phone
    return {**incident, **figures, "arrival_s": arrival, "restoration_s": restoration,
            "recorded": [tuple(r) for r in recorded], "crew": crew}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=crew_streams())
def test_late_duplicated_and_shuffled_events_end_as_in_order_delivery(client, city, crew_phone, connection, stream):
    in_time, delivery, place = stream
    events = [item for item in in_time if item != GPS]
    arrived_after = next((offset for step, offset, _ in events if step == "on_site"), 0)
    phone = crew_phone("CW")
    now = clock.now()
    results = []
    for order in (in_time, delivery):
        attempt = connection.begin_nested()
        job = job_given_two_hours_ago(client, connection, now)
        deliver(phone, job, order, place, arrived_after)
        results.append(outcome(connection, job, now))
        attempt.rollback()
    in_order, replayed = results
    assert replayed == in_order
    pressed = [step for step, _, _ in events]
    if "restored" in pressed and "on_site" not in pressed:  # "restored" waits for the arrival
        pressed.remove("restored")
    assert in_order["status"] == max(pressed, key=CREW_EVENTS.index, default="assigned")
    assert in_order["recorded"] == sorted((step, 1) for step, _, _ in events)
    if "on_site" in pressed:
        assert in_order["arrival_unverified"] is (place in ("a kilometre off", "unknown"))

"""The crew phone's API: my jobs, my positions, and events that arrive late, twice or out of order."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.conftest import signed_in
from tests.helpers import assert_problem, count, customer, last_outbox_id, outbox, report

when = datetime.fromisoformat


@pytest.fixture
def now():
    return clock.now()


def job_of_cw(client, **body):
    """A fault near T2 (report received a minute ago), sent to crew CW."""
    body.setdefault("account_no", customer(2))
    incident = report(client, clock.now() - timedelta(minutes=1), **body)["incident"]
    assert incident["crew"] == "CW"
    return client.get(f"/api/v1/incidents/{incident['id']}").get_json()


def press(phone, incident_id, event, at, key=None, **body):
    return phone.post(f"/api/v1/me/jobs/{incident_id}/events", json={"type": event, "at": at.isoformat(), **body},
                      headers={"Idempotency-Key": key or str(uuid.uuid4())})


def timeline(client, incident_id, *types):
    return [e for e in client.get(f"/api/v1/incidents/{incident_id}").get_json()["timeline"]
            if not types or e["type"] in types]


def test_my_jobs_show_place_deadline_route_and_next_steps(client, city, crew_phone):
    incident = job_of_cw(client, address="12 Main Street")
    body = crew_phone("CW").get("/api/v1/me/jobs").get_json()
    assert body["crew"]["code"] == "CW" and body["crew"]["status"] == "assigned"
    [job] = body["jobs"]
    assert job["id"] == incident["id"] and job["status"] == "assigned" and job["address"] == "12 Main Street"
    assert when(job["arrival_deadline"]) == when(incident["arrival_deadline"]) and job["customers_affected"] > 0
    assert [job["location"]["lon"], job["location"]["lat"]] == pytest.approx(incident["location"]["coordinates"])
    assert job["allowed_next"] == ["accepted", "en_route", "on_site"]
    assert job["route"]["geometry"]["type"] == "LineString" and job["route"]["properties"]["eta_s"] > 0
    assert crew_phone("CE").get("/api/v1/me/jobs").get_json()["jobs"] == []


def test_a_job_says_where_to_go_and_whom_to_call_back(client, city, crew_phone, connection):
    """A call by account number alone: the customer's own address and number. A caller who gives an
    address: that address, and both numbers in the order they called. No caller located at all: the
    street nearest the fault."""
    phone = crew_phone("CW")
    incident = job_of_cw(client)
    [job] = phone.get("/api/v1/me/jobs").get_json()["jobs"]
    assert (job["address"], job["address_source"]) == ("1 T2 Road", "customer")
    assert [(c["phone"], c["name"]) for c in job["callers"]] == [("13900002000", "Customer 2-0")]

    report(client, clock.now(), account_no=customer(2, 3), phone="139 1111 2222", address="12 Main Street")
    [job] = phone.get("/api/v1/me/jobs").get_json()["jobs"]
    assert (job["address"], job["address_source"]) == ("12 Main Street", "caller")
    assert [c["phone"] for c in job["callers"]] == ["13900002000", "139 1111 2222"]

    # A smart meter's last gasp is no call: its customer is not listed to call back.
    gasp = client.post("/api/v1/meter-events", json={"events": [
        {"account_no": customer(2, 7), "kind": "last_gasp", "at": clock.now().isoformat()}]})
    assert gasp.status_code == 200, gasp.get_data(as_text=True)
    [job] = phone.get("/api/v1/me/jobs").get_json()["jobs"]
    assert [c["phone"] for c in job["callers"]] == ["13900002000", "139 1111 2222"]

    connection.execute(text("UPDATE reports SET customer_id = NULL, address = NULL WHERE incident_id = :id"),
                       {"id": incident["id"]})
    [job] = phone.get("/api/v1/me/jobs").get_json()["jobs"]
    assert (job["address"], job["address_source"]) == ("Main Street", "road")


def test_a_crew_works_its_job_through_to_restored(client, city, crew_phone, connection, now):
    incident = job_of_cw(client)
    lon, lat = incident["location"]["coordinates"]
    phone, t = crew_phone("CW"), now
    assert press(phone, incident["id"], "accepted", t).status_code == 201
    assert press(phone, incident["id"], "en_route", t + timedelta(seconds=20)).get_json()["status"] == "en_route"
    arrived = press(phone, incident["id"], "on_site", t + timedelta(seconds=40), location={"lon": lon, "lat": lat})
    assert arrived.status_code == 201
    assert arrived.get_json()["event"]["arrival_unverified"] is False
    assert arrived.get_json()["allowed_next"] == ["restored"]
    done = press(phone, incident["id"], "restored", t + timedelta(seconds=60), cause="fuse", note="replaced")
    assert done.get_json()["status"] == "restored" and done.get_json()["allowed_next"] == []
    after = client.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert when(after["on_site_at"]) == t + timedelta(seconds=40)
    assert when(after["restored_at"]) == t + timedelta(seconds=60) and after["sla"]["arrival"] == "met"
    events = timeline(client, incident["id"], "accepted", "en_route", "on_site", "restored")
    me = phone.get("/api/v1/me").get_json()
    assert me["crew"] == "CW" and [e["actor"] for e in events] == [me["username"]] * 4
    assert connection.execute(text("SELECT status FROM crews WHERE code = 'CW'")).scalar() == "available"


def test_a_replayed_event_is_recorded_once_and_answered_the_same(client, city, crew_phone, now):
    incident = job_of_cw(client)
    phone = crew_phone("CW")
    first = press(phone, incident["id"], "accepted", now, key="k-1")
    again = press(phone, incident["id"], "accepted", now, key="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert len(timeline(client, incident["id"], "accepted")) == 1
    body = assert_problem(press(phone, incident["id"], "en_route", now, key="k-1"), 422)
    assert body["errors"][0]["field"] == "Idempotency-Key"
    missing = phone.post(f"/api/v1/me/jobs/{incident['id']}/events", json={"type": "en_route", "at": now.isoformat()})
    assert assert_problem(missing, 422)["errors"][0]["field"] == "Idempotency-Key"
    assert len(timeline(client, incident["id"], "en_route")) == 0


def test_late_events_never_move_the_status_back(client, city, crew_phone, now):
    incident = job_of_cw(client)
    phone = crew_phone("CW")
    assert press(phone, incident["id"], "on_site", now + timedelta(seconds=30)).get_json()["status"] == "on_site"
    late = press(phone, incident["id"], "en_route", now + timedelta(seconds=10))
    assert late.status_code == 201 and late.get_json()["status"] == "on_site"
    assert [(e["type"], when(e["at"])) for e in timeline(client, incident["id"], "en_route", "on_site")] == [
        ("en_route", now + timedelta(seconds=10)), ("on_site", now + timedelta(seconds=30))]


def test_times_before_the_assignment_or_ahead_of_the_clock_are_refused(client, city, crew_phone, connection, now):
    incident = job_of_cw(client)
    phone = crew_phone("CW")
    before = assert_problem(press(phone, incident["id"], "accepted", now - timedelta(hours=1)), 422)
    assert "before the assignment" in before["errors"][0]["message"]
    assert_problem(press(phone, incident["id"], "accepted", now + timedelta(hours=1)), 422)
    assert_problem(press(phone, incident["id"], "closed", now), 422)  # the desk closes, not the crew
    assert timeline(client, incident["id"], "accepted", "closed") == []
    assert client.get(f"/api/v1/incidents/{incident['id']}").get_json()["status"] == "assigned"


def test_a_crew_cannot_touch_another_crews_job(client, city, crew_phone, now):
    incident = job_of_cw(client)
    other = crew_phone("CE")
    body = assert_problem(press(other, incident["id"], "accepted", now), 403)
    assert "not a job of crew CE" in body["detail"]
    assert_problem(press(other, 987654321, "accepted", now), 404)
    assert timeline(client, incident["id"], "accepted") == []


def test_a_crew_whose_job_went_to_another_is_told_so(client, city, crew_phone, now):
    incident = job_of_cw(client)
    assert client.post(f"/api/v1/incidents/{incident['id']}/assign", json={"crew": "CE"}).status_code == 200
    body = assert_problem(press(crew_phone("CW"), incident["id"], "en_route", now), 403)
    assert body["detail"] == f"incident {incident['id']} is no longer crew CW's job: it was given to crew CE"
    assert body["current_crew"] == "CE"
    assert timeline(client, incident["id"], "en_route") == []


def test_on_site_far_from_the_incident_is_accepted_but_flagged(client, city, crew_phone, now):
    incident = job_of_cw(client)
    lon, lat = incident["location"]["coordinates"]
    answer = press(crew_phone("CW"), incident["id"], "on_site", now, location={"lon": lon + 0.01, "lat": lat})
    assert answer.status_code == 201 and answer.get_json()["status"] == "on_site"
    assert answer.get_json()["event"]["arrival_unverified"] is True
    assert 800 < answer.get_json()["event"]["distance_m"] < 1100
    seen = client.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert seen["arrival_unverified"] is True
    flagged = client.get("/api/v1/incidents?arrival_unverified=true").get_json()["incidents"]
    assert [i["id"] for i in flagged] == [incident["id"]]


def test_on_site_without_a_location_is_checked_against_the_gps_history(client, city, crew_phone, now):
    incident = job_of_cw(client)
    lon, lat = incident["location"]["coordinates"]
    phone = crew_phone("CW")
    # No GPS yet: CW's imported position (its depot) is no evidence of where it was.
    assert press(phone, incident["id"], "on_site", now).get_json()["event"] == {
        "type": "on_site", "at": now.isoformat(), "arrival_unverified": True, "distance_m": None}
    phone.post("/api/v1/me/positions", json={"positions": [{"at": now.isoformat(), "lon": lon, "lat": lat + 0.001}]})
    checked = press(phone, incident["id"], "on_site", now - timedelta(seconds=1)).get_json()["event"]
    assert checked["arrival_unverified"] is False and 100 < checked["distance_m"] < 120
    # The earlier of the two arrivals is the one that counts, and it was near.
    assert client.get(f"/api/v1/incidents/{incident['id']}").get_json()["arrival_unverified"] is False


def test_the_arrival_radius_is_a_setting(rules, city, make_user, now):
    incident = job_of_cw(rules())
    lon, lat = incident["location"]["coordinates"]
    phone = signed_in(rules(arrival_radius_m=5000), make_user("crew", crew="CW"))
    phone.post("/api/v1/me/positions", json={"positions": [{"at": now.isoformat(), "lon": lon + 0.012, "lat": lat}]})
    event = press(phone, incident["id"], "on_site", now).get_json()["event"]
    assert event["arrival_unverified"] is False and event["distance_m"] > 1000


def test_positions_from_the_phone_are_stored_once(client, city, crew_phone, connection, redis_db, now):
    phone = crew_phone("CE")
    batch = {"positions": [{"at": (now + timedelta(seconds=s)).isoformat(), "lon": 51.4, "lat": 33.9}
                           for s in (1, 2, 3)]}
    assert phone.post("/api/v1/me/positions", json=batch).get_json() == {"stored": 3}
    assert phone.post("/api/v1/me/positions", json=batch).get_json() == {"stored": 0}
    assert count(connection, "crew_positions") == 3
    crew = client.get("/api/v1/crews/CE").get_json()
    assert when(crew["position_at"]) == now + timedelta(seconds=3)
    too_many = {"positions": batch["positions"] * 334}
    assert_problem(phone.post("/api/v1/me/positions", json=too_many), 422)


@pytest.mark.parametrize("key", ["", " ", "x" * 201, "tab\there", "nul\x00", "é-accent"])
def test_idempotency_keys_are_printable_ascii(client, city, crew_phone, now, key):
    incident = job_of_cw(client)
    answer = crew_phone("CW").post(f"/api/v1/me/jobs/{incident['id']}/events", headers={"Idempotency-Key": key},
                                   json={"type": "accepted", "at": now.isoformat()})
    assert assert_problem(answer, 422)["errors"][0]["field"] == "Idempotency-Key"
    assert timeline(client, incident["id"], "accepted") == []


def test_a_nul_in_a_utf16_body_is_refused_too(client, city, crew_phone, now, anonymous):
    incident = job_of_cw(client)
    body = '{"type": "accepted", "at": "%s", "note": "a\\u0000b"}' % now.isoformat()
    for encoding in ("utf-16-le", "utf-32"):
        answer = crew_phone("CW").post(f"/api/v1/me/jobs/{incident['id']}/events", data=body.encode(encoding),
                                       headers={"Idempotency-Key": "k", "Content-Type": "application/json"})
        assert assert_problem(answer, 422)["errors"][0]["field"] == "note"
    sign_in = '{"username": "ab\\u0000", "password": "x"}'.encode("utf-16-le")
    assert_problem(anonymous.post("/api/v1/auth/token", data=sign_in, content_type="application/json"), 422)


def test_power_cannot_come_back_before_the_crew_arrived(client, city, crew_phone, now):
    incident = job_of_cw(client)
    phone = crew_phone("CW")
    assert press(phone, incident["id"], "on_site", now).status_code == 201
    body = assert_problem(press(phone, incident["id"], "restored", now - timedelta(minutes=10)), 422)
    assert body["errors"][0]["field"] == "at" and timeline(client, incident["id"], "restored") == []


def test_the_desk_recording_the_arrival_finishes_a_job_the_phone_said_was_restored(client, city, crew_phone, now):
    incident = job_of_cw(client)
    phone = crew_phone("CW")
    assert press(phone, incident["id"], "restored", now + timedelta(seconds=30)).get_json()["status"] == "assigned"
    answer = client.post(f"/api/v1/incidents/{incident['id']}/events",
                         json={"type": "on_site", "at": now.isoformat()})
    assert answer.get_json()["status"] == "restored"
    seen = client.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert seen["status"] == "restored" and seen["arrival_unverified"] is False  # the desk vouches for it


def test_an_arrival_the_desk_recorded_at_the_same_moment_is_verified(client, city, crew_phone, now):
    incident = job_of_cw(client)
    at = now.isoformat()
    client.post(f"/api/v1/incidents/{incident['id']}/events", json={"type": "on_site", "at": at})
    assert press(crew_phone("CW"), incident["id"], "on_site", now).get_json()["event"]["arrival_unverified"] is True
    assert client.get(f"/api/v1/incidents/{incident['id']}").get_json()["arrival_unverified"] is False


def test_restored_before_its_arrival_waits_for_it(client, city, crew_phone, connection, now):
    incident = job_of_cw(client)
    phone = crew_phone("CW")
    early = press(phone, incident["id"], "restored", now + timedelta(seconds=50), cause="fuse")
    assert early.status_code == 201 and early.get_json()["status"] == "assigned"
    assert connection.execute(text("SELECT status FROM crews WHERE code = 'CW'")).scalar() == "assigned"
    arrived = press(phone, incident["id"], "on_site", now + timedelta(seconds=20))
    assert arrived.get_json()["status"] == "restored"
    seen = client.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert when(seen["on_site_at"]) == now + timedelta(seconds=20) and seen["restore_deadline"]
    assert connection.execute(text("SELECT status FROM crews WHERE code = 'CW'")).scalar() == "available"


def test_a_cancelled_job_keeps_late_crew_events_in_its_timeline_only(client, city, crew_phone, now):
    incident = job_of_cw(client)
    assert client.post(f"/api/v1/incidents/{incident['id']}/events", json={"type": "cancelled"}).status_code == 200
    late = press(crew_phone("CW"), incident["id"], "on_site", now + timedelta(seconds=5))
    assert late.status_code == 201 and late.get_json()["status"] == "cancelled"
    seen = client.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert seen["on_site_at"] is None and seen["arrival_unverified"] is False
    assert [e["data"].get("late") for e in seen["timeline"] if e["type"] == "on_site"] == [True]


def test_an_arrival_without_a_location_is_proven_by_positions_sent_later(client, city, crew_phone, now):
    incident = job_of_cw(client)
    lon, lat = incident["location"]["coordinates"]
    phone = crew_phone("CW")
    reported = press(phone, incident["id"], "on_site", now).get_json()["event"]
    assert reported["arrival_unverified"] is True  # the depot is far, and no GPS yet
    batch = [{"at": (now - timedelta(seconds=s)).isoformat(), "lon": lon, "lat": lat} for s in (40, 20)]
    batch.append({"at": (now + timedelta(seconds=90)).isoformat(), "lon": lon + 0.02, "lat": lat})  # left later
    assert phone.post("/api/v1/me/positions", json={"positions": batch}).status_code == 202
    seen = client.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert seen["arrival_unverified"] is False
    [event] = [e for e in seen["timeline"] if e["type"] == "on_site"]
    assert event["data"]["distance_m"] < 50  # the position 20 s before it, not the later one


def test_crew_events_and_positions_go_to_the_live_map(client, city, crew_phone, connection, now):
    incident = job_of_cw(client)
    cw = connection.execute(text("SELECT id FROM crews WHERE code = 'CW'")).scalar_one()
    before = last_outbox_id(connection)
    phone = crew_phone("CW")
    assert press(phone, incident["id"], "accepted", now, key="live-1").status_code == 201
    assert press(phone, incident["id"], "accepted", now, key="live-1").status_code == 200  # a replay: silent
    phone.post("/api/v1/me/positions", json={"positions": [
        {"at": now.isoformat(), "lon": 51.4, "lat": 33.9, "heading": 270}]})
    client.post(f"/api/v1/incidents/{incident['id']}/events", json={"type": "en_route"})
    sent = outbox(connection, before)
    assert [(m["topic"], m["payload"].get("status")) for m in sent] == [
        ("incident", "accepted"), ("crew", "assigned"), ("crew", "assigned"), ("incident", "en_route"),
        ("crew", "en_route")]
    assert all(m["crew_ids"] == [cw] for m in sent if m["topic"] == "incident")  # CW's phone hears of its job
    position = sent[2]["payload"]
    assert when(position.pop("at")) == now  # as PostgreSQL writes it: 10:00:00.5, not .500000
    assert position == {"code": "CW", "status": "assigned", "incident": incident["id"], "lon": 51.4, "lat": 33.9,
                        "heading": 270, "stale": False}

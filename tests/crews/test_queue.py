"""A dispatcher lines waiting incidents up for a busy crew: its queue of next jobs."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.helpers import assert_problem, customer, report


@pytest.fixture
def desk(rules, city, connection):
    """One incident per call (no roll-up) and only crew CW on duty."""
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CE'"))
    return rules(inference_min_calls=100)


def call(desk, account_no, minutes=0, **body):
    at = clock.now() - timedelta(minutes=10 - minutes)
    return report(desk, at, account_no=account_no, **body)["incident"]


def queue(desk, incident, crew="CW"):
    return desk.post(f"/api/v1/incidents/{incident['id']}/assign", json={"crew": crew, "queue": True})


def finish(desk, incident):
    for event in ("on_site", "restored"):
        assert desk.post(f"/api/v1/incidents/{incident['id']}/events", json={"type": event}).status_code == 200


def unqueued(desk, incident) -> list[tuple[dict, str]]:
    """Why the incident left a crew's queue, as its timeline tells the desk: (data, actor)."""
    timeline = desk.get(f"/api/v1/incidents/{incident['id']}").get_json()["timeline"]
    return [(e["data"], e["actor"]) for e in timeline if e["type"] == "unqueued"]


def test_a_busy_crew_takes_its_queue_first_in_order(desk, connection):
    current = call(desk, customer(1))
    assert current["crew"] == "CW"
    second, third = call(desk, customer(3, 1), 1), call(desk, customer(5), 2)
    hazard = call(desk, customer(4), 3, kind="wire_down")  # more urgent, but not queued
    busy = assert_problem(desk.post(f"/api/v1/incidents/{third['id']}/assign", json={"crew": "CW"}), 409)
    assert '"queue": true' in busy["detail"]
    for incident in (third, second):
        answer = queue(desk, incident)
        assert answer.status_code == 200 and answer.get_json()["queued"] is True
    seen = desk.get(f"/api/v1/incidents/{third['id']}").get_json()
    assert seen["status"] == "new" and seen["queued_for"] == "CW"
    assert [e["data"] for e in seen["timeline"] if e["type"] == "queued"] == [{"crew": "CW"}]
    finish(desk, current)
    assert desk.get(f"/api/v1/incidents/{third['id']}").get_json()["crew"] == "CW"  # queued first
    finish(desk, third)
    assert desk.get(f"/api/v1/incidents/{second['id']}").get_json()["crew"] == "CW"
    finish(desk, second)
    assert desk.get(f"/api/v1/incidents/{hazard['id']}").get_json()["crew"] == "CW"


def test_the_crew_phone_lists_its_queue_but_cannot_work_it_yet(desk, crew_phone):
    current, waiting = call(desk, customer(1)), call(desk, customer(3, 1), 1)
    assert queue(desk, waiting).status_code == 200
    phone = crew_phone("CW")
    jobs = phone.get("/api/v1/me/jobs").get_json()["jobs"]
    assert [(j["id"], j["queued"]) for j in jobs] == [(current["id"], False), (waiting["id"], True)]
    assert jobs[1]["allowed_next"] == [] and jobs[1]["route"] is None and jobs[1]["arrival_deadline"]
    early = phone.post(f"/api/v1/me/jobs/{waiting['id']}/events", headers={"Idempotency-Key": str(uuid.uuid4())},
                       json={"type": "accepted", "at": clock.now().isoformat()})
    assert "queued for crew CW" in assert_problem(early, 409)["detail"]


def test_no_other_crew_takes_a_queued_job(desk):
    current, waiting = call(desk, customer(1)), call(desk, customer(3, 1), 1)
    assert queue(desk, waiting).status_code == 200
    assert desk.patch("/api/v1/crews/CE", json={"on_duty": True}).status_code == 200  # CE is free now
    assert desk.get(f"/api/v1/incidents/{waiting['id']}").get_json()["crew"] is None
    finish(desk, current)
    assert desk.get(f"/api/v1/incidents/{waiting['id']}").get_json()["crew"] == "CW"


def test_a_crew_going_off_duty_gives_its_queue_back(desk, connection):
    """A crew takes its queue as soon as it is free, unless it cannot reach those jobs then; such
    a queue must not outlive the crew's shift."""
    current, late = call(desk, customer(1)), call(desk, customer(3, 1), 1)
    assert queue(desk, late).status_code == 200
    # CW's job ends without CW taking its queue (as when the queued job cannot be reached then).
    connection.execute(text("UPDATE incidents SET status = 'restored' WHERE id = :id"), {"id": current["id"]})
    connection.execute(text("UPDATE crews SET status = 'available' WHERE code = 'CW'"))
    assert desk.patch("/api/v1/crews/CE", json={"on_duty": True}).status_code == 200
    assert desk.get(f"/api/v1/incidents/{late['id']}").get_json()["crew"] is None  # still CW's
    assert desk.patch("/api/v1/crews/CW", json={"on_duty": False}).status_code == 200
    back = desk.get(f"/api/v1/incidents/{late['id']}").get_json()
    assert back["queued_for"] is None and back["crew"] == "CE"
    assert unqueued(desk, late) == [({"crew": "CW", "reason": "off_duty"}, desk.get("/api/v1/me").get_json()["username"])]


def test_only_a_waiting_incident_can_be_queued(desk):
    current = call(desk, customer(1))
    queued = queue(desk, current, "CW")  # its own crew: nothing to queue, it is already theirs
    assert queued.status_code == 200 and queued.get_json()["queued"] is False
    other_busy = desk.post("/api/v1/crews", json={"code": "CB", "name": "Busy", "depot": "DE", "members": 2,
                                                  "phone": "1"})
    assert other_busy.status_code == 201
    taken = call(desk, customer(5), 1)
    assert taken["crew"] == "CB"
    assert "only a waiting incident" in assert_problem(queue(desk, taken, "CW"), 409)["detail"]


def test_sending_a_job_to_the_crew_that_has_it_changes_nothing(desk, crew_phone, connection):
    current = call(desk, customer(1))
    phone = crew_phone("CW")
    accepted = phone.post(f"/api/v1/me/jobs/{current['id']}/events", headers={"Idempotency-Key": "a-1"},
                          json={"type": "accepted", "at": clock.now().isoformat()})
    assert accepted.status_code == 201
    before = desk.get(f"/api/v1/incidents/{current['id']}").get_json()
    for body in ({"crew": "CW"}, {"crew": "CW", "queue": True}):
        answer = desk.post(f"/api/v1/incidents/{current['id']}/assign", json=body)
        assert answer.status_code == 200 and answer.get_json()["crew"] == "CW"
    after = desk.get(f"/api/v1/incidents/{current['id']}").get_json()
    assert (after["status"], after["assigned_at"]) == ("accepted", before["assigned_at"])
    assert len([e for e in after["timeline"] if e["type"] == "assigned"]) == 1


def test_a_new_call_leaves_a_queued_incident_to_its_crew(desk):
    call(desk, customer(1))
    waiting = call(desk, customer(3, 1), 1)
    assert queue(desk, waiting).status_code == 200
    assert desk.patch("/api/v1/crews/CE", json={"on_duty": True}).status_code == 200
    again = call(desk, customer(3, 1), 2)  # the same customer calls again: it joins the incident
    assert again["id"] == waiting["id"]
    seen = desk.get(f"/api/v1/incidents/{waiting['id']}").get_json()
    assert (seen["crew"], seen["queued_for"]) == (None, "CW")


def test_a_queued_incident_its_crew_can_no_longer_take_goes_back_to_all(desk, cli, connection):
    current, waiting = call(desk, customer(1)), call(desk, customer(3, 1), 1)
    assert queue(desk, waiting).status_code == 200
    # CW loses lv, which the queued job needs, behind dispatch's back (as an admin's SQL would write
    # it): the desk's PATCH and a grid import would refuse it, CW's current job needs lv too
    # (tests/crews/test_skills_change.py).
    connection.execute(text("UPDATE crews SET skills = '{mv}' WHERE code = 'CW'"))
    assert desk.patch("/api/v1/crews/CE", json={"on_duty": True}).status_code == 200
    finish(desk, current)
    seen = desk.get(f"/api/v1/incidents/{waiting['id']}").get_json()
    assert (seen["crew"], seen["queued_for"]) == (None, None)
    assert unqueued(desk, waiting) == [({"crew": "CW", "reason": "skills"}, "system")]
    assert cli.invoke(args=["worker", "--once"]).exit_code == 0  # the next sweep gives it out
    assert desk.get(f"/api/v1/incidents/{waiting['id']}").get_json()["crew"] == "CE"


def test_a_crew_that_cannot_be_placed_on_the_roads_gives_its_queue_back(desk, connection):
    current, waiting = call(desk, customer(1)), call(desk, customer(3, 1), 1)
    assert queue(desk, waiting).status_code == 200
    # CW's position is old and its depot is now 50 km from any road: it has nowhere to start from.
    connection.execute(text("UPDATE crews SET position_at = :t WHERE code = 'CW'"), {"t": clock.now() - timedelta(days=1)})
    connection.execute(text("UPDATE depots SET geom = ST_Translate(geom, 0.5, 0) WHERE code = 'DW'"))
    finish(desk, current)
    seen = desk.get(f"/api/v1/incidents/{waiting['id']}").get_json()
    assert (seen["crew"], seen["queued_for"]) == (None, None)
    assert unqueued(desk, waiting) == [({"crew": "CW", "reason": "no_position"}, "system")]


def test_a_queued_job_its_freed_crew_cannot_reach_goes_back_to_all_and_says_why(desk, rules):
    current, waiting = call(desk, customer(1)), call(desk, customer(3, 1), 1)
    assert queue(desk, waiting).status_code == 200
    # Roads closed meanwhile, say: from where CW is when it is free, the queued job is out of reach.
    finish(rules(inference_min_calls=100, routing_horizon_s=1), current)
    seen = desk.get(f"/api/v1/incidents/{waiting['id']}").get_json()
    assert (seen["crew"], seen["queued_for"]) == (None, None)
    assert unqueued(desk, waiting) == [({"crew": "CW", "reason": "no_route"}, "system")]
    sent = desk.post(f"/api/v1/incidents/{waiting['id']}/assign", json={"crew": "CW"})  # with the roads back
    assert sent.status_code == 200 and sent.get_json()["queued"] is False

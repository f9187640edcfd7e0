"""The work order: stamped steps, faults on the customer's side, closing reports and their review."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from dispatch.core import clock
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents.sweeper import sweep
from tests.helpers import assert_problem, customer, report

LIGHTNING = {"cause": "weather.lightning", "equipment_owner": "utility", "work_done": "replaced the fuse link",
             "workers": ["Li Lei", "Han Meimei"]}


def desk_event(client, incident_id, kind, at=None):
    body = {"type": kind} | ({"at": at.isoformat()} if at else {})
    response = client.post(f"/api/v1/incidents/{incident_id}/events", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)


def phone_report(phone, incident_id, key, **body):
    return phone.post(f"/api/v1/me/jobs/{incident_id}/closing-report", json={**LIGHTNING, **body},
                      headers={"Idempotency-Key": key})


@pytest.fixture
def restored(client, city):
    """A fault behind T2 worked by crew CW to restoration, from the desk, a minute a step."""
    start = clock.now() - timedelta(minutes=10)
    incident = report(client, start, account_no=customer(2))["incident"]["id"]
    for minutes, kind in enumerate(("accepted", "en_route", "on_site", "restored"), start=1):
        desk_event(client, incident, kind, start + timedelta(minutes=minutes))
    return incident, start


def test_the_order_is_stamped_step_by_step_and_archived_after_review(client, restored, crew_phone):
    incident, start = restored
    order = client.get(f"/api/v1/incidents/{incident}/work-order").get_json()
    stamps = {step: at and datetime.fromisoformat(at) for step, at in order["steps"].items()}
    assert stamps["received"] == start and stamps["accepted"] == start + timedelta(minutes=1)
    assert stamps["set_out"] == start + timedelta(minutes=2) and stamps["arrived"] == start + timedelta(minutes=3)
    assert stamps["restored"] == start + timedelta(minutes=4) and stamps["dispatched"] is not None
    assert stamps["closing_report"] is None and stamps["archived"] is None and order["closing_report"] is None

    phone = crew_phone("CW")
    sent = phone_report(phone, incident, "k1")
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert sent.get_json()["review"] == "pending" and sent.get_json()["arrived_at"] == stamps["arrived"].isoformat()
    assert phone_report(phone, incident, "k1").get_json() == sent.get_json()  # a replay is the same report
    assert_problem(phone_report(phone, incident, "k2"), 409)  # one waits for review already

    back = client.post(f"/api/v1/incidents/{incident}/closing-report/review",
                       json={"accept": False, "reason": "the cause does not fit a fuse on a clear day"})
    assert back.get_json()["review"] == "returned" and "clear day" in back.get_json()["returned_because"]
    again = phone_report(phone, incident, "k3", cause="external.animal")
    assert again.status_code == 201 and again.get_json()["review"] == "pending"
    accepted = client.post(f"/api/v1/incidents/{incident}/closing-report/review", json={"accept": True})
    assert accepted.get_json()["review"] == "accepted" and accepted.get_json()["cause"] == "external.animal"

    order = client.get(f"/api/v1/incidents/{incident}/work-order").get_json()
    assert order["steps"]["archived"] is not None and order["steps"]["closing_report"] == sent.get_json()["submitted_at"]
    assert datetime.fromisoformat(order["steps"]["arrived"]) == stamps["arrived"]  # never moved
    assert client.get(f"/api/v1/incidents/{incident}").get_json()["status"] == "closed"
    kinds = [e["type"] for e in client.get(f"/api/v1/incidents/{incident}").get_json()["timeline"]]
    assert kinds[-5:] == ["closing_report", "closing_report_returned", "closing_report", "closing_report_accepted",
                          "closed"]
    assert_problem(client.post(f"/api/v1/incidents/{incident}/closing-report/review", json={"accept": True}), 409)


def test_closing_reports_are_checked(client, restored, crew_phone, city):
    incident, start = restored
    assert_problem(client.post(f"/api/v1/incidents/{incident}/events", json={"type": "closed"}), 409)
    assert_problem(crew_phone("CE").post(f"/api/v1/me/jobs/{incident}/closing-report", json=LIGHTNING,
                                         headers={"Idempotency-Key": "x"}), 404)  # not its job
    assert_problem(crew_phone("CW").post(f"/api/v1/me/jobs/{incident}/closing-report", json=LIGHTNING), 422)
    desk = f"/api/v1/incidents/{incident}/closing-report"
    assert_problem(client.post(desk, json={**LIGHTNING, "cause": "weather.meteor"}), 422)
    assert_problem(client.post(desk, json={**LIGHTNING, "cause": "weather"}), 422)
    early = (start + timedelta(minutes=2)).isoformat()
    assert_problem(client.post(desk, json={**LIGHTNING, "restored_at": early}), 422)  # before the arrival
    assert_problem(client.post(desk, json={**LIGHTNING, "equipment_owner": "nobody"}), 422)
    assert_problem(client.post(f"{desk}/review", json={"accept": True}), 409)  # nothing to review
    assert_problem(client.post(f"{desk}/review", json={"accept": False}), 422)  # no reason
    waiting = report(client, clock.now(), account_no=customer(5))["incident"]["id"]
    assert_problem(client.post(f"/api/v1/incidents/{waiting}/closing-report", json=LIGHTNING), 409)
    assert client.post(desk, json=LIGHTNING).status_code == 201  # the desk's, for a crew without a phone


def test_a_fault_on_the_customers_side_keeps_the_agreed_time(client, city, app, connection):
    first = report(client, clock.now(), account_no=customer(2))["incident"]
    target = datetime.fromisoformat(first["arrival_deadline"])
    agreed = clock.now() + timedelta(hours=3)
    marked = client.post(f"/api/v1/incidents/{first['id']}/customer-side",
                         json={"reason": "behind_meter", "agreed_arrival": agreed.isoformat()})
    assert marked.status_code == 200, marked.get_data(as_text=True)
    report(client, clock.now(), account_no=customer(2, 1))  # another call about it
    listed = client.get(f"/api/v1/incidents/{first['id']}").get_json()
    assert listed["customer_side"] == "behind_meter" and listed["report_count"] == 2
    assert datetime.fromisoformat(listed["arrival_deadline"]) == agreed
    session = app.extensions["database"].session()
    dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
    assert sweep(session, dispatcher, target + timedelta(seconds=1)) == []
    event = next(e for e in listed["timeline"] if e["type"] == "customer_side")
    assert datetime.fromisoformat(event["data"]["target_deadline"]) == target

    path = f"/api/v1/incidents/{first['id']}/customer-side"
    assert_problem(client.post(path, json={"reason": "bad luck", "agreed_arrival": agreed.isoformat()}), 422)
    before = (clock.now() - timedelta(days=1)).isoformat()
    assert_problem(client.post(path, json={"reason": "arrears", "agreed_arrival": before}), 422)
    desk_event(client, first["id"], "on_site")
    assert_problem(client.post(path, json={"reason": "arrears", "agreed_arrival": agreed.isoformat()}), 409)


def test_the_cause_taxonomy_is_the_utilitys(client, rules, tmp_path, restored, database_url):
    default = client.get("/api/v1/causes").get_json()
    assert default["weather"]["causes"]["lightning"]["zh-CN"] == "雷击"
    own = tmp_path / "causes.json"
    own.write_text(json.dumps({"birds": {"label": {"en": "Birds"}, "causes": {"stork_nest": {"en": "Stork nest"}}}}))
    utility = rules(cause_taxonomy_file=str(own))
    incident, _ = restored
    assert_problem(utility.post(f"/api/v1/incidents/{incident}/closing-report", json=LIGHTNING), 422)
    assert utility.post(f"/api/v1/incidents/{incident}/closing-report",
                        json={**LIGHTNING, "cause": "birds.stork_nest"}).status_code == 201
    broken = tmp_path / "broken.json"
    broken.write_text('{"birds": {"causes": {}}}')
    with pytest.raises(ValueError, match="birds"):
        rules(cause_taxonomy_file=str(broken))


def test_the_crews_phone_lists_a_restored_job_until_its_report_is_accepted(client, restored, crew_phone):
    incident, _ = restored
    phone = crew_phone("CW")

    def job():
        listed = [j for j in phone.get("/api/v1/me/jobs").get_json()["jobs"] if j["id"] == incident]
        return listed[0] if listed else None

    due = job()
    assert due["status"] == "restored" and due["allowed_next"] == [] and due["route"] is None
    assert due["closing_report"]["review"] == "due" and due["closing_report"]["cause"] is None
    assert phone_report(phone, incident, "k1").status_code == 201
    assert job()["closing_report"]["review"] == "pending" and job()["closing_report"]["cause"] == "weather.lightning"
    desk = f"/api/v1/incidents/{incident}/closing-report/review"
    assert client.post(desk, json={"accept": False, "reason": "name the fuse"}).status_code == 200
    returned = job()["closing_report"]
    assert (returned["review"], returned["returned_because"]) == ("returned", "name the fuse")
    assert returned["reviewed_by"] == "admin"
    assert phone_report(phone, incident, "k2", work_done="replaced fuse F2, 40 A").status_code == 201
    assert client.post(desk, json={"accept": True}).status_code == 200
    assert job() is None  # archived: off the phone
    assert crew_phone("CE").get("/api/v1/me/jobs").get_json()["jobs"] == []  # never another crew's


def test_a_restored_job_comes_after_the_crews_new_job(client, restored, crew_phone):
    incident, _ = restored
    following = report(client, clock.now(), account_no=customer(1))["incident"]
    assert following["crew"] == "CW"
    listed = crew_phone("CW").get("/api/v1/me/jobs").get_json()["jobs"]
    assert [(j["id"], j["status"], j["closing_report"] and j["closing_report"]["review"]) for j in listed] == [
        (following["id"], "assigned", None), (incident, "restored", "due")]

"""Every change a screen shows writes its message to the outbox in the transaction of the change:
what each change writes, for whom, and that a refused or rolled-back change writes nothing."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from dispatch.core import clock
from dispatch.crews.messages import record_crews
from dispatch.incidents.messages import record_incidents
from dispatch.live.feed import Message, Viewer
from tests.helpers import T0, assert_problem, customer, last_outbox_id, outbox, report

when = datetime.fromisoformat


def crew_id(connection, code: str) -> int:
    return connection.execute(text("SELECT id FROM crews WHERE code = :c"), {"c": code}).scalar_one()


def test_a_report_writes_the_incident_as_the_list_shows_it_in_the_same_transaction(client, city, connection):
    before = last_outbox_id(connection)
    opened = report(client, clock.now(), account_no=customer(2))["incident"]
    [sent, crew] = outbox(connection, before)  # in the request's transaction (committed to the test's savepoint)
    listed = next(i for i in client.get("/api/v1/incidents").get_json()["incidents"] if i["id"] == opened["id"])
    assert sent["topic"] == "incident" and sent["payload"] == listed  # the same SQL, the same object
    assert listed["sla_state"] == "on_track" and listed["status"] == "assigned" and listed["crew"] == "CW"
    assert sent["crew_ids"] == [crew_id(connection, "CW")]
    assert crew["topic"] == "crew" and crew["crew_ids"] == []  # the desk's only
    assert {k: crew["payload"][k] for k in ("code", "status", "incident")} == {
        "code": "CW", "status": "assigned", "incident": opened["id"]}
    assert not {"name", "phone", "members", "address"} & (set(crew["payload"]) | set(sent["payload"]))


def test_a_refused_or_rolled_back_change_writes_no_message(client, city, connection):
    opened = report(client, clock.now(), account_no=customer(2))["incident"]
    before = last_outbox_id(connection)
    assert_problem(client.post(f"/api/v1/incidents/{opened['id']}/assign", json={"crew": "CL"}), 409)  # off duty
    assert_problem(client.post(f"/api/v1/incidents/{opened['id']}/events", json={"type": "closed"}), 409)
    assert_problem(client.post("/api/v1/reports", json={"channel": "hotline", "account_no": "nobody"}), 422)
    change = connection.begin_nested()
    report(client, clock.now(), account_no=customer(3))
    assert outbox(connection, before) != []
    change.rollback()  # the change did not happen: neither did its message
    assert outbox(connection, before) == []
    assert connection.execute(text("SELECT count(*) FROM incidents")).scalar() == 1


def test_a_replaced_crews_phone_hears_that_the_job_went_elsewhere(client, city, connection):
    opened = report(client, clock.now(), account_no=customer(2))["incident"]
    before = last_outbox_id(connection)
    assert client.post(f"/api/v1/incidents/{opened['id']}/assign", json={"crew": "CE"}).status_code == 200
    [moved] = [m for m in outbox(connection, before, "incident") if m["payload"]["id"] == opened["id"]]
    assert moved["payload"]["crew"] == "CE"
    assert moved["crew_ids"] == sorted([crew_id(connection, "CE"), crew_id(connection, "CW")])
    crews = {m["payload"]["code"]: m["payload"]["status"] for m in outbox(connection, before, "crew")}
    assert crews == {"CE": "assigned", "CW": "available"}


def test_queueing_lifecycle_and_cancelling_write_the_incident_each_time(rules, city, connection):
    desk = rules(inference_min_calls=100)
    first = report(desk, clock.now() - timedelta(minutes=5), account_no=customer(2))["incident"]
    report(desk, clock.now() - timedelta(minutes=4), account_no=customer(3))  # CE takes it: all crews busy
    waiting = report(desk, clock.now() - timedelta(minutes=3), account_no=customer(4))["incident"]
    assert waiting["crew"] is None
    before = last_outbox_id(connection)
    assert desk.post(f"/api/v1/incidents/{waiting['id']}/assign", json={"crew": "CW", "queue": True}).status_code == 200
    desk.post(f"/api/v1/incidents/{first['id']}/events", json={"type": "on_site"})
    desk.post(f"/api/v1/incidents/{first['id']}/events", json={"type": "restored"})  # CW takes its queue
    desk.post(f"/api/v1/incidents/{waiting['id']}/events", json={"type": "cancelled"})
    sent = [(m["payload"]["id"], m["payload"]["status"], m["payload"]["queued_for"], m["payload"]["crew"])
            for m in outbox(connection, before, "incident")]
    assert sent == [(waiting["id"], "new", "CW", None), (first["id"], "on_site", None, "CW"),
                    (first["id"], "restored", None, "CW"), (waiting["id"], "assigned", None, "CW"),
                    (waiting["id"], "cancelled", None, "CW")]
    cw = crew_id(connection, "CW")
    assert all(cw in m["crew_ids"] for m in outbox(connection, before, "incident"))


def test_messages_go_in_id_order_incidents_to_their_crews_and_those_they_were_taken_from(
        rules, city, connection):
    desk = rules(inference_min_calls=100)
    first = report(desk, clock.now() - timedelta(minutes=5), account_no=customer(2))["incident"]["id"]  # CW's
    second = report(desk, clock.now() - timedelta(minutes=4), account_no=customer(3))["incident"]["id"]  # CE's
    waiting = report(desk, clock.now() - timedelta(minutes=3), account_no=customer(4))["incident"]["id"]
    assert desk.post(f"/api/v1/incidents/{waiting}/assign", json={"crew": "CW", "queue": True}).status_code == 200
    cw, ce = crew_id(connection, "CW"), crew_id(connection, "CE")
    before = last_outbox_id(connection)
    record_incidents(connection, [waiting, first, second, first], {second: {ce, cw}, waiting: [ce]})
    sent = outbox(connection, before)
    assert [(m["topic"], m["payload"]["id"], m["crew_ids"]) for m in sent] == [
        ("incident", first, [cw]), ("incident", second, sorted([ce, cw])), ("incident", waiting, sorted([ce, cw]))]
    assert [m["id"] for m in sent] == sorted(m["id"] for m in sent)
    listed = {i["id"]: i for i in desk.get("/api/v1/incidents").get_json()["incidents"]}
    assert all(m["payload"] == listed[m["payload"]["id"]] for m in sent)
    assert listed[waiting]["queued_for"] == "CW" and listed[waiting]["crew"] is None
    before = last_outbox_id(connection)
    record_crews(connection, [ce, cw, ce], clock.now())
    assert [(m["payload"]["code"], m["crew_ids"]) for m in outbox(connection, before, "crew")] == sorted(
        [("CE", []), ("CW", [])], key=lambda m: crew_id(connection, m[0]))  # in crew id order, the desk's only


def test_a_merge_sends_the_merged_incident_and_a_hazard_an_alert(rules, feeder, connection):
    client = rules(inference_min_calls=3)
    a = report(client, account_no=customer(1))["incident"]
    b = report(client, T0 + timedelta(minutes=1), account_no=customer(4))["incident"]
    before = last_outbox_id(connection)
    report(client, T0 + timedelta(minutes=2), account_no=customer(2))
    sent = {m["payload"]["id"]: m["payload"] for m in outbox(connection, before, "incident")}
    assert sent[b["id"]]["status"] == "merged" and sent[b["id"]]["merged_into"] == a["id"]
    assert sent[a["id"]]["device"]["code"] == "BR1" and sent[a["id"]]["report_count"] == 3
    before = last_outbox_id(connection)
    hazard = report(client, T0 + timedelta(minutes=3), account_no=customer(3), kind="wire_down")["incident"]
    assert [(m["topic"], m["payload"].get("kind")) for m in outbox(connection, before)] == [
        ("incident", None), ("alert", "hazard")]
    [alert] = [m["payload"] for m in outbox(connection, before, "alert")]
    [listed] = client.get("/api/v1/alerts").get_json()["alerts"]
    assert alert["incident"] == hazard["id"] and when(alert.pop("at")) == when(listed.pop("at")) and alert == listed


def test_switching_moves_the_map_on_and_closures_go_to_every_crew(client, city, feeder, connection):
    before = last_outbox_id(connection)
    assert client.patch("/api/v1/grid/switches/SEC1", json={"is_open": True}).status_code == 200
    version = connection.execute(text("SELECT map_version FROM grid_state")).scalar()
    assert [(m["topic"], m["payload"]) for m in outbox(connection, before)] == [("map", {"version": version})]
    road = connection.execute(text("SELECT min(id) FROM roads")).scalar_one()
    before = last_outbox_id(connection)
    until = clock.now() + timedelta(hours=2)
    closure = client.post("/api/v1/roads/closures", json={"reason": "flood", "road_ids": [road],
                                                          "until": until.isoformat()}).get_json()
    assert client.delete(f"/api/v1/roads/closures/{closure['id']}").status_code == 204
    sent = [m["payload"] for m in outbox(connection, before, "closure")]
    assert [(c["id"], c["reason"], when(c["until"]), c["lifted"]) for c in sent] == [
        (closure["id"], "flood", until, False), (closure["id"], "flood", until, True)]
    assert sent[0]["geometry"]["type"] == "LineString"


def test_who_sees_which_message():
    def message(topic, crews=()):
        return Message(1, topic, tuple(crews), "{}")
    desk, phone = Viewer(), Viewer(crew_id=7)
    for topic in ("incident", "crew", "closure", "map", "alert"):
        assert desk.may_see(message(topic))
    assert phone.may_see(message("incident", [7])) and not phone.may_see(message("incident", [8]))
    assert phone.may_see(message("closure"))
    assert not any(phone.may_see(message(topic, [7])) for topic in ("crew", "map", "alert"))


def test_the_messages_of_one_incident_keep_their_prepared_plan(client, city, connection):
    # A storm call writes the messages of its one incident: PostgreSQL must plan that statement
    # once per connection, not on every call (an array of ids was re-planned each time).
    opened = report(client, clock.now(), account_no=customer(2))["incident"]
    for _ in range(15):  # psycopg prepares a statement on its sixth run; PostgreSQL plans the prepared
        record_incidents(connection, [opened["id"]])  # one for each of its first five, then keeps one plan
    generic = connection.execute(text(
        "SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO outbox%' "
        "AND statement LIKE '%i.id = $%'")).scalars().all()
    assert generic and max(generic) > 0

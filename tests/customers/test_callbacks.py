"""Call-backs after restoration through the public API: the callers of a restored incident (once
each; not the meters, nor a customer's own fault) are listed for a call-back; "still out" opens a
new incident nested in the restored one, "power back" closes the call-back, and a channel answers
by the incident's reference.

The grid is tests.factories.dispatch_grid: T1 has customers 1000-1009; crews CW and CE on duty."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from dispatch.core import clock
from dispatch.customers.callbacks import open_due
from tests.accounts.test_auth import channel_key
from tests.conftest import signed_in
from tests.customers.test_channels import as_channel
from tests.evidence.test_nested_outages import restore
from tests.helpers import assert_problem, customer, report


def list_callbacks(client, query: str = "") -> dict:
    response = client.get(f"/api/v1/callbacks{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def answer(client, callback: int, status: int = 200, **body) -> dict:
    response = client.post(f"/api/v1/callbacks/{callback}/answer", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def outage(app, client, transformer: int, restored_ago: timedelta) -> int:
    """An outage of T<transformer> called in by two customers (one of them three times, once giving
    a phone), a meter and a flicker, restored ``restored_ago``, and its call-backs listed by the
    worker a minute after: its id."""
    start = clock.now() - restored_ago - timedelta(hours=1)
    calls = [report(client, start + timedelta(minutes=minute), **call)["incident"]["id"] for minute, call in enumerate([
        {"account_no": customer(transformer, 0)}, {"account_no": customer(transformer, 0), "phone": "137 1234 5678"},
        {"account_no": customer(transformer, 1), "channel": "ivr"},
        {"account_no": customer(transformer, 2), "channel": "ami"},
        {"account_no": customer(transformer, 3), "kind": "flicker"}, {"account_no": customer(transformer, 0)}])]
    (incident,) = set(calls)
    restored_at = clock.now() - restored_ago
    restore(client, incident, restored_at)
    open_at(app, restored_at + timedelta(minutes=1))
    return incident


@pytest.fixture
def restored(app, client, city) -> int:
    """An outage of T1 restored two hours ago (past the nested-outage window)."""
    return outage(app, client, 1, timedelta(hours=2))


def open_at(app, now) -> list[tuple[int, int]]:
    """One pass of the worker's call-back listing at ``now``."""
    database = app.extensions["database"]
    with database.session() as session:
        return open_due(session, app.extensions["settings"], now)


def test_a_restoration_lists_each_caller_once_and_not_the_meters(app, client, restored, connection):
    listed = list_callbacks(client)
    by_account = {c["account_no"]: c for c in listed["callbacks"]}
    assert sorted(by_account) == [customer(1, 0), customer(1, 1)]
    first = by_account[customer(1, 0)]
    assert first["incident"] == restored and first["status"] == "pending" and first["attempts"] == 0
    assert first["phone"] == "13712345678"  # the number they gave (not the one on record)
    assert by_account[customer(1, 1)]["phone"] == "13900001001"  # on record
    assert by_account[customer(1, 1)]["channel"] == "ivr"
    restored_at = datetime.fromisoformat(client.get(f"/api/v1/incidents/{restored}").get_json()["restored_at"])
    assert datetime.fromisoformat(first["restored_at"]) == restored_at and not first["overdue"]
    assert datetime.fromisoformat(first["due_at"]) == restored_at + timedelta(hours=24)  # CALLBACK_WITHIN_H
    assert listed["counts"] == {"pending": 2, "overdue": 0}
    # The worker again, and later again: nothing twice.
    assert open_at(app, clock.now()) == []
    assert connection.execute(text("SELECT count(*) FROM callbacks")).scalar() == 2
    timeline = client.get(f"/api/v1/incidents/{restored}").get_json()["timeline"]
    assert [e["data"] for e in timeline if e["type"] == "callbacks_opened"] == [{"customers": 2}]


def test_still_out_opens_an_incident_nested_in_the_restored_one_after_the_window(client, restored, connection):
    (callback,) = [c for c in list_callbacks(client)["callbacks"] if c["account_no"] == customer(1, 1)]
    answered = answer(client, callback["id"], answer="still_out", note="lights still off")
    child_id = answered["new_incident"]
    assert answered["status"] == "still_out" and child_id not in (None, restored)
    child = client.get(f"/api/v1/incidents/{child_id}").get_json()
    assert child["parent_incident"] == restored
    (call,) = child["reports"]
    assert call["account_no"] == customer(1, 1) and call["channel"] == "hotline"  # an agent called them
    assert client.get(f"/api/v1/incidents/{restored}").get_json()["nested"] == [child_id]

    # The same answer again changes nothing; another answer is refused.
    incidents = connection.execute(text("SELECT count(*) FROM incidents")).scalar()
    assert answer(client, callback["id"], answer="still_out") == answered
    assert_problem(client.post(f"/api/v1/callbacks/{callback['id']}/answer", json={"answer": "power_back"}), 409)
    assert connection.execute(text("SELECT count(*) FROM incidents")).scalar() == incidents
    (listed,) = list_callbacks(client, "?state=still_out")["callbacks"]
    assert listed["new_incident"] == child_id and listed["note"] == "lights still off"
    assert listed["answered_by"] == "admin"


def test_power_back_closes_the_call_back(client, restored, connection):
    callbacks = list_callbacks(client)["callbacks"]
    incidents = connection.execute(text("SELECT count(*) FROM incidents")).scalar()
    answered = answer(client, callbacks[0]["id"], answer="power_back")
    assert answered["status"] == "power_back" and answered["new_incident"] is None
    assert connection.execute(text("SELECT count(*) FROM incidents")).scalar() == incidents
    assert [c["id"] for c in list_callbacks(client)["callbacks"]] == [callbacks[1]["id"]]
    assert [c["id"] for c in list_callbacks(client, "?state=answered")["callbacks"]] == [callbacks[0]["id"]]
    answer(client, callbacks[1]["id"], answer="power_back")
    # Answered ones: the latest answer first.
    assert [c["id"] for c in list_callbacks(client, "?state=power_back")["callbacks"]] == [
        callbacks[1]["id"], callbacks[0]["id"]]


def test_unanswered_calls_make_the_customer_unreachable(client, restored):
    callback = list_callbacks(client)["callbacks"][0]["id"]
    for attempt in (1, 2):
        answered = answer(client, callback, answer="no_answer")
        assert (answered["attempts"], answered["status"]) == (attempt, "pending")
        assert list_callbacks(client, f"?incident={restored}")["callbacks"][0]["attempts"] == attempt
    assert answer(client, callback, answer="no_answer")["status"] == "unreachable"  # CALLBACK_ATTEMPTS = 3
    assert_problem(client.post(f"/api/v1/callbacks/{callback}/answer", json={"answer": "no_answer"}), 409)
    # The customer calls back later: heard, not refused.
    answered = answer(client, callback, answer="power_back")
    assert (answered["status"], answered["attempts"]) == ("power_back", 3)


def test_a_pending_call_back_past_its_time_is_overdue_and_listed_first(app, client, city):
    recent = outage(app, client, 1, timedelta(hours=2))
    old = outage(app, client, 3, timedelta(hours=25))  # CALLBACK_WITHIN_H = 24
    listed = list_callbacks(client)
    assert [(c["incident"], c["overdue"]) for c in listed["callbacks"]] == [(old, True)] * 2 + [(recent, False)] * 2
    assert listed["counts"] == {"pending": 4, "overdue": 2}
    assert {c["incident"] for c in list_callbacks(client, "?state=overdue")["callbacks"]} == {old}


def test_a_channel_answers_by_reference_and_phone_and_reads_nothing_else(app, client, cli, restored):
    wechat = as_channel(app, channel_key(cli, "wechat-account", "wechat"))
    response = wechat.post("/api/v1/callbacks/answer", json={"incident": restored, "phone": "137-1234-5678",
                                                             "answer": "still_out"})
    assert response.status_code == 200, response.get_data(as_text=True)
    child = client.get(f"/api/v1/incidents/{response.get_json()['new_incident']}").get_json()
    assert child["parent_incident"] == restored
    assert child["reports"][0]["channel"] == "wechat" and child["reports"][0]["account_no"] == customer(1, 0)
    assert_problem(wechat.get("/api/v1/callbacks"), 403)  # names and phones are the desk's
    assert_problem(wechat.post("/api/v1/callbacks/answer", json={"incident": restored, "account_no": customer(2, 5),
                                                                 "answer": "power_back"}), 404)  # not downstream


def test_a_caller_who_answers_before_the_worker_lists_the_call_backs_is_heard(app, client, city, cli, connection):
    """The restored notice goes out with the restoration; the worker lists call-backs on its next
    pass. A caller who answers in between closes their call-back all the same, and the worker lists
    nothing twice."""
    incident = report(client, clock.now() - timedelta(minutes=40), account_no=customer(2, 4))["incident"]["id"]
    report(client, clock.now() - timedelta(minutes=39), account_no=customer(2, 6))
    restore(client, incident, clock.now() - timedelta(minutes=1))
    ivr = as_channel(app, channel_key(cli, "ivr-answers", "ivr"))
    response = ivr.post("/api/v1/callbacks/answer", json={"incident": incident, "account_no": customer(2, 4),
                                                          "answer": "power_back"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "power_back" and response.get_json()["id"] is not None
    assert open_at(app, clock.now()) == []
    listed = {c["account_no"]: c["status"] for c in list_callbacks(client, "?state=answered")["callbacks"]}
    assert listed == {customer(2, 4): "power_back"}
    assert [c["account_no"] for c in list_callbacks(client)["callbacks"]] == [customer(2, 6)]
    assert connection.execute(text("SELECT count(*) FROM incident_events WHERE incident_id = :id "
                                   "AND type = 'callbacks_opened'"), {"id": incident}).scalar() == 1


def test_a_customer_downstream_who_never_called_answers_the_restored_notice(app, client, cli, restored, connection):
    """The restored notice asks everyone downstream. A customer who had not called: "power back"
    is heard and nothing is kept; "still out" is their report, nested in the restored incident,
    once however often it is sent; "no answer" is nothing to record; a customer elsewhere is not
    asked at all."""
    wechat = as_channel(app, channel_key(cli, "wechat-notices", "wechat"))

    def reply(account: str, answer: str):
        return wechat.post("/api/v1/callbacks/answer", json={"incident": restored, "account_no": account,
                                                             "answer": answer})

    before = connection.execute(text("SELECT count(*) FROM callbacks")).scalar()
    back = reply(customer(1, 5), "power_back")
    assert back.status_code == 200, back.get_data(as_text=True)
    assert back.get_json() == {"id": None, "incident": restored, "status": "power_back", "attempts": 0,
                               "new_incident": None}
    still = reply(customer(1, 6), "still_out")
    assert still.status_code == 200, still.get_data(as_text=True)
    child = client.get(f"/api/v1/incidents/{still.get_json()['new_incident']}").get_json()
    assert child["parent_incident"] == restored and child["status"] in ("new", "assigned")
    assert [r["account_no"] for r in child["reports"]] == [customer(1, 6)]
    assert reply(customer(1, 6), "still_out").get_json()["new_incident"] == child["id"]
    assert len(client.get(f"/api/v1/incidents/{child['id']}").get_json()["reports"]) == 1
    assert_problem(reply(customer(1, 7), "no_answer"), 404)
    assert_problem(reply(customer(2, 5), "still_out"), 404)
    assert connection.execute(text("SELECT count(*) FROM callbacks")).scalar() == before


def test_a_fault_on_the_customers_side_gets_no_call_back(app, client, city):
    start = clock.now() - timedelta(hours=3)
    incident = report(client, start, account_no=customer(2, 1))["incident"]["id"]
    agreed = (start + timedelta(hours=1)).isoformat()
    response = client.post(f"/api/v1/incidents/{incident}/customer-side", json={"reason": "arrears",
                                                                               "agreed_arrival": agreed})
    assert response.status_code == 200, response.get_data(as_text=True)
    restore(client, incident, clock.now() - timedelta(hours=1))
    assert open_at(app, clock.now()) == []
    assert list_callbacks(client)["callbacks"] == []


@pytest.mark.parametrize("body", [{}, {"answer": "maybe"}, {"answer": "power_back", "extra": 1},
                                  {"answer": "power_back", "note": "x" * 2001}, {"answer": None}])
def test_a_bad_answer_is_refused_and_changes_nothing(client, restored, connection, body):
    callback = list_callbacks(client)["callbacks"][0]["id"]
    before = connection.execute(text("SELECT array_agg(c::text ORDER BY id) FROM callbacks c")).scalar()
    assert_problem(client.post(f"/api/v1/callbacks/{callback}/answer", json=body), 422)
    assert_problem(client.post("/api/v1/callbacks/answer", json={"incident": restored, **body}), 422)
    assert connection.execute(text("SELECT array_agg(c::text ORDER BY id) FROM callbacks c")).scalar() == before


def test_unknown_call_backs_and_bad_queries_are_problems(client, restored):
    assert_problem(client.post("/api/v1/callbacks/999999999/answer", json={"answer": "power_back"}), 404)
    assert_problem(client.post(f"/api/v1/callbacks/{2**70}/answer", json={"answer": "power_back"}), 404)
    assert_problem(client.post("/api/v1/callbacks/answer", json={"incident": restored, "answer": "power_back",
                                                                 "account_no": customer(1, 0), "phone": "1"}), 422)
    for query in ("?state=lost", "?incident=0", "?limit=0", "?limit=x", "?color=red"):
        assert_problem(client.get(f"/api/v1/callbacks{query}"), 422)


def test_the_worker_lists_the_call_backs_of_a_restoration_just_made(client, city, cli, redis_db):
    incident = report(client, clock.now() - timedelta(minutes=40), account_no=customer(2, 4))["incident"]["id"]
    restore(client, incident, clock.now() - timedelta(minutes=1))
    assert list_callbacks(client)["callbacks"] == []
    result = cli.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    (callback,) = list_callbacks(client)["callbacks"]
    assert callback["incident"] == incident and callback["account_no"] == customer(2, 4)


def test_managers_count_the_call_backs_of_a_period_by_outcome(app, client, city, make_user):
    recent = outage(app, client, 1, timedelta(hours=2))
    outage(app, client, 3, timedelta(hours=25))  # overdue
    (first, second) = list_callbacks(client, f"?incident={recent}")["callbacks"]
    answer(client, first["id"], answer="still_out")
    answer(client, second["id"], answer="power_back")
    manager = signed_in(app.test_client(), make_user("manager"))
    today = clock.now().astimezone(ZoneInfo(app.extensions["settings"].dispatch_timezone)).date()
    response = manager.get(f"/api/v1/reports/callbacks?from={today - timedelta(days=2)}&to={today}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["total"] == {"callbacks": 4, "power_back": 1, "still_out": 1, "unreachable": 0,
                                            "pending": 2, "overdue": 2, "answered_late": 0}
    for query in ("from=x&to=y", f"from={today}&to={today - timedelta(days=1)}", f"from={today}"):
        assert_problem(manager.get(f"/api/v1/reports/callbacks?{query}"), 422)
    assert_problem(client.get(f"/api/v1/reports/callbacks?from={today}&to={today + timedelta(days=400)}"), 422)


def test_a_customer_who_never_called_is_heard_only_while_the_notice_is_fresh(app, client, cli, city, connection):
    """A week after the restoration the notice is old: an answer from a customer downstream who
    had not called is a 404, so that walking old incidents tells a channel nothing of an account."""
    old = outage(app, client, 3, timedelta(days=6))
    connection.execute(text("UPDATE incidents SET restored_at = restored_at - interval '2 days' WHERE id = :id"),
                       {"id": old})  # restored eight days ago (calls that old are refused at the door)
    wechat = as_channel(app, channel_key(cli, "wechat-old", "wechat"))
    assert_problem(wechat.post("/api/v1/callbacks/answer", json={"incident": old, "account_no": customer(3, 5),
                                                                 "answer": "power_back"}), 404)
    assert_problem(wechat.post("/api/v1/callbacks/answer", json={"incident": old, "account_no": customer(3, 6),
                                                                 "answer": "still_out"}), 404)

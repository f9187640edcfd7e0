"""Planned outages through the public API: planned on a switch with its switching (the customers
from the topology), notices a week and a day ahead to each customer once (and of a changed window
or a cancellation), calls from inside the window joined to it without an incident, the public map
and the lookup saying planned, and the interruptions counted as planned when it ends (by the
supervisor, or by the worker at the window's end); and a supervisor planning one from a switch
on the desk's map."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from dispatch.core import clock
from dispatch.customers.notify_sender import send_due
from dispatch.customers.planned_notices import fan_out_planned
from tests.accounts.test_auth import channel_key
from tests.browser import screenshot, wait_until
from tests.conftest import signed_in
from tests.customers.test_callbacks import list_callbacks, open_at
from tests.customers.test_channels import as_channel
from tests.evidence.test_device_events import operate
from tests.evidence.test_nested_outages import meters, restore
from tests.helpers import assert_problem, count, customer, leaks, report, strings

LOCAL = ZoneInfo("Asia/Shanghai")
T1 = [customer(1, k) for k in range(10)]
T3 = [customer(3, k) for k in range(10)]


@pytest.fixture
def moment():
    """Stop the clock at a time: the next local noon (outside quiet hours) plus ``later``."""
    noon = (clock.now() + timedelta(days=1)).astimezone(LOCAL).replace(hour=12, minute=0, second=0, microsecond=0)

    def at(later: timedelta = timedelta(0)) -> datetime:
        clock.freeze(noon + later)
        return noon + later
    yield at
    clock.freeze(None)


@pytest.fixture
def supervisor(app, make_user):
    """A supervisor signed in at the clock's present time (tokens expire: the tests move the clock)."""
    return lambda: signed_in(app.test_client(), make_user("supervisor"))


def when(iso: str) -> datetime:
    """A time from an answer (times are compared as times, never as text)."""
    return datetime.fromisoformat(iso)


def plan(caller, start: datetime, hours: float = 4, status: int = 201, **body) -> dict:
    body = {"switch": "F1", "reason": "line maintenance", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=hours)).isoformat(), **body}
    response = caller.post("/api/v1/planned-outages", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def act(caller, outage: int, what: str, status: int = 200, **body) -> dict:
    response = caller.post(f"/api/v1/planned-outages/{outage}/{what}", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def work(app, settings):
    """One pass of the worker's notification thread at ``now``: planned notices due, then sending."""
    def run(now: datetime) -> int:
        database = app.extensions["database"]
        with database.session() as session:
            fan_out_planned(session, settings, now)
        with database.session() as session:
            return send_due(session, settings, now)
    return run


def test_a_supervisor_plans_work_and_its_customers_come_from_the_topology_with_the_switching(
        client, city, moment, supervisor, make_user, app, connection):
    now = moment()
    boss = supervisor()
    # R1 cuts off T1, T2 and T3; with SEC1 open and the tie closed, S2 feeds T2: T1 and T3 are out.
    wide = plan(boss, now + timedelta(days=10), switch="R1", switching={"TIE": False, "SEC1": True})
    assert (wide["customers_affected"], wide["transformers"]) == (20, ["T1", "T3"])
    assert (wide["state"], wide["zone"], wide["planned_by"], wide["calls"]) == ("upcoming", "Z1", boss_name(boss), 0)
    small = plan(boss, now + timedelta(days=12))
    assert (small["customers_affected"], small["transformers"]) == (10, ["T1"])

    desk = signed_in(app.test_client(), make_user("dispatcher"))
    listed = desk.get("/api/v1/planned-outages?state=upcoming").get_json()["planned_outages"]
    assert [o["id"] for o in listed] == [wide["id"], small["id"]]
    range_ = {"from": (now + timedelta(days=11)).isoformat(), "to": (now + timedelta(days=13)).isoformat()}
    assert [o["id"] for o in desk.get("/api/v1/planned-outages", query_string=range_).get_json()["planned_outages"]] \
        == [small["id"]]
    assert desk.get(f"/api/v1/planned-outages/{small['id']}").get_json()["customers_affected"] == 10
    assert_problem(desk.post("/api/v1/planned-outages", json={}), 403)
    assert_problem(desk.get("/api/v1/planned-outages/999999"), 404)

    before = count(connection, "planned_outages")
    for body, field in [({"switch": "NOPE"}, "switch"), ({"switching": {"NOPE": True}}, "switching"),
                        ({"zone": "NOPE"}, "zone"), ({"hours": -1}, "window_end"),
                        ({"start": now - timedelta(hours=1)}, "window_start")]:
        start = body.pop("start", now + timedelta(days=3))
        problem = assert_problem(boss.post("/api/v1/planned-outages", json={
            "switch": "F1", "reason": "work", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=body.pop("hours", 4))).isoformat(), **body}), 422)
        assert field in str(problem), problem
    assert count(connection, "planned_outages") == before

    cancelled = act(boss, small["id"], "cancel")
    assert cancelled["state"] == "cancelled"
    assert_problem(boss.patch(f"/api/v1/planned-outages/{small['id']}",
                              json={"window_end": (now + timedelta(days=20)).isoformat()}), 409)
    act(boss, small["id"], "start", status=409)
    act(boss, wide["id"], "finish", status=409)  # not begun


def boss_name(caller) -> str:
    return caller.get("/api/v1/me").get_json()["username"]


def delivered(receiver, stage: str) -> dict[str, dict]:
    return {m["recipient"]["account_no"]: m for m in receiver.delivered.values() if m["stage"] == stage}


def test_notices_go_a_week_and_a_day_before_to_each_customer_once(client, city, moment, supervisor, work,
                                                                  receiver):
    now = moment()
    boss = supervisor()
    start = now + timedelta(days=10)
    outage = plan(boss, start, hours=6)
    assert boss.post(f"/api/v1/customers/{T1[1]}/notifications", json={"opt_out": True}).status_code == 200

    assert work(now) == 0 and work(start - timedelta(days=7, minutes=1)) == 0
    assert work(start - timedelta(days=7)) == 9
    week = delivered(receiver, "planned_7d")
    assert sorted(week) == sorted(set(T1) - {T1[1]})
    message = week[T1[0]]
    assert message["planned_outage"] == outage["id"] and message["reference"] == f"P{outage['id']}"
    assert {k: when(v) for k, v in message["window"].items()} == {"start": start, "end": start + timedelta(hours=6)}
    assert f"P{outage['id']}" in message["text"] and "line maintenance" in message["text"]
    assert start.astimezone(LOCAL).strftime("%H:%M") in message["text"]
    assert work(start - timedelta(days=2)) == 0  # each customer once

    assert work(start - timedelta(hours=24)) == 9
    assert sorted(delivered(receiver, "planned_24h")) == sorted(set(T1) - {T1[1]})
    assert work(start - timedelta(hours=1)) == 0
    assert len(receiver.requests) == 18


def test_work_planned_late_gets_the_notice_at_once_and_quiet_hours_hold_it(client, city, moment, supervisor, app,
                                                                           settings, connection):
    now = moment()
    inside_week = plan(supervisor(), now + timedelta(days=3))
    inside_day = plan(supervisor(), now + timedelta(hours=20), switch="F3")
    quiet = settings.with_overrides(notify_quiet_hours="22:00-07:00", dispatch_timezone="Asia/Shanghai")
    night = now + timedelta(hours=11)  # 23:00
    with app.extensions["database"].session() as session:
        assert fan_out_planned(session, quiet, night) == 2
    stages = connection.execute(text(
        "SELECT planned_outage_id, stage, min(next_attempt_at), count(*) FROM notifications "
        "WHERE planned_outage_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1")).all()
    morning = (now + timedelta(hours=19))  # 07:00 the next day
    assert [tuple(row) for row in stages] == [(inside_week["id"], "planned_7d", morning, 10),
                                              (inside_day["id"], "planned_24h", morning, 10)]


def test_a_changed_window_or_a_cancellation_tells_the_customers_already_told(client, city, moment, supervisor,
                                                                             work, receiver,
                                                                             connection):
    now = moment()
    start = now + timedelta(days=5)
    told = plan(supervisor(), start)
    untold = plan(supervisor(), now + timedelta(days=30), switch="F3")
    assert work(now) == 10  # the week's notice (late: at once)

    moved = start + timedelta(days=1)
    response = supervisor().patch(f"/api/v1/planned-outages/{told['id']}", json={
        "window_start": moved.isoformat(), "window_end": (moved + timedelta(hours=3)).isoformat()})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["revision"] == 1
    assert supervisor().patch(f"/api/v1/planned-outages/{untold['id']}", json={
        "window_end": (now + timedelta(days=31)).isoformat()}).status_code == 200
    assert work(now) == 10
    changed = delivered(receiver, "planned_changed")
    assert sorted(changed) == T1
    assert moved.astimezone(LOCAL).strftime("%H:%M") in changed[T1[0]]["text"]
    assert work(moved - timedelta(hours=24)) == 10  # the day's reminder, of the new window
    assert when(delivered(receiver, "planned_24h")[T1[2]]["window"]["start"]) == moved

    act(supervisor(), untold["id"], "cancel")
    act(supervisor(), told["id"], "cancel")
    assert work(now + timedelta(minutes=1)) == 10
    assert sorted(delivered(receiver, "planned_cancelled")) == T1
    assert not any(m["planned_outage"] == untold["id"] for m in receiver.delivered.values())
    assert connection.execute(text("SELECT count(*) FROM notifications WHERE planned_outage_id = :id"),
                              {"id": untold["id"]}).scalar_one() == 0


@pytest.fixture
def ivr(app, cli, city, redis_db):
    return as_channel(app, channel_key(cli, "ivr-main", "ivr"))


def test_a_call_from_inside_the_window_joins_the_planned_outage_and_opens_no_incident(client, city, moment,
                                                                                      supervisor, ivr, connection):
    now = moment()
    outage = plan(supervisor(), now + timedelta(hours=1), hours=3)
    ends = now + timedelta(hours=4)

    inside = moment(timedelta(hours=2))
    incidents = count(connection, "incidents")
    response = ivr.post("/api/v1/reports", json={"account_no": T1[3], "external_id": "ivr-1",
                                                 "received_at": inside.isoformat(), "description": "no power"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["incident"] is None
    told = body["planned_outage"]
    assert {k: when(told.pop(k)) for k in ("window_start", "window_end", "etr")} == {
        "window_start": now + timedelta(hours=1), "window_end": ends, "etr": ends}
    assert told == {"reference": f"P{outage['id']}", "id": outage["id"], "state": "upcoming",
                    "reason": "line maintenance"}
    # Sent again (the IVR did not hear the answer): the same call, nothing new.
    again = ivr.post("/api/v1/reports", json={"account_no": T1[3], "external_id": "ivr-1",
                                              "received_at": inside.isoformat()})
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    # By phone, from the desk: joined too.
    assert report(supervisor(), inside, phone=f"1390000{T1[5]}")["planned_outage"]["id"] == outage["id"]
    assert count(connection, "incidents") == incidents
    assert supervisor().get(f"/api/v1/planned-outages/{outage['id']}").get_json()["calls"] == 2

    # Outside the area, a hazard inside it, or after the window: incidents as always.
    assert report(supervisor(), inside, account_no=customer(2))["incident"]["id"]
    assert report(supervisor(), inside, account_no=T1[4], kind="wire_down")["incident"]["hazard"] is True
    assert report(supervisor(), inside, account_no=T1[6], hazard=True)["incident"]["hazard"] is True
    assert count(connection, "incidents") == incidents + 3
    late = moment(timedelta(hours=4, minutes=1))
    assert report(supervisor(), late, account_no=T1[7])["incident"]["id"]


@pytest.fixture
def public(rules, app, city):
    client = rules(public_outages_max_age_s=0, public_outages_min_age_s=0)
    client.environ_base.pop("HTTP_AUTHORIZATION", None)
    return client


def planned_features(public) -> dict[int, dict]:
    response = public.get("/api/v1/public/outages")
    assert response.status_code == 200
    return {-f["id"]: f for f in response.get_json()["features"] if f["properties"]["planned"]}


def test_the_map_and_the_lookup_follow_it_upcoming_out_restored(public, client, moment, supervisor, ivr):
    now = moment()
    start = now + timedelta(days=10)
    outage = plan(supervisor(), start)
    assert planned_features(public) == {}  # not before its customers are told
    moment(timedelta(days=3, hours=1))
    (shown,) = planned_features(public).values()
    assert shown["geometry"]["type"] == "Polygon"
    props = shown["properties"]
    assert (props["status"], props["reference"], props["customers_out"], props["transformers"]) == (
        "upcoming", f"P{outage['id']}", 10, 1)
    assert (when(props["window_start"]), when(props["etr"])) == (start, start + timedelta(hours=4))
    (answer,) = ivr.get(f"/api/v1/outages/lookup?account={T1[0]}").get_json()["customers"]
    assert answer["in_outage"] is False

    began = moment(timedelta(days=10, minutes=5))
    act(supervisor(), outage["id"], "start", at=began.isoformat())
    (props,) = [f["properties"] for f in planned_features(public).values()]
    assert (props["status"], when(props["since"])) == ("out", began)
    (answer,) = ivr.get(f"/api/v1/outages/lookup?account={T1[0]}").get_json()["customers"]
    assert answer["in_outage"] is True
    assert answer["outage"]["planned"] is True and answer["outage"]["reference"] == f"P{outage['id']}"
    assert when(answer["outage"]["etr"]) == start + timedelta(hours=4)
    (other,) = ivr.get(f"/api/v1/outages/lookup?account={customer(2)}").get_json()["customers"]
    assert other["in_outage"] is False

    done = moment(timedelta(days=10, hours=3))
    act(supervisor(), outage["id"], "finish", at=done.isoformat())
    (props,) = [f["properties"] for f in planned_features(public).values()]
    assert (props["status"], when(props["restored_at"]), props["etr"]) == ("restored", done, None)
    body = public.get("/api/v1/public/outages").get_json()
    for account in T1:  # nothing personal, ever
        assert not any(leaks(account, s) for s in strings(body))
    moment(timedelta(days=17, hours=4))
    assert planned_features(public) == {}  # 7 days after it ended


def test_finishing_counts_the_interruptions_as_planned(client, city, moment, supervisor, connection):
    now = moment()
    outage = plan(supervisor(), now + timedelta(hours=1), switch="R1", switching={"TIE": False, "SEC1": True})
    began = moment(timedelta(hours=1))
    act(supervisor(), outage["id"], "start")
    act(supervisor(), outage["id"], "finish", status=422, at=(began - timedelta(minutes=1)).isoformat())
    ended = moment(timedelta(hours=3))
    act(supervisor(), outage["id"], "finish")
    rows = connection.execute(text(
        "SELECT account_no, started_at, restored_at, planned FROM customer_interruptions WHERE event_ref = :ref "
        "ORDER BY account_no"), {"ref": f"planned-{outage['id']}"}).all()
    assert [r[0] for r in rows] == sorted(T1 + T3)
    assert {(r[1], r[2], r[3]) for r in rows} == {(began, ended, True)}
    day = began.astimezone(LOCAL).date().isoformat()
    response = supervisor().get("/api/v1/reports/reliability", query_string={"from": day, "to": day})
    assert response.status_code == 200, response.get_data(as_text=True)
    saifi = {row["index"]: row for row in response.get_json()["rows"]}["SAIFI"]
    assert saifi["value"] == round(20 / 50, 2) and saifi["value_without_planned"] == 0


def test_the_worker_moves_it_at_the_windows_times_when_nobody_does(client, city, moment, supervisor, cli,
                                                                   redis_db, connection):
    now = moment()
    outage = plan(supervisor(), now + timedelta(hours=1), hours=2)
    moment(timedelta(hours=1, minutes=1))
    assert cli.invoke(args=["worker", "--once"]).exit_code == 0
    shown = supervisor().get(f"/api/v1/planned-outages/{outage['id']}").get_json()
    assert (shown["state"], shown["started_by"], when(shown["started_at"])) == (
        "out", "worker", now + timedelta(hours=1))
    moment(timedelta(hours=3))
    assert cli.invoke(args=["worker", "--once"]).exit_code == 0
    shown = supervisor().get(f"/api/v1/planned-outages/{outage['id']}").get_json()
    assert (shown["state"], shown["finished_by"], when(shown["finished_at"])) == (
        "restored", "worker", now + timedelta(hours=3))
    assert connection.execute(text("SELECT count(*) FROM customer_interruptions WHERE event_ref = :ref AND planned"),
                              {"ref": f"planned-{outage['id']}"}).scalar_one() == 10


def test_when_the_work_ends_its_customers_are_told_power_is_back_at_any_hour(
        client, city, moment, supervisor, work, receiver, cli, redis_db, connection):
    now = moment()
    boss = supervisor()
    assert boss.post(f"/api/v1/customers/{T1[1]}/notifications", json={"opt_out": True}).status_code == 200
    done_by_hand = plan(boss, now + timedelta(hours=1), hours=4)
    # Night work nobody records the end of: its window ends at 03:00 local, in quiet hours.
    done_by_window = plan(boss, now + timedelta(hours=1), hours=14, switch="R1", switching={"TIE": False, "SEC1": True})
    moment(timedelta(hours=1, minutes=1))
    act(supervisor(), done_by_hand["id"], "start")
    assert work(now + timedelta(hours=1, minutes=1)) > 0  # the day's reminders, late: at once
    assert not delivered(receiver, "planned_restored")

    # Supply back by the supervisor's word: each customer it cut off hears so once, opted-out excepted.
    ended = moment(timedelta(hours=2))
    act(supervisor(), done_by_hand["id"], "finish")
    assert work(ended) == 9
    told = delivered(receiver, "planned_restored")
    assert sorted(told) == sorted(set(T1) - {T1[1]})
    message = told[T1[0]]
    assert (message["planned_outage"], message["reference"], message["etr_at"]) == (
        done_by_hand["id"], f"P{done_by_hand['id']}", None)
    assert f"P{done_by_hand['id']}" in message["text"] and "已恢复供电" in message["text"]
    assert work(ended + timedelta(minutes=5)) == 0

    # The worker ends the other with its window, under the application's quiet hours (22:00-07:00):
    # the news is due at once all the same, for customers in the dark want it at any hour.
    receiver.delivered.clear()
    night = moment(timedelta(hours=15, minutes=1))
    assert night.astimezone(LOCAL).hour == 3 and cli.app.extensions["settings"].notify_quiet_hours
    assert cli.invoke(args=["worker", "--once"]).exit_code == 0
    due = connection.execute(text(
        "SELECT DISTINCT next_attempt_at FROM notifications WHERE planned_outage_id = :id AND stage = 'planned_restored'"),
        {"id": done_by_window["id"]}).scalars().all()
    assert due == [night]
    assert work(night) == 19  # T1 and T3, one opted out
    assert sorted(delivered(receiver, "planned_restored")) == sorted(set(T1 + T3) - {T1[1]})


def test_a_supervisor_plans_work_from_a_switch_on_the_desk_map(app, city, connection, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    from tests.desk.test_desk_app import RENDERED, desk_browser, sign_in
    from tests.desk.test_desk_map_tools import F1, click_map, look_at

    boss, dispatcher = make_user("supervisor"), make_user("dispatcher")
    start = (clock.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    local = "%Y-%m-%dT%H:%M"
    with desk_browser(app) as (base, lock, page, problems):
        sign_in(page, base, dispatcher)  # a dispatcher reads planned outages but does not plan them
        look_at(page, F1, 17)
        wait_until(page, RENDERED, ["switches", "code", "F1"])
        click_map(page, F1)
        expect(page.locator("#operate-switch")).to_be_visible()
        expect(page.locator("#plan-work")).to_have_count(0)

        page.evaluate("() => localStorage.clear()")
        sign_in(page, base, boss)
        look_at(page, F1, 17)
        wait_until(page, RENDERED, ["switches", "code", "F1"])
        click_map(page, F1)
        page.click("#plan-work")
        dialog = page.locator("#plan-dialog")
        expect(dialog.locator("h2")).to_have_text("Plan work on F1")
        page.fill("#plan-start", start.strftime(local))
        page.fill("#plan-end", (start - timedelta(hours=1)).strftime(local))
        page.fill("#plan-reason", "replacing the fuse holder")
        page.click("#plan-confirm")
        expect(dialog.locator(".problem")).to_be_visible()  # ends before it starts: refused, nothing stored
        with lock:
            assert count(connection, "planned_outages") == 0
        page.fill("#plan-end", (start + timedelta(hours=4)).strftime(local))
        page.click("#plan-confirm")
        expect(page.locator("#plan-done")).to_contain_text("customers off supply")
        with lock:
            (row,) = connection.execute(text("SELECT id, reason, customers_affected, window_end - window_start "
                                             "FROM planned_outages")).all()
        assert row[1:] == ("replacing the fuse holder", 10, timedelta(hours=4))
        expect(page.locator("#plan-done")).to_have_text(f"Planned P{row[0]}: 10 customers off supply.")
        screenshot(page, tmp_path, "desk-plan-work-en.png", full_page=False)
    assert problems == []


def test_a_hotline_call_inside_planned_work_is_kept_with_it_on_the_desk(app, city, connection, make_user, moment,
                                                                        supervisor, redis_db):
    from playwright.sync_api import expect

    from tests.desk.test_desk_app import desk_browser, sign_in

    now = moment()
    outage = plan(supervisor(), now + timedelta(minutes=1), hours=2)
    moment(timedelta(minutes=2))
    dispatcher = make_user("dispatcher")
    incidents = count(connection, "incidents")
    with desk_browser(app) as (base, lock, page, problems):
        sign_in(page, base, dispatcher)
        page.click("#tool-call")
        page.fill("#call-search", T1[3])
        page.locator(f'#call-suggestions li[data-account="{T1[3]}"]').click()
        page.click("#call-submit")
        expect(page.locator("#call-planned")).to_contain_text(
            f"Planned work P{outage['id']} (line maintenance): power is back by")
        expect(page.locator("#call-submit")).to_be_disabled()  # kept: not to be posted twice
        with lock:
            assert count(connection, "incidents") == incidents
            assert count(connection, "planned_outage_calls") == 1
    assert problems == []


# Planned work beside the rest: calls, meters and call-backs from inside it send no crew, a late
# call is judged by when it was made, one customer out once is counted once, notices reach people
# before the power goes, and a plan must cut someone off.

def under_way(supervisor, started_ago: timedelta = timedelta(0)) -> dict:
    """Work on F1 (T1's customers) begun ``started_ago``, three hours planned."""
    now = clock.now()
    outage = plan(supervisor(), now + timedelta(minutes=1), hours=3)
    act(supervisor(), outage["id"], "start", at=(now - started_ago).isoformat())
    return outage


def test_still_out_from_inside_work_under_way_joins_it_and_sends_no_crew(app, client, city, supervisor, connection):
    now = clock.now()
    incident = report(client, now - timedelta(hours=3), account_no=T1[1])["incident"]["id"]
    restore(client, incident, now - timedelta(hours=2))
    open_at(app, now)
    (callback,) = list_callbacks(client)["callbacks"]
    outage = under_way(supervisor)
    incidents = count(connection, "incidents")
    response = client.post(f"/api/v1/callbacks/{callback['id']}/answer", json={"answer": "still_out"})
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["status"] == "still_out" and answer["new_incident"] is None
    assert answer["planned_outage"] == f"P{outage['id']}"
    assert count(connection, "incidents") == incidents
    assert count(connection, "planned_outage_calls") == 1


def test_last_gasps_when_the_work_opens_its_switch_open_no_incident(client, city, supervisor, connection):
    under_way(supervisor)
    incidents = count(connection, "incidents")
    answer = meters(client, *[(T1[k], "last_gasp", clock.now()) for k in range(5)])
    assert (answer["accepted"], answer["planned_work"], answer["incidents"]) == (5, 5, [])
    assert count(connection, "incidents") == incidents
    assert count(connection, "meter_events") == 5  # kept, as every event is


def test_a_call_is_judged_by_when_it_was_made_not_by_when_it_came(client, city, supervisor, ivr, connection):
    now = clock.now()
    outage = plan(supervisor(), now + timedelta(minutes=1), hours=3)
    act(supervisor(), outage["id"], "start", at=(now - timedelta(hours=2)).isoformat())
    act(supervisor(), outage["id"], "finish", at=(now - timedelta(minutes=10)).isoformat())
    # An IVR's queue delivers, after the work ended, a call made during it: the work explains it.
    late = ivr.post("/api/v1/reports", json={"account_no": T1[3], "external_id": "late-1", "channel": "ivr",
                                             "received_at": (now - timedelta(hours=1)).isoformat()})
    assert late.status_code == 201 and late.get_json()["incident"] is None
    assert late.get_json()["planned_outage"]["reference"] == f"P{outage['id']}"
    # A call made before the work began was about something else: a fault, with its crew.
    early = ivr.post("/api/v1/reports", json={"account_no": T1[4], "external_id": "early-1", "channel": "ivr",
                                              "received_at": (now - timedelta(hours=3)).isoformat()})
    assert early.status_code == 201 and early.get_json()["incident"] is not None


def interruptions(connection, account):
    return connection.execute(text(
        "SELECT planned, event_ref FROM customer_interruptions WHERE account_no = :a ORDER BY started_at"),
        {"a": account}).all()


def test_a_customer_out_for_the_work_and_a_wire_down_in_it_is_counted_once_either_way(
        client, city, supervisor, connection):
    now = clock.now()
    for hazard_restored_first in (True, False):
        change = connection.begin_nested()
        outage = under_way(supervisor, started_ago=timedelta(hours=2))
        hazard = report(client, now - timedelta(minutes=100), account_no=T1[4], kind="wire_down")["incident"]["id"]
        if hazard_restored_first:
            restore(client, hazard, now - timedelta(minutes=20))
        act(supervisor(), outage["id"], "finish", at=(now - timedelta(minutes=5)).isoformat())
        if not hazard_restored_first:
            restore(client, hazard, now - timedelta(minutes=1))
        assert interruptions(connection, T1[0]) == [(True, f"planned-{outage['id']}")], hazard_restored_first
        change.rollback()


def test_a_reminder_held_by_quiet_hours_still_goes_before_the_work(app, client, city, moment, supervisor, settings,
                                                                   connection):
    night = moment(timedelta(hours=11))  # 23:00 local
    outage = plan(supervisor(), night + timedelta(hours=7))  # 06:00 the next morning
    quiet = settings.with_overrides(notify_quiet_hours="22:00-07:00", dispatch_timezone="Asia/Shanghai")
    with app.extensions["database"].session() as session:
        assert fan_out_planned(session, quiet, night) == 1
    due = connection.execute(text("SELECT min(next_attempt_at) FROM notifications WHERE planned_outage_id = :id"),
                             {"id": outage["id"]}).scalar_one()
    assert due == night + timedelta(hours=6)  # an hour before the work, not after quiet hours at 07:00


def test_a_restoration_recorded_a_day_late_still_gets_its_call_backs(app, client, city):
    now = clock.now()
    incident = report(client, now - timedelta(hours=30), account_no=customer(1, 1))["incident"]["id"]
    restore(client, incident, now - timedelta(hours=25))  # a crew phone's late "restored"
    open_at(app, now)
    (callback,) = list_callbacks(client, "?state=overdue")["callbacks"]
    assert callback["incident"] == incident


def test_a_channel_answers_by_incident_and_customer_not_by_an_id_it_cannot_know(app, client, city, cli):
    now = clock.now()
    incident = report(client, now - timedelta(hours=3), account_no=customer(1, 1))["incident"]["id"]
    restore(client, incident, now - timedelta(hours=2))
    open_at(app, now)
    (callback,) = list_callbacks(client)["callbacks"]
    ami = as_channel(app, channel_key(cli, "ami-x", "ami"))
    assert_problem(ami.post(f"/api/v1/callbacks/{callback['id']}/answer", json={"answer": "power_back"}), 403)
    assert list_callbacks(client)["callbacks"][0]["status"] == "pending"


def test_work_that_cuts_off_nobody_is_refused(client, city, supervisor, connection):
    problem = assert_problem(supervisor().post("/api/v1/planned-outages", json={
        "switch": "TIE", "reason": "work", "window_start": (clock.now() + timedelta(days=8)).isoformat(),
        "window_end": (clock.now() + timedelta(days=8, hours=4)).isoformat()}), 422)
    assert "no customer" in problem["detail"]
    assert count(connection, "planned_outages") == 0


def test_scada_opening_the_works_switch_is_its_switching_not_a_trip(client, city, supervisor, connection):
    now = clock.now()
    plan(supervisor(), now + timedelta(hours=1), hours=3)  # on F1
    incidents = count(connection, "incidents")
    done = operate(client, "F1", "open", now, "scada-work-1")["events"]
    assert [(d["effect"], d["incident"]) for d in done] == [("switched", None)]
    assert count(connection, "incidents") == incidents
    assert connection.execute(text("SELECT is_open, tripped_at FROM switches WHERE code = 'F1'")).one() == (True, None)
    assert operate(client, "F1", "closed", clock.now(), "scada-work-2")["events"][0]["effect"] == "closed"  # work done
    # Any other device opening is still a trip.
    assert operate(client, "R1", "open", now, "scada-other")["events"][0]["effect"] == "tripped"

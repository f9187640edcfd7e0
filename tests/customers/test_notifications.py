"""Customer notifications end to end, with a real HTTP receiver on this machine: notices written with
the change, fanned out to the callers and the customers downstream, signed, retried with backoff,
resent with the same idempotency key after a crash, each stage once, opt-out and quiet hours."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.crews.assignment import Dispatcher
from dispatch.customers.notify_adapters import SIGNATURE_HEADER, signature
from dispatch.customers.notify_fanout import after_quiet_hours, fan_out
from dispatch.customers.notify_sender import send_due
from dispatch.incidents import notices
from dispatch.incidents.sweeper import sweep
from tests.accounts.test_auth import channel_key
from tests.customers.conftest import SECRET
from tests.customers.test_channels import as_channel
from tests.helpers import assert_problem, customer, report


@pytest.fixture
def settings(settings):
    """The webhook's settings with a short retry schedule: three tries, 30 s apart at first."""
    return settings.with_overrides(notify_backoff_s=30.0, notify_max_attempts=3)


@pytest.fixture
def work(app, settings):
    """One pass of the worker at ``now`` (fan out, then send): what it took."""
    def run(now: datetime | None = None, **options) -> int:
        now = now or clock.now()
        database = app.extensions["database"]
        chosen = options.pop("with_settings", settings)
        with database.session() as session:
            fan_out(session, app.extensions["topologies"], chosen, now)
        with database.session() as session:
            return send_due(session, chosen, now, **options)
    return run


def rows(connection, incident: int) -> list[dict]:
    return [dict(r) for r in connection.execute(text(
        "SELECT n.id, n.stage, n.status, n.attempts, n.next_attempt_at, c.account_no, n.zone_id "
        "FROM notifications n LEFT JOIN customers c ON c.id = n.customer_id WHERE n.incident_id = :i ORDER BY n.id"),
        {"i": incident}).mappings()]


def event(client, incident: int, kind: str, **body) -> None:
    response = client.post(f"/api/v1/incidents/{incident}/events", json={"type": kind, **body})
    assert response.status_code == 200, response.get_data(as_text=True)


def downstream(client, incident: int) -> set[str]:
    answer = client.get(f"/api/v1/incidents/{incident}/customers?limit=1000").get_json()
    return {c["account_no"] for c in answer["customers"]}


def test_each_stage_reaches_the_caller_and_the_customers_downstream_once_signed(client, city, work, receiver,
                                                                                connection):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    assert work() == 1
    (received,) = receiver.delivered.values()
    assert received["stage"] == "received" and received["recipient"]["account_no"] == customer(2)
    assert str(incident) in received["text"]

    # The same customer calls again (told nothing twice), a neighbour calls (told "received").
    assert report(client, clock.now() - timedelta(minutes=2), account_no=customer(2))["incident"]["id"] == incident
    assert report(client, clock.now() - timedelta(minutes=1), account_no=customer(2, 3))["incident"]["id"] == incident
    assert work() == 1

    out = downstream(client, incident)
    assert len(out) > 2
    for stage in ("accepted", "en_route", "on_site"):
        event(client, incident, stage)
    event(client, incident, "restored", cause="weather.lightning")
    while work():
        pass
    by_stage: dict[str, list[str]] = {}
    for message in receiver.delivered.values():
        by_stage.setdefault(message["stage"], []).append(message["recipient"]["account_no"])
    assert {stage: sorted(accounts) for stage, accounts in by_stage.items()} == {
        "received": [customer(2), customer(2, 3)], "en_route": sorted(out), "on_site": sorted(out),
        "restored": sorted(out)}
    # Every request was signed with the shared secret over its exact body, and went once.
    for request in receiver.requests:
        assert request["headers"][SIGNATURE_HEADER] == signature(SECRET, request["body"])
    assert len(receiver.requests) == len(receiver.delivered)
    assert {r["status"] for r in rows(connection, incident)} == {"sent"}


def test_a_receiver_that_fails_gets_retries_with_growing_waits_then_the_message_fails(client, city, work,
                                                                                      receiver, connection):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(4))["incident"]["id"]
    receiver.codes = [500, 503]
    now = clock.now()
    assert work(now) == 1
    (row,) = rows(connection, incident)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["next_attempt_at"] == now + timedelta(seconds=30)
    assert work(now + timedelta(seconds=29)) == 0  # not due yet
    assert work(now + timedelta(seconds=30)) == 1
    (row,) = rows(connection, incident)
    assert row["attempts"] == 2 and row["next_attempt_at"] == now + timedelta(seconds=90)  # 30 s, then 60 s
    assert work(now + timedelta(seconds=90)) == 1
    (row,) = rows(connection, incident)
    assert row["status"] == "sent" and len(receiver.requests) == 3
    assert len({r["headers"]["Idempotency-Key"] for r in receiver.requests}) == 1

    receiver.codes = [500, 500, 500]
    other = report(client, clock.now() - timedelta(minutes=5), account_no=customer(3))["incident"]["id"]
    for wait in (0, 30, 90):
        work(now + timedelta(seconds=wait))
    (row,) = [r for r in rows(connection, other) if r["account_no"] == customer(3)]
    assert row["status"] == "failed" and row["attempts"] == 3


def test_a_refusal_for_good_is_not_retried(client, city, work, receiver, connection):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(4))["incident"]["id"]
    receiver.codes = [422]
    work()
    (row,) = rows(connection, incident)
    assert row["status"] == "failed" and row["attempts"] == 1 and len(receiver.requests) == 1


def test_a_worker_that_dies_between_sending_and_noting_loses_nothing_and_the_receiver_drops_the_copy(
        client, city, work, receiver, connection, settings):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    for stage in ("accepted", "en_route"):
        event(client, incident, stage)
    now = clock.now()

    def crash():
        raise SystemExit("killed")

    with pytest.raises(SystemExit):
        work(now, before_noting=crash)
    sent_once = len(receiver.requests)
    assert sent_once == len(receiver.delivered) > 1
    assert {r["status"] for r in rows(connection, incident)} == {"sending"}
    # A restarted worker leaves them alone while the dead one's lease runs, then sends them again.
    assert work(now + timedelta(seconds=settings.notify_lease_s - 1)) == 0
    assert work(now + timedelta(seconds=settings.notify_lease_s)) == sent_once
    assert len(receiver.requests) == 2 * sent_once
    assert len(receiver.delivered) == sent_once  # same keys: the receiver kept one of each
    assert {r["status"] for r in rows(connection, incident)} == {"sent"}
    first, second = receiver.requests[:sent_once], receiver.requests[sent_once:]
    assert sorted(r["headers"]["Idempotency-Key"] for r in first) == sorted(
        r["headers"]["Idempotency-Key"] for r in second)


def test_a_change_that_rolls_back_tells_nobody(client, city, work, receiver, connection):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    work()
    # "restored" straight from "assigned" is refused: no notice, no message.
    assert client.post(f"/api/v1/incidents/{incident}/events", json={"type": "restored"}).status_code >= 400
    assert work() == 0
    assert {m["stage"] for m in receiver.delivered.values()} == {"received"}


def test_an_estimate_that_moves_by_more_than_the_margin_is_told_once(client, city, work, receiver, connection):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    event(client, incident, "accepted")
    event(client, incident, "en_route")
    while work():
        pass
    told = connection.execute(text("SELECT etr_at FROM incidents WHERE id = :i"), {"i": incident}).scalar_one()
    assert told is not None

    def move_to(etr_at):
        connection.execute(text("UPDATE incidents SET etr_at = :e WHERE id = :i"), {"e": etr_at, "i": incident})
        with client.application.extensions["database"].session() as session:
            notices.record(session.connection(), [incident], clock.now(), 30)
            session.commit()

    move_to(told + timedelta(minutes=20))  # within the margin
    assert work() == 0
    move_to(told + timedelta(minutes=45))
    while work():
        pass
    changed = [m for m in receiver.delivered.values() if m["stage"] == "etr_changed"]
    assert {m["recipient"]["account_no"] for m in changed} == downstream(client, incident)
    assert {datetime.fromisoformat(m["etr_at"]) for m in changed} == {told + timedelta(minutes=45)}
    move_to(told + timedelta(minutes=45))  # the same again: nothing new
    assert work() == 0


def test_customers_who_opted_out_get_nothing(client, city, work, receiver, connection):
    connection.execute(text("UPDATE customers SET notify_opt_out = true WHERE account_no = :a"),
                       {"a": customer(2, 1)})
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    event(client, incident, "accepted")
    event(client, incident, "en_route")
    while work():
        pass
    told = {m["recipient"]["account_no"] for m in receiver.delivered.values() if m["stage"] == "en_route"}
    assert customer(2, 1) in downstream(client, incident) and customer(2, 1) not in told
    assert customer(2, 5) in told


def test_quiet_hours_hold_non_urgent_notices_until_morning_but_not_urgent_ones(client, city, work, receiver,
                                                                                 settings, connection):
    quiet = settings.with_overrides(notify_quiet_hours="22:00-07:00", dispatch_timezone="Asia/Shanghai")
    shanghai = ZoneInfo("Asia/Shanghai")
    night = (clock.now() - timedelta(days=1)).astimezone(shanghai).replace(hour=23, minute=30, second=0,
                                                                            microsecond=0)
    morning = (night + timedelta(days=1)).replace(hour=7, minute=0)
    assert after_quiet_hours(night, quiet) == morning
    noon = night.replace(hour=12)
    assert after_quiet_hours(noon, quiet) == noon
    assert after_quiet_hours(morning - timedelta(minutes=1), quiet) == morning

    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    assert work(night, with_settings=quiet) == 0  # "received" waits
    (row,) = rows(connection, incident)
    assert row["status"] == "pending" and row["next_attempt_at"] == morning
    event(client, incident, "accepted")
    event(client, incident, "en_route")
    assert work(night, with_settings=quiet) > 0  # "on the way" goes at once
    assert {m["stage"] for m in receiver.delivered.values()} == {"en_route"}
    assert work(morning, with_settings=quiet) == 1
    assert "received" in {m["stage"] for m in receiver.delivered.values()}


def test_the_desk_and_a_channel_opt_a_customer_out_and_back_in(client, app, cli, city, connection):
    def opted_out(account: str) -> bool:
        return connection.execute(text("SELECT notify_opt_out FROM customers WHERE account_no = :a"),
                                  {"a": account}).scalar_one()

    answer = client.post(f"/api/v1/customers/{customer(2, 1)}/notifications", json={"opt_out": True})
    assert answer.status_code == 200 and answer.get_json() == {"account_no": customer(2, 1), "opt_out": True}
    assert opted_out(customer(2, 1))
    wechat = as_channel(app, channel_key(cli, "wechat-account", "wechat"))
    assert wechat.post(f"/api/v1/customers/{customer(2, 1)}/notifications", json={"opt_out": False}).status_code == 200
    assert not opted_out(customer(2, 1))
    for body in ({}, {"opt_out": "perhaps"}, {"opt_out": True, "more": 1}):
        assert_problem(client.post(f"/api/v1/customers/{customer(2, 1)}/notifications", json=body), 422)
    assert_problem(client.post(f"/api/v1/customers/{customer(2, 1)}/notifications", json=[True]), 400)
    assert_problem(client.post("/api/v1/customers/no-such-account/notifications", json={"opt_out": True}), 404)
    assert not opted_out(customer(2, 1))


def test_a_message_due_when_the_customer_opts_out_is_skipped(client, city, work, receiver, connection, settings):
    quiet = settings.with_overrides(notify_quiet_hours="00:00-23:59")  # "received" waits...
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    work(with_settings=quiet)
    assert client.post(f"/api/v1/customers/{customer(2)}/notifications", json={"opt_out": True}).status_code == 200
    work(clock.now() + timedelta(days=1))  # ... and is due now, but the customer said no meanwhile
    (row,) = rows(connection, incident)
    assert row["status"] == "skipped" and receiver.requests == []


def test_the_zones_service_person_hears_of_every_stage_and_customers_are_given_their_name_and_phone(
        client, city, work, receiver, connection):
    connection.execute(text(
        "UPDATE zones SET props = props || '{\"service_person\": \"王芳\", \"service_phone\": \"138 0000 1234\"}'"))
    connection.execute(text("UPDATE customers SET props = props || '{\"language\": \"en\"}' WHERE account_no = :a"),
                       {"a": customer(2, 5)})
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    for stage in ("accepted", "en_route"):
        event(client, incident, stage)
    while work():
        pass
    staff = [m for m in receiver.delivered.values() if m["recipient"]["kind"] == "service_person"]
    assert sorted(m["stage"] for m in staff) == ["en_route", "received"]
    assert {m["recipient"]["phone"] for m in staff} == {"138 0000 1234"}
    assert all(f"{incident}" in m["text"] and "片区" in m["text"] for m in staff)
    customers = {m["recipient"]["account_no"]: m for m in receiver.delivered.values()
                 if m["recipient"]["kind"] == "customer" and m["stage"] == "en_route"}
    assert customers[customer(2)]["text"].startswith("【供电抢修】")
    assert "片区服务员：王芳，电话138 0000 1234。" in customers[customer(2)]["text"]
    assert customers[customer(2, 5)]["text"].startswith(f"Power outage {incident} in your area: the crew is on the way.")
    assert "Your service person: 王芳, 138 0000 1234." in customers[customer(2, 5)]["text"]
    assert customers[customer(2)]["service_person"] == {"name": "王芳", "phone": "138 0000 1234"}
    etr_at = datetime.fromisoformat(customers[customer(2, 5)]["etr_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"Estimated restoration: {etr_at:%d %b %H:%M}." in customers[customer(2, 5)]["text"]
    assert f"预计{etr_at:%m月%d日 %H:%M}恢复供电。" in customers[customer(2)]["text"]


def test_the_sms_and_wechat_adapters_post_their_own_shapes(client, city, work, receiver, connection, settings):
    connection.execute(text("UPDATE customers SET props = props || '{\"wechat_openid\": \"o-abc\"}' "
                            "WHERE account_no = :a"), {"a": customer(2)})
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    sms = settings.with_overrides(notify_adapter="sms", notify_sms_url=receiver.url)
    work(with_settings=sms)
    (request,) = receiver.requests
    phone = connection.execute(text("SELECT phone FROM customers WHERE account_no = :a"),
                               {"a": customer(2)}).scalar_one()
    body = json.loads(request["body"])
    assert body == {"to": phone, "text": body["text"]} and str(incident) in body["text"]
    assert request["headers"]["Idempotency-Key"].startswith("notification-")

    wechat = settings.with_overrides(notify_adapter="wechat", notify_wechat_url=receiver.url,
                                     notify_wechat_template_id="TPL-1")
    event(client, incident, "accepted")
    event(client, incident, "en_route")
    while work(with_settings=wechat):
        pass
    wechat_bodies = [json.loads(r["body"]) for r in receiver.requests[1:]]
    assert [(b["touser"], b["template_id"], b["data"]["keyword2"]["value"]) for b in wechat_bodies] == [
        ("o-abc", "TPL-1", "en_route")]
    # The neighbours downstream have no openid: skipped, not failed and not retried.
    statuses = {r["account_no"]: r["status"] for r in rows(connection, incident) if r["stage"] == "en_route"}
    assert statuses.pop(customer(2)) == "sent" and set(statuses.values()) == {"skipped"}


def test_a_notice_fanned_out_again_adds_nobody_twice(client, app, city, work, connection, settings):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    event(client, incident, "accepted")
    event(client, incident, "en_route")
    off = settings.with_overrides(notify_quiet_hours="00:00-23:59")  # keep "received" from being sent
    work(with_settings=off)
    before = len(rows(connection, incident))
    # A worker that died after writing the notifications but before marking its notices done.
    connection.execute(text("UPDATE incident_notices SET fanned_out_at = NULL WHERE incident_id = :i"),
                       {"i": incident})
    with app.extensions["database"].session() as session:
        assert fan_out(session, app.extensions["topologies"], settings, clock.now()) == 2
    assert len(rows(connection, incident)) == before


def test_flask_worker_once_fans_out_and_sends_when_an_adapter_is_set(rules, client, city, receiver, connection):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    idle = rules()  # NOTIFY_ADAPTER empty: the worker leaves the notices alone
    assert idle.application.test_cli_runner().invoke(args=["worker", "--once", "--name", "w-n"]).exit_code == 0
    assert rows(connection, incident) == [] and receiver.requests == []
    configured = rules(notify_adapter="webhook", notify_webhook_url=receiver.url, notify_quiet_hours="")
    result = configured.application.test_cli_runner().invoke(args=["worker", "--once", "--name", "w-n"])
    assert result.exit_code == 0, result.output
    assert [m["stage"] for m in receiver.delivered.values()] == ["received"]
    assert [r["status"] for r in rows(connection, incident)] == ["sent"]


def test_a_service_person_removed_before_sending_is_skipped_and_the_rest_go(client, city, work, receiver,
                                                                          connection, settings):
    connection.execute(text("UPDATE zones SET props = props || '{\"service_person\": \"李雷\", "
                            "\"service_phone\": \"139 1111 2222\"}'"))
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    with client.application.extensions["database"].session() as session:
        fan_out(session, client.application.extensions["topologies"], settings, clock.now())
    connection.execute(text("UPDATE zones SET props = props - 'service_phone'"))
    work()
    assert sorted((r["zone_id"] is None, r["status"]) for r in rows(connection, incident)) == [
        (False, "skipped"), (True, "sent")]
    assert [m["recipient"]["kind"] for m in receiver.delivered.values()] == ["customer"]


def test_a_stage_that_comes_with_a_new_estimate_is_one_message_not_two(client, city, work, connection):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    event(client, incident, "accepted")
    event(client, incident, "en_route")
    connection.execute(text("UPDATE incidents SET status = 'on_site', on_site_at = :now, etr_at = etr_at + "
                            "interval '2 hours' WHERE id = :i"), {"i": incident, "now": clock.now()})
    with client.application.extensions["database"].session() as session:
        notices.record(session.connection(), [incident], clock.now(), 30)
        session.commit()
    stages = connection.execute(text("SELECT stage FROM incident_notices WHERE incident_id = :i ORDER BY id"),
                                {"i": incident}).scalars().all()
    assert stages[-1] == "on_site" and "etr_changed" not in stages
    # The same estimate moving again later is told.
    connection.execute(text("UPDATE incidents SET etr_at = etr_at + interval '1 hour' WHERE id = :i"), {"i": incident})
    with client.application.extensions["database"].session() as session:
        notices.record(session.connection(), [incident], clock.now(), 30)
        session.commit()
    assert connection.execute(text("SELECT stage, revision FROM incident_notices WHERE incident_id = :i "
                                   "ORDER BY id DESC LIMIT 1"), {"i": incident}).one() == ("etr_changed", 1)


def test_the_station_heads_level_is_sent_to_the_station_heads_phone_once(app, client, city, work, receiver, connection):
    connection.execute(text(
        "UPDATE zones SET props = props || '{\"station_head\": \"赵强\", \"station_head_phone\": \"137 0000 5678\"}'"))
    start = clock.now() - timedelta(minutes=1)
    incident = report(client, start, account_no=customer(2))["incident"]
    deadline = datetime.fromisoformat(incident["arrival_deadline"])
    levels = Settings(sla_warning_levels="50:crew,80:station_head,90:desk").warning_levels
    at_85 = start + (deadline - start) * 0.85
    with app.extensions["database"].session() as session:
        dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
        sweep(session, dispatcher, at_85, levels)
        sweep(session, dispatcher, at_85 + timedelta(seconds=5), levels)  # the next sweep records nothing again
    while work(at_85):
        pass
    heads = [m for m in receiver.delivered.values() if m["recipient"]["kind"] == "station_head"]
    assert len(heads) == 1 and len([r for r in receiver.requests if b"station_head" in r["body"]]) == 1
    (head,) = heads
    assert head["recipient"] == {"kind": "station_head", "name": "赵强", "phone": "137 0000 5678"}
    assert (head["incident"], head["stage"], head["warning"]["percent"]) == (incident["id"], "arrival_warning", 80)
    local = deadline.astimezone(ZoneInfo("Asia/Shanghai"))
    assert head["text"].startswith("【抢修时限预警】") and f"须于{local:%m月%d日 %H:%M}前到达" in head["text"]
    assert not [m for m in receiver.delivered.values() if m["stage"] == "arrival_warning"
                and m["recipient"]["kind"] != "station_head"]  # customers hear nothing of it
    (told,) = [e["data"] for e in client.get(f"/api/v1/incidents/{incident['id']}").get_json()["timeline"]
               if e["type"] == "deadline_warning" and e["data"]["percent"] == 80]
    assert (told["sent_to"], told["station_head"]) == ("station_head", "赵强")
    assert [a["percent"] for a in client.get("/api/v1/alerts").get_json()["alerts"]] == []  # nor the desk

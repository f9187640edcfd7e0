"""GET /api/v1/stream through a real HTTP server, with the worker's relay running and a Redis of
the test's own: replay after Last-Event-ID, resync, the role filter, heartbeats, and Redis
stopped in the middle of the changes."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import text

from dispatch.core import clock
from tests.conftest import signed_in
from tests.helpers import assert_problem, customer
from tests.live.sse import StreamReader


def outbox_ids(app, after: int) -> list[int]:
    """Every message id the outbox holds after ``after``, as the database has it."""
    with app.extensions["database"].engine.connect() as connection:
        return connection.execute(text("SELECT id FROM outbox WHERE id > :after ORDER BY id"),
                                  {"after": after}).scalars().all()


def report(client, account: str) -> dict:
    answer = client.post("/api/v1/reports", json={"channel": "hotline", "account_no": account,
                                                  "received_at": (clock.now() - timedelta(minutes=1)).isoformat()})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["incident"]


def move(client, crew: str, step: int) -> None:
    """A crew's tracker reports a position (newer than the last: each is a change)."""
    answer = client.post(f"/api/v1/crews/{crew}/positions", json={"positions": [
        {"at": clock.now().isoformat(), "lon": 51.44 + step * 1e-4, "lat": 33.981}]})
    assert answer.status_code == 202, answer.get_data(as_text=True)


def wait_relayed(app, message_id: int, timeout_s: float = 10.0) -> bool:
    """Wait until the relay has moved past ``message_id``."""
    deadline = time.monotonic() + timeout_s
    with app.extensions["database"].engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(text("SELECT relayed_to FROM outbox_relay")).scalar() >= message_id:
                return True
            connection.rollback()
            time.sleep(0.02)
    return False


def ids(reader: StreamReader) -> list[int]:
    return [e.id for e in reader.messages]


def has_through(last: int):
    return lambda reader: bool(reader.messages) and reader.messages[-1].id >= last


def test_a_client_resuming_after_redis_was_down_has_every_event_in_order_none_twice(
        live_app, server, relay, private_redis, user):
    admin = signed_in(live_app.test_client(), user("admin"))
    token = user("dispatcher")["token"]
    watching = StreamReader(server, token)  # stays connected throughout
    assert watching.wait_for(lambda r: r.events)
    start = watching.events[0].id  # the opening: an id alone, the current position
    assert watching.events[0].topic is None
    outage_from = None
    try:
        for step in range(30):
            if step == 10:
                private_redis.stop()
                outage_from = max(outbox_ids(live_app, start))
            if step == 20:
                during = outbox_ids(live_app, outage_from)
                # Redis down means late, never lost: the connected stream got them from the table.
                assert watching.wait_for(has_through(during[-1])), "no live updates while Redis was down"
                private_redis.start()
            if step % 3 == 0:
                report(admin, customer(1 + step % 5, step % 10))
            else:
                move(admin, "CE" if step % 2 else "CW", step)
        everything = outbox_ids(live_app, start)
        assert len(everything) >= 30
        assert watching.wait_for(has_through(everything[-1]))
        assert ids(watching) == everything

        resumed = StreamReader(server, token, last_event_id=start)
        assert resumed.wait_for(has_through(everything[-1]))
        assert ids(resumed) == everything  # every event, in order, none twice
        move(admin, "CW", 99)  # and it carries on live, with no gap
        [latest] = outbox_ids(live_app, everything[-1])
        assert resumed.wait_for(has_through(latest)) and ids(resumed) == everything + [latest]
        resumed.close()
    finally:
        watching.close()


def test_a_client_that_reconnects_gets_what_it_missed_in_order_then_what_happens(live_app, server, relay, user):
    desk = signed_in(live_app.test_client(), user("dispatcher"))
    admin = signed_in(live_app.test_client(), user("admin"))
    token = user("viewer")["token"]
    first = StreamReader(server, token)
    report(desk, customer(2))
    seen = outbox_ids(live_app, 0)[-1]
    assert first.wait_for(has_through(seen))
    first.close()
    for step in range(5):  # while it was away
        move(admin, "CE", step)
    missed = outbox_ids(live_app, seen)
    back = StreamReader(server, token, query=f"?last_event_id={seen}")  # as the query, too
    assert back.wait_for(has_through(missed[-1]))
    assert ids(back) == missed
    assert [e.topic for e in back.messages] == ["crew"] * 5
    assert back.messages[-1].data["code"] == "CE" and back.messages[-1].data["stale"] is False
    back.close()


def test_a_client_away_longer_than_the_outbox_keeps_reloads(live_app, server, relay, user):
    desk = signed_in(live_app.test_client(), user("dispatcher"))
    token = user("dispatcher")["token"]
    report(desk, customer(2))
    old = outbox_ids(live_app, 0)[-1]
    assert wait_relayed(live_app, old)
    relay.clear(clock.now() + timedelta(days=2))  # retention ran out for everything so far (whole days)
    report(desk, customer(3))
    newest = outbox_ids(live_app, old)[-1]
    assert wait_relayed(live_app, newest)
    back = StreamReader(server, token, last_event_id=old - 1)
    assert back.wait_for(lambda r: r.events)
    resync = back.events[0]
    assert (resync.topic, resync.data) == ("resync", {}) and resync.id >= newest
    report(desk, customer(4))  # then it carries on from the present
    latest = outbox_ids(live_app, newest)[-1]
    assert back.wait_for(has_through(latest))
    assert ids(back)[1:] == outbox_ids(live_app, newest)
    back.close()
    unknown = StreamReader(server, token, last_event_id=latest + 1000)  # an id this outbox never gave
    assert unknown.wait_for(lambda r: r.events) and unknown.events[0].topic == "resync"
    unknown.close()


def test_a_crews_phone_gets_only_its_own_jobs_and_closures(live_app, server, relay, user):
    desk = signed_in(live_app.test_client(), user("dispatcher"))
    admin = signed_in(live_app.test_client(), user("admin"))
    everything_reader = StreamReader(server, user("dispatcher")["token"])
    west = StreamReader(server, user("crew", crew="CW")["token"])
    for reader in (everything_reader, west):
        assert reader.wait_for(lambda r: r.events)
    start = west.events[0].id
    own = report(desk, customer(2))  # sent to CW
    other = report(desk, customer(5, 1))
    assert (own["crew"], other["crew"]) == ("CW", "CE")
    move(admin, "CW", 1)
    with live_app.extensions["database"].engine.connect() as connection:
        road = connection.execute(text("SELECT min(id) FROM roads")).scalar()
    closure = desk.post("/api/v1/roads/closures", json={"reason": "tree down", "road_ids": [road]}).get_json()
    desk.post(f"/api/v1/incidents/{own['id']}/events", json={"type": "accepted"})
    last = outbox_ids(live_app, start)[-1]
    assert everything_reader.wait_for(has_through(last))
    assert {e.topic for e in everything_reader.messages} == {"incident", "crew", "closure"}
    assert west.wait_for(lambda r: any(e.topic == "incident" and e.data["status"] == "accepted" for e in r.messages))
    assert {(e.topic, e.data["id"]) for e in west.messages} == {("incident", own["id"]), ("closure", closure["id"])}
    closure_event = next(e for e in west.messages if e.topic == "closure")
    assert closure_event.data["geometry"]["type"] in ("LineString", "MultiLineString")
    assert closure_event.data["reason"] == "tree down" and closure_event.data["lifted"] is False
    for reader in (everything_reader, west):
        reader.close()


def test_an_idle_stream_beats_and_a_bad_last_event_id_is_refused(live_app, server, user):
    token = user("viewer")["token"]
    idle = StreamReader(server, token)
    assert idle.wait_for(lambda r: r.heartbeats >= 2, timeout_s=5)
    idle.close()
    signed = {"Authorization": f"Bearer {token}"}
    for bad in ("yesterday", "-3", "1.5", "99999999999999999999"):
        assert_problem(live_app.test_client().get("/api/v1/stream", headers={**signed, "Last-Event-ID": bad}), 422)
    assert_problem(live_app.test_client().get("/api/v1/stream?last_event_id=x", headers=signed), 422)
    assert_problem(live_app.test_client().get("/api/v1/stream"), 401)


def test_many_streams_opening_at_once_do_not_hold_the_database_pool(live_app, server, user):
    token = user("viewer")["token"]
    readers: list[StreamReader] = []
    opening = [threading.Thread(target=lambda: readers.append(StreamReader(server, token))) for _ in range(40)]
    for thread in opening:
        thread.start()
    for thread in opening:
        thread.join(timeout=20)
    assert len(readers) == 40  # the pool holds 15 connections: each stream may take only one at a time
    assert all(reader.wait_for(lambda r: r.events, timeout_s=5) for reader in readers)
    for reader in readers:
        reader.close()


def test_a_stray_message_on_the_channel_does_not_stop_live_updates(live_app, server, relay, private_redis, user):
    import redis

    from dispatch.live.feed import channel

    desk = signed_in(live_app.test_client(), user("dispatcher"))
    watching = StreamReader(server, user("viewer")["token"])
    assert watching.wait_for(lambda r: r.events)
    stray = redis.Redis.from_url(private_redis.url)
    stray.publish(channel(stray), b"not a batch of ours")
    stray.close()
    report(desk, customer(2))
    assert watching.wait_for(has_through(outbox_ids(live_app, 0)[-1]))
    watching.close()

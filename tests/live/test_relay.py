"""The relay: final messages only, in id order, each range once, whatever order transactions
commit in, with several relays at once and after a restart; retention."""
from __future__ import annotations

import random
import threading
import time
from datetime import timedelta, timezone

import orjson
import pytest
import redis
from sqlalchemy import text

from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.core.outbox import WRITER_LOCK, record
from dispatch.core.partitions import create_ahead, day_name, partitions
from dispatch.crews.messages import record_crews
from dispatch.incidents.messages import record_incidents
from dispatch.live.feed import channel, redis_without_retries
from dispatch.live.relay import Relay
from tests.helpers import customer, report


@pytest.fixture
def database(live_url):
    database = Database(live_url)
    yield database
    database.dispose()


@pytest.fixture
def published(private_redis):
    """Every batch the relays publish, in the order Redis delivers them."""
    client = redis.Redis.from_url(private_redis.url)
    listener = client.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel(client))
    batches: list[dict] = []

    def drain(wait_s: float = 0.3) -> list[dict]:
        deadline = time.monotonic() + wait_s
        while (left := deadline - time.monotonic()) > 0:
            message = listener.get_message(timeout=left)  # None also for the subscription's confirmation
            if message is not None:
                batches.append(orjson.loads(message["data"]))
        return batches
    yield drain
    listener.close()
    client.close()


def new_relay(database, private_redis) -> Relay:
    return Relay(database, redis_without_retries(private_redis.url, 0.5, socket_timeout=0.5))


def relayed_to(database) -> int:
    with database.engine.connect() as connection:
        return connection.execute(text("SELECT relayed_to FROM outbox_relay")).scalar_one()


def write(database, n: int = 0) -> tuple:
    """An open transaction that wrote one message: (session, its id)."""
    session = database.session()
    return session, record(session.connection(), "map", {"version": n})


def sent_ids(batches: list[dict], after: int = 0) -> list[int]:
    return [m["id"] for batch in batches for m in batch["messages"] if m["id"] > after]


def writer_lock(database, pid: int, granted: bool) -> bool:
    """Whether backend ``pid`` holds (``granted``) or waits for the outbox writer lock, shared, as
    another connection sees it."""
    with database.engine.connect() as other:
        return other.execute(text(
            "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = :pid AND locktype = 'advisory' AND classid = :k1 "
            "AND objid = :k2 AND objsubid = 2 AND mode = 'ShareLock' AND granted = :granted)"),
            {"pid": pid, "k1": WRITER_LOCK[0], "k2": WRITER_LOCK[1], "granted": granted}).scalar_one()


def last_id_taken(database) -> int:
    with database.engine.connect() as other:
        return other.execute(text("SELECT last_value FROM outbox_id_seq")).scalar_one()


def test_every_writer_takes_the_writer_lock_before_an_id_and_holds_it_to_the_end_of_its_transaction(database, desk):
    incident = report(desk, clock.now(), account_no=customer(2))["incident"]["id"]
    with database.engine.connect() as connection:
        crew = connection.execute(text("SELECT min(id) FROM crews")).scalar_one()
    writers = {
        "record": lambda connection: record(connection, "map", {"version": 1}),
        "record_incidents": lambda connection: record_incidents(connection, [incident]),
        "record_crews": lambda connection: record_crews(connection, [crew], clock.now()),
    }
    for name, write_message in writers.items():
        with database.engine.connect() as holder, database.session() as session:
            holder.execute(text("SELECT pg_advisory_xact_lock(:k1, :k2)"), {"k1": WRITER_LOCK[0], "k2": WRITER_LOCK[1]})
            connection = session.connection()
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            taken = last_id_taken(database)
            writing = threading.Thread(target=write_message, args=(connection,))
            writing.start()
            deadline = time.monotonic() + 5
            while not (waits := writer_lock(database, pid, granted=False)) and time.monotonic() < deadline:
                time.sleep(0.01)
            no_id_yet = last_id_taken(database) == taken
            holder.rollback()  # before asserting: a failed test must not leave the writer waiting
            writing.join(timeout=5)
            assert waits and no_id_yet, name  # it waited for the lock with no id taken yet
            assert last_id_taken(database) > taken, name
            assert writer_lock(database, pid, granted=True), name  # held after the write: the relay counts on it
            session.commit()
            assert not writer_lock(database, pid, granted=True), name


def test_a_message_committed_late_is_not_skipped_nor_sent_out_of_order(database, private_redis, published):
    relay = new_relay(database, private_redis)
    while relay.step():  # what the template's import wrote
        pass
    cursor = relayed_to(database)
    slow, slow_id = write(database, 1)
    quick, quick_id = write(database, 2)
    assert slow_id < quick_id
    quick.commit()
    assert relay.step() == 0  # quick_id is visible, but slow_id may still come
    assert relayed_to(database) == cursor
    slow.commit()
    assert relay.step() == 2
    assert sent_ids(published(), cursor) == [slow_id, quick_id]
    assert published()[-1]["from"] == cursor and published()[-1]["to"] == quick_id
    for session in (slow, quick):
        session.close()


def test_a_rolled_back_message_holds_the_others_back_only_until_its_transaction_ends(
        database, private_redis, published):
    relay = new_relay(database, private_redis)
    while relay.step():
        pass
    cursor = relayed_to(database)
    lost, lost_id = write(database)
    kept, kept_id = write(database)
    kept.commit()
    assert relay.step() == 0
    lost.rollback()
    assert relay.step() == 1
    assert relayed_to(database) == kept_id and sent_ids(published(), cursor) == [kept_id]
    assert published()[-1]["from"] == cursor  # the batch covers the gap: a stream knows nothing is missing
    for session in (lost, kept):
        session.close()


def test_relays_at_once_and_writers_committing_in_any_order_send_each_message_once_in_order(
        database, private_redis, published):
    relays = [new_relay(database, private_redis) for _ in range(2)]
    while relays[0].step():
        pass
    start = relayed_to(database)
    committed: list[int] = []
    lock = threading.Lock()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(25):
            session, message_id = write(database, seed)
            time.sleep(rng.random() * 0.01)  # commit later than others took their ids
            if rng.random() < 0.2:
                session.rollback()
            else:
                session.commit()
                with lock:
                    committed.append(message_id)
            session.close()

    stop = threading.Event()
    relaying = [threading.Thread(target=r.run, args=(stop, 0.001, timedelta(hours=24))) for r in relays]
    writing = [threading.Thread(target=writer, args=(seed,)) for seed in range(6)]
    for thread in relaying + writing:
        thread.start()
    for thread in writing:
        thread.join()
    deadline = time.monotonic() + 10
    while relayed_to(database) < max(committed) and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    for thread in relaying:
        thread.join()
    batches = [b for b in published(0.5) if b["to"] > start]
    assert sent_ids(batches) == sorted(committed)  # each once, in order, none lost
    assert [b["from"] for b in batches[1:]] == [b["to"] for b in batches[:-1]]  # ranges follow one another


def test_a_restarted_relay_carries_on_where_the_last_stopped(database, private_redis, published):
    first = new_relay(database, private_redis)
    while first.step():
        pass
    session, before = write(database)
    session.commit()
    session.close()
    assert first.step() == 1
    session, after = write(database)
    session.commit()
    session.close()
    assert new_relay(database, private_redis).step() == 1  # a new process: the cursor is in the database
    assert sent_ids(published())[-2:] == [before, after]


def outbox_ids(database) -> list[int]:
    with database.engine.connect() as connection:
        return connection.execute(text("SELECT id FROM outbox ORDER BY id")).scalars().all()


def test_old_relayed_days_are_dropped_and_the_outbox_remembers_how_far(database, private_redis):
    relay = new_relay(database, private_redis)
    while relay.step():
        pass
    long_ago = clock.now() - timedelta(days=5)
    with database.session() as session:
        assert create_ahead(session.connection(), "outbox", long_ago.astimezone(timezone.utc).date(), 0)
        in_a_day = record(session.connection(), "map", {"version": 1}, at=long_ago)
        # A day with no partition of its own: the message is in the default one.
        in_default = record(session.connection(), "map", {"version": 2}, at=clock.now() - timedelta(days=300))
        recent = record(session.connection(), "map", {"version": 3})
        session.commit()
    assert relay.clear(clock.now() - timedelta(days=1)) == 0  # not relayed yet: kept
    assert {in_a_day, in_default, recent} <= set(outbox_ids(database))
    while relay.step():
        pass
    busy, waiting = write(database)  # a writer of today's messages keeps the table busy: the day waits
    assert relay.clear(clock.now() - timedelta(days=1)) == 1  # the default partition's message only
    busy.commit()
    busy.close()
    assert in_a_day in outbox_ids(database) and in_default not in outbox_ids(database)
    assert relay.clear(clock.now() - timedelta(days=1)) == 1
    assert relay.clear(clock.now() - timedelta(days=1)) == 0  # again: nothing left to do
    assert [i for i in outbox_ids(database) if i >= in_a_day] == [recent, waiting]
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT deleted_to FROM outbox_relay")).scalar() == in_default
        day = day_name("outbox", long_ago.astimezone(timezone.utc).date())
        assert day not in {p.name for p in partitions(connection, "outbox")}


def test_suites_and_deployments_apart_by_redis_database_number_hear_only_their_own_outbox(private_redis):
    one, two = (redis.Redis.from_url(f"{private_redis.url[:-2]}/{n}") for n in (1, 2))
    assert channel(one) != channel(two)  # pub/sub channels are shared by a server's numbered databases
    listener = two.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel(two))
    one.publish(channel(one), b"{}")
    assert all(listener.get_message(timeout=0.2) is None for _ in range(3))
    listener.close()

"""Intake reads the feeder before it takes the dispatch lock, and a call that only joins an
incident (with its crew, or waiting for one) takes no dispatch lock at all (dispatch/incidents/intake.py): changes
committed in between must be seen, and the lock order kept. A database of its own, committed for
real (the rolled-back test transaction cannot show two transactions at once)."""
from __future__ import annotations

import threading
from typing import Any, Callable

import pytest
from alembic import command
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection, create_engine, text

from api import create_app
from api.cli import alembic_config
from dispatch.accounts.users import create_user, issue_token
from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.core.locks import DISPATCH_LOCK
from dispatch.core.outbox import WRITER_LOCK
from dispatch.crews.invariants import violations
from tests.conftest import BASE, TEST_REDIS_URL
from tests.crews.test_concurrency import wait_for_lock_waiters
from tests.factories import dispatch_grid, write_layers
from tests.helpers import customer


class Desk:
    """The grid's app on a committed database, calls sent as the desk, and a third party's
    connection to hold locks with."""

    def __init__(self, url: str, tmp_path, crews_on_duty: bool):
        self.url = url
        command.upgrade(alembic_config(url), "head")
        self.app = create_app(BASE.with_overrides(database_url=url, redis_url=TEST_REDIS_URL))
        assert self.app.test_cli_runner().invoke(
            args=["data", "import", str(write_layers(tmp_path, dispatch_grid()))]).exit_code == 0
        database = Database(url)
        with database.session() as session:
            admin = create_user(session, "desk", "long-enough", "admin")
            token = issue_token(session, self.app.extensions["token_signer"], admin, clock.now())[0]
            if not crews_on_duty:  # the incidents wait
                session.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty'"))
            session.commit()
        database.dispose()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.engine = create_engine(url)
        self.now = clock.now()

    def call(self, account_no: str) -> dict:
        return self.app.test_client().post("/api/v1/reports", headers=self.headers, json={
            "channel": "hotline", "account_no": account_no, "received_at": self.now.isoformat()}).get_json()

    def call_meanwhile(self, account_no: str) -> tuple[threading.Thread, dict]:
        answers: dict = {}
        thread = threading.Thread(target=lambda: answers.update(answer=self.call(account_no)))
        thread.start()
        return thread, answers

    def lock_figures(self) -> dict[str, float]:
        scrape = self.app.test_client().get("/metrics", headers=self.headers).get_data(as_text=True)
        return {family.name + suffix: sample.value for family in text_string_to_metric_families(scrape)
                if family.name.startswith("dispatch_lock_") for sample in family.samples
                for suffix in ("_sum", "_count") if sample.name == family.name + suffix}

    def reports_in(self, incident_id: int) -> int:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM reports WHERE incident_id = :id"),
                                      {"id": incident_id}).scalar_one()

    def close(self) -> None:
        self.engine.dispose()
        self.app.extensions["database"].dispose()


@pytest.fixture
def desk(make_database, tmp_path, redis_db) -> Callable[[bool], Desk]:
    made: list[Desk] = []

    def make(crews_on_duty: bool) -> Desk:
        made.append(Desk(make_database(), tmp_path, crews_on_duty))
        return made[-1]

    yield make
    for one in made:
        one.close()


def hold_dispatch_lock(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": DISPATCH_LOCK[0], "b": DISPATCH_LOCK[1]})


def cancel(connection: Connection, incident_id: int) -> None:
    connection.execute(text("UPDATE incidents SET status = 'cancelled', updated_at = now() WHERE id = :id"),
                       {"id": incident_id})


def call_while_cancelled(grid: Desk, incident_id: int, hold: Callable[[Connection], object],
                         account_no: str = customer(1, 2)) -> dict:
    """A second call (on T1 unless said) sent while a third party holds what ``hold`` takes; once
    the call waits for it, the third party cancels the incident and commits. The incident the
    call went to."""
    third = grid.engine.connect()
    hold(third)
    second, answers = grid.call_meanwhile(account_no)
    wait_for_lock_waiters(grid.engine, 1)
    cancel(third, incident_id)
    third.commit()
    third.close()
    second.join(20)
    return answers["answer"]["incident"]


def test_an_incident_closed_while_a_call_waits_for_the_dispatch_lock_is_not_rolled_up(desk):
    grid = desk(crews_on_duty=False)
    before = grid.lock_figures()
    first = grid.call(customer(1, 1))["incident"]
    # A third party (the desk, say) holds the dispatch lock: the next call, from T2, reads the
    # feeder, predicts R1 above both transformers (a roll-up of the first incident) and waits for
    # the lock; meanwhile the incident is cancelled. Read again under the lock, the feeder has no
    # other call: the call opens an incident of its own at T2.
    joined = call_while_cancelled(grid, first["id"], hold_dispatch_lock, customer(2, 1))
    after = grid.lock_figures()
    assert joined["id"] != first["id"] and joined["status"] == "new"
    assert joined["device"] == {"kind": "transformer", "code": "T2"} and grid.reports_in(first["id"]) == 1
    # The first call opened an incident no crew could take: it held the lock shared. The second,
    # a roll-up, took it whole and held it to its commit; it waited for the desk.
    assert {name: after[name] - before.get(name, 0) for name in after if name.endswith("_count")} == {
        "dispatch_lock_wait_seconds_count": 1, "dispatch_lock_held_seconds_count": 1,
        "dispatch_lock_shared_wait_seconds_count": 1}
    assert after["dispatch_lock_wait_seconds_sum"] > before.get("dispatch_lock_wait_seconds_sum", 0)


@pytest.mark.parametrize("crews_on_duty", [True, False], ids=["with its crew", "waiting for a crew"])
def test_a_call_joining_an_incident_does_not_wait_for_the_dispatch_lock(desk, crews_on_duty):
    grid = desk(crews_on_duty=crews_on_duty)
    first = grid.call(customer(1, 1))["incident"]
    assert (first["status"], first["crew"] is not None) == (("assigned", True) if crews_on_duty else ("new", False))
    before = grid.lock_figures()
    third = grid.engine.connect()
    hold_dispatch_lock(third)  # the desk deciding something else, for as long as it takes
    second, answers = grid.call_meanwhile(customer(1, 2))
    second.join(20)
    finished_while_held = not second.is_alive()
    third.rollback()
    third.close()
    second.join(20)
    assert finished_while_held, "the joining call waited for the dispatch lock"
    joined = answers["answer"]["incident"]
    assert joined["id"] == first["id"] and joined["report_count"] == 2
    assert (joined["status"], joined["crew"]) == (first["status"], first["crew"])
    after = grid.lock_figures()
    assert after["dispatch_lock_wait_seconds_count"] == before["dispatch_lock_wait_seconds_count"]


def test_a_call_finding_its_incident_changed_under_the_row_lock_takes_the_dispatch_lock(desk):
    grid = desk(crews_on_duty=True)
    first = grid.call(customer(1, 1))["incident"]
    assert first["status"] == "assigned"
    # A third party holds the incident's row (a crew's phone reporting, say): the next call, about
    # to join it alone, waits for the row; meanwhile the incident is cancelled. The call must let
    # the row go and decide under the dispatch lock: a new incident, the cancelled one untouched.
    joined = call_while_cancelled(grid, first["id"], lambda third: third.execute(
        text("SELECT FROM incidents WHERE id = :id FOR UPDATE"), {"id": first["id"]}))
    assert joined["id"] != first["id"] and joined["device"] == first["device"]
    assert grid.reports_in(first["id"]) == 1


def hold_dispatch_lock_shared(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock_shared(:a, :b)"),
                       {"a": DISPATCH_LOCK[0], "b": DISPATCH_LOCK[1]})


def done_while(grid: Desk, hold: Callable[[Connection], object], send: Callable[[], Any]) -> tuple[bool, Any]:
    """Whether ``send()`` (a request) finishes while a third party holds what ``hold`` takes; and
    what it returned."""
    third = grid.engine.connect()
    hold(third)
    answers: dict = {}
    request = threading.Thread(target=lambda: answers.update(answer=send()))
    request.start()
    request.join(5)
    finished = not request.is_alive()
    third.rollback()
    third.close()
    request.join(20)
    return finished, answers["answer"]


def finishes_while(grid: Desk, hold: Callable[[Connection], object], account_no: str) -> tuple[bool, dict]:
    """Whether a call finishes while a third party holds what ``hold`` takes; and its answer."""
    return done_while(grid, hold, lambda: grid.call(account_no))


def test_calls_opening_incidents_no_crew_can_take_do_not_wait_for_each_other(desk):
    grid = desk(crews_on_duty=False)
    # Another such opening holds the lock shared: this one opens beside it; one holding it whole
    # (the desk deciding something) is waited for.
    finished, answer = finishes_while(grid, hold_dispatch_lock_shared, customer(1, 1))
    assert finished and answer["incident"]["status"] == "new" and answer["incident"]["crew"] is None
    finished, answer = finishes_while(grid, hold_dispatch_lock, customer(3, 1))
    assert not finished and answer["incident"]["status"] == "new"


def test_a_call_opening_an_incident_a_free_crew_can_take_takes_the_lock_whole(desk):
    grid = desk(crews_on_duty=True)
    finished, answer = finishes_while(grid, hold_dispatch_lock_shared, customer(1, 1))
    assert not finished, "the call gave a crew work beside a shared holder"
    assert answer["incident"]["status"] == "assigned" and answer["incident"]["crew"] is not None


def test_a_crew_coming_on_duty_while_an_incident_is_opened_to_wait_takes_it(desk):
    grid = desk(crews_on_duty=False)
    # The opening call holds the dispatch lock shared and is kept from committing (a third party
    # holds the outbox's writer lock whole); meanwhile the west crew comes on duty. It must wait
    # for the opening, then see the incident and take it: never an idle crew beside it.
    third = grid.engine.connect()
    third.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": WRITER_LOCK[0], "b": WRITER_LOCK[1]})
    opening, answers = grid.call_meanwhile(customer(1, 1))
    wait_for_lock_waiters(grid.engine, 1)
    duty: dict = {}
    coming = threading.Thread(target=lambda: duty.update(answer=grid.app.test_client().patch(
        "/api/v1/crews/CW", headers=grid.headers, json={"on_duty": True})))
    coming.start()
    wait_for_lock_waiters(grid.engine, 2)
    third.rollback()
    third.close()
    opening.join(20)
    coming.join(20)
    assert duty["answer"].status_code == 200
    incident = answers["answer"]["incident"]
    with grid.engine.connect() as connection:
        assert connection.execute(text("SELECT c.code FROM incidents i JOIN crews c ON c.id = i.crew_id "
                                       "WHERE i.id = :id"), {"id": incident["id"]}).scalar_one() == "CW"
        assert violations(connection) == []


def test_archiving_an_order_does_not_wait_for_the_dispatch_lock(desk):
    grid = desk(crews_on_duty=True)
    incident = grid.call(customer(1, 1))["incident"]
    client, path = grid.app.test_client(), f"/api/v1/incidents/{incident['id']}"
    for event in ("on_site", "restored"):  # the crew is free again
        assert client.post(f"{path}/events", headers=grid.headers, json={"type": event}).status_code == 200
    closing = {"cause": "weather.lightning", "equipment_owner": "utility", "work_done": "replaced the fuse link",
               "workers": ["Li Lei"]}
    assert client.post(f"{path}/closing-report", headers=grid.headers, json=closing).status_code == 201
    # Archiving locks the incident's row and changes no crew: it must not then wait for the
    # dispatch lock, whose holder (a call opening a nested outage under this one, say) may be
    # waiting for that row (a deadlock, aborted as a 500).
    finished, review = done_while(grid, hold_dispatch_lock, lambda: client.post(
        f"{path}/closing-report/review", headers=grid.headers, json={"accept": True}))
    assert finished, "archiving waited for the dispatch lock"
    assert review.status_code == 200
    assert client.get(path, headers=grid.headers).get_json()["status"] == "closed"

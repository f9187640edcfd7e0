"""Intake reads the feeder before it takes the dispatch lock (dispatch/incidents/intake.py): a
change committed in between must be seen. A database of its own, committed for real (the
rolled-back test transaction cannot show two transactions at once)."""
from __future__ import annotations

import threading

from alembic import command
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from api import create_app
from api.cli import alembic_config
from dispatch.accounts.users import create_user, issue_token
from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.core.locks import DISPATCH_LOCK
from tests.conftest import BASE, TEST_REDIS_URL
from tests.crews.test_concurrency import wait_for_lock_waiters
from tests.factories import dispatch_grid, write_layers
from tests.helpers import customer


def test_an_incident_closed_while_a_call_waits_for_the_dispatch_lock_is_not_joined(make_database, tmp_path,
                                                                                  redis_db):
    url = make_database()
    command.upgrade(alembic_config(url), "head")
    app = create_app(BASE.with_overrides(database_url=url, redis_url=TEST_REDIS_URL))
    assert app.test_cli_runner().invoke(args=["data", "import", str(write_layers(tmp_path, dispatch_grid()))]
                                        ).exit_code == 0
    database = Database(url)
    with database.session() as session:
        token = issue_token(session, app.extensions["token_signer"], create_user(session, "desk", "long-enough",
                                                                                 "admin"), clock.now())[0]
        session.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty'"))  # the incident waits
        session.commit()
    database.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    now = clock.now()

    def call(account_no: str) -> dict:
        return app.test_client().post("/api/v1/reports", headers=headers, json={
            "channel": "hotline", "account_no": account_no, "received_at": now.isoformat()}).get_json()

    def lock_figures() -> dict[str, float]:
        scrape = app.test_client().get("/metrics", headers=headers).get_data(as_text=True)
        return {family.name + suffix: sample.value for family in text_string_to_metric_families(scrape)
                if family.name.startswith("dispatch_lock_") for sample in family.samples
                for suffix in ("_sum", "_count") if sample.name == family.name + suffix}

    before = lock_figures()
    first = call(customer(1, 1))["incident"]
    # A third party (the desk, say) holds the dispatch lock: the next call reads the feeder, sees
    # the first incident open and waits for the lock; meanwhile the incident is cancelled.
    engine = create_engine(url)
    desk = engine.connect()
    desk.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": DISPATCH_LOCK[0], "b": DISPATCH_LOCK[1]})
    answers = {}
    second = threading.Thread(target=lambda: answers.update(second=call(customer(1, 2))))
    second.start()
    wait_for_lock_waiters(engine, 1)
    desk.execute(text("UPDATE incidents SET status = 'cancelled', updated_at = now() WHERE id = :id"),
                 {"id": first["id"]})
    desk.commit()
    desk.close()
    second.join(20)
    joined = answers["second"]["incident"]
    after = lock_figures()
    # Both calls took the lock and held it to their commit; the second one waited for the desk.
    assert {name: after[name] - before.get(name, 0) for name in after if name.endswith("_count")} == {
        "dispatch_lock_wait_seconds_count": 2, "dispatch_lock_held_seconds_count": 2}
    assert after["dispatch_lock_wait_seconds_sum"] > before.get("dispatch_lock_wait_seconds_sum", 0)
    with engine.connect() as connection:
        reports = connection.execute(text("SELECT count(*) FROM reports WHERE incident_id = :id"),
                                     {"id": first["id"]}).scalar_one()
    engine.dispose()
    app.extensions["database"].dispose()
    assert joined["id"] != first["id"] and joined["status"] == "new"
    assert joined["device"] == first["device"] and reports == 1

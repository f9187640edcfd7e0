"""Requests of one crew's phone that really run at the same time, each in its own transaction
(a database of its own, committed for real: the rolled-back test transaction cannot show this)."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

from alembic import command
from sqlalchemy import create_engine, text

from api import create_app
from api.cli import alembic_config
from dispatch.accounts.users import create_user, issue_token
from dispatch.core import clock
from dispatch.core.db import Database
from tests.conftest import BASE, TEST_REDIS_URL
from tests.factories import dispatch_grid, write_layers
from tests.helpers import customer


def wait_for_lock_waiters(engine, count: int) -> None:
    with engine.connect() as watcher:
        for _ in range(200):
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar_one()
            if waiting >= count:
                return
            watcher.rollback()
            time.sleep(0.02)
    raise AssertionError(f"expected {count} requests waiting for a lock")


def test_an_arrival_and_the_gps_that_proves_it_sent_at_once_see_each_other(make_database, tmp_path, redis_db):
    url = make_database()
    command.upgrade(alembic_config(url), "head")
    app = create_app(BASE.with_overrides(database_url=url, redis_url=TEST_REDIS_URL))
    assert app.test_cli_runner().invoke(args=["data", "import", str(write_layers(tmp_path, dispatch_grid()))]
                                        ).exit_code == 0
    database = Database(url)
    with database.session() as session:
        admin = create_user(session, "desk", "long-enough", "admin")
        crew = create_user(session, "cw.phone", "long-enough", "crew", "CW")
        tokens = {who: issue_token(session, app.extensions["token_signer"], user, clock.now())[0]
                  for who, user in (("desk", admin), ("phone", crew))}
        session.commit()
        session.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CL'"))
        session.commit()
    database.dispose()
    headers = {who: {"Authorization": f"Bearer {token}"} for who, token in tokens.items()}
    now = clock.now()
    incident = app.test_client().post("/api/v1/reports", headers=headers["desk"], json={
        "channel": "hotline", "account_no": customer(2), "received_at": (now - timedelta(minutes=1)).isoformat()
    }).get_json()["incident"]
    detail = app.test_client().get(f"/api/v1/incidents/{incident['id']}", headers=headers["desk"]).get_json()
    lon, lat = detail["location"]["coordinates"]

    # A third party holds the crew's row, so that both requests are under way at once.
    engine = create_engine(url)
    holder = engine.connect()
    holder.execute(text("SELECT FROM crews WHERE code = 'CW' FOR UPDATE"))
    answers = {}

    def send(name, method, path, **kwargs):
        answers[name] = app.test_client().open(path, method=method, headers=headers["phone"] | kwargs.pop("h", {}),
                                               **kwargs)

    gps = threading.Thread(target=send, args=("gps", "POST", "/api/v1/me/positions"), kwargs={
        "json": {"positions": [{"at": now.isoformat(), "lon": lon, "lat": lat}]}})
    arrival = threading.Thread(target=send, args=("arrival", "POST", f"/api/v1/me/jobs/{incident['id']}/events"),
                               kwargs={"json": {"type": "on_site", "at": now.isoformat()},
                                       "h": {"Idempotency-Key": str(uuid.uuid4())}})
    gps.start()
    wait_for_lock_waiters(engine, 1)  # the positions are written, the crew's row is awaited
    arrival.start()
    wait_for_lock_waiters(engine, 2)  # the arrival is under way too (or waits its turn)
    holder.rollback()
    holder.close()
    gps.join(10)
    arrival.join(10)
    assert answers["gps"].status_code == 202 and answers["arrival"].status_code == 201
    with engine.connect() as connection:
        unverified = connection.execute(text("SELECT arrival_unverified FROM incidents WHERE id = :id"),
                                        {"id": incident["id"]}).scalar_one()
    engine.dispose()
    app.extensions["database"].dispose()
    assert unverified is False

"""Deadline warnings reach the people their level names: the crew's level is shown on its phone."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents.sweeper import sweep
from tests.helpers import customer, last_outbox_id, outbox, report

LEVELS = Settings(sla_warning_levels="50:crew,80:station_head,90:desk").warning_levels


def test_the_crews_level_is_on_its_phone_and_the_timeline_names_the_crew(app, client, city, connection, make_user):
    crew = make_user("crew", crew="CW")
    start = clock.now() - timedelta(minutes=1)
    opened = report(client, start, account_no=customer(2))["incident"]
    assert opened["crew"] == "CW"
    deadline = datetime.fromisoformat(opened["arrival_deadline"])

    def my_job():
        (job,) = [j for j in client.get("/api/v1/me/jobs", headers=crew["headers"]).get_json()["jobs"]
                  if j["id"] == opened["id"]]
        return job

    assert my_job()["warning"] is None
    before = last_outbox_id(connection)
    with app.extensions["database"].session() as session:
        dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
        assert sweep(session, dispatcher, start + (deadline - start) * 0.55, LEVELS) == [
            (opened["id"], "deadline_warning:50")]
    warning = my_job()["warning"]
    assert (warning["percent"], warning["clock"]) == (50, "arrival")
    assert datetime.fromisoformat(warning["deadline"]) == deadline
    # The phone hears of it live: the incident's message, with the warning, goes to the crew.
    (sent,) = [m for m in outbox(connection, before, "incident") if m["payload"]["id"] == opened["id"]]
    cw = connection.execute(text("SELECT id FROM crews WHERE code = 'CW'")).scalar_one()
    assert cw in sent["crew_ids"] and sent["payload"]["warning"]["percent"] == 50
    assert sent["payload"]["warning"]["sent_to"] == "crew" and sent["payload"]["warning"]["crew"] == "CW"
    (event,) = [e for e in client.get(f"/api/v1/incidents/{opened['id']}").get_json()["timeline"]
                if e["type"] == "deadline_warning"]
    assert (event["data"]["sent_to"], event["data"]["crew"]) == ("crew", "CW")
    assert client.get("/api/v1/alerts").get_json()["alerts"] == []  # the crew was told, not the desk

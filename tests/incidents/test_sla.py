"""SLA states with controlled clocks, and the sweeper recording each warning once."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents.sla import states
from dispatch.incidents.sweeper import sweep
from tests.helpers import T0 as T
from tests.helpers import customer, last_outbox_id, outbox, report

DEADLINE = T + timedelta(minutes=45)


def incident(**times):
    base = {"status": "assigned", "arrival_deadline": DEADLINE, "on_site_at": None, "restore_deadline": None,
            "restored_at": None}
    return {**base, **times}

@pytest.mark.parametrize("case, now, eta, expected", [
    ("plenty of time", T + timedelta(minutes=10), 600, "on_track"),
    ("the drive ends after the deadline", T + timedelta(minutes=40), 600, "at_risk"),
    ("no crew known yet", T + timedelta(minutes=40), None, "on_track"),
    ("past the deadline", DEADLINE + timedelta(seconds=1), 60, "breached"),
])
def test_arrival_clock_while_running(case, now, eta, expected):
    assert states(incident(), now, eta)["state"] == expected

def test_arrival_met_or_missed_then_the_restoration_clock_runs():
    on_time = incident(status="on_site", on_site_at=DEADLINE - timedelta(minutes=1),
                       restore_deadline=DEADLINE + timedelta(hours=3))
    assert states(on_time, DEADLINE, None) == {"state": "on_track", "arrival": "met", "restoration": "on_track"}
    late = incident(status="on_site", on_site_at=DEADLINE + timedelta(minutes=1),
                    restore_deadline=DEADLINE + timedelta(hours=3))
    assert states(late, DEADLINE + timedelta(hours=4), None) == {
        "state": "breached", "arrival": "missed", "restoration": "breached"}
    restored = {**late, "status": "restored", "restored_at": DEADLINE + timedelta(hours=2)}
    assert states(restored, DEADLINE + timedelta(hours=9), None)["state"] == "met"
    restored_late = {**late, "status": "restored", "restored_at": DEADLINE + timedelta(hours=5)}
    assert states(restored_late, DEADLINE + timedelta(hours=9), None)["state"] == "missed"
    assert states(incident(status="cancelled"), DEADLINE, 60)["state"] is None

def test_the_sweeper_records_and_sends_each_warning_once(app, client, city, connection):
    now = clock.now()
    opened = report(client, now, account_no=customer(2))["incident"]
    deadline = datetime.fromisoformat(opened["arrival_deadline"])
    before = last_outbox_id(connection)
    session = app.extensions["database"].session()
    dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
    assert sweep(session, dispatcher, deadline - timedelta(minutes=30)) == []
    at_risk = deadline - timedelta(seconds=opened["eta_s"] / 2)  # the drive would end after the deadline
    assert sweep(session, dispatcher, at_risk) == [(opened["id"], "at_risk")]
    assert sweep(session, dispatcher, at_risk + timedelta(seconds=5)) == []
    assert sweep(session, dispatcher, deadline + timedelta(seconds=1)) == [(opened["id"], "breached")]
    assert sweep(session, dispatcher, deadline + timedelta(minutes=5)) == []
    client.post(f"/api/v1/incidents/{opened['id']}/events",
                json={"type": "on_site", "at": (now + timedelta(minutes=1)).isoformat()})
    restore_by = connection.execute(text("SELECT restore_deadline FROM incidents WHERE id = :i"),
                                    {"i": opened["id"]}).scalar()
    assert restore_by == now + timedelta(minutes=1, hours=3)  # urban: 3 h after arrival
    assert sweep(session, dispatcher, restore_by + timedelta(seconds=1)) == [
        (opened["id"], "restoration_breached")]
    assert sweep(session, dispatcher, restore_by + timedelta(hours=1)) == []
    session.close()
    kinds = [e["type"] for e in client.get(f"/api/v1/incidents/{opened['id']}").get_json()["timeline"]]
    assert kinds.count("at_risk") == kinds.count("breached") == kinds.count("restoration_breached") == 1
    assert [m["payload"]["kind"] for m in outbox(connection, before, "alert")] == [
        "at_risk", "breached", "restoration_breached"]
    states_sent = [m["payload"]["sla_state"] for m in outbox(connection, before, "incident")
                   if m["payload"]["id"] == opened["id"]]
    assert states_sent == ["at_risk", "breached", "on_track", "breached"]  # on site: the restoration clock

def test_the_incident_shows_its_sla(client, city):
    opened = report(client, clock.now(), account_no=customer(2))["incident"]
    sla = client.get(f"/api/v1/incidents/{opened['id']}").get_json()["sla"]
    assert sla["state"] == "on_track" and sla["arrival"] == "on_track" and sla["eta_s"] == opened["eta_s"]

def test_the_worker_command_sweeps_once(cli, city, client):
    result = cli.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def test_one_sweep_records_the_warnings_of_many_incidents_at_once_and_the_next_none(app, client, city, connection):
    """A storm's sweep: every incident's new levels and warnings in one pass, each once, the desk's
    alerts in the order of their events; a sweep a moment later has nothing new to record."""
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty'"))  # all three wait
    now = clock.now()
    # Wires down: each its own incident, whatever inference would make of three calls on one feeder.
    opened = [report(client, now - timedelta(minutes=m), account_no=customer(t), kind="wire_down")["incident"]["id"]
              for m, t in ((50, 1), (40, 3), (10, 5))]
    assert len(set(opened)) == 3
    levels = ((50, "crew"), (80, "station_head"), (90, "desk"))
    before = last_outbox_id(connection)
    session = app.extensions["database"].session()
    dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
    recorded = sweep(session, dispatcher, now, levels)
    # 50 min of a 45-min clock: every level and breached; 40 min (89 %): 50 and 80; 10 min (22 %): none.
    assert sorted(recorded) == sorted([(opened[0], "deadline_warning:50"), (opened[0], "deadline_warning:80"),
                                       (opened[0], "deadline_warning:90"), (opened[0], "breached"),
                                       (opened[1], "deadline_warning:50"), (opened[1], "deadline_warning:80")])
    assert sweep(session, dispatcher, now + timedelta(seconds=5), levels) == []
    assert sweep(session, dispatcher, now + timedelta(minutes=1), levels) == [(opened[1], "deadline_warning:90")]
    session.close()
    alerts = outbox(connection, before, "alert")
    # No crew on duty and no station head's phone: the crew's level tells nobody (the incidents wait
    # on the desk's list), the station head's and the desk's reach the desk as alerts.
    assert [(m["payload"]["incident"], m["payload"]["kind"], m["payload"]["percent"]) for m in alerts] == [
        (opened[0], "warning", 80), (opened[0], "warning", 90), (opened[1], "warning", 80),
        (opened[0], "breached", None), (opened[1], "warning", 90)]
    assert [m["payload"]["id"] for m in alerts] == sorted(m["payload"]["id"] for m in alerts)
    assert {m["payload"]["id"] for m in outbox(connection, before, "incident")} == {opened[0], opened[1]}

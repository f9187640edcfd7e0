"""The estimated restoration time: the crew's ETA plus a repair time learned from past restorations
(by cause, device kind and zone, falling back to coarser groups, a default before there is history),
refreshed with every event, kept at restoration and measured against the actual one."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.helpers import T0, assert_problem, customer, report

when = datetime.fromisoformat


def event(client, incident_id, kind, at, **body):
    response = client.post(f"/api/v1/incidents/{incident_id}/events", json={"type": kind, "at": at.isoformat(), **body})
    assert response.status_code == 200, response.get_data(as_text=True)


def past_repair(client, account_no, reported_at, repair_min, cause="equipment.cable"):
    """An incident reported at ``reported_at``, on site 20 minutes later, restored ``repair_min`` after that."""
    incident = report(client, reported_at, account_no=account_no)["incident"]["id"]
    on_site = reported_at + timedelta(minutes=20)
    event(client, incident, "on_site", on_site)
    event(client, incident, "restored", on_site + timedelta(minutes=repair_min), cause=cause)
    return incident


def incident(client, incident_id):
    return client.get(f"/api/v1/incidents/{incident_id}").get_json()


def expected_etr(found, repair_min):
    arrival = max(when(found["assigned_at"]) + timedelta(seconds=found["eta_s"]), clock.now())
    return arrival + timedelta(minutes=repair_min)


def test_before_any_history_the_estimate_is_the_eta_plus_the_default_repair(rules, city):
    client = rules(etr_default_repair_min=95)
    found = incident(client, report(client, clock.now() - timedelta(minutes=1), account_no=customer(2))["incident"]["id"])
    assert found["crew"] == "CW" and found["eta_s"] > 0
    assert when(found["etr_at"]) == pytest.approx(expected_etr(found, 95), abs=timedelta(seconds=5))
    assert found["etr_first_at"] == found["etr_at"]
    basis = found["etr_basis"]
    assert basis["group"] == "default" and basis["samples"] == 0 and basis["repair_s"] == 95 * 60
    assert basis["summary"].startswith("ETA ") and "typical repair 95 min (default" in basis["summary"]


def test_no_crew_no_estimate(rules, city, connection):
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty'"))
    client = rules()
    found = incident(client, report(client, clock.now() - timedelta(minutes=1), account_no=customer(2))["incident"]["id"])
    assert found["crew"] is None and found["etr_at"] is None and found["etr_basis"]["waiting_for_crew"] is True


def test_the_repair_time_is_learned_from_the_narrowest_group_with_enough_repairs(rules, city):
    client = rules(etr_min_samples=2, etr_default_repair_min=500, etr_learned_ttl_s=0)
    # Zone Z1's transformer faults took 30, 60 and 90 minutes on site; the zoneless T5 one 200.
    for n, (transformer, minutes) in enumerate(((1, 30), (1, 60), (3, 90), (5, 200))):
        past_repair(client, customer(transformer, n), T0 + timedelta(hours=3 * n), minutes)
    in_zone = incident(client, report(client, clock.now() - timedelta(minutes=1), account_no=customer(2))["incident"]["id"])
    assert in_zone["device"]["kind"] == "transformer" and in_zone["zone"] == "Z1"
    basis = in_zone["etr_basis"]
    assert (basis["group"], basis["samples"], basis["repair_s"]) == ("kind_zone", 3, 60 * 60)
    assert basis["summary"].endswith("(transformer faults, zone Z1, 3 past repairs)")
    assert when(in_zone["etr_at"]) == pytest.approx(expected_etr(in_zone, 60), abs=timedelta(seconds=5))

    # T5 is in no zone: its own group is empty, so all transformer faults count (median of 4).
    outside = incident(client, report(client, clock.now() - timedelta(minutes=1), account_no=customer(5, 9))["incident"]["id"])
    assert outside["zone"] is None and outside["crew"] is not None
    basis = outside["etr_basis"]
    assert (basis["group"], basis["samples"], basis["repair_s"]) == ("kind", 4, 75 * 60)


def test_each_process_keeps_what_it_learned_for_a_while(rules, city):
    keeping = rules(etr_min_samples=1, etr_learned_ttl_s=3600)
    first = report(keeping, clock.now() - timedelta(minutes=2), account_no=customer(2))["incident"]["id"]
    assert incident(keeping, first)["etr_basis"]["group"] == "default"
    past_repair(keeping, customer(1), T0, 45)
    # The same group again within the hour: what was learned before the repair, without asking.
    again = report(keeping, clock.now() - timedelta(minutes=1), account_no=customer(3))["incident"]["id"]
    assert incident(keeping, again)["etr_basis"]["group"] == "default"
    # A process that keeps nothing (or this one, an hour later) learns the new repair.
    fresh = rules(etr_min_samples=1, etr_learned_ttl_s=0)
    event(fresh, again, "accepted", clock.now())
    basis = incident(fresh, again)["etr_basis"]
    assert basis["group"] != "default" and (basis["samples"], basis["repair_s"]) == (1, 45 * 60)


def test_a_known_cause_narrows_the_group(rules, city, connection):
    client = rules(etr_min_samples=2, etr_learned_ttl_s=0)
    for n, (cause, minutes) in enumerate((("equipment.cable", 100), ("equipment.cable", 120),
                                          ("external.tree", 10), ("external.tree", 20))):
        past_repair(client, customer(1, n), T0 + timedelta(hours=3 * n), minutes, cause=cause)
    found = report(client, clock.now() - timedelta(minutes=1), account_no=customer(2))["incident"]["id"]
    assert incident(client, found)["etr_basis"]["group"] == "kind_zone"  # cause not known yet: 4 repairs
    connection.execute(text("UPDATE incidents SET cause = 'equipment.cable' WHERE id = :i"), {"i": found})
    event(client, found, "accepted", clock.now())
    basis = incident(client, found)["etr_basis"]
    assert (basis["group"], basis["samples"], basis["repair_s"]) == ("cause_kind_zone", 2, 110 * 60)
    assert basis["summary"].endswith("(Cable or joint, transformer faults, zone Z1, 2 past repairs)")


def test_the_estimate_follows_every_event_and_is_kept_at_restoration(rules, city):
    client = rules(etr_default_repair_min=60)
    found = incident(client, report(client, clock.now() - timedelta(minutes=1), account_no=customer(2))["incident"]["id"])
    first = when(found["etr_at"])
    # Reassigned to the east crew, farther away: a later arrival, a later estimate.
    assert client.post(f"/api/v1/incidents/{found['id']}/assign", json={"crew": "CE"}).status_code == 200
    moved = incident(client, found["id"])
    assert moved["crew"] == "CE" and moved["eta_s"] > found["eta_s"]
    assert when(moved["etr_at"]) == pytest.approx(expected_etr(moved, 60), abs=timedelta(seconds=5))
    assert when(moved["etr_at"]) > first and when(moved["etr_first_at"]) == first
    # On site: the arrival is known, the estimate is arrival + repair.
    arrived_at = clock.now()
    event(client, found["id"], "en_route", arrived_at - timedelta(seconds=30))
    event(client, found["id"], "on_site", arrived_at)
    on_site = incident(client, found["id"])
    assert when(on_site["etr_at"]) == pytest.approx(arrived_at + timedelta(minutes=60), abs=timedelta(seconds=1))
    assert on_site["etr_basis"]["on_site"] is True and on_site["etr_basis"]["summary"].startswith("crew on site + ")
    # Restored: the last estimate given and the first stay for the accuracy report.
    event(client, found["id"], "restored", arrived_at + timedelta(minutes=1))
    done = incident(client, found["id"])
    assert done["etr_at"] == on_site["etr_at"] and when(done["etr_first_at"]) == first


def test_a_call_joining_while_the_crew_is_on_time_keeps_the_estimate_a_late_crew_moves_it(rules, city):
    client = rules(etr_default_repair_min=60)
    start = clock.now().replace(microsecond=0)
    clock.freeze(start)
    try:
        found = incident(client, report(client, start, account_no=customer(2))["incident"]["id"])
        assert found["crew"] == "CW" and found["eta_s"] > 60
        # Halfway there: the estimate and its basis (the ETA when it was given) stay as they were.
        clock.freeze(start + timedelta(seconds=found["eta_s"] / 2))
        assert report(client, clock.now(), account_no=customer(2, 1))["incident"]["id"] == found["id"]
        halfway = incident(client, found["id"])
        assert halfway["report_count"] == 2
        assert (halfway["etr_at"], halfway["etr_basis"]) == (found["etr_at"], found["etr_basis"])
        # Ten minutes late: a crew about to arrive, so the estimate is now + the repair.
        clock.freeze(start + timedelta(seconds=found["eta_s"], minutes=10))
        assert report(client, clock.now(), account_no=customer(2, 2))["incident"]["id"] == found["id"]
        late = incident(client, found["id"])
        assert when(late["etr_at"]) == clock.now() + timedelta(minutes=60)
        assert late["etr_basis"]["eta_s"] == 0 and late["etr_first_at"] == found["etr_at"]
    finally:
        clock.freeze(None)


def test_a_merge_moves_the_estimate_of_the_incident_that_carries_on(rules, city, connection):
    client = rules()
    keep = report(client, clock.now() - timedelta(minutes=1), account_no=customer(2))["incident"]["id"]
    gone = report(client, clock.now() - timedelta(minutes=1), account_no=customer(5), kind="fire")["incident"]["id"]
    connection.execute(text("UPDATE incidents SET etr_at = NULL, etr_basis = NULL WHERE id = :i"), {"i": keep})
    assert client.post(f"/api/v1/incidents/{gone}/merge", json={"into": keep}).status_code == 200
    assert incident(client, keep)["etr_at"] is not None


def test_the_accuracy_report_compares_the_estimates_with_the_actual_restorations(rules, city):
    client = rules(etr_default_repair_min=120)
    arrived_at = clock.now() - timedelta(minutes=100)
    found = report(client, arrived_at - timedelta(minutes=30), account_no=customer(2))["incident"]["id"]
    event(client, found, "on_site", arrived_at)
    estimated = when(incident(client, found)["etr_at"])
    assert estimated == arrived_at + timedelta(minutes=120)
    event(client, found, "restored", arrived_at + timedelta(minutes=100))  # 20 minutes early
    today = clock.now().astimezone().date()
    first, last = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    body = client.get(f"/api/v1/reports/etr-accuracy?from={first}&to={last}").get_json()
    assert body["last"]["incidents"] == 1 and body["last"]["median_min"] == pytest.approx(-20)
    assert body["last"]["late_share"] == 0 and body["last"]["within_30_min"] == 1 and body["last"]["within_15_min"] == 0
    [row] = body["incidents"]
    assert row["id"] == found and when(row["etr_at"]) == estimated and row["error_min"] == pytest.approx(-20)
    # The first estimate, given when the crew was sent (now, by the app's clock: now + ETA + 120 min).
    assert when(row["etr_first_at"]) > estimated and row["first_error_min"] < row["error_min"]
    assert_problem(client.get(f"/api/v1/reports/etr-accuracy?from={last}&to={first}"), 422)
    assert_problem(client.get(f"/api/v1/reports/etr-accuracy?from={first}&to={last}&zone=NOPE"), 404)

"""An incident rolled up too high by its first calls moves back down when later calls point lower
(dispatch/incidents/moving_down.py), through POST /api/v1/reports."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from tests.evidence.test_device_events import operate
from tests.helpers import T0, customer, outbox, report


def calls_from_t1(client, n: int, start: int = 1) -> list[dict]:
    """``n`` more calls from T1's customers, a minute apart after T0 + 2 min."""
    return [report(client, T0 + timedelta(minutes=2 + k), account_no=customer(1, start + k))["incident"]
            for k in range(n)]


def timeline(client, incident_id: int) -> list[dict]:
    return client.get(f"/api/v1/incidents/{incident_id}").get_json()["timeline"]


def test_early_calls_roll_up_too_high_and_later_calls_bring_it_down(client, feeder, connection):
    first = report(client, account_no=customer(1))["incident"]
    rolled = report(client, T0 + timedelta(minutes=1), account_no=customer(4))["incident"]
    assert rolled["id"] == first["id"] and rolled["device"]["code"] == "BR1"  # T1 and T4: their breaker
    before = connection.execute(text("SELECT coalesce(max(id), 0) FROM outbox")).scalar_one()
    later = calls_from_t1(client, 7)
    # Five of T1's ten customers and one of T4's: clearly more likely a fault at T1 and a call
    # from T4 that is not the same outage (two outages of 20 customers with 6 calls) than one
    # outage of the breaker's 40 with 6 calls (with four from T1 it was a near tie: no move). The
    # incident moves down; the T4 call gets an incident of its own.
    assert [i["device"]["code"] for i in later] == ["BR1"] * 3 + ["T1"] * 4
    assert {i["id"] for i in later} == {first["id"]}
    moved = later[-1]
    assert moved["customers_affected"] == 10 and moved["report_count"] == 8
    events = timeline(client, first["id"])
    assert [e["type"] for e in events] == ["opened", "rolled_up", "moved_down"]
    down = events[-1]
    assert down["at"] == (T0 + timedelta(minutes=5)).isoformat()
    assert (down["data"]["from"], down["data"]["to"]) == ({"kind": "switch", "code": "BR1"},
                                                          {"kind": "transformer", "code": "T1"})
    # Why: the calls per branch of the breaker it left (R1's branch holds T1).
    assert [((b["device"] or {}).get("code"), b["calls"], b["customers"]) for b in down["data"]["branches"]] == [
        ("R1", 5, 30), ("T4", 1, 10)]
    [split] = down["data"]["split"]
    alone = client.get(f"/api/v1/incidents/{split}").get_json()
    assert alone["status"] == "new" and alone["device"] == {"kind": "transformer", "code": "T4"}
    assert [r["account_no"] for r in alone["reports"]] == [customer(4)]
    assert alone["timeline"][0]["type"] == "opened" and alone["timeline"][0]["data"]["split_from"] == first["id"]
    assert {m["payload"]["id"] for m in outbox(connection, before, "incident")} >= {first["id"], split}
    # It stays down: more calls from T1 join it where it is.
    assert calls_from_t1(client, 1, start=8)[0] == {**moved, "report_count": 9}


def test_an_incident_whose_crew_is_on_site_does_not_move(client, city):
    first = report(client, account_no=customer(1))["incident"]
    rolled = report(client, T0 + timedelta(minutes=1), account_no=customer(4))["incident"]
    assert rolled["device"]["code"] == "BR1" and rolled["crew"] is not None
    response = client.post(f"/api/v1/incidents/{first['id']}/events",
                           json={"type": "on_site", "at": (T0 + timedelta(minutes=1, seconds=30)).isoformat()})
    assert response.status_code == 200, response.get_data(as_text=True)
    later = calls_from_t1(client, 7)
    assert {i["id"] for i in later} == {first["id"]} and later[-1]["device"]["code"] == "BR1"
    assert later[-1]["report_count"] == 9
    assert "moved_down" not in [e["type"] for e in timeline(client, first["id"])]


def test_an_assigned_crew_moves_down_with_its_incident(client, city):
    first = report(client, account_no=customer(1))["incident"]
    crew = report(client, T0 + timedelta(minutes=1), account_no=customer(4))["incident"]["crew"]
    assert crew is not None
    moved = calls_from_t1(client, 7)[-1]
    assert moved["id"] == first["id"] and moved["device"]["code"] == "T1" and moved["crew"] == crew
    split = next(e for e in timeline(client, first["id"]) if e["type"] == "moved_down")["data"]["split"][0]
    alone = client.get(f"/api/v1/incidents/{split}").get_json()
    assert alone["device"]["code"] == "T4" and alone["crew"] not in (None, crew)  # the other crew, at once


def test_an_incident_at_a_tripped_device_does_not_move_nor_one_below_it(client, city):
    elsewhere = report(client, account_no=customer(4))["incident"]  # a call on the same feeder: inference runs
    tripped = operate(client, "R1", "lockout", T0 + timedelta(seconds=30), "scada-1")["events"][0]["incident"]
    later = calls_from_t1(client, 7)
    # The first T1 call joins the trip's incident; the next, with T4's, is rolled up to BR1 (the
    # trip's incident merged into T4's). Later T1 calls bring it down, but not below R1, which
    # SCADA says is open: it stops there, and T4's call is split out again.
    assert later[0]["id"] == tripped and later[1]["device"]["code"] == "BR1"
    moved = later[-1]
    assert moved["device"]["code"] == "R1" and moved["customers_affected"] == 30
    down = next(e for e in timeline(client, moved["id"]) if e["type"] == "moved_down")["data"]
    [split] = down["split"]
    assert client.get(f"/api/v1/incidents/{split}").get_json()["device"]["code"] == "T4"
    assert elsewhere["id"] in (moved["id"], split)

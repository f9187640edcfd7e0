"""POST /api/v1/meter-events: smart-meter last gasps and power-restored drive incidents.

The feeder of tests.factories.feeder_grid: recloser R1 feeds T1 (through fuse F1), T2 (through
SEC1 and F2) and T3 (through F3), 10 customers each; T4 hangs off the breaker BR1 directly."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from tests.accounts.test_auth import channel_key
from tests.customers.test_channels import as_channel
from tests.helpers import T0, assert_problem, count, customer, report


def gasp(account: str, at, kind: str = "last_gasp", **more) -> dict:
    return {"account_no": account, "kind": kind, "at": at.isoformat(), **more}


def post(client, *events, status: int = 200) -> dict:
    response = client.post("/api/v1/meter-events", json={"events": list(events)})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def incident(client, incident_id: int) -> dict:
    return client.get(f"/api/v1/incidents/{incident_id}").get_json()


def test_last_gasps_alone_open_and_locate_an_incident(client, feeder):
    gasps = [gasp(customer(t, k), T0 + timedelta(seconds=k)) for t in (1, 2, 3) for k in range(3)]
    body = post(client, *gasps)
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (9, 0, [])
    assert len(body["incidents"]) == 1
    outage = incident(client, body["incidents"][0])
    assert outage["device"] == {"kind": "switch", "code": "R1"} and outage["customers_affected"] == 30
    assert outage["report_count"] == 9 and {r["channel"] for r in outage["reports"]} == {"ami"}
    assert outage["meters"] == {"last_gasps": 9, "power_restored": 0, "still_out": None}


def test_the_same_events_twice_count_once_across_batches(client, feeder, connection):
    events = [gasp(customer(1, k), T0, event_id=f"he-{k}") for k in range(3)]
    events.append(gasp(customer(1, 5), T0))  # no event id: its meter, kind and time name it
    first = post(client, *events, events[0])  # and once more in the same batch
    assert (first["accepted"], first["duplicates"]) == (4, 1)
    again = post(client, *events)
    assert (again["accepted"], again["duplicates"], again["incidents"]) == (0, 4, [])
    assert count(connection, "meter_events") == 4 and count(connection, "reports") == 4
    assert incident(client, first["incidents"][0])["report_count"] == 4


def test_a_meter_number_names_its_customer(client, feeder, connection):
    connection.execute(text("UPDATE customers SET props = props || '{\"meter\": \"M-1003\"}' WHERE account_no = '1003'"))
    body = post(client, {"meter": "M-1003", "kind": "last_gasp", "at": T0.isoformat()})
    assert incident(client, body["incidents"][0])["reports"][0]["account_no"] == "1003"


def test_bad_events_are_skipped_by_row_and_the_good_ones_taken(client, feeder, connection):
    body = post(client, gasp(customer(1), T0), gasp("nobody", T0), gasp(customer(1, 1), T0, kind="blink"),
                {"kind": "last_gasp", "at": T0.isoformat()}, gasp(customer(1, 2), T0 + timedelta(days=3)))
    assert body["accepted"] == 1
    assert [problem["field"] for problem in body["rejected"]] == [
        "events[1].account_no", "events[2].kind", "events[3]", "events[4].at"]
    assert count(connection, "reports") == 1


def test_a_batch_without_a_good_event_changes_nothing(client, feeder, connection):
    body = assert_problem(client.post("/api/v1/meter-events", json={"events": [gasp("nobody", T0)]}), 422)
    assert body["errors"][0]["field"] == "events[0].account_no"
    assert_problem(client.post("/api/v1/meter-events", json={"events": []}), 422)
    assert_problem(client.post("/api/v1/meter-events", json={"events": [gasp("1000", T0)] * 1001}), 422)
    assert_problem(client.post("/api/v1/meter-events", json={"events": "all"}), 422)
    assert count(connection, "meter_events") == 0 and count(connection, "reports") == 0


def test_a_last_gasp_with_its_power_restored_is_momentary(client, feeder, connection):
    body = post(client, gasp(customer(1), T0), gasp(customer(1), T0 + timedelta(seconds=20), "power_restored"))
    assert (body["accepted"], body["momentary"], body["incidents"]) == (2, 1, [])
    assert count(connection, "incidents") == 0


def calls(client, accounts: list[str]) -> dict:
    last = None
    for k, account in enumerate(accounts):
        last = report(client, T0 + timedelta(seconds=30 * k), account_no=account)["incident"]
    return last


CALLS = [customer(1, 1), customer(2, 1), customer(1, 2), customer(2, 2), customer(1, 3), customer(2, 3)]


def test_calls_from_two_branches_roll_up_to_the_recloser(client, feeder):
    """The case below without the meter: calls under T1 and T2 point at R1."""
    assert calls(client, CALLS)["device"]["code"] == "R1"


def test_a_power_restored_excludes_the_devices_above_its_customer(client, feeder, connection):
    """A meter of T3 says it has power: R1 is not out, whatever the calls below it say; the calls of
    T1 and T2 are two faults."""
    post(client, gasp(customer(3, 5), T0 - timedelta(minutes=1), "power_restored"))
    calls(client, CALLS)
    devices = connection.execute(text(
        "SELECT device_code FROM incidents WHERE status <> 'merged' ORDER BY device_code")).scalars().all()
    assert devices == ["T1", "T2"]


def test_a_power_restored_withdraws_its_customers_earlier_last_gasp(client, feeder, connection):
    """T3's customer went out and came back: its last gasp no longer pulls the calls below R1 up to
    it, and its incident's meters say the customer is on again."""
    first = post(client, gasp(customer(3, 1), T0))["incidents"][0]
    post(client, gasp(customer(3, 1), T0 + timedelta(minutes=1), "power_restored"))
    calls(client, CALLS)
    devices = connection.execute(text(
        "SELECT device_code FROM incidents WHERE status <> 'merged' ORDER BY device_code")).scalars().all()
    assert devices == ["T1", "T2", "T3"]
    assert incident(client, first)["meters"] == {"last_gasps": 1, "power_restored": 1, "still_out": None}


def test_the_ami_head_end_posts_with_its_channel_key_and_no_other_channel_may(app, cli, feeder, connection, redis_db):
    head_end = as_channel(app, channel_key(cli, "ami-head-end", "ami"))
    body = post(head_end, gasp(customer(1, 2), T0))
    assert body["accepted"] == 1
    assert connection.execute(text("SELECT channel FROM reports")).scalars().all() == ["ami"]
    wechat = as_channel(app, channel_key(cli, "wechat-sa", "wechat"))
    assert_problem(wechat.post("/api/v1/meter-events", json={"events": [gasp(customer(1, 3), T0)]}), 403)
    assert count(connection, "meter_events") == 1


def test_one_instant_written_with_two_offsets_is_one_event(client, feeder, connection):
    from datetime import timezone as tz
    body = post(client, gasp(customer(1, 4), T0.astimezone(tz.utc)),
                gasp(customer(1, 4), T0.astimezone(tz(timedelta(hours=8)))))
    assert body["accepted"] == 1 and body["duplicates"] == 1
    assert count(connection, "meter_events") == 1

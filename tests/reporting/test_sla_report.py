"""GET /api/v1/reports/sla and its drill-down, on hand-built incidents with set times: each
figure computed by hand here."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dispatch.core import clock
from tests.helpers import assert_problem, customer, report
from tests.reporting.sla_data import incident

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A local day well in the past, whatever the date (CLOCK_SHIFT_DAYS moves it).
DAY = (clock.now().astimezone(SHANGHAI) - timedelta(days=10)).date()


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(hour, minute), zone)


def sla(client, first: date, last: date, group_by: str, status: int = 200, **more) -> dict:
    response = client.get("/api/v1/reports/sla", query_string={"from": first.isoformat(), "to": last.isoformat(),
                                                                "group_by": group_by, **more})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def behind(client, first: date, last: date, group_by: str, measure: str, group: str | None = None) -> list[int]:
    query = {"from": first.isoformat(), "to": last.isoformat(), "group_by": group_by, "measure": measure}
    if group is not None:
        query["group"] = group
    response = client.get("/api/v1/reports/sla/incidents", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [i["id"] for i in response.get_json()["incidents"]]


@pytest.fixture
def urban_day(connection, city):
    """Six urban incidents (zone Z1, commitment 45 min, regulator 60 min) on DAY, and one rural (Z2)."""
    at = local(DAY, 9)
    return {
        "early": incident(connection, at, arrival=20, restoration=60, crews=(("CW", 2),), cause="weather.lightning"),
        "in_time": incident(connection, at, arrival=40, restoration=200, crews=(("CW", 4),), calls=3),
        "late": incident(connection, at, arrival=50, restoration=100, crews=(("CW", 6), ("CE", 10)),
                         unverified=True),
        "very_late": incident(connection, at, arrival=70, restoration=30, crews=(("CE", 8),)),
        # still waiting for a crew, its deadline long gone: missed in both tiers, and open
        "waiting": incident(connection, at),
        # the customer's own fault: its agreed time (3 h) is its deadline, and no regulator's limit
        "customer_side": incident(connection, at, arrival=150, restoration=10, crews=(("CW", 20),),
                                  customer_side_deadline=180),
        "rural": incident(connection, at, zone="Z2", arrival=80, restoration=250, crews=(("CE", 5),)),
    }


def test_arrivals_and_restorations_against_both_tiers_by_zone(client, urban_day):
    body = sla(client, DAY, DAY, "zone")
    assert [r["group"] for r in body["rows"]] == ["Z1", "Z2"]
    town, fields = body["rows"]
    assert town["label"] == "Town" and town["incidents"] == 6
    # commitment: on site by the deadline: 20, 40 and the customer's 150 (agreed 180) met; 50, 70
    # and the one still waiting missed.
    assert (town["arrival_met"], town["arrival_missed"]) == (3, 3)
    assert town["arrival_on_time_share"] == 0.5
    # regulator (60 min from receipt; not for the customer's side): 20, 40, 50 met; 70 and waiting missed.
    assert (town["regulator_arrival_met"], town["regulator_arrival_missed"]) == (3, 2)
    # arrival minutes 20, 40, 50, 70, 150: mean 66; median 50; p90 at rank 0.9 * 4 = 3.6,
    # 70 + 0.6 * (150 - 70) = 118.
    assert (town["arrival_avg_min"], town["arrival_p50_min"], town["arrival_p90_min"]) == (66.0, 50.0, 118.0)
    # restoration (180 min after arrival): 60, 100, 30, 10 met; 200 missed; the waiting one has none.
    assert (town["restoration_met"], town["restoration_missed"]) == (4, 1)
    # minutes 10, 30, 60, 100, 200: mean 80; median 60; p90: 100 + 0.6 * 100 = 160.
    assert (town["restoration_avg_min"], town["restoration_p50_min"], town["restoration_p90_min"]) == (80.0, 60.0, 160.0)
    assert town["open_at_end"] == 1 and town["unverified_arrivals"] == 1 and town["reassignments"] == 1
    # first crew sent after 2, 4, 6, 8, 20 minutes: median 6.
    assert town["dispatch_p50_min"] == 6.0
    # 8 calls (one incident had 3): 2 joined an incident that was open already.
    assert (town["calls"], town["merged_calls"], town["merge_rate"]) == (8, 2, 0.25)
    # rural: 90 min commitment and 120 min regulator's limit, 80 min met both; 250 > 240 missed.
    assert (fields["arrival_met"], fields["regulator_arrival_met"], fields["restoration_missed"]) == (1, 1, 1)
    total = body["total"]
    assert total["incidents"] == 7 and total["arrival_met"] == 4 and total["arrival_missed"] == 3
    assert body["targets"]["urban"] == {"arrival_commitment_min": 45, "restoration_commitment_min": 180,
                                        "arrival_regulator_min": 60}
    assert body["targets"]["remote"]["arrival_regulator_min"] == 240


def test_the_incidents_behind_a_number_are_exactly_those_counted(client, urban_day):
    d = urban_day
    assert behind(client, DAY, DAY, "zone", "arrival_missed", "Z1") == sorted([d["late"], d["very_late"], d["waiting"]])
    assert behind(client, DAY, DAY, "zone", "regulator_arrival_missed", "Z1") == sorted([d["very_late"], d["waiting"]])
    assert behind(client, DAY, DAY, "zone", "restoration_missed") == sorted([d["in_time"], d["rural"]])
    assert behind(client, DAY, DAY, "zone", "unverified_arrivals", "Z1") == [d["late"]]
    assert behind(client, DAY, DAY, "zone", "reassignments", "Z1") == [d["late"]]
    assert behind(client, DAY, DAY, "zone", "arrival_met", "Z2") == [d["rural"]]
    assert behind(client, DAY, DAY, "zone", "incidents", "Z9") == []
    listed = client.get("/api/v1/reports/sla/incidents", query_string={
        "from": DAY.isoformat(), "to": DAY.isoformat(), "group_by": "crew", "group": "CE",
        "measure": "arrival_missed"}).get_json()["incidents"]
    assert [(i["id"], i["crew"], i["zone"], i["arrival_min"], i["restoration_min"], i["status"]) for i in listed] == [
        (d["late"], "CE", "Z1", 50.0, 100.0, "restored"), (d["very_late"], "CE", "Z1", 70.0, 30.0, "restored")]


def test_grouped_by_crew_depot_cause_and_class(client, urban_day):
    by_crew = {r["group"]: r for r in sla(client, DAY, DAY, "crew")["rows"]}
    assert {k: r["incidents"] for k, r in by_crew.items()} == {"": 1, "CE": 3, "CW": 3}
    assert by_crew[""]["label"] == "(none)" and by_crew["CE"]["label"] == "East crew"
    by_depot = {r["group"]: r["incidents"] for r in sla(client, DAY, DAY, "depot")["rows"]}
    assert by_depot == {"": 1, "DE": 3, "DW": 3}
    by_cause = {r["group"]: r for r in sla(client, DAY, DAY, "cause")["rows"]}
    assert by_cause["weather.lightning"]["incidents"] == 1 and by_cause[""]["incidents"] == 6
    assert by_cause["weather.lightning"]["label"] != "weather.lightning"  # the taxonomy's name for it
    by_class = {r["group"]: r["arrival_missed"] for r in sla(client, DAY, DAY, "zone_class")["rows"]}
    assert by_class == {"rural": 0, "urban": 3}


def test_an_incident_open_at_the_end_of_its_day_and_days_without_incidents(client, connection, city):
    late_night = incident(connection, local(DAY, 23, 30), arrival=20, restoration=40, crews=(("CW", 1),))
    one_day = sla(client, DAY, DAY, "day")
    assert one_day["total"]["open_at_end"] == 1 and one_day["total"]["restoration_met"] == 1
    assert behind(client, DAY, DAY, "day", "open_at_end", DAY.isoformat()) == [late_night]
    two_days = sla(client, DAY - timedelta(days=1), DAY + timedelta(days=1), "day")
    assert two_days["total"]["open_at_end"] == 0  # power was back at 00:30 the next day
    assert [(r["group"], r["incidents"]) for r in two_days["rows"]] == [
        ((DAY - timedelta(days=1)).isoformat(), 0), (DAY.isoformat(), 1), ((DAY + timedelta(days=1)).isoformat(), 0)]
    assert two_days["rows"][0]["arrival_p50_min"] is None and two_days["rows"][0]["arrival_on_time_share"] is None


def test_weeks_and_months_are_local_calendar_periods(client, connection, city):
    first_of_month = DAY.replace(day=1)
    # 23:30 on the last day of the previous month in Shanghai is 15:30 UTC that day: still that month.
    before = incident(connection, local(first_of_month - timedelta(days=1), 23, 30), arrival=10)
    after = incident(connection, local(first_of_month, 0, 10), arrival=10)
    body = sla(client, first_of_month - timedelta(days=1), first_of_month, "month")
    assert [(r["group"], r["incidents"]) for r in body["rows"]] == [
        ((first_of_month - timedelta(days=1)).strftime("%Y-%m"), 1), (first_of_month.strftime("%Y-%m"), 1)]
    span = (first_of_month - timedelta(days=1), first_of_month)
    assert behind(client, *span, "month", "incidents", first_of_month.strftime("%Y-%m")) == [after]
    weeks = sla(client, *span, "week")["rows"]
    assert sum(r["incidents"] for r in weeks) == 2
    for row in weeks:
        year, week, _ = date.fromisoformat(row["label"]).isocalendar()
        assert row["group"] == f"{year}-W{week:02d}" and date.fromisoformat(row["label"]).weekday() == 0
        assert len(behind(client, *span, "week", "incidents", row["group"])) == row["incidents"]
    assert behind(client, *span, "day", "incidents", span[0].isoformat()) == [before]


def utc_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight starting ``day`` as a UTC instant (arithmetic on it is in real hours)."""
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)


def daylight_saving_days(zone: ZoneInfo) -> dict[int, date]:
    """The last 23-hour and 25-hour local days in ``zone`` before the application's clock."""
    found: dict[int, date] = {}
    day = clock.now().astimezone(zone).date() - timedelta(days=1)
    while len(found) < 2:
        hours = round((utc_midnight(day + timedelta(days=1), zone) - utc_midnight(day, zone)).total_seconds() / 3600)
        if hours != 24:
            found.setdefault(hours, day)
        day -= timedelta(days=1)
    return found


def test_days_are_local_calendar_days_across_daylight_saving_changes(rules, connection, city):
    berlin = ZoneInfo("Europe/Berlin")
    desk = rules(dispatch_timezone="Europe/Berlin")
    changes = daylight_saving_days(berlin)
    short, long = changes[23], changes[25]
    for day in (short, long):
        start = utc_midnight(day, berlin)
        incident(connection, start + timedelta(minutes=10), arrival=10)  # 00:10, just after local midnight
        incident(connection, start - timedelta(minutes=10), arrival=10)  # 23:50 the day before
        # 23 h 30 min after local midnight: 00:30 the next day after the short day, 23:30 on the long day
        incident(connection, start + timedelta(hours=23, minutes=30), arrival=10)
    counts = {}
    for day in (short, long):
        rows = sla(desk, day - timedelta(days=1), day + timedelta(days=1), "day")["rows"]
        counts[day] = [r["incidents"] for r in rows]
    assert counts[short] == [1, 1, 1]
    assert counts[long] == [1, 2, 0]
    assert sla(desk, short, short, "day")["timezone"] == "Europe/Berlin"


def test_through_the_desk_calls_merged_a_reassignment_and_a_late_arrival(client, city):
    received = clock.now() - timedelta(hours=3)
    first = report(client, received, account_no=customer(2, 1))["incident"]
    second = report(client, received + timedelta(minutes=1), account_no=customer(2, 2))["incident"]
    assert second["id"] == first["id"] and first["crew"] in ("CW", "CE")
    other = "CE" if first["crew"] == "CW" else "CW"
    assert client.post(f"/api/v1/incidents/{first['id']}/assign", json={"crew": other}).status_code == 200
    for kind, after, cause in (("on_site", 50, None), ("restored", 80, "weather.wind")):
        answer = client.post(f"/api/v1/incidents/{first['id']}/events", json={
            "type": kind, "at": (received + timedelta(minutes=after)).isoformat(), **({"cause": cause} if cause else {})})
        assert answer.status_code == 200, answer.get_json()
    day = received.astimezone(SHANGHAI).date()
    total = sla(client, day, day, "zone")["total"]
    assert (total["calls"], total["merged_calls"], total["merge_rate"]) == (2, 1, 0.5)
    assert total["reassignments"] == 1 and total["arrival_missed"] == 1 and total["regulator_arrival_met"] == 1
    assert total["arrival_p50_min"] == 50.0 and total["restoration_p50_min"] == 30.0
    assert behind(client, day, day, "zone", "arrival_missed") == [first["id"]]
    assert [r["group"] for r in sla(client, day, day, "cause")["rows"]] == ["weather.wind"]  # as restored
    closing = {"cause": "weather.lightning", "equipment_owner": "utility", "work_done": "fuse replaced",
               "departed_at": (received + timedelta(minutes=10)).isoformat()}
    filed = client.post(f"/api/v1/incidents/{first['id']}/closing-report", json=closing)
    assert filed.status_code == 201, filed.get_json()
    # the closing report's cause replaces the one given with "restored"
    assert [(r["group"], r["incidents"]) for r in sla(client, day, day, "cause")["rows"]] == [("weather.lightning", 1)]


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-03-01", "to": "2026-03-31", "group_by": "region"}, "group_by"),
    ({"from": "2026-03-10", "to": "2026-03-01", "group_by": "day"}, "to"),
    ({"from": "2025-01-01", "to": "2026-01-02", "group_by": "day"}, "to"),
    ({"from": "2026-13-01", "to": "2026-03-01", "group_by": "day"}, "from"),
    ({"from": "20260301", "to": "2026-03-01", "group_by": "day"}, "from"),
    ({"from": "9999-12-30", "to": "9999-12-31", "group_by": "day"}, "from"),
    ({"to": "2026-03-01", "group_by": "day"}, "from"),
    ({"from": "2026-03-01", "to": "2026-03-01", "group_by": "day", "colour": "red"}, "colour"),
])
def test_bad_queries_are_refused_with_the_field_named(client, query, field):
    body = assert_problem(client.get("/api/v1/reports/sla", query_string=query), 422)
    assert field in [e["field"] for e in body["errors"]]


@pytest.mark.parametrize("query, field", [
    ({"group_by": "day", "measure": "arrival_p50_min"}, "measure"),
    ({"group_by": "month", "measure": "incidents", "group": "2026-13"}, "group"),
    ({"group_by": "week", "measure": "incidents", "group": "2026-03-01"}, "group"),
])
def test_a_drill_down_needs_a_known_measure_and_group(client, query, field):
    query = {"from": "2026-03-01", "to": "2026-03-01", **query}
    body = assert_problem(client.get("/api/v1/reports/sla/incidents", query_string=query), 422)
    assert field in [e["field"] for e in body["errors"]]

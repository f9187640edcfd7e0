"""Reliability indices on hand-built interruption sets, each figure worked out by hand here.

The grid is tests.factories.feeder_grid: 50 customers (T1..T5, ten each; T1..T4 in zone Z1, T5 in
no zone). Periods are fixed historical months: the history is explicit data, not the calendar.
"""
from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from tests.helpers import assert_problem
from tests.reporting.history import accounts, history_file, import_history

N_T = 50
MARCH_HOURS = 31 * 24  # Asia/Shanghai has no daylight saving


def indices(client, **query) -> tuple[dict, dict]:
    response = client.get("/api/v1/reports/reliability", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body, {row["index"]: row for row in body["rows"]}


def close(value, expected, places=4):
    return value == pytest.approx(round(expected, places), abs=10 ** -places)


@pytest.fixture
def march(cli, feeder, tmp_path):
    """A month with a step restoration, a planned outage, momentary interruptions, a customer out
    three times, and one interruption due to limited supply."""
    rows = [
        # E1: ten customers of T1, half restored by switching after 30 min, the rest after 60.
        ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T10:30:00+08:00", "false", "system.limited_supply",
         accounts(1, range(0, 5))),
        ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T11:00:00+08:00", "false", "system.limited_supply",
         accounts(1, range(5, 10))),
        # E2: planned work on T2, four hours.
        ("E2", "2024-03-10T09:00:00+08:00", "2024-03-10T13:00:00+08:00", "true", "planned.maintenance",
         accounts(2, range(10))),
        # E3: a reclosing on T3: two minutes (momentary, and short for DL/T 836).
        ("E3", "2024-03-12T14:00:00+08:00", "2024-03-12T14:02:00+08:00", "false", "weather.lightning",
         accounts(3, range(10))),
        # E4..E6: customer 4000 out three times, 20, 10 and 30 minutes.
        ("E4", "2024-03-15T08:00:00+08:00", "2024-03-15T08:20:00+08:00", "false", "", "4000"),
        ("E5", "2024-03-20T08:00:00+08:00", "2024-03-20T08:10:00+08:00", "false", "", "4000"),
        ("E6", "2024-03-25T08:00:00+08:00", "2024-03-25T08:30:00+08:00", "false", "", "4000"),
        # E7: four minutes at 5000: momentary for IEEE 1366 (<= 5 min), counted by DL/T 836 (> 3 min).
        ("E7", "2024-03-28T08:00:00+08:00", "2024-03-28T08:04:00+08:00", "false", "", "5000"),
        # Outside the month: the 1st of April, local time (still 31 March in UTC).
        ("E8", "2024-04-01T00:30:00+08:00", "2024-04-01T05:00:00+08:00", "false", "", accounts(5, range(10))),
    ]
    import_history(cli, history_file(tmp_path, rows))


def test_ieee_1366_indices_of_a_month(client, march):
    body, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31"})
    assert body["customers_served"] == N_T
    assert body["hours"] == MARCH_HOURS
    # Sustained customer interruptions: E1 10, E2 10, E4..E6 3 = 23; minutes 5x30 + 5x60 + 10x240 + 20+10+30.
    interruptions, minutes, interrupted = 23, 150 + 300 + 2400 + 60, 21
    expected = {
        "SAIFI": interruptions / N_T, "SAIDI": minutes / N_T, "CAIDI": minutes / interruptions,
        "CTAIDI": minutes / interrupted, "CAIFI": interruptions / interrupted,
        "ASAI": 1 - minutes / (N_T * MARCH_HOURS * 60),
        "MAIFI": (10 + 1) / N_T,  # E3's ten and E7's one
        "CEMI-3": 0 / N_T,  # more than three: nobody (4000 was out exactly three times)
    }
    for index, value in expected.items():
        places = {"ASAI": 8, "CAIDI": 2, "CTAIDI": 2, "CEMI-3": 6}.get(index, 4)
        assert close(by_index[index]["value"], value, places), (index, by_index[index], value)
    assert (by_index["SAIFI"]["value"], by_index["SAIDI"]["value"]) == (0.46, 58.2)
    assert by_index["SAIDI"]["unit"] == "min/customer"
    # Without the planned outage E2: 13 interruptions, 510 minutes, 11 customers interrupted.
    assert by_index["SAIFI"]["value_without_planned"] == 0.26
    assert by_index["SAIDI"]["value_without_planned"] == 10.2
    assert close(by_index["CTAIDI"]["value_without_planned"], 510 / 11, 2)
    # No history before March: no threshold, no major event day, the same figures without them.
    assert body["major_event_threshold_min"] is None and body["major_event_days"] == []
    assert by_index["SAIDI"]["value_without_major_events"] == 58.2
    assert by_index["SAIDI"]["value_without_both"] == 10.2


def test_dl_t_836_indices_of_a_month(client, march):
    _, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31"})
    # Longer than 3 minutes: the 23 sustained ones and E7's 4 minutes; E3's 2 minutes are left out.
    outages, hours = 24, (2910 + 4) / 60
    assert close(by_index["AITC-1"]["value"], outages / N_T)
    assert close(by_index["AIHC-1"]["value"], hours / N_T)
    assert close(by_index["RS-1"]["value"], 1 - hours / (N_T * MARCH_HOURS), 8)
    # RS-3 leaves out E1 (limited supply from the system): 450 customer minutes fewer.
    assert close(by_index["RS-3"]["value"], 1 - (hours - 450 / 60) / (N_T * MARCH_HOURS), 8)
    assert by_index["RS-1"]["unit"] == "share" and by_index["AIHC-1"]["unit"] == "h/customer"


def test_cemi_counts_customers_out_more_than_n_times_and_the_frequent_list(client, rules, march):
    stricter = rules(reliability_cemi_n=2)
    _, by_index = indices(stricter, **{"from": "2024-03-01", "to": "2024-03-31"})
    assert by_index["CEMI-2"]["value"] == 1 / N_T  # 4000, out three times
    listed = client.get("/api/v1/reports/frequent-interruptions",
                        query_string={"from": "2024-03-01", "to": "2024-03-31", "min": 3}).get_json()
    assert [(r["account_no"], r["interruptions"], r["minutes"], r["zone"]) for r in listed["rows"]] == [
        ("4000", 3, 60.0, "Z1")]
    assert listed["rows"][0]["last_restored_at"] == "2024-03-25T00:30:00+00:00"
    assert len(listed["rows"][0]["location"]) == 2
    twice = client.get("/api/v1/reports/frequent-interruptions",
                       query_string={"from": "2024-03-01", "to": "2024-03-31", "min": 1}).get_json()["rows"]
    assert len(twice) == 21 and twice[0]["account_no"] == "4000"  # momentary ones do not count


def test_a_zone_counts_its_own_customers_and_interruptions(client, march):
    body, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31", "zone": "Z1"})
    assert body["customers_served"] == 40  # T5's customers lie in no zone
    assert close(by_index["SAIFI"]["value"], 23 / 40)
    assert_problem(client.get("/api/v1/reports/reliability?from=2024-03-01&to=2024-03-31&zone=NOPE"), 404)


def test_exclude_chooses_what_the_headline_value_leaves_out(client, march):
    body, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31", "exclude": "planned"})
    assert body["excluded"] == ["planned"]
    assert by_index["SAIDI"]["value"] == by_index["SAIDI"]["value_without_planned"] == 10.2


@pytest.mark.parametrize("query, field", [
    ({"from": "2024-03-31", "to": "2024-03-01"}, "to"),
    ({"from": "2019-01-01", "to": "2024-12-31"}, "to"),
    ({"from": "2024-03-01", "to": "2024-03-31", "exclude": "storms"}, "exclude"),
    ({"from": "0001-01-01", "to": "2024-03-31"}, "from"),
    ({"from": "2024-03-01"}, "to"),
])
def test_bad_periods_are_refused_with_the_field(client, query, field):
    body = assert_problem(client.get("/api/v1/reports/reliability", query_string=query), 422)
    assert field in {e["field"] for e in body["errors"]}, body


def test_a_major_event_day_by_the_two_and_a_half_beta_method(client, cli, feeder, tmp_path):
    """Five years of ordinary days (one to four customers out, 20 to 80 minutes), then a storm day."""
    history, daily_saidi = [], []
    day = date(2019, 3, 10)
    for i in range(60):
        customers, minutes = 1 + i % 4, 20 + (i * 7) % 61
        start = f"{day.isoformat()}T09:00:00+08:00"
        end_minute = 9 * 60 + minutes
        end = f"{day.isoformat()}T{end_minute // 60:02d}:{end_minute % 60:02d}:00+08:00"
        history.append((f"H{i}", start, end, "false", "", accounts(1, range(customers))))
        daily_saidi.append(customers * minutes / N_T)
        day += timedelta(days=29)
    assert day < date(2024, 3, 1)
    storm = ("STORM", "2024-03-08T06:00:00+08:00", "2024-03-08T16:00:00+08:00", "false", "weather.wind",
             accounts(2, range(10)) + ";" + accounts(3, range(10)) + ";" + accounts(4, range(10)))
    ordinary = ("ORD", "2024-03-20T06:00:00+08:00", "2024-03-20T06:30:00+08:00", "false", "", "5000")
    import_history(cli, history_file(tmp_path, [*history, storm, ordinary]))

    logs = [math.log(v) for v in daily_saidi]
    threshold = math.exp(statistics.mean(logs) + 2.5 * statistics.stdev(logs))
    assert 30 * 600 / N_T > threshold > 30 / N_T  # the storm is above it, the ordinary day below

    body, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31"})
    assert body["major_event_days"] == ["2024-03-08"]
    assert close(body["major_event_threshold_min"], threshold)
    assert close(by_index["SAIDI"]["value"], (30 * 600 + 30) / N_T)
    assert close(by_index["SAIDI"]["value_without_major_events"], 30 / N_T)
    assert close(by_index["SAIFI"]["value_without_major_events"], 1 / N_T)

    # Another ordinary day in the history moves the threshold: the report sees it at once (the
    # daily SAIDI of past years is kept between reports only while no write touches those years).
    late = ("H-late", "2023-06-01T09:00:00+08:00", "2023-06-01T10:00:00+08:00", "false", "", accounts(5, range(10)))
    import_history(cli, history_file(tmp_path, [late], name="late.csv"))
    logs.append(math.log(10 * 60 / N_T))
    moved = math.exp(statistics.mean(logs) + 2.5 * statistics.stdev(logs))
    body, _ = indices(client, **{"from": "2024-03-01", "to": "2024-03-31"})
    assert close(body["major_event_threshold_min"], moved) and moved != pytest.approx(threshold)


def test_each_reporting_year_judges_its_days_by_its_own_threshold(client, cli, feeder, tmp_path):
    """IEEE 1366 fixes T_MED per reporting year from the five years before it. 2018-2022 were calm;
    2023 had ten bad days, which raise 2024's threshold. The same storm (30 customers, an hour) on
    5 December 2023 and on 10 January 2024 is a major event day in the first year only."""
    def ymd(day: date, minute: int) -> str:
        return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00+08:00"

    history, saidi = [], {}
    day = date(2018, 2, 1)
    for i in range(60):  # every 29 days to November 2022: one to four customers, 20 to 80 minutes
        customers, minutes = 1 + i % 4, 20 + (i * 7) % 61
        history.append((f"H{i}", ymd(day, 540), ymd(day, 540 + minutes), "false", "", accounts(1, range(customers))))
        saidi[day] = customers * minutes / N_T
        day += timedelta(days=29)
    for month in range(2, 12):  # 2023: ten customers out five hours, ten times
        day = date(2023, month, 15)
        history.append((f"B{month}", ymd(day, 360), ymd(day, 660), "false", "", accounts(2, range(10))))
        saidi[day] = 10 * 300 / N_T
    thirty = ";".join(accounts(t, range(10)) for t in (2, 3, 4))
    for ref, day in (("S2023", date(2023, 12, 5)), ("S2024", date(2024, 1, 10))):
        history.append((ref, ymd(day, 360), ymd(day, 420), "false", "weather.wind", thirty))
    saidi[date(2023, 12, 5)] = 30 * 60 / N_T
    import_history(cli, history_file(tmp_path, history))

    def t_med(first: date, last: date) -> float:
        logs = [math.log(v) for d, v in saidi.items() if first <= d < last]
        return math.exp(statistics.mean(logs) + 2.5 * statistics.stdev(logs))

    t2023, t2024 = t_med(date(2018, 1, 1), date(2023, 1, 1)), t_med(date(2019, 1, 1), date(2024, 1, 1))
    assert t2023 < 30 * 60 / N_T < t2024  # by hand: about 10.9 and 137.7 minutes

    body, by_index = indices(client, **{"from": "2023-12-01", "to": "2024-01-31"})
    assert body["major_event_days"] == ["2023-12-05"]
    assert body["major_event_threshold_min"] is None  # two years: each has its own
    assert [(y["year"], y["from"], y["to"]) for y in body["major_event_thresholds"]] == [
        (2023, "2023-12-01", "2023-12-31"), (2024, "2024-01-01", "2024-01-31")]
    assert [close(y["threshold_min"], t) for y, t in zip(body["major_event_thresholds"], (t2023, t2024))] == [True, True]
    assert close(by_index["SAIDI"]["value_without_major_events"], 30 * 60 / N_T)

    # A period inside one year gives that year's threshold, whatever its first day.
    body, _ = indices(client, **{"from": "2024-01-10", "to": "2024-01-10"})
    assert body["major_event_days"] == [] and close(body["major_event_threshold_min"], t2024)


def test_overlapping_zones_a_customer_belongs_to_the_smallest_for_its_interruptions_and_the_served(
        client, cli, feeder, connection, tmp_path):
    """A town zone Z1A drawn inside Z1 around T2's customers: they belong to Z1A alone (the rule of
    intake, dispatch/gis/zoning.py), so Z1 serves 30 customers and Z1A 10, and each interruption
    counts in the zone its customer belongs to."""
    connection.execute(text(
        "INSERT INTO zones (code, name, class, geom) SELECT 'Z1A', 'Inner town', 'urban', "
        "ST_Multi(ST_Buffer(ST_ConvexHull(ST_Collect(geom)), 0.00005)) FROM customers WHERE account_no LIKE '2%'"))
    inner = connection.execute(text(
        "SELECT account_no FROM customers c JOIN zones z ON ST_Covers(z.geom, c.geom) WHERE z.code = 'Z1A'")).scalars()
    assert sorted(inner) == accounts(2, range(10)).split(";")
    rows = [("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T11:00:00+08:00", "false", "", accounts(2, range(10))),
            ("E2", "2024-03-06T10:00:00+08:00", "2024-03-06T10:30:00+08:00", "false", "", accounts(3, range(10)))]
    import_history(cli, history_file(tmp_path, rows))
    zoned = dict(connection.execute(text(
        "SELECT event_ref, string_agg(DISTINCT zone_code, ',') FROM customer_interruptions GROUP BY 1")).all())
    assert zoned == {"E1": "Z1A", "E2": "Z1"}

    outer, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31", "zone": "Z1"})
    assert outer["customers_served"] == 30
    assert close(by_index["SAIDI"]["value"], 10 * 30 / 30) and close(by_index["SAIFI"]["value"], 10 / 30)
    town, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31", "zone": "Z1A"})
    assert town["customers_served"] == 10
    assert close(by_index["SAIDI"]["value"], 10 * 60 / 10) and close(by_index["SAIFI"]["value"], 1)

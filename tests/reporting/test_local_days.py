"""Days are local calendar days of DISPATCH_TIMEZONE: 23 and 25 hours long where clocks change."""
from __future__ import annotations

import pytest

from tests.reporting.history import history_file, import_history

NEW_YORK = "America/New_York"  # clocks forward on 10 March 2024, back on 3 November 2024


@pytest.fixture
def around_the_changes(cli, feeder, tmp_path):
    rows = [
        # 10 March (23 hours): its first and last half hours, in their own offsets.
        ("A", "2024-03-10T00:30:00-05:00", "2024-03-10T01:30:00-05:00", "false", "", "1000"),
        ("B", "2024-03-10T23:30:00-04:00", "2024-03-11T00:30:00-04:00", "false", "", "1001"),
        # Just outside it on either side.
        ("C", "2024-03-09T23:30:00-05:00", "2024-03-10T00:30:00-05:00", "false", "", "1002"),
        ("D", "2024-03-11T00:30:00-04:00", "2024-03-11T01:30:00-04:00", "false", "", "1003"),
        # 3 November (25 hours): the hour lived twice, once in each offset.
        ("E", "2024-11-03T01:30:00-04:00", "2024-11-03T02:30:00-05:00", "false", "", "1004"),
        ("F", "2024-11-03T23:30:00-05:00", "2024-11-04T00:30:00-05:00", "false", "", "1005"),
        ("G", "2024-11-04T00:10:00-05:00", "2024-11-04T01:10:00-05:00", "false", "", "1006"),
    ]
    import_history(cli, history_file(tmp_path, rows))


def by_index(client, day: str) -> tuple[dict, dict]:
    body = client.get("/api/v1/reports/reliability", query_string={"from": day, "to": day}).get_json()
    return body, {row["index"]: row["value"] for row in body["rows"]}


def test_the_spring_forward_day_has_23_hours(rules, around_the_changes):
    body, values = by_index(rules(dispatch_timezone=NEW_YORK), "2024-03-10")
    assert body["hours"] == 23
    assert values["SAIFI"] == 2 / 50  # A and B, not C and D
    assert values["ASAI"] == pytest.approx(round(1 - 120 / (50 * 23 * 60), 8), abs=1e-8)


def test_the_fall_back_day_has_25_hours(rules, around_the_changes):
    body, values = by_index(rules(dispatch_timezone=NEW_YORK), "2024-11-03")
    assert body["hours"] == 25
    # E lasted two hours by the clock on the wall (01:30 EDT to 02:30 EST); F belongs to the 3rd.
    assert values["SAIDI"] == pytest.approx((120 + 60) / 50)
    assert values["ASAI"] == pytest.approx(round(1 - 180 / (50 * 25 * 60), 8), abs=1e-8)


def test_the_same_rows_fall_on_other_days_in_shanghai(client, around_the_changes):
    body, values = by_index(client, "2024-03-10")  # the default zone, Asia/Shanghai: 24 hours
    assert body["hours"] == 24 and body["timezone"] == "Asia/Shanghai"
    # 10 March in Shanghai is 9 March 16:00 to 10 March 16:00 UTC: A (05:30 UTC) and C (04:30 UTC).
    assert values["SAIFI"] == 2 / 50

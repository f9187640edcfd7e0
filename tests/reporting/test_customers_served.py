"""Customers served from the utility's own counts (``flask data import-customers-served``): the
indices divide by the count in effect, and today's customers serve where no count is given.

The grid is tests.factories.feeder_grid: 50 customers, T1..T4 (40) in zone Z1.
"""
from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from tests.helpers import count
from tests.reporting.history import accounts, history_file, import_history
from tests.reporting.test_reliability import close, indices

COUNTS = ("since", "zone", "customers")


def import_counts(cli, path, expect_ok: bool = True):
    result = cli.invoke(args=["data", "import-customers-served", str(path)])
    assert (result.exit_code == 0) == expect_ok, (result.output, result.exception)
    return result


@pytest.fixture
def counted(cli, feeder, tmp_path):
    """The utility served 400 customers from 2019, 1,000 from March 2024; zone Z1 800 from 2024."""
    rows = [("2019-01-01", "", "400"), ("2024-03-01", "", "1,000"), ("2024-01-01", "Z1", "800")]
    return import_counts(cli, history_file(tmp_path, rows, name="served.csv", columns=COUNTS))


def test_the_indices_divide_by_the_count_in_effect_at_the_end_of_the_period(client, cli, counted, tmp_path):
    assert "3 count(s): 3 inserted, 0 updated, 0 unchanged" in counted.output
    hour = ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T11:00:00+08:00", "false", "", accounts(1, range(10)))
    import_history(cli, history_file(tmp_path, [hour]))

    body, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31"})
    assert body["customers_served"] == 1000 and "2024-03-01" in body["basis"]
    assert close(by_index["SAIDI"]["value"], 10 * 60 / 1000) and close(by_index["SAIFI"]["value"], 10 / 1000)

    body, by_index = indices(client, **{"from": "2024-03-01", "to": "2024-03-31", "zone": "Z1"})
    assert body["customers_served"] == 800 and close(by_index["SAIDI"]["value"], 10 * 60 / 800)

    body, _ = indices(client, **{"from": "2024-02-01", "to": "2024-02-29"})
    assert body["customers_served"] == 400 and "2019-01-01" in body["basis"]
    body, _ = indices(client, **{"from": "2018-06-01", "to": "2018-06-30"})  # before every count: today's
    assert body["customers_served"] == 50 and body["basis"].startswith("customers in scope now")
    body, _ = indices(client, **{"from": "2023-06-01", "to": "2023-06-30", "zone": "Z1"})  # none for Z1 yet
    assert body["customers_served"] == 40


def test_the_major_event_threshold_divides_each_past_day_by_its_own_count(client, cli, feeder, tmp_path):
    """The history years were counted at 100 customers (today's grid has 50): each past day's SAIDI
    divides by 100, which halves it against today's count, and the threshold follows."""
    import_counts(cli, history_file(tmp_path, [("2018-01-01", "", "100"), ("2024-01-01", "", "1000")],
                                    name="served.csv", columns=COUNTS))
    history, daily_saidi, day = [], [], date(2019, 3, 10)
    for i in range(40):
        customers, minutes = 1 + i % 4, 20 + (i * 7) % 61
        end = 9 * 60 + minutes
        history.append((f"H{i}", f"{day}T09:00:00+08:00", f"{day}T{end // 60:02d}:{end % 60:02d}:00+08:00",
                        "false", "", accounts(1, range(customers))))
        daily_saidi.append(customers * minutes / 100)
        day += timedelta(days=40)
    import_history(cli, history_file(tmp_path, history))
    logs = [math.log(v) for v in daily_saidi]
    threshold = math.exp(statistics.mean(logs) + 2.5 * statistics.stdev(logs))

    body, _ = indices(client, **{"from": "2024-03-01", "to": "2024-03-31"})
    assert close(body["major_event_threshold_min"], threshold)


def test_importing_the_same_counts_again_changes_nothing_and_a_new_figure_updates(cli, counted, tmp_path, connection):
    again = import_counts(cli, history_file(tmp_path, [("2019-01-01", "", "400"), ("2024-01-01", " Z1 ", "800")],
                                            name="again.csv", columns=COUNTS))
    assert "2 count(s): 0 inserted, 0 updated, 2 unchanged" in again.output
    moved = import_counts(cli, history_file(tmp_path, [("2019-01-01", "", "420")], name="moved.csv", columns=COUNTS))
    assert "1 count(s): 0 inserted, 1 updated, 0 unchanged" in moved.output
    assert connection.execute(text(
        "SELECT customers FROM customers_served WHERE zone_code IS NULL AND since = '2019-01-01'")).scalar_one() == 420
    assert count(connection, "customers_served") == 3


def test_a_file_with_problems_is_refused_whole_with_row_numbers(cli, feeder, tmp_path, connection):
    rows = [("2024-01-01", "", "500"),       # fine, but not written: the file is refused
            ("2024-13-01", "", "500"),       # row 3: no such month
            ("2024-02-01", "Z1", "0"),       # row 4: nobody served
            ("2024-03-01", "", "many"),      # row 5: not a number
            ("2024-01-01", "", "510")]       # row 6: the same day as row 2
    result = import_counts(cli, history_file(tmp_path, rows, name="bad.csv", columns=COUNTS), expect_ok=False)
    for where in ("row 3", "row 4", "row 5", "row 6"):
        assert where in result.output, result.output
    assert "repeats row 2" in result.output and "row 2:" not in result.output
    headless = import_counts(cli, history_file(tmp_path, [("500",)], name="headless.csv", columns=("customers",)),
                             expect_ok=False)
    assert "since" in headless.output
    assert count(connection, "customers_served") == 0


def test_a_zone_that_no_longer_exists_is_kept_with_a_warning(cli, feeder, tmp_path, connection):
    result = import_counts(cli, history_file(tmp_path, [("2020-01-01", "OLD-7", "120")], name="old.csv",
                                             columns=COUNTS))
    assert "zone 'OLD-7' is not among today's zones" in result.output
    assert count(connection, "customers_served") == 1

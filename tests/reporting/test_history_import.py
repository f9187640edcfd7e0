"""flask data import-interruptions: all or nothing, row-numbered problems, the same file twice
changes nothing, messy exports read, devices expand to their downstream customers."""
from __future__ import annotations

from sqlalchemy import text

from tests.helpers import count
from tests.reporting.history import accounts, history_file, import_history
from tests.reporting.tallies import assert_tallies_match


def rows_of(connection) -> list[tuple]:
    return [tuple(r) for r in connection.execute(text(
        "SELECT event_ref, account_no, started_at, restored_at, planned, cause, zone_code, source "
        "FROM customer_interruptions ORDER BY event_ref, account_no"))]


GOOD = [
    ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T10:30:00+08:00", "false", "equipment.cable", accounts(1, range(3))),
    ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T11:00:00+08:00", "false", "equipment.cable", accounts(1, range(3, 5))),
    ("E2", "2024-03-06T09:00:00+08:00", "2024-03-06T12:00:00+08:00", "true", "", "5000"),
]


def test_steps_of_an_event_end_each_at_its_own_time_and_a_second_import_changes_nothing(cli, feeder, connection,
                                                                                          tmp_path):
    first = import_history(cli, history_file(tmp_path, GOOD))
    assert "2 event(s), 6 customer interruption(s): 6 inserted, 0 updated, 0 unchanged, 0 removed" in first.output
    stored = rows_of(connection)
    assert [(r[0], r[1], r[3].isoformat(), r[4], r[5], r[6], r[7]) for r in stored] == [
        ("E1", "1000", "2024-03-05T02:30:00+00:00", False, "equipment.cable", "Z1", "imported"),
        ("E1", "1001", "2024-03-05T02:30:00+00:00", False, "equipment.cable", "Z1", "imported"),
        ("E1", "1002", "2024-03-05T02:30:00+00:00", False, "equipment.cable", "Z1", "imported"),
        ("E1", "1003", "2024-03-05T03:00:00+00:00", False, "equipment.cable", "Z1", "imported"),
        ("E1", "1004", "2024-03-05T03:00:00+00:00", False, "equipment.cable", "Z1", "imported"),
        ("E2", "5000", "2024-03-06T04:00:00+00:00", True, None, None, "imported"),  # T5 lies in no zone
    ]
    again = import_history(cli, history_file(tmp_path, GOOD))
    assert "0 inserted, 0 updated, 6 unchanged, 0 removed" in again.output
    assert rows_of(connection) == stored
    corrected = [GOOD[0], GOOD[1], ("E2", "2024-03-06T09:00:00+08:00", "2024-03-06T12:30:00+08:00", "true", "", "5000")]
    fixed = import_history(cli, history_file(tmp_path, corrected))
    assert "0 inserted, 1 updated, 5 unchanged, 0 removed" in fixed.output
    assert_tallies_match(connection)


def test_a_corrected_file_makes_the_stored_event_what_it_says_removing_accounts_too(cli, feeder, connection, tmp_path):
    import_history(cli, history_file(tmp_path, GOOD))
    # E1's second step was not E1's (1003 and 1004 were never out): the corrected file drops it and
    # moves E2 to another customer. Events the file does not name are left alone.
    other = ("E9", "2024-02-01T09:00:00+08:00", "2024-02-01T10:00:00+08:00", "false", "", "4000")
    import_history(cli, history_file(tmp_path, [other], name="other.csv"))
    corrected = [GOOD[0], ("E2", "2024-03-06T09:00:00+08:00", "2024-03-06T12:00:00+08:00", "true", "", "5001")]
    fixed = import_history(cli, history_file(tmp_path, corrected))
    assert "2 event(s), 4 customer interruption(s): 1 inserted, 0 updated, 3 unchanged, 3 removed" in fixed.output
    assert [(r[0], r[1]) for r in rows_of(connection)] == [
        ("E1", "1000"), ("E1", "1001"), ("E1", "1002"), ("E2", "5001"), ("E9", "4000")]
    assert_tallies_match(connection)
    again = import_history(cli, history_file(tmp_path, corrected))
    assert "0 inserted, 0 updated, 4 unchanged, 0 removed" in again.output
    # Still all or nothing: a corrected file with a bad row removes nothing either.
    bad = [GOOD[0][:5] + (accounts(1, range(1)),),
           ("E3", "2024-03-07 10:00", "2024-03-07T11:00:00+08:00", "false", "", "2000")]
    import_history(cli, history_file(tmp_path, bad), expect_ok=False)
    assert len(rows_of(connection)) == 5
    assert_tallies_match(connection)


def test_any_problem_rejects_the_whole_file_with_row_numbers(cli, feeder, connection, tmp_path):
    bad = [
        *GOOD,
        ("E3", "2024-03-07 10:00", "2024-03-07T11:00:00+08:00", "false", "", "2000"),  # row 5: no offset
        ("E4", "2024-03-07T10:00:00+08:00", "2024-03-07T09:00:00+08:00", "false", "", "2000"),  # 6: backwards
        ("E5", "2024-03-07T10:00:00+08:00", "2024-03-07T11:00:00+08:00", "maybe", "", "2000"),  # 7: planned?
        ("", "2024-03-07T10:00:00+08:00", "2024-03-07T11:00:00+08:00", "false", "", "2000"),  # 8: no ref
        ("E6", "2024-03-07T10:00:00+08:00", "2024-03-07T11:00:00+08:00", "false", "", ""),  # 9: nobody
    ]
    result = import_history(cli, history_file(tmp_path, bad), expect_ok=False)
    assert "nothing was imported" in result.output
    for line, field in ((5, "started_at"), (6, "restored_at"), (7, "planned"), (8, "ref"), (9, "accounts")):
        assert f"row {line} {field}:" in result.output, result.output
    assert "row 2 " not in result.output and "row 4 " not in result.output
    assert count(connection, "customer_interruptions") == 0


def test_an_account_in_two_steps_of_one_event_and_an_unknown_device_are_refused(cli, feeder, connection, tmp_path):
    path = history_file(tmp_path, [
        ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T10:30:00+08:00", "false", "", "1000;1001", ""),
        ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T11:00:00+08:00", "false", "", "1001", ""),
        ("E2", "2024-03-05T10:00:00+08:00", "2024-03-05T11:00:00+08:00", "false", "", "", "NO-SUCH-FUSE"),
    ], columns=("ref", "started_at", "restored_at", "planned", "cause", "accounts", "device"))
    result = import_history(cli, path, expect_ok=False)
    assert "row 4 device: 'NO-SUCH-FUSE' is no switch, transformer or source" in result.output
    assert count(connection, "customer_interruptions") == 0
    path = history_file(tmp_path, [
        ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T10:30:00+08:00", "false", "", "1000;1001"),
        ("E1", "2024-03-05T10:00:00+08:00", "2024-03-05T11:00:00+08:00", "false", "", "1001"),
    ])
    result = import_history(cli, path, expect_ok=False)
    assert "row 3 accounts: account 1001 is already in row 2 of the same ref 'E1'" in result.output
    assert count(connection, "customer_interruptions") == 0


def test_a_device_means_its_downstream_customers_today(cli, feeder, connection, tmp_path):
    path = history_file(tmp_path, [
        ("F", "2023-07-01T10:00:00+08:00", "2023-07-01T12:00:00+08:00", "false", "weather.wind", "SEC1"),
        ("T", "2023-07-02T10:00:00+08:00", "2023-07-02T12:00:00+08:00", "0", "", "T5"),
    ], columns=("ref", "started_at", "restored_at", "planned", "cause", "device"))
    import_history(cli, path)
    by_ref = {}
    for ref, account, *_ in rows_of(connection):
        by_ref.setdefault(ref, []).append(account)
    assert by_ref == {"F": [f"2{k:03d}" for k in range(10)], "T": [f"5{k:03d}" for k in range(10)]}


def test_a_messy_export_is_read_and_what_is_dropped_is_said(cli, feeder, connection, tmp_path):
    content = ("\ufeff Ref , Started_At,restored_at ,PLANNED,cause,accounts,region\r\n"
               "\r\n"
               "M1, 2024-03-05T10:00:00+08:00 ,2024-03-05T11:00:00+08:00,TRUE, , 1000 ; 1001;1001;；9999 ,east\r\n"
               ",,,,,,\r\n"
               "M2,2024-03-05T10:00:00Z,2024-03-05T11:00:00Z,是,equipment.cable,2000,\r\n"
               "M3,2024-03-05T10:00:00+08:00,2024-03-05T11:00:00+08:00,,,2001,\r\n")
    path = tmp_path / "export.csv"
    path.write_text(content, encoding="utf-8")
    result = import_history(cli, path)
    assert "blank lines skipped (2)" in result.output
    assert "accounts repeated within a row, counted once" in result.output
    assert "empty planned read as false" in result.output
    assert "unknown column(s) ignored: region" in result.output
    assert "1 account(s) are not among today's customers" in result.output
    assert [(r[0], r[1], r[4], r[5]) for r in rows_of(connection)] == [
        ("M1", "1000", True, None), ("M1", "1001", True, None), ("M1", "9999", True, None),
        ("M2", "2000", True, "equipment.cable"), ("M3", "2001", False, None)]


def test_a_gb18030_file_is_read(cli, feeder, connection, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(("ref,started_at,restored_at,planned,cause,accounts\n"
                      "计划1,2024-03-05T10:00:00+08:00,2024-03-05T11:00:00+08:00,是,检修,1000\n").encode("gb18030"))
    result = import_history(cli, path)
    assert "GB18030" in result.output
    assert [(r[0], r[5]) for r in rows_of(connection)] == [("计划1", "检修")]


def test_times_the_database_cannot_hold_or_that_have_not_happened_are_refused(cli, feeder, connection, tmp_path):
    bad = [
        *GOOD,
        ("E3", "2024-03-07T10:00:00+08:00", "9999-12-31T23:59:59-12:00", "false", "", "2000"),  # row 5: future
        ("E4", "2024-03-07T10:00:00-23:59", "2024-03-07T11:00:00+08:00", "false", "", "2000"),  # row 6: offset
    ]
    result = import_history(cli, history_file(tmp_path, bad), expect_ok=False)
    assert "row 5 restored_at: '9999-12-31T23:59:59-12:00' is in the future" in result.output, result.output
    assert "row 6 started_at: '2024-03-07T10:00:00-23:59' has an offset beyond ±15:59" in result.output
    assert count(connection, "customer_interruptions") == 0


def test_a_field_too_long_for_csv_is_a_problem_of_the_file(cli, feeder, connection, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("ref,started_at,restored_at,planned,cause,accounts\n"
                    f'E1,2024-03-05T10:00:00+08:00,2024-03-05T10:30:00+08:00,false,"{"x" * 200_000}",1000\n')
    result = import_history(cli, path, expect_ok=False)
    assert "file: cannot be read as CSV near row 2" in result.output, result.output
    assert count(connection, "customer_interruptions") == 0

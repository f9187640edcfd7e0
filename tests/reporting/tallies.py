"""The tallies the reports read must be what counting the interruptions gives, after any write."""
from __future__ import annotations

from sqlalchemy import text

COUNTED = ("SELECT date_bin('15 minutes', started_at, TIMESTAMPTZ '2000-01-01 00:00Z') AS quarter, zone_code, planned, "
           "cause, date_part('epoch', restored_at - started_at) AS seconds, count(*) AS interruptions "
           "FROM customer_interruptions GROUP BY 1, 2, 3, 4, 5")
TALLIED = "SELECT quarter, zone_code, planned, cause, seconds, interruptions FROM interruption_tallies"


def assert_tallies_match(connection) -> None:
    def rows(sql: str) -> list[tuple]:
        return sorted((tuple(r) for r in connection.execute(text(sql))), key=repr)

    counted = rows(COUNTED)
    assert rows(TALLIED) == counted

"""Assertions shared by test modules."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import text

from dispatch.core import clock

#: The time of the tests' reports: 08:00 UTC two days before the application's clock when the
#: run starts, whatever the date (CLOCK_SHIFT_DAYS moves it). Whole minutes, so that deadlines and
#: windows are exact; in the past and less than 7 days old, as a report must be, even for the
#: reports a test sends hours or a day after it.
T0 = (clock.now() - timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)

GRID_TABLES = ("zones", "buses", "sources", "lines", "switches", "transformers", "customers", "depots",
               "crews", "road_nodes", "roads")


def fingerprint(connection) -> dict[str, str]:
    """A digest of every row of every grid table: equal fingerprints mean nothing changed."""
    digests = {}
    for table in GRID_TABLES:
        digests[table] = connection.execute(text(
            f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') FROM {table} t"
        )).scalar_one()
    return digests


def count(connection, table: str) -> int:
    return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and "type" in body
    return body


def report(client, at=T0, status=201, **body):
    """POST a report (channel hotline unless given) and return the answer's body."""
    body.setdefault("channel", "hotline")
    response = client.post("/api/v1/reports", json={"received_at": at.isoformat(), **body})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def customer(transformer: int, k: int = 0) -> str:
    """Account number of customer ``k`` behind transformer T<transformer> of ``feeder_grid``."""
    return f"{transformer}{k:03d}"


def outbox(connection, after: int = 0, topic: str | None = None) -> list[dict]:
    """The live messages written after id ``after`` (of one topic, if given), in id order."""
    rows = connection.execute(text(
        "SELECT id, topic, payload, crew_ids FROM outbox WHERE id > :after "
        "AND (CAST(:topic AS text) IS NULL OR topic = :topic) ORDER BY id"), {"after": after, "topic": topic})
    return [dict(row) for row in rows.mappings()]


def last_outbox_id(connection) -> int:
    return connection.execute(text("SELECT coalesce(max(id), 0) FROM outbox")).scalar_one()


def leaks(secret: str, value: str) -> bool:
    """Whether ``value`` holds ``secret``: a number (an account) only as a whole number, not as digits
    inside a longer one (account 4007 is not in the time 05.644007)."""
    if secret.isdigit():
        return re.search(rf"(?<!\d){secret}(?!\d)", value) is not None
    return secret in value


def strings(value):
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)

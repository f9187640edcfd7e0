"""Assertions shared by test modules."""
from __future__ import annotations

from sqlalchemy import text

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

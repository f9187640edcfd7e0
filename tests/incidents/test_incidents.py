"""GET /api/v1/incidents and /api/v1/incidents/{id}."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import LAT, LON
from tests.helpers import T0, assert_problem, customer, report


@pytest.fixture
def incidents(client, feeder):
    """Four incidents: T1 (urban, hazard), T4 (urban), unlocated, T5 (outside zones, next day)."""
    return {
        "hazard": report(client, account_no=customer(1), kind="fire")["incident"]["id"],
        "t4": report(client, T0 + timedelta(hours=3), account_no=customer(4))["incident"]["id"],
        "unlocated": report(client, T0 + timedelta(hours=4), phone="12345")["incident"]["id"],
        "t5": report(client, T0 + timedelta(days=1), account_no=customer(5))["incident"]["id"],
    }


def ids(client, query=""):
    response = client.get(f"/api/v1/incidents{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [i["id"] for i in response.get_json()["incidents"]]


def test_lists_newest_first_with_summaries(client, incidents):
    body = client.get("/api/v1/incidents").get_json()
    assert [i["id"] for i in body["incidents"]] == sorted(incidents.values(), reverse=True)
    t4 = next(i for i in body["incidents"] if i["id"] == incidents["t4"])
    assert t4["device"] == {"kind": "transformer", "code": "T4"} and t4["zone"] == "Z1" and t4["class"] == "urban"
    assert t4["location"]["type"] == "Point" and t4["customers_affected"] == 10 and t4["source"] == "S1"


def test_filters(client, incidents):
    assert ids(client, "?class=rural") == [incidents["t5"], incidents["unlocated"]]  # both defaulted to rural
    assert ids(client, "?zone=Z1") == [incidents["t4"], incidents["hazard"]]
    assert ids(client, "?status=new,merged") == sorted(incidents.values(), reverse=True)
    assert ids(client, "?status=closed") == []
    since = (T0 + timedelta(hours=2)).isoformat().replace("+", "%2B")
    assert ids(client, f"?since={since}") == [incidents["t5"], incidents["unlocated"], incidents["t4"]]
    around_t4 = f"{LON + 0.004},{LAT - 0.007},{LON + 0.005},{LAT - 0.005}"
    assert ids(client, f"?bbox={around_t4}") == [incidents["t4"]]


def test_pages(client, incidents):
    seen, url = [], "/api/v1/incidents?limit=3"
    while url:
        body = client.get(url).get_json()
        seen += [i["id"] for i in body["incidents"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert seen == sorted(incidents.values(), reverse=True)


@pytest.mark.parametrize("query, field", [
    ("?status=lost", "status"), ("?class=suburban", "class"), ("?since=yesterday", "since"),
    (f"?since={T0.replace(tzinfo=None).isoformat()}", "since"), ("?bbox=1,2", "bbox"), ("?limit=0", "limit"), ("?x=1", "x"),
])
def test_bad_filters_are_422(client, query, field):
    body = assert_problem(client.get(f"/api/v1/incidents{query}"), 422)
    assert [e["field"] for e in body["errors"]] == [field]


def test_one_incident_in_full(client, incidents):
    body = client.get(f"/api/v1/incidents/{incidents['hazard']}").get_json()
    assert body["hazard"] and body["device"]["code"] == "T1"
    assert [r["account_no"] for r in body["reports"]] == ["1000"]
    assert body["reports"][0]["kind"] == "fire" and body["reports"][0]["located_method"] == "account_no"
    assert [e["type"] for e in body["timeline"]] == ["opened"]
    assert body["timeline"][0]["data"] == {"device": "T1", "kind": "transformer"}


def test_unknown_incident_is_404(client):
    assert_problem(client.get("/api/v1/incidents/999999"), 404)
    assert_problem(client.get("/api/v1/incidents/abc"), 404)

"""The outage lookup by account or phone, as a channel (and the desk) sees it: inside and outside an
outage, the crew's stage, several accounts of one phone, and never another customer's data."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.accounts.test_auth import channel_key
from tests.customers.test_channels import as_channel
from tests.helpers import assert_problem, customer, leaks, report, strings

OUTAGE_FIELDS = {"reference", "since", "planned", "cause", "stage", "reported_by_customer", "etr"}


@pytest.fixture
def ivr(app, cli, city, redis_db):
    return as_channel(app, channel_key(cli, "ivr-main", "ivr"))


def lookup(caller, status: int = 200, **query) -> dict:
    response = caller.get("/api/v1/outages/lookup", query_string=query)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def only(answer: dict) -> dict:
    (entry,) = answer["customers"]
    return entry


def test_a_caller_is_in_the_outage_they_reported_and_their_neighbours_too(client, ivr):
    at = clock.now() - timedelta(minutes=10)
    incident = report(client, at, account_no=customer(2))["incident"]
    mine = only(lookup(ivr, account=customer(2)))
    assert mine["account_no"] == customer(2) and mine["in_outage"] is True
    outage = mine["outage"]
    assert set(outage) == OUTAGE_FIELDS
    assert outage["reference"] == incident["id"] and outage["reported_by_customer"] is True
    assert outage["since"] == at.isoformat() and outage["planned"] is False
    assert outage["stage"] == "assigned" and outage["cause"] is None
    # A crew is on its way: the customer hears the desk's estimate of restoration.
    etr_at = client.get(f"/api/v1/incidents/{incident['id']}").get_json()["etr_at"]
    assert etr_at is not None and datetime.fromisoformat(outage["etr"]) == datetime.fromisoformat(etr_at)

    neighbour = only(lookup(ivr, account=customer(2, 5)))  # same transformer, did not call
    assert neighbour["in_outage"] is True
    assert neighbour["outage"]["reference"] == incident["id"] and neighbour["outage"]["reported_by_customer"] is False

    elsewhere = only(lookup(ivr, account=customer(3)))  # another transformer, its own fuse
    assert elsewhere == {"account_no": customer(3), "in_outage": False, "outage": None}


def test_a_customer_on_record_at_a_transformer_only_is_in_its_outage(client, ivr, connection):
    connection.execute(text("UPDATE customers SET bus_id = NULL, transformer_id = (SELECT id FROM transformers "
                            "WHERE code = 'T2') WHERE account_no = :a"), {"a": customer(2, 7)})
    report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))
    assert only(lookup(ivr, account=customer(2, 7)))["in_outage"] is True


def test_the_stage_follows_the_crew_and_a_restored_outage_is_over(client, ivr):
    incident = report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))["incident"]["id"]
    stages = []
    for event in ("accepted", "en_route", "on_site"):
        assert client.post(f"/api/v1/incidents/{incident}/events", json={"type": event}).status_code == 200
        stages.append(only(lookup(ivr, account=customer(2)))["outage"]["stage"])
    assert stages == ["assigned", "on_the_way", "on_site"]
    assert client.post(f"/api/v1/incidents/{incident}/events",
                       json={"type": "restored", "cause": "weather.lightning"}).status_code == 200
    assert only(lookup(ivr, account=customer(2))) == {"account_no": customer(2), "in_outage": False, "outage": None}


def test_an_outage_with_no_crew_yet_is_reported_and_its_cause_is_told_when_known(client, ivr, connection):
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty'"))  # nobody to send
    incident = report(client, clock.now() - timedelta(minutes=5), account_no=customer(4))["incident"]["id"]
    assert only(lookup(ivr, account=customer(4)))["outage"]["stage"] == "reported"
    # No step of today's lifecycle gives an open incident its cause; the lookup tells it once one does.
    connection.execute(text("UPDATE incidents SET cause = 'weather.lightning' WHERE id = :i"), {"i": incident})
    cause = only(lookup(ivr, account=customer(4)))["outage"]["cause"]
    assert cause["code"] == "weather.lightning" and cause["label"]["en"] and cause["label"]["zh-CN"]


def test_an_outage_upstream_covers_every_transformer_below_it(client, ivr, connection):
    at = clock.now() - timedelta(minutes=10)
    for transformer in (1, 2, 3):  # three transformers behind recloser R1: inference rolls up to it
        report(client, at, account_no=customer(transformer))
    device = connection.execute(text(
        "SELECT device_code FROM incidents WHERE status NOT IN ('merged')")).scalars().all()
    assert device == ["R1"]
    for account in (customer(1, 9), customer(2, 9), customer(3, 9)):
        assert only(lookup(ivr, account=account))["in_outage"] is True
    assert only(lookup(ivr, account=customer(4, 9)))["in_outage"] is False  # T4 hangs off BR1 above R1


def test_a_phone_answers_for_each_of_its_accounts_and_no_other(client, ivr, connection):
    shared = "13900002000"  # customer(2)'s phone; customer(3) moves to it
    connection.execute(text("UPDATE customers SET phone = '139-0000-2000' WHERE account_no = :a"), {"a": customer(3)})
    report(client, clock.now() - timedelta(minutes=10), account_no=customer(2))
    answer = lookup(ivr, phone="139 0000 2000")
    assert [(c["account_no"], c["in_outage"]) for c in answer["customers"]] == [(customer(2), True),
                                                                                 (customer(3), False)]
    assert lookup(ivr, phone=shared) == answer


def test_no_lookup_answer_holds_another_customers_data(client, ivr, connection):
    report(client, clock.now() - timedelta(minutes=10), account_no=customer(2, 1), description="my neighbour Li")
    report(client, clock.now() - timedelta(minutes=9), account_no=customer(2, 2))
    connection.execute(text("UPDATE customers SET phone = '13900002000' WHERE account_no = :a"), {"a": customer(3)})
    people = connection.execute(text("SELECT account_no, name, phone, phone_digits, address FROM customers")).all()
    asked = {customer(2): [customer(2)], customer(3): [customer(3)]}
    answers = {customer(2): lookup(ivr, account=customer(2)), customer(3): lookup(ivr, account=customer(3)),
               "phone": lookup(ivr, phone="13900002000")}
    asked["phone"] = [customer(2), customer(3)]
    for question, answer in answers.items():
        values = list(strings(answer))
        assert [c["account_no"] for c in answer["customers"]] == asked[question]
        for account_no, name, phone, digits, address in people:
            secrets = [name, phone, digits, address]
            if account_no not in asked[question]:
                secrets.append(account_no)
            for secret in filter(None, secrets):
                assert not any(leaks(secret, value) for value in values), (question, secret)
        assert not any("my neighbour" in value or "crew" in value.lower() for value in values)
        for entry in answer["customers"]:
            assert set(entry) == {"account_no", "in_outage", "outage"}
            assert entry["outage"] is None or set(entry["outage"]) == OUTAGE_FIELDS


def test_unknown_customers_get_404_and_bad_questions_422(ivr, connection):
    assert_problem(ivr.get("/api/v1/outages/lookup?account=nobody"), 404)
    assert_problem(ivr.get("/api/v1/outages/lookup?phone=10000000000"), 404)
    for query in ("", f"?account={customer(2)}&phone=13900002000", "?phone=12-3", "?account=", "?name=Zhang",
                  "?account=" + "9" * 65):
        assert_problem(ivr.get("/api/v1/outages/lookup" + query), 422)


def test_the_lookup_needs_a_channels_key_or_the_desk(app, client, make_user, ivr):
    assert_problem(app.test_client().get(f"/api/v1/outages/lookup?account={customer(2)}"), 401)
    assert only(lookup(client, account=customer(2)))["in_outage"] is False  # the desk may
    viewer = app.test_client()
    viewer.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_user('viewer')['token']}"
    assert_problem(viewer.get(f"/api/v1/outages/lookup?account={customer(2)}"), 403)


def test_a_fault_on_one_customers_side_is_not_told_to_the_neighbours(client, ivr):
    incident = report(client, clock.now() - timedelta(minutes=5), account_no=customer(2))["incident"]
    marked = client.post(f"/api/v1/incidents/{incident['id']}/customer-side", json={"reason": "behind_meter", "agreed_arrival": (clock.now() + timedelta(hours=4)).isoformat()})
    assert marked.status_code == 200, marked.get_data(as_text=True)
    assert only(lookup(ivr, account=customer(2)))["in_outage"] is True  # the caller hears of their own
    assert only(lookup(ivr, account=customer(2, 5)))["in_outage"] is False


def test_an_estimate_that_has_passed_is_not_told(client, ivr, connection):
    incident = report(client, clock.now() - timedelta(minutes=5), account_no=customer(2))["incident"]
    connection.execute(text("UPDATE incidents SET etr_at = :past WHERE id = :id"),
                       {"past": clock.now() - timedelta(minutes=1), "id": incident["id"]})
    assert only(lookup(ivr, account=customer(2)))["outage"]["etr"] is None

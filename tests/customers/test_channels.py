"""Machine channels: clients made and revoked with the command line, their keys, the channel their
reports carry, their rate limits and their idempotency, through the API."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.accounts.test_auth import channel_key
from tests.helpers import assert_problem, count, customer


def as_channel(app, key: str):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def post_report(caller, status: int = 201, headers: dict | None = None, **body):
    body.setdefault("received_at", (clock.now() - timedelta(minutes=1)).isoformat())
    response = caller.post("/api/v1/reports", json=body, headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def test_clients_are_created_listed_and_revoked_with_the_command_line(cli, connection):
    made = cli.invoke(args=["channels", "create", "IVR-Main", "--channel", "ivr", "--rate", "600/min"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert key.startswith("chk_") and len(key) > 40 and "\n" not in key
    assert "shown only now" in made.stderr
    stored = connection.execute(text("SELECT name, channel, key_hash, key_prefix, rate_count, rate_period_s "
                                     "FROM channel_clients")).mappings().one()
    assert stored["name"] == "ivr-main" and stored["channel"] == "ivr"
    assert (stored["rate_count"], stored["rate_period_s"]) == (600, 60)
    assert key not in stored["key_hash"] and key.startswith(stored["key_prefix"]) and len(stored["key_prefix"]) < 12

    listed = cli.invoke(args=["channels", "list"]).output
    assert "ivr-main" in listed and "600/min" in listed and "active" in listed and key not in listed

    assert cli.invoke(args=["channels", "revoke", "ivr-main"]).output.strip() == "revoked ivr-main"
    assert "revoked already" in cli.invoke(args=["channels", "revoke", "ivr-main"]).output
    assert re.search(r"ivr-main .* revoked \d{4}-\d\d-\d\dT", cli.invoke(args=["channels", "list"]).output)


@pytest.mark.parametrize("args, message", [
    (["x", "--channel", "ivr"], "name"),
    (["ok-name", "--channel", "ivr", "--rate", "0/min"], "N/s, N/min or N/h"),
    (["ok-name", "--channel", "ivr", "--rate", "lots"], "N/s, N/min or N/h"),
    (["ok-name", "--channel", "carrier-pigeon"], "carrier-pigeon"),
])
def test_bad_clients_are_refused(cli, connection, args, message):
    result = cli.invoke(args=["channels", "create", *args])
    assert result.exit_code != 0 and message in result.output
    assert count(connection, "channel_clients") == 0


def test_a_name_is_taken_once_and_an_unknown_client_cannot_be_revoked(cli, connection):
    channel_key(cli, "wechat-sa", "wechat")
    again = cli.invoke(args=["channels", "create", "wechat-sa", "--channel", "wechat"])
    assert again.exit_code == 1 and "exists already" in again.output
    missing = cli.invoke(args=["channels", "revoke", "nobody"])
    assert missing.exit_code == 1 and "no channel client" in missing.output


def test_a_report_from_a_channel_carries_the_channel_of_its_key(app, cli, city, connection, redis_db):
    ivr = as_channel(app, channel_key(cli, "ivr-main", "ivr"))
    first = post_report(ivr, account_no=customer(2)).get_json()
    named = post_report(ivr, account_no=customer(2, 1), channel="ivr").get_json()  # its own channel may be named
    rows = connection.execute(text(
        "SELECT r.id, r.channel, c.name FROM reports r JOIN channel_clients c ON c.id = r.channel_client_id "
        "ORDER BY r.id")).all()
    assert [(r.id, r.channel, r.name) for r in rows] == [(first["id"], "ivr", "ivr-main"),
                                                         (named["id"], "ivr", "ivr-main")]
    assert first["incident"]["id"] == named["incident"]["id"]


def test_a_channel_learns_its_reference_not_whose_account_a_phone_is(app, cli, city, client, redis_db):
    wechat = as_channel(app, channel_key(cli, "wechat-sa", "wechat"))
    answer = post_report(wechat, phone="13900002003").get_json()
    assert answer["located"] == {"method": "phone"} and answer["incident"]["id"] > 0
    assert customer(2, 3) not in str(answer)  # the account behind the phone stays with the utility
    desk = post_report(client, channel="hotline", phone="13900002004").get_json()
    assert desk["located"]["account_no"] == customer(2, 4)  # the desk sees it


def test_a_channel_cannot_claim_another_channel(app, cli, city, connection, redis_db):
    app_client = as_channel(app, channel_key(cli, "customer-app", "app"))
    body = assert_problem(post_report(app_client, 403, account_no=customer(2), channel="hotline"), 403)
    assert "app channel" in body["detail"]
    assert count(connection, "reports") == 0


def test_the_desk_still_names_the_channel_and_must(client, city, connection):
    assert_problem(post_report(client, 422, account_no=customer(2)), 422)
    post_report(client, account_no=customer(2), channel="ivr")
    assert connection.execute(text("SELECT channel, channel_client_id FROM reports")).one() == ("ivr", None)


def test_a_revoked_key_gets_401_at_once(app, cli, city, connection, redis_db):
    key = channel_key(cli, "ami-headend", "ami")
    ami = as_channel(app, key)
    post_report(ami, account_no=customer(2))
    assert cli.invoke(args=["channels", "revoke", "ami-headend"]).exit_code == 0
    refused = assert_problem(post_report(ami, 401, account_no=customer(3)), 401)
    assert "revoked" in refused["detail"]
    assert_problem(ami.get(f"/api/v1/outages/lookup?account={customer(2)}"), 401)
    assert count(connection, "reports") == 1
    for forged in (key[:-3] + "xyz", "chk_", "chk_nothing"):
        assert_problem(as_channel(app, forged).get(f"/api/v1/outages/lookup?account={customer(2)}"), 401)


def test_a_channel_reaches_only_the_routes_open_to_channels(app, cli, city, redis_db):
    wechat = as_channel(app, channel_key(cli, "wechat-sa", "wechat"))
    for path in ("/api/v1/incidents", "/api/v1/me", "/api/v1/customers?q=2000", "/api/v1/grid/customers"):
        assert_problem(wechat.get(path), 403)


def test_a_channel_over_its_rate_gets_429_with_retry_after(app, cli, city, connection, redis_db):
    ivr = as_channel(app, channel_key(cli, "ivr-main", "ivr", rate="3/min"))
    other = as_channel(app, channel_key(cli, "wechat-sa", "wechat", rate="3/min"))
    lookup = f"/api/v1/outages/lookup?account={customer(2)}"
    assert [ivr.get(lookup).status_code for _ in range(3)] == [200, 200, 200]
    refused = ivr.get(lookup)
    body = assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 20 and body["retry_after"] == int(refused.headers["Retry-After"])
    assert_problem(post_report(ivr, 429, account_no=customer(2)), 429)  # reports share the client's allowance
    assert count(connection, "reports") == 0
    assert other.get(lookup).status_code == 200  # each client has its own
    redis_db.flushdb()  # the window has passed
    assert ivr.get(lookup).status_code == 200


def test_channels_keep_working_without_redis(database_url, connection, cli, city):
    from api import create_app
    from tests.conftest import BASE
    key = channel_key(cli, "ivr-main", "ivr", rate="1/min")
    app = create_app(BASE.with_overrides(database_url=database_url, redis_url="redis://127.0.0.1:1/0",
                                         health_timeout_s=0.2))
    app.extensions["database"].bind_to(connection)
    ivr = as_channel(app, key)
    assert [ivr.get(f"/api/v1/outages/lookup?account={customer(2)}").status_code for _ in range(3)] == [200] * 3


def test_external_ids_and_idempotency_keys_are_each_clients_own(app, cli, city, connection, redis_db):
    ivr = as_channel(app, channel_key(cli, "ivr-main", "ivr"))
    hotline = as_channel(app, channel_key(cli, "hotline-system", "hotline"))
    first = post_report(ivr, account_no=customer(2), external_id="CALL-1").get_json()
    repeat = post_report(ivr, 200, account_no=customer(2), external_id="CALL-1").get_json()
    assert repeat["id"] == first["id"]
    other = post_report(hotline, account_no=customer(3), external_id="CALL-1").get_json()  # its own numbering
    assert other["id"] != first["id"]
    assert count(connection, "reports") == 2

    body = {"account_no": customer(4), "received_at": (clock.now() - timedelta(minutes=1)).isoformat()}
    sent = post_report(ivr, headers={"Idempotency-Key": "k-1"}, **body)
    again = post_report(ivr, headers={"Idempotency-Key": "k-1"}, **body)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == sent.get_json()
    fresh = post_report(hotline, headers={"Idempotency-Key": "k-1"}, **body)  # the same key, another client
    assert "Idempotent-Replayed" not in fresh.headers
    assert count(connection, "reports") == 4
    actors = connection.execute(text("SELECT actor FROM idempotency_keys ORDER BY actor")).scalars().all()
    assert actors == ["channel:hotline-system", "channel:ivr-main"]

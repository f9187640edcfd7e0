"""Idempotency-Key on the POSTs that create or change something: a request sent again is done once."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from sqlalchemy import text

from dispatch.core import clock
from tests.factories import LAT, LON
from tests.helpers import T0, assert_problem, count, customer

CALL = {"channel": "hotline", "account_no": customer(1, 3), "received_at": T0.isoformat()}


def post(client, path, body, key=None):
    return client.post(path, json=body, headers={"Idempotency-Key": key} if key else {})


def test_a_call_sent_again_with_its_key_is_stored_once_and_gets_the_first_answer(client, feeder, connection):
    first = post(client, "/api/v1/reports", CALL, "call-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = post(client, "/api/v1/reports", dict(reversed(CALL.items())), "call-1")  # same JSON, keys reordered
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert count(connection, "reports") == 1
    # Without a key, a second call is a second report (of the same incident).
    assert post(client, "/api/v1/reports", CALL).status_code == 201
    assert count(connection, "reports") == 2


def test_a_key_used_for_another_request_is_refused_and_changes_nothing(client, feeder, connection):
    assert post(client, "/api/v1/reports", CALL, "call-1").status_code == 201
    other = assert_problem(post(client, "/api/v1/reports", {**CALL, "account_no": customer(2, 3)}, "call-1"), 422)
    assert other["errors"][0]["field"] == "Idempotency-Key"
    closure = {"reason": "tree", "road_ids": [1]}
    assert_problem(post(client, "/api/v1/roads/closures", closure, "call-1"), 422)  # another path
    assert count(connection, "reports") == 1 and count(connection, "road_closures") == 0


def test_a_request_that_failed_does_not_take_its_key(client, feeder, connection):
    assert_problem(post(client, "/api/v1/reports", {**CALL, "kind": "nonsense"}, "call-1"), 422)
    assert post(client, "/api/v1/reports", CALL, "call-1").status_code == 201
    assert count(connection, "reports") == 1


def test_a_malformed_key_is_refused(client, feeder, connection):
    for key in ("x" * 201, "  ", "clé"):
        response = client.post("/api/v1/reports", json=CALL, headers={"Idempotency-Key": key.encode().decode("latin-1")})
        assert assert_problem(response, 422)["errors"][0]["field"] == "Idempotency-Key"
    assert count(connection, "reports") == 0


def test_keys_belong_to_their_user(client, app, feeder, make_user, connection):
    from tests.conftest import signed_in

    other = signed_in(app.test_client(), make_user("dispatcher"))
    assert post(client, "/api/v1/reports", CALL, "shared-uuid").status_code == 201
    assert post(other, "/api/v1/reports", {**CALL, "account_no": customer(2, 3)}, "shared-uuid").status_code == 201
    assert count(connection, "reports") == 2


def test_a_closure_and_a_merge_sent_again_are_done_once(client, city, connection):
    closure = {"reason": "tree across the road", "within_m": 5, "geometry": {
        "type": "LineString", "coordinates": [[LON + 0.001, LAT + 0.001], [LON + 0.003, LAT + 0.001]]}}
    first = post(client, "/api/v1/roads/closures", closure, "closure-1")
    assert first.status_code == 201
    assert post(client, "/api/v1/roads/closures", closure, "closure-1").get_json() == first.get_json()
    assert count(connection, "road_closures") == 1

    now = clock.now()
    ids = [post(client, "/api/v1/reports", {"channel": "hotline", "account_no": customer(t),
                                            "received_at": (now - timedelta(minutes=t)).isoformat()}).get_json()
           ["incident"]["id"] for t in (1, 5)]
    merged = post(client, f"/api/v1/incidents/{ids[1]}/merge", {"into": ids[0]}, "merge-1")
    assert merged.status_code == 200, merged.get_data(as_text=True)
    again = post(client, f"/api/v1/incidents/{ids[1]}/merge", {"into": ids[0]}, "merge-1")
    assert again.status_code == 200 and again.get_json() == merged.get_json()  # not "merged already"
    assert_problem(post(client, f"/api/v1/incidents/{ids[1]}/merge", {"into": ids[0]}, "merge-2"), 409)
    assert connection.execute(text("SELECT count(*) FROM incident_events WHERE type = 'merged'")).scalar_one() == 1


def test_the_worker_forgets_keys_after_their_retention(client, feeder, cli, connection):
    assert post(client, "/api/v1/reports", CALL, "call-1").status_code == 201
    connection.execute(text("UPDATE idempotency_keys SET created_at = created_at - interval '25 hours'"))
    assert cli.invoke(args=["worker", "--once"]).exit_code == 0
    assert count(connection, "idempotency_keys") == 0


def test_the_openapi_document_offers_the_header_on_the_posts_that_change_something(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/reports", "/api/v1/roads/closures", "/api/v1/incidents/{incident_id}/merge"):
        assert "Idempotency-Key" in [p["name"] for p in paths[path]["post"]["parameters"]], path
    assert "Idempotency-Key" not in [p["name"] for p in paths["/api/v1/auth/token"]["post"]["parameters"]]


def test_the_same_call_sent_at_once_from_many_threads_is_stored_once(server, user, live_app):
    """The channel's retries race the first request: the key's row holds them until it commits."""
    headers = {**user("dispatcher")["headers"], "Idempotency-Key": str(uuid.uuid4())}
    call = {"channel": "hotline", "account_no": customer(1), "received_at": clock.now().isoformat()}
    answers, start = [], threading.Barrier(8)

    def send():
        request = urllib.request.Request(f"{server}/api/v1/reports", data=json.dumps(call).encode(), method="POST",
                                         headers={**headers, "Content-Type": "application/json"})
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answers.append((response.status, response.headers, json.loads(response.read())))
        except urllib.error.HTTPError as refused:
            answers.append((refused.code, refused.headers, refused.read().decode()))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = [a for a in answers if a[0] == 201]
    assert len(created) == 8, [(status, body) for status, _, body in answers]
    assert len({body["id"] for _, _, body in created}) == 1
    assert sum(headers.get("Idempotent-Replayed") == "true" for _, headers, _ in created) == 7
    with live_app.extensions["database"].engine.connect() as connection:
        assert count(connection, "reports") == 1


def test_planned_work_and_its_cancellation_sent_again_are_done_once(client, city, connection):
    start = clock.now() + timedelta(days=10)
    work = {"switch": "F1", "reason": "line maintenance", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=4)).isoformat()}
    first = post(client, "/api/v1/planned-outages", work, "plan-1")
    assert first.status_code == 201, first.get_data(as_text=True)
    again = post(client, "/api/v1/planned-outages", work, "plan-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert_problem(post(client, "/api/v1/planned-outages", {**work, "reason": "other work"}, "plan-1"), 422)
    assert count(connection, "planned_outages") == 1

    outage = first.get_json()["id"]
    cancelled = post(client, f"/api/v1/planned-outages/{outage}/cancel", {}, "cancel-1")
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    repeated = post(client, f"/api/v1/planned-outages/{outage}/cancel", {}, "cancel-1")
    assert repeated.status_code == 200 and repeated.get_json() == cancelled.get_json()  # not "cancelled already"

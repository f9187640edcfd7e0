"""Sign-in, tokens, roles, and the rule that every route says who may call it."""
from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Callable

import pytest
from sqlalchemy import text

from api import create_app
from api.access import CHANNELS, PUBLIC, audience
from dispatch.accounts.models import ROLES
from dispatch.accounts.users import SignInLimiter
from dispatch.core import clock
from dispatch.core.errors import TooManyAttempts
from dispatch.customers.callbacks import open_due as open_callbacks
from tests.conftest import BASE, TEST_REDIS_URL, signed_in
from tests.factories import feature, point
from tests.helpers import assert_problem, count, customer, report


def sign_in(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


@pytest.fixture
def created(cli, city):
    """Users made with the command line: a dispatcher and a crew account of CW."""
    for args in (["d.one", "--role", "dispatcher"], ["cw.phone", "--role", "crew", "--crew", "CW"]):
        result = cli.invoke(args=["users", "create", *args, "--password", "s3cret-pass"])
        assert result.exit_code == 0, result.output


def test_a_user_signs_in_and_the_token_opens_the_api(anonymous, created, connection, redis_db):
    answer = sign_in(anonymous, "D.One ", "s3cret-pass")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["token_type"] == "Bearer" and body["user"] == {"username": "d.one", "role": "dispatcher", "crew": None}
    assert datetime.fromisoformat(body["expires_at"]) > clock.now()
    me = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json() == {"username": "d.one", "role": "dispatcher", "crew": None, "zones": []}
    stored = connection.execute(text("SELECT password_hash FROM users WHERE username = 'd.one'")).scalar()
    assert stored.startswith("$argon2id$") and "s3cret-pass" not in stored


def test_wrong_passwords_and_unknown_users_get_the_same_401(anonymous, created, redis_db):
    for username, password in (("d.one", "wrong-pass"), ("nobody", "s3cret-pass")):
        answer = sign_in(anonymous, username, password)
        body = assert_problem(answer, 401)
        assert body["detail"] == "wrong user name or password"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_failed_sign_ins_are_limited_per_user_name(anonymous, created, redis_db):
    for _ in range(BASE.signin_max_failures):
        assert_problem(sign_in(anonymous, "d.one", "wrong-pass"), 401)
    blocked = sign_in(anonymous, "d.one", "s3cret-pass")  # even the right password waits now
    assert assert_problem(blocked, 429)["retry_after"] > 0
    assert 0 < int(blocked.headers["Retry-After"]) <= BASE.signin_window_s
    assert sign_in(anonymous, "cw.phone", "s3cret-pass").status_code == 201  # the others at this address may
    redis_db.flushdb()
    assert sign_in(anonymous, "d.one", "s3cret-pass").status_code == 201


def test_sign_in_attempts_at_the_same_moment_cannot_pass_the_limit(redis_db):
    limiter = SignInLimiter(redis_db, max_per_user=5, max_per_address=1000, window_s=60)

    def try_once(_):
        try:
            limiter.attempt("d.one", "10.0.0.1")
            return "let through"
        except TooManyAttempts:
            return "refused"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(try_once, range(40)))
    assert outcomes.count("let through") == 5 and outcomes.count("refused") == 35


def test_refused_attempts_do_not_count_against_the_address(redis_db):
    limiter = SignInLimiter(redis_db, max_per_user=5, max_per_address=50, window_s=60)
    outcomes = []
    for _ in range(60):  # one person keeps trying the same name
        try:
            limiter.attempt("d.one", "10.0.0.1")
            outcomes.append("checked")
        except TooManyAttempts:
            outcomes.append("refused")
    assert outcomes.count("checked") == 5
    limiter.attempt("cw.phone", "10.0.0.1")  # a colleague at the same depot is still let through


def test_a_right_password_after_the_window_leaves_no_counter_behind(redis_db):
    limiter = SignInLimiter(redis_db, max_per_user=5, max_per_address=50, window_s=60)
    limiter.attempt("d.one", "10.0.0.1")
    redis_db.flushdb()  # the window ran out while the password was being checked
    limiter.succeeded("d.one", "10.0.0.1")
    assert redis_db.keys("*") == []


def test_failed_sign_ins_are_limited_per_address(rules, created, redis_db):
    desk = rules(signin_max_failures_per_address=3)
    for name in ("a.one", "b.two", "c.three"):
        assert_problem(sign_in(desk, name, "wrong-pass"), 401)
    assert_problem(sign_in(desk, "d.one", "s3cret-pass"), 429)
    redis_db.flushdb()
    assert sign_in(desk, "d.one", "s3cret-pass").status_code == 201


def test_behind_a_proxy_each_client_address_counts_apart(rules, created, redis_db):
    desk = rules(signin_max_failures_per_address=2, proxy_hops=1)
    for name in ("a.one", "b.two"):
        assert_problem(sign_in_from(desk, "10.1.1.1", name, "wrong-pass"), 401)
    assert_problem(sign_in_from(desk, "10.1.1.1", "d.one", "s3cret-pass"), 429)
    assert sign_in_from(desk, "10.2.2.2", "d.one", "s3cret-pass").status_code == 201


def sign_in_from(client, address, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       headers={"X-Forwarded-For": address})


def test_sign_in_works_without_redis(database_url, connection, created):
    app = create_app(BASE.with_overrides(database_url=database_url, redis_url="redis://127.0.0.1:1/0",
                                         health_timeout_s=0.2))
    app.extensions["database"].bind_to(connection)
    assert sign_in(app.test_client(), "d.one", "s3cret-pass").status_code == 201


def test_tokens_can_be_revoked_and_expire(anonymous, created, connection, redis_db):
    token = sign_in(anonymous, "d.one", "s3cret-pass").get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/v1/incidents", headers=headers).status_code == 200
    assert anonymous.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_problem(anonymous.get("/api/v1/incidents", headers=headers), 401)

    token = sign_in(anonymous, "d.one", "s3cret-pass").get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    connection.execute(text("UPDATE api_tokens SET expires_at = :t WHERE revoked_at IS NULL"),
                       {"t": clock.now() - timedelta(seconds=1)})
    assert_problem(anonymous.get("/api/v1/incidents", headers=headers), 401)


def test_forged_and_foreign_tokens_are_refused(anonymous, created, database_url, connection, redis_db):
    token = sign_in(anonymous, "d.one", "s3cret-pass").get_json()["access_token"]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "not-a-token", ""):
        assert_problem(anonymous.get("/api/v1/incidents", headers={"Authorization": f"Bearer {bad}"}), 401)
    assert_problem(anonymous.get("/api/v1/incidents", headers={"Authorization": f"Basic {token}"}), 401)
    other = create_app(BASE.with_overrides(database_url=database_url, redis_url=TEST_REDIS_URL,
                                           secret_key="another deployment"))
    other.extensions["database"].bind_to(connection)
    assert_problem(other.test_client().get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}), 401)


def test_disabling_a_user_revokes_their_tokens_at_once(anonymous, cli, created, redis_db):
    token = sign_in(anonymous, "d.one", "s3cret-pass").get_json()["access_token"]
    result = cli.invoke(args=["users", "disable", "d.one"])
    assert result.exit_code == 0 and "1 token(s) revoked" in result.output
    assert_problem(anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)
    assert_problem(sign_in(anonymous, "d.one", "s3cret-pass"), 401)
    listed = cli.invoke(args=["users", "list"]).output
    assert "d.one" in listed and "disabled" in listed and "cw.phone" in listed


@pytest.mark.parametrize("args, message", [
    (["x", "--role", "dispatcher"], "username"),
    (["someone", "--role", "crew"], "a crew account names its crew"),
    (["someone", "--role", "viewer", "--crew", "CW"], "a crew account names its crew"),
    (["someone", "--role", "crew", "--crew", "NOPE"], "there is no crew 'NOPE'"),
    (["d.one", "--role", "viewer"], "exists already"),
])
def test_bad_users_are_refused_by_the_command_line(cli, created, connection, args, message):
    before = count(connection, "users")
    result = cli.invoke(args=["users", "create", *args, "--password", "long-enough"])
    assert result.exit_code == 1 and message in result.output
    assert count(connection, "users") == before
    short = cli.invoke(args=["users", "create", "someone", "--role", "viewer", "--password", "short"])
    assert short.exit_code == 1 and "at least 8 characters" in short.output


def test_creating_a_user_again_can_be_allowed(cli, created, connection):
    again = cli.invoke(args=["users", "create", "d.one", "--role", "viewer", "--password", "other-pass", "--exist-ok"])
    assert again.exit_code == 0 and "left as it is" in again.output
    assert connection.execute(text("SELECT role FROM users WHERE username = 'd.one'")).scalar() == "dispatcher"


def test_an_app_with_a_route_nobody_decided_on_does_not_start(database_url):
    from flask import Blueprint

    import api as api_package
    stray = Blueprint("stray", __name__)

    @stray.get("/api/v1/stray")
    def undecided():
        return "?"

    original = api_package.roads.blueprint
    api_package.roads.blueprint = stray
    try:
        with pytest.raises(RuntimeError, match="/api/v1/stray"):
            create_app(BASE.with_overrides(database_url=database_url, redis_url=TEST_REDIS_URL))
    finally:
        api_package.roads.blueprint = original


# --- Every route, every role --------------------------------------------------------------------

def restored_job(client, account_no: str) -> int:
    """An incident crew CW has worked to restoration."""
    incident = report(client, clock.now() - timedelta(minutes=5), account_no=account_no)["incident"]["id"]
    assert client.post(f"/api/v1/incidents/{incident}/assign", json={"crew": "CW"}).status_code == 200
    for kind in ("accepted", "en_route", "on_site", "restored"):
        assert client.post(f"/api/v1/incidents/{incident}/events", json={"type": kind}).status_code == 200
    return incident


def examples(client, connection) -> dict[str, tuple[str, str, dict | Callable[[], dict] | None, dict]]:
    """For each endpoint: method, path, JSON body (or a function giving the request's other
    arguments afresh, such as the files of a multipart body, which one request reads up) and headers
    of a request that succeeds for the roles the route allows. A route added without an example
    fails the test below."""
    done, reviewed = (restored_job(client, customer(5, k)) for k in (1, 2))  # by CW, which the crew user is
    closing = {"cause": "other.unknown", "equipment_owner": "utility", "work_done": "reset"}
    assert client.post(f"/api/v1/incidents/{reviewed}/closing-report", json=closing).status_code == 201
    call = report(client, clock.now(), account_no=customer(2))
    incident = call["incident"]
    assert incident["crew"] == "CW"
    hazard = report(client, clock.now(), account_no=customer(5), kind="fire")["incident"]["id"]
    alert = connection.execute(text("SELECT id FROM incident_events WHERE incident_id = :i AND type = 'opened'"),
                               {"i": hazard}).scalar_one()
    connection.execute(text("UPDATE crews SET on_duty = true, status = 'available' WHERE code = 'CL'"))  # to send
    road = connection.execute(text("SELECT min(id) FROM roads")).scalar_one()
    connection.execute(text("INSERT INTO worker_heartbeats VALUES ('w', 'h', 1, :at)"), {"at": clock.now()})  # ready
    closure = client.post("/api/v1/roads/closures", json={"reason": "tree down", "road_ids": [road]}).get_json()
    now = clock.now().isoformat()
    later = (clock.now() + timedelta(hours=2)).isoformat()
    today = clock.now().date().isoformat()
    i = incident["id"]
    today = clock.now().date().isoformat()
    window = {"window_start": (clock.now() + timedelta(days=1)).isoformat(),
              "window_end": (clock.now() + timedelta(days=1, hours=4)).isoformat()}
    work = client.post("/api/v1/planned-outages", json={"switch": "F3", "reason": "work", **window}).get_json()["id"]
    under_way = client.post("/api/v1/planned-outages", json={"switch": "F4", "reason": "work", **window}).get_json()["id"]
    assert client.post(f"/api/v1/planned-outages/{under_way}/start", json={}).status_code == 200
    with client.application.extensions["database"].session() as session:  # the worker lists the call-backs
        open_callbacks(session, client.application.extensions["settings"], clock.now())
    callback = connection.execute(text("SELECT id FROM callbacks WHERE incident_id = :i"), {"i": done}).scalar_one()
    depots = json.dumps({"type": "FeatureCollection", "features": [feature(point(0.02, 0.001), code="DN", name="North")]})
    imported = client.post("/api/v1/grid/imports", data={"depots": (io.BytesIO(depots.encode()), "depots.geojson")})
    assert imported.status_code == 201, imported.get_data(as_text=True)
    return {
        "callbacks.list_callbacks": ("GET", "/api/v1/callbacks", None, {}),
        "callbacks.answer_callback": ("POST", f"/api/v1/callbacks/{callback}/answer", {"answer": "power_back"}, {}),
        "callbacks.answer_callback_for": ("POST", "/api/v1/callbacks/answer", {
            "incident": reviewed, "account_no": customer(5, 2), "answer": "power_back"}, {}),
        "callbacks.callback_outcomes": ("GET", f"/api/v1/reports/callbacks?from={today}&to={today}", None, {}),
        "alerts.list_alerts": ("GET", "/api/v1/alerts", None, {}),
        "alerts.acknowledge_alert": ("POST", f"/api/v1/alerts/{alert}/acknowledge", None, {}),
        "customers.find_customers": ("GET", f"/api/v1/customers?q={customer(2)}", None, {}),
        "customers.notification_choice": ("POST", f"/api/v1/customers/{customer(2)}/notifications",
                                          {"opt_out": True}, {}),
        "desk.desk_settings": ("GET", "/api/v1/desk/settings", None, {}),
        "auth.create_token": ("POST", "/api/v1/auth/token", {"username": "d.one", "password": "s3cret-pass"}, {}),
        "auth.revoke_token": ("DELETE", "/api/v1/auth/token", None, {}),
        "auth.who_am_i": ("GET", "/api/v1/me", None, {}),
        "crews.add_crew": ("POST", "/api/v1/crews", {"code": "CN", "name": "North", "depot": "DW", "members": 2,
                                                     "phone": "1"}, {}),
        "crews.list_crews": ("GET", "/api/v1/crews", None, {}),
        "crews.crew_trails": ("GET", "/api/v1/crews/trails?minutes=30", None, {}),
        "crews.get_crew": ("GET", "/api/v1/crews/CE", None, {}),
        "crews.change_crew": ("PATCH", "/api/v1/crews/CE", {"name": "East"}, {}),
        "crews.add_positions": ("POST", "/api/v1/crews/CE/positions",
                                {"positions": [{"at": now, "lon": 120.0, "lat": 30.0}]}, {}),
        "evidence.post_meter_events": ("POST", "/api/v1/meter-events", {"events": [
            {"account_no": customer(3), "kind": "power_restored", "at": now}]}, {}),
        "evidence.post_device_events": ("POST", "/api/v1/device-events", {"events": [
            {"event_id": "scada-1", "device": "F3", "operation": "closed", "at": now}]}, {}),
        "grid.layer_features": ("GET", "/api/v1/grid/transformers", None, {}),
        "grid.switch_effect": ("GET", "/api/v1/grid/switches/R1/effect?is_open=true", None, {}),
        "grid.change_switch": ("PATCH", "/api/v1/grid/switches/R1", {"is_open": True}, {}),
        "grid_imports.import_layers": ("POST", "/api/v1/grid/imports", lambda: {
            "data": {"depots": (io.BytesIO(depots.encode()), "depots.geojson")}}, {}),
        "grid_imports.list_imports": ("GET", "/api/v1/grid/imports", None, {}),
        "grid_imports.show_import": ("GET", f"/api/v1/grid/imports/{imported.get_json()['id']}", None, {}),
        "health.healthz": ("GET", "/healthz", None, {}),
        "health.readyz": ("GET", "/readyz", None, {}),
        "metrics.metrics": ("GET", "/metrics", None, {}),
        "incidents.list_incidents": ("GET", "/api/v1/incidents", None, {}),
        "incidents.get_incident": ("GET", f"/api/v1/incidents/{i}", None, {}),
        "incidents.incident_customers": ("GET", f"/api/v1/incidents/{i}/customers", None, {}),
        "incidents.incident_candidates": ("GET", f"/api/v1/incidents/{i}/candidates", None, {}),
        "incidents.incident_area": ("GET", f"/api/v1/incidents/{i}/area", None, {}),
        "incidents.incident_route": ("GET", f"/api/v1/incidents/{i}/route", None, {}),
        "incidents.assign_crew": ("POST", f"/api/v1/incidents/{i}/assign", {"crew": "CL"}, {}),
        "incidents.merge_incident": ("POST", f"/api/v1/incidents/{hazard}/merge", {"into": i}, {}),
        "incidents.add_event": ("POST", f"/api/v1/incidents/{i}/events", {"type": "accepted"}, {}),
        "me.my_jobs": ("GET", "/api/v1/me/jobs", None, {}),
        "me.my_positions": ("POST", "/api/v1/me/positions", {"positions": [{"at": now, "lon": 120.0, "lat": 30.0}]},
                            {}),
        "me.my_event": ("POST", f"/api/v1/me/jobs/{i}/events", {"type": "accepted", "at": now},
                        {"Idempotency-Key": "k"}),
        "openapi.openapi_document": ("GET", "/api/v1/openapi.json", None, {}),
        "planned_outages.create_planned_outage": ("POST", "/api/v1/planned-outages",
                                                  {"switch": "F1", "reason": "work", **window}, {}),
        "planned_outages.list_planned_outages": ("GET", "/api/v1/planned-outages?state=upcoming", None, {}),
        "planned_outages.show_planned_outage": ("GET", f"/api/v1/planned-outages/{work}", None, {}),
        "planned_outages.change_planned_window": ("PATCH", f"/api/v1/planned-outages/{work}",
                                                  {"window_end": (clock.now() + timedelta(days=2)).isoformat()}, {}),
        "planned_outages.cancel_planned_outage": ("POST", f"/api/v1/planned-outages/{work}/cancel", None, {}),
        "planned_outages.start_planned_outage": ("POST", f"/api/v1/planned-outages/{work}/start", {}, {}),
        "planned_outages.finish_planned_outage": ("POST", f"/api/v1/planned-outages/{under_way}/finish", {}, {}),
        "outages.outage_lookup": ("GET", f"/api/v1/outages/lookup?account={customer(2)}", None, {}),
        "reports.submit_report": ("POST", "/api/v1/reports", {"channel": "hotline", "account_no": customer(3)}, {}),
        "reports.move_report": ("POST", f"/api/v1/reports/{call['id']}/move", {"incident": hazard}, {}),
        "sla_report.sla_report": ("GET", f"/api/v1/reports/sla?from={today}&to={today}&group_by=zone", None, {}),
        "sla_report.sla_report_incidents": (
            "GET", f"/api/v1/reports/sla/incidents?from={today}&to={today}&group_by=zone&measure=incidents", None, {}),
        "complaints.submit_complaint": ("POST", "/api/v1/complaints",
                                        {"channel": "hotline", "kind": "late_arrival", "account_no": customer(2)}, {}),
        "complaint_report.complaints_report": (
            "GET", f"/api/v1/reports/complaints?from={today}&to={today}&group_by=zone", None, {}),
        "repeat_faults.repeat_fault_list": ("GET", "/api/v1/reports/repeat-faults?days=90&min=1&level=line", None, {}),
        "roads.create_closure": ("POST", "/api/v1/roads/closures", {"reason": "flood", "road_ids": [road]}, {}),
        "roads.list_closures": ("GET", "/api/v1/roads/closures", None, {}),
        "roads.delete_closure": ("DELETE", f"/api/v1/roads/closures/{closure['id']}", None, {}),
        "work_orders.causes": ("GET", "/api/v1/causes", None, {}),
        "work_orders.work_order": ("GET", f"/api/v1/incidents/{i}/work-order", None, {}),
        "work_orders.customer_side": ("POST", f"/api/v1/incidents/{i}/customer-side",
                                      {"reason": "arrears", "agreed_arrival": later}, {}),
        "work_orders.desk_closing_report": ("POST", f"/api/v1/incidents/{done}/closing-report", closing, {}),
        "work_orders.review": ("POST", f"/api/v1/incidents/{reviewed}/closing-report/review", {"accept": True}, {}),
        "me.my_closing_report": ("POST", f"/api/v1/me/jobs/{done}/closing-report", closing, {"Idempotency-Key": "c"}),
        "stream.stream": ("GET", "/api/v1/stream", None, {}),
        "report_workbook.make_workbook": ("POST", "/api/v1/reports/workbook", {"sheets": [
            {"name": "Zones", "columns": [{"key": "label", "title": "Zone"}], "rows": [{"label": "Z1"}]}]}, {}),
        "tiles.map_tile": ("GET", "/tiles/lines/14/10533/6479.mvt", None, {}),
        "public_outages.outage_feed": ("GET", "/api/v1/public/outages", None, {}),
        "public_outages.road_tile": ("GET", "/api/v1/public/tiles/roads/14/10533/6479.mvt", None, {}),
        "reliability.restoration_estimate_accuracy": (
            "GET", f"/api/v1/reports/etr-accuracy?from={today}&to={today}", None, {}),
        "reliability.reliability": ("GET", f"/api/v1/reports/reliability?from={today}&to={today}", None, {}),
        "reliability.frequently_interrupted": ("GET", f"/api/v1/reports/frequent-interruptions?from={today}&to={today}",
                                               None, {}),
        **{endpoint: ("GET", path, None, {}) for endpoint, path in WEB_APP_PAGES.items()},
    }


#: The web apps' pages and files (public: the apps sign in themselves).
WEB_APP_PAGES = {"crew_app.index": "/crew/", "crew_app.service_worker": "/crew/sw.js",
                 "crew_app.vendor_file": "/crew/vendor/leaflet/leaflet.js", "crew_app.app_file": "/crew/main.js",
                 "crew_app.common_file": "/crew/common/i18n.js",
                 "desk_app.index": "/desk/", "desk_app.vendor_file": "/desk/vendor/maplibre-gl/maplibre-gl.mjs",
                 "desk_app.app_file": "/desk/main.js", "desk_app.common_file": "/desk/common/i18n.js",
                 "reports_app.index": "/reports/", "reports_app.app_file": "/reports/main.js",
                 "reports_app.vendor_file": "/reports/vendor/echarts/echarts.esm.min.mjs",
                 "reports_app.common_file": "/reports/common/i18n.js",
                 "outages_app.index": "/outages/", "outages_app.app_file": "/outages/main.js",
                 "outages_app.vendor_file": "/outages/vendor/maplibre-gl/maplibre-gl.mjs",
                 "outages_app.common_file": "/outages/common/i18n.js"}


def channel_key(cli, name: str = "hotline-system", channel: str = "hotline", rate: str = "100000/min") -> str:
    """A machine client's key, made with the command line."""
    made = cli.invoke(args=["channels", "create", name, "--channel", channel, "--rate", rate])
    assert made.exit_code == 0, made.output
    return made.stdout.strip()


def test_each_role_reaches_exactly_the_routes_it_is_allowed(app, client, cli, created, make_user, connection,
                                                            redis_db):
    users = {role: make_user(role, crew="CW" if role == "crew" else None) for role in ROLES}
    users[CHANNELS] = {"token": channel_key(cli)}  # a machine client: the routes open to CHANNELS
    # Meter events take only the AMI head-end's key (tests/evidence/test_meter_events.py refuses others').
    head_end = {"token": channel_key(cli, "ami-head-end", "ami")}
    table = examples(client, connection)
    endpoints = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert set(endpoints) == set(table), f"examples missing for {sorted(set(endpoints) - set(table))}"
    for endpoint, (method, path, body, headers) in table.items():
        allowed = audience(app, endpoint)
        for role in (None, *ROLES, CHANNELS):
            attempt = connection.begin_nested()  # each request sees the same world
            user = head_end if role == CHANNELS and endpoint == "evidence.post_meter_events" else users.get(role)
            caller = app.test_client() if role is None else signed_in(app.test_client(), user)
            sent = body() if callable(body) else {"json": body}
            response = caller.open(path, method=method, headers=headers, **sent)
            # A workbook or a tile is bytes: shown as far as they read as text.
            answer = "(a stream)" if response.mimetype == "text/event-stream" else \
                response.get_data().decode(errors="replace")
            response.close()
            attempt.rollback()
            where = f"{role or 'anonymous'} {method} {path}: {response.status_code} {answer}"
            if allowed == PUBLIC or role in allowed:
                assert 200 <= response.status_code < 300, where
            elif role is None:
                assert response.status_code == 401, where
            else:
                assert response.status_code == 403, where


@pytest.mark.parametrize("role, layer, status", [
    ("crew", "customers", 403), ("crew", "crews", 403), ("crew", "roads", 200), ("crew", "switches", 200),
    ("viewer", "customers", 403), ("viewer", "crews", 200), ("dispatcher", "customers", 200),
])
def test_personal_data_layers_are_for_the_desk(app, city, make_user, role, layer, status):
    caller = signed_in(app.test_client(), make_user(role, crew="CW" if role == "crew" else None))
    assert caller.get(f"/api/v1/grid/{layer}?limit=1").status_code == status


def test_a_crew_sees_and_touches_only_its_own_jobs(client, city, make_user):
    incident = report(client, clock.now(), account_no=customer(2))["incident"]
    east = signed_in(client.application.test_client(), make_user("crew", crew="CE"))
    assert east.get("/api/v1/me/jobs").get_json()["jobs"] == []
    refused = east.post(f"/api/v1/me/jobs/{incident['id']}/events", headers={"Idempotency-Key": "x"},
                        json={"type": "accepted", "at": clock.now().isoformat()})
    assert_problem(refused, 403)
    assert_problem(east.get(f"/api/v1/incidents/{incident['id']}"), 403)  # the desk's view is not the crew's
    assert client.get(f"/api/v1/incidents/{incident['id']}").get_json()["status"] == "assigned"

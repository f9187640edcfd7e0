"""The crew phone app: its files as Flask serves them, and the whole flow in a real browser.

The browser test drives Debian's Chromium (scripts/setup.sh installs it) on a phone-sized screen:
sign in, open the job, accept it, lose the network, press en route and on site (they wait in the
phone's queue, and the app still reloads from its service worker), get the network back, and the
server then has both events with the times the phone took when they were pressed.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from api.crew_app import STATIC, VENDOR
from api.web_apps import app_files
from dispatch.core import clock
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents.sweeper import sweep
from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, screenshot, serving, wait_until
from tests.factories import LAT, LON
from tests.helpers import assert_problem, customer, report

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "en-GB", "timezone_id": "Asia/Shanghai"}
WAIT_MS = 30_000  # the queue replays on 'online' at once; its periodic retry comes every 20 s


# --- the files, through Flask's test client ----------------------------------------------------

def test_the_page_its_modules_and_libraries_are_served_without_sign_in(anonymous):
    page = anonymous.get("/crew/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'src="/crew/main.js"' in page.data
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert anonymous.get("/crew/index.html").headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
    assert anonymous.get("/crew").status_code == 308
    module = anonymous.get("/crew/queue.js")
    assert module.status_code == 200 and module.mimetype == "text/javascript"
    leaflet = anonymous.get("/crew/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200 and leaflet.data == (ROOT / "node_modules/leaflet/dist/leaflet.js").read_bytes()
    assert anonymous.get("/crew/vendor/idb-keyval/index.js").status_code == 200


def test_the_service_worker_is_fresh_and_covers_the_app(anonymous):
    worker = anonymous.get("/crew/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/crew/"
    assert "no-cache" in worker.headers["Cache-Control"]
    source = worker.get_data(as_text=True)
    version = re.search(r"const VERSION = '(\w+)'", source).group(1)
    assert version != "__SHELL_VERSION__"
    # Every file of the app and every library must be in the shell, or the app breaks offline.
    listed = re.search(r"const SHELL = \[(.*?)\];", source, re.S).group(1)
    shell = set(re.findall(r"'(/crew/[^']*)'", listed))
    files = set(app_files(STATIC, "/crew")) - {"/crew/index.html", "/crew/sw.js"}  # the app's own and the shared
    assert files | {"/crew/"} | {f"/crew/vendor/{name}" for name in VENDOR} == shell


@pytest.mark.parametrize("path", [
    "/crew/../pyproject.toml", "/crew/%2e%2e/crew_app.py", "/crew/..%2fcrew_app.py", "/crew/%2e%2e%2f__init__.py",
    "/crew/vendor/leaflet/../../package.json", "/crew/vendor/leaflet/package.json",
    "/crew/vendor/leaflet/%2e%2e%2fpackage.json", "/crew/vendor/../../pyproject.toml", "/crew/nothing.js",
])
def test_nothing_outside_the_app_and_its_libraries_is_served(anonymous, path):
    assert_problem(anonymous.get(path), 404)


# --- the whole flow in a browser ---------------------------------------------------------------

@contextmanager
def phone(app, lon: float, lat: float, locale: str = "en-GB"):
    """The app served, and a phone-sized headless Chromium standing at (lon, lat) with its GPS on and its
    clock set to the application's.
    Yields (base URL, browser context, page, problems): uncaught page errors and CSP refusals."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: run scripts/setup.sh"
    problems: list[str] = []
    with serving(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(**{**PHONE, "locale": locale}, permissions=["geolocation"],
                                          geolocation={"longitude": lon, "latitude": lat})
            context.clock.install(time=clock.now())  # the phone's clock agrees with the server's, shifted or not
            context.set_default_timeout(WAIT_MS)
            page = context.new_page()
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda message: problems.append(message.text)
                    if "Content Security Policy" in message.text or "i18n:" in message.text else None)
            yield base, context, page, problems
        finally:
            browser.close()


def sign_in(page, user: dict) -> None:
    page.fill("#username", user["username"])
    page.fill("#password", user["password"])
    page.click("button[type=submit]")


def assigned_job(client, connection) -> tuple[int, float, float]:
    """A fault reported a minute ago behind transformer T2, sent to crew CW: (id, lon, lat)."""
    incident = report(client, at=clock.now() - timedelta(minutes=1),
                      account_no=customer(2))["incident"]
    assert incident["crew"] == "CW" and incident["status"] == "assigned"
    lon, lat = connection.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM incidents WHERE id = :id"),
                                  {"id": incident["id"]}).one()
    return incident["id"], lon, lat


def half_way(app, client, job_id: int) -> None:
    """Sweep at 55 % of the job's time to arrive: the crew's warning level (50 %) is recorded."""
    job = client.get(f"/api/v1/incidents/{job_id}").get_json()
    start, deadline = (datetime.fromisoformat(job[k]) for k in ("first_report_at", "arrival_deadline"))
    with app.extensions["database"].session() as session:
        dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
        assert (job_id, "deadline_warning:50") in sweep(session, dispatcher, start + (deadline - start) * 0.55,
                                                        app.extensions["settings"].warning_levels)


def test_a_crew_works_its_job_offline_and_the_server_gets_the_phones_times(
        app, client, city, connection, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    user = make_user("crew", crew="CW")
    job_id, lon, lat = assigned_job(client, connection)

    with phone(app, lon + 0.0001, lat + 0.0001) as (base, context, page, problems):
        net = page.locator("#net")
        status = page.locator("#job-status")
        page.goto(f"{base}/crew/")
        sign_in(page, user)
        card = page.locator(f'a.job-card[data-job="{job_id}"]')
        expect(card).to_contain_text("Assigned")
        screenshot(page, tmp_path, "crew-app-jobs.png")
        # The service worker takes over the page; a reload online fills its caches (shell, job list).
        assert page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)") == f"{base}/crew/"
        wait_until(page, "() => navigator.serviceWorker.controller !== null")
        page.reload()
        card.click()

        page.click('button[data-action="accepted"]')
        expect(status).to_have_text("Accepted")
        expect(net).to_have_text("Online")
        expect(page.locator("button[data-action]")).to_have_count(2)  # en route, on site

        context.set_offline(True)
        before_presses = clock.now()
        page.click('button[data-action="en_route"]')
        expect(net).to_have_text("Offline — 1 action waiting")
        page.click('button[data-action="on_site"]')
        expect(net).to_have_text("Offline — 2 actions waiting")
        expect(status).to_have_text("On site")
        expect(page.locator('button[data-action="restored"]')).to_be_visible()
        phone_times = dict(page.eval_on_selector_all(
            ".pending li", "items => items.map(li => [li.dataset.type, li.querySelector('time').dateTime])"))
        assert list(phone_times) == ["en_route", "on_site"]
        expect(page.locator(".pending li").first).to_contain_text("kept, sent by itself with signal")
        assert all(t.endswith("+08:00") for t in phone_times.values())  # the phone's own offset

        # With no network at all, the app still starts, from the service worker's caches and the queue.
        page.reload()
        expect(net).to_have_text("Offline — 2 actions waiting")
        expect(status).to_have_text("On site")
        expect(page.locator("#map")).to_have_attribute("data-fault", f"{lon},{lat}")
        offline_shot = screenshot(page, tmp_path, "crew-app.png")

        back_online = clock.now()
        context.set_offline(False)
        expect(net).to_have_text("Online")
        expect(page.locator(".pending li")).to_have_count(0)
        expect(status).to_have_text("On site")
        expect(page.locator('button[data-action="restored"]')).to_be_visible()
        expect(page.locator("#map")).to_have_attribute("data-roads", re.compile(r"^[1-9]\d*$"))  # streets drawn
        screenshot(page, tmp_path, "crew-app-online.png")

    # The server is stopped: the test's connection is free again.
    assert problems == []
    assert offline_shot.stat().st_size > 0 and (ROOT / "var/screenshots/crew-app.png").stat().st_size > 0
    events = connection.execute(text(
        "SELECT type, at, recorded_at, actor, idempotency_key FROM incident_events "
        "WHERE incident_id = :id AND type IN ('accepted', 'en_route', 'on_site') ORDER BY at"),
        {"id": job_id}).mappings().all()
    assert [e["type"] for e in events] == ["accepted", "en_route", "on_site"]
    assert all(e["actor"] == user["username"] and e["idempotency_key"] for e in events)
    for event in events[1:]:
        pressed = datetime.fromisoformat(phone_times[event["type"]])
        assert event["at"] == pressed  # the phone's time, not the time the server heard of it
        # Pressed offline; the server heard of it only once the network was back.
        assert before_presses - timedelta(seconds=1) <= pressed < back_online <= event["recorded_at"]
    assert connection.execute(text("SELECT status FROM incidents WHERE id = :id"), {"id": job_id}).scalar() == "on_site"
    positions = connection.execute(text("SELECT count(*) FROM crew_positions WHERE crew_id = "
                                        "(SELECT id FROM crews WHERE code = 'CW')")).scalar()
    assert positions >= 1  # the phone's GPS reached the server


def test_a_refused_action_is_shown_and_dropped_an_ended_sign_in_keeps_the_queue(
        app, client, city, connection, make_user, redis_db):
    from playwright.sync_api import expect

    user = make_user("crew", crew="CW")
    job_id, lon, lat = assigned_job(client, connection)

    with phone(app, lon, lat) as (base, context, page, problems):
        net = page.locator("#net")
        page.goto(f"{base}/crew/")
        sign_in(page, user)
        page.click(f'a.job-card[data-job="{job_id}"]')
        context.set_offline(True)
        page.click('button[data-action="en_route"]')
        expect(net).to_have_text("Offline — 1 action waiting")
        token = page.evaluate("JSON.parse(localStorage.getItem('crew.session')).access_token")
        # While the phone is offline the server is idle, so the test may use the connection: the
        # phone's sign-in is revoked and its job handed to the east crew.
        assert client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"}).status_code == 204
        assert client.post(f"/api/v1/incidents/{job_id}/assign", json={"crew": "CE"}).status_code == 200

        context.set_offline(False)
        # 401: the action stays, and the crew is asked to sign in again.
        expect(page.locator("form.signin .problem")).to_contain_text("1 action waiting will then be sent")
        expect(net).to_contain_text("1 action waiting")
        sign_in(page, user)
        # 403 (no longer this crew's job): it can never succeed, so it is dropped and the reason shown.
        expect(page.locator(".banner")).to_contain_text(f"En route on job #{job_id} was not recorded")
        expect(page.locator(".banner")).to_contain_text("CW")
        expect(net).to_have_text("Online")
        expect(page.locator(".empty")).to_contain_text("No jobs")

    assert problems == []
    assert connection.execute(text("SELECT count(*) FROM incident_events WHERE incident_id = :id AND type = "
                                   "'en_route'"), {"id": job_id}).scalar() == 0


def test_restored_stamps_the_time_with_a_note_and_the_cause_is_asked_once_in_the_closing_report(
        app, client, city, connection, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    user = make_user("crew", crew="CW")
    job_id, lon, lat = assigned_job(client, connection)

    with phone(app, lon, lat) as (base, context, page, problems):
        page.goto(f"{base}/crew/")
        sign_in(page, user)
        page.click(f'a.job-card[data-job="{job_id}"]')
        page.click('button[data-action="on_site"]')  # a crew may go straight there
        expect(page.locator("#job-status")).to_have_text("On site")
        page.click('button[data-action="restored"]')
        dialog = page.locator("dialog.restored")
        expect(dialog).to_be_visible()
        expect(page.locator("#restored-at")).to_contain_text("Power back at")
        shown = page.locator("#restored-at").text_content()
        expect(dialog).to_contain_text("The cause goes in the closing report, asked next.")
        expect(dialog.locator("select")).to_have_count(0)  # no second list of causes beside the taxonomy
        page.fill("#note", "Branch removed, fuse F2 replaced")
        screenshot(page, tmp_path, "crew-restored-en.png")
        context.set_offline(True)  # no signal: the press waits on the phone
        page.click("#send-restored")
        expect(dialog).to_be_hidden()
        # Done, but the closing report is due: the job asks for it at once, with the taxonomy.
        expect(page.locator("#report-state")).to_have_attribute("data-state", "due")
        expect(page.locator("#report-category option")).not_to_have_count(0)
        page.fill("#report-work", "Fuse F2 replaced")
        # The signal comes back and the press is sent: the report being written stays as it is.
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/events")) as sent:
            context.set_offline(False)
        assert sent.value.status == 201
        assert "cause" not in sent.value.request.post_data_json
        expect(page.locator("#net")).to_have_text("Online")
        expect(page.locator("#report-work")).to_have_value("Fuse F2 replaced")

    assert problems == []
    restored = connection.execute(text(
        "SELECT data, note FROM incident_events WHERE incident_id = :id AND type = 'restored'"),
        {"id": job_id}).mappings().one()
    assert dict(restored) == {"data": {}, "note": "Branch removed, fuse F2 replaced"}
    # The dialog said the time it stamps: the press's, in the phone's time zone.
    stamped = connection.execute(text("SELECT restored_at FROM incidents WHERE id = :id"), {"id": job_id}).scalar()
    assert f"{stamped.astimezone(ZoneInfo(PHONE['timezone_id'])):%I:%M}" in shown
    assert connection.execute(text("SELECT status FROM incidents WHERE id = :id"), {"id": job_id}).scalar() == "restored"


def test_gps_kept_for_one_user_is_never_sent_as_the_next(app, client, city, connection, make_user, redis_db):
    from playwright.sync_api import expect

    first, second = make_user("crew", crew="CW"), make_user("crew", crew="CE")
    lon, lat = 51.4515, 33.98
    with phone(app, lon, lat) as (base, context, page, problems):
        page.goto(f"{base}/crew/")
        sign_in(page, first)
        expect(page.locator("#net")).to_have_text("Online")
        wait_until(page, "() => navigator.serviceWorker.controller !== null")  # so it reloads offline
        context.set_offline(True)
        page.wait_for_timeout(1000)  # a fix or two of the first user's, kept on the phone
        # The first user's sign-in ends while offline; then the second user takes the phone elsewhere.
        page.evaluate("""() => { const s = JSON.parse(localStorage.getItem('crew.session'));
                                 s.expires_at = '2000-01-01T00:00:00Z';
                                 localStorage.setItem('crew.session', JSON.stringify(s)); }""")
        page.reload()
        context.set_geolocation({"longitude": lon + 0.05, "latitude": lat})
        context.set_offline(False)
        sign_in(page, second)
        expect(page.locator("#net")).to_have_text("Online")
        wait_until(page, """async () => {
            const r = await fetch('/api/v1/me', {headers: {Authorization: 'Bearer ' +
                JSON.parse(localStorage.getItem('crew.session')).access_token}});
            return r.ok; }""")
        page.wait_for_timeout(17_000)  # positions go out every 15 s

    assert problems == []
    sent = connection.execute(text(
        "SELECT c.code, round(ST_X(p.geom)::numeric, 3) FROM crew_positions p JOIN crews c ON c.id = p.crew_id"
    )).all()
    # The first user's first fix may have gone out at once, online, as its own (the route starts
    # there); what it kept offline never goes out as the second user's.
    assert any(code == "CE" for code, _ in sent) and {code for code, _ in sent} <= {"CE", "CW"}
    assert all(abs(float(x) - (lon + 0.05)) < 0.002 for code, x in sent if code == "CE")  # none at the first place
    assert all(abs(float(x) - lon) < 0.002 for code, x in sent if code == "CW")


def test_a_phone_asking_for_chinese_gets_the_app_in_chinese(app, client, city, connection, make_user, redis_db,
                                                           tmp_path):
    from playwright.sync_api import expect

    user = make_user("crew", crew="CW")
    job_id, lon, lat = assigned_job(client, connection)
    half_way(app, client, job_id)
    with phone(app, lon, lat, locale="zh-CN") as (base, context, page, problems):
        page.goto(f"{base}/crew/")
        expect(page.locator("button[type=submit]")).to_have_text("登录")
        sign_in(page, user)
        card = page.locator(f'a.job-card[data-job="{job_id}"]')
        expect(card).to_contain_text("已派工")
        expect(card).to_contain_text("10 户停电")
        expect(card.locator(".warning-banner")).to_contain_text("时限预警：到达时限已用去 50%")
        card.click()
        expect(page.locator("#job-warning .warning-banner")).to_contain_text("到达时限已用去 50%")
        expect(page.locator('button[data-action="accepted"]')).to_have_text("接单")
        expect(page.locator("#net")).to_have_text("在线")
        screenshot(page, tmp_path, "crew-app-zh-CN.png")
    assert problems == []


def test_the_route_starts_where_the_phone_is(app, client, city, connection, make_user, redis_db):
    """The crew's last position on the server is its depot at the west end of Main Street; the
    phone stands at the east end. Its first GPS fix goes out at once and the jobs are fetched
    again, so the route the phone draws starts at the phone, not at the depot."""
    from playwright.sync_api import expect

    user = make_user("crew", crew="CW")
    job_id, _, _ = assigned_job(client, connection)
    east = (LON + 0.036, LAT + 0.001)
    with phone(app, *east) as (base, context, page, problems):
        page.goto(f"{base}/crew/")
        sign_in(page, user)
        expect(page.locator(f'[data-job="{job_id}"]')).to_be_visible()
        start = """async (id) => {
            const r = await fetch('/api/v1/me/jobs', {headers: {Authorization: 'Bearer ' +
                JSON.parse(localStorage.getItem('crew.session')).access_token}});
            const job = (await r.json()).jobs.find((j) => j.id === id);
            return job?.route?.geometry?.coordinates?.[0] ?? null; }"""
        from_phone = f"async (id) => {{ const p = await ({start})(id); return p !== null && Math.abs(p[0] - {east[0]}) < 0.001; }}"
        wait_until(page, from_phone, job_id)
        drawn = page.evaluate(start, job_id)
    assert problems == []
    assert abs(drawn[0] - east[0]) < 0.001 and abs(drawn[1] - east[1]) < 0.001
    sent = connection.execute(text("SELECT count(*) FROM crew_positions p JOIN crews c ON c.id = p.crew_id "
                                   "WHERE c.code = 'CW'")).scalar()
    assert sent >= 1

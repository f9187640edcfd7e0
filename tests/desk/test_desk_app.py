"""The dispatcher's console: its files as Flask serves them, what a switching would cut off, and the
desk at work in a real browser (Chromium, WebGL through SwiftShader, 1920x1080).

The browser test signs in as a dispatcher: a report posted by another client appears on the map and
in the list through the live stream, without a reload (how fast is a benchmark's question:
bench/stream.py, BENCHMARKS.md "Live stream"); one click sends the suggested crew; the crew moves on the map when its
positions come in; the incident turns amber when the sweeper marks it at risk; screenshots in en
and zh-CN and of the wall screen. A viewer sees the same desk without a single action button.

The first test follows the live stream as in production: a database of its own that changes are
committed to, a server that serves requests at once, the worker's relay and a Redis of its own
(tests/live_setup.py). The others (here and in the desk's other test modules) serve the app on
the test's own transaction, one request at a time, without the stream: the desk polls, as it does
against a server that has none.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import text

from api.desk_app import STATIC, VENDOR
from api.web_apps import app_files
from dispatch.core import clock
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents.sweeper import sweep
from tests.browser import CHROMIUM, ROOT, WAIT_MS, WEBGL_ARGS, WithoutStream, screenshot, serving, wait_until
from tests.conftest import signed_in
from tests.helpers import assert_problem, customer, report

#: A desktop screen. Reduced motion, as a desk may set it: the map jumps to a selected incident
#: instead of flying there (fewer frames drawn in software, nothing moving while a test clicks).
DESK = {"viewport": {"width": 1920, "height": 1080}, "locale": "en-GB", "timezone_id": "Europe/London",
        "reduced_motion": "reduce"}


# --- the files, through Flask's test client ----------------------------------------------------

def test_the_page_its_modules_and_maplibre_are_served_without_sign_in(anonymous):
    page = anonymous.get("/desk/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'src="/desk/main.js"' in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert anonymous.get("/desk").status_code == 308
    for name in app_files(STATIC, "/desk"):
        assert anonymous.get(name).status_code == 200, name
    module = anonymous.get("/desk/vendor/maplibre-gl/maplibre-gl.mjs")
    assert module.status_code == 200 and module.mimetype == "text/javascript"  # browsers refuse modules otherwise
    assert module.data == (ROOT / "node_modules/maplibre-gl/dist/maplibre-gl.mjs").read_bytes()
    # MapLibre starts its worker from the module's own folder, with a version in the query.
    worker = anonymous.get("/desk/vendor/maplibre-gl/maplibre-gl-worker.mjs?v=6.20.0")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert anonymous.get("/desk/vendor/maplibre-gl/maplibre-gl.css").mimetype == "text/css"
    assert set(VENDOR) == {"maplibre-gl/maplibre-gl.mjs", "maplibre-gl/maplibre-gl-worker.mjs",
                           "maplibre-gl/maplibre-gl.css"}


def test_a_raster_base_map_server_is_the_only_other_place_the_page_may_load_from(rules, anonymous):
    desk = rules(desk_basemap_url="https://tiles.example.org/{z}/{x}/{y}.png")
    policy = desk.get("/desk/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tiles.example.org;" in policy
    assert "connect-src 'self' https://tiles.example.org;" in policy
    assert "tiles.example.org" not in anonymous.get("/desk/").headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", [
    "/desk/../pyproject.toml", "/desk/%2e%2e/desk_app.py", "/desk/..%2fdesk_app.py", "/desk/common/../../web_apps.py",
    "/desk/common/%2e%2e%2fcrew%2fmain.js", "/desk/vendor/maplibre-gl/package.json",
    "/desk/vendor/maplibre-gl/../../package.json", "/desk/vendor/maplibre-gl/maplibre-gl.mjs.map", "/desk/nothing.js",
])
def test_nothing_outside_the_app_and_its_libraries_is_served(anonymous, path):
    assert_problem(anonymous.get(path), 404)


def test_both_apps_share_one_i18n_module(anonymous):
    desk, crew = anonymous.get("/desk/common/i18n.js"), anonymous.get("/crew/common/i18n.js")
    assert desk.status_code == crew.status_code == 200 and desk.data == crew.data
    assert b"export function t(" in desk.data


# --- the desk in a browser --------------------------------------------------------------------

@contextmanager
def desk_browser(app, locale: str = "en-GB"):
    """The app served on the test's transaction, one request at a time and without the live stream
    (the desk polls), and the browser. Yields (base URL, lock, page, problems); hold the lock to
    use the test's connection."""
    lock = threading.Lock()
    with serving(WithoutStream(app), lock) as base, chromium(locale) as (page, problems):
        yield base, lock, page, problems


@contextmanager
def chromium(locale: str = "en-GB"):
    """A 1920x1080 Chromium with WebGL, its clock set to the application's. Yields (page, problems)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: run scripts/setup.sh"
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=WEBGL_ARGS, headless=True)
        try:
            context = browser.new_context(**{**DESK, "locale": locale})
            context.clock.install(time=clock.now())
            context.set_default_timeout(WAIT_MS)
            page = context.new_page()
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda message: problems.append(message.text)
                    if "Content Security Policy" in message.text or "i18n:" in message.text else None)
            yield page, problems
        finally:
            browser.close()


def sign_in(page, base: str, user: dict) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/desk/")
    page.fill("#username", user["username"])
    page.fill("#password", user["password"])
    page.click("button[type=submit]")
    expect(page.locator("#map")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
    wait_until(page, "() => window.desk.map.loaded() && window.desk.map.areTilesLoaded()")


def on_map(page, layer: str, key: str, value) -> dict | None:
    """The properties and coordinates of a live feature the map was given (None if absent)."""
    return page.evaluate("""([layer, key, value]) => {
        const f = window.desk.mapData[layer].features.find((f) => f.properties[key] === value);
        return f ? {...f.properties, coordinates: f.geometry.coordinates} : null; }""", [layer, key, value])


#: Whether MapLibre drew a feature on the screen (WebGL), not only holds it: [layer, key, value].
RENDERED = """([layer, key, value]) => window.desk.map.queryRenderedFeatures({layers: [layer]})
    .some((f) => f.properties[key] === value)"""


@pytest.fixture
def sweeper(live_app):
    session = live_app.extensions["database"].session()
    dispatcher = Dispatcher(session, live_app.extensions["settings"], live_app.extensions["road_graphs"])
    yield lambda at: sweep(session, dispatcher, at)
    session.close()


@pytest.fixture
def hotline(live_app, user):
    """Another client of the server (the hotline system, a vehicle tracker), as an administrator."""
    return signed_in(live_app.test_client(), user("admin"))


def test_the_desk_follows_a_storm_and_sends_a_crew_in_one_click(
        live_app, server, relay, hotline, user, sweeper, tmp_path):
    from playwright.sync_api import expect

    dispatcher = user("dispatcher")
    base = server
    # The west crew is off duty: the first call goes to the east crew, far away.
    assert hotline.patch("/api/v1/crews/CW", json={"on_duty": False}).status_code == 200
    with chromium() as (page, problems):
        sign_in(page, base, dispatcher)
        expect(page.locator("#incident-list .empty")).to_be_visible()
        wait_until(page, "() => window.desk.state.live === 'live'")  # on the stream, not polling

        # Another client (the hotline system) posts a call: the stream puts it on the map and in the
        # list. (A timing here would fail on a loaded machine: bench/stream.py measures the latency.)
        incident = report(hotline, at=clock.now() - timedelta(minutes=1), account_no=customer(2))["incident"]
        assert incident["crew"] == "CE"
        row = page.locator(f'#incident-list li[data-incident="{incident["id"]}"]')
        wait_until(page, """(id) => window.desk.mapData.incidents.features.some(f => f.properties.id === id)
                              && document.querySelector(`#incident-list li[data-incident="${id}"]`) !== null""",
                   incident["id"])
        assert page.evaluate("() => window.desk.state.live") == "live"  # the stream brought it, not a poll
        expect(row).to_be_visible()
        wait_until(page, RENDERED, ["incidents", "id", incident["id"]])
        expect(row.locator(".crew")).to_contain_text("CE")
        expect(row).to_have_attribute("data-sla", "on_track")
        assert on_map(page, "incidents", "id", incident["id"])["sla"] == "on_track"

        # The west crew comes on duty, nearer: the desk suggests it, and one click sends it.
        assert hotline.patch("/api/v1/crews/CW", json={"on_duty": True}).status_code == 200
        row.click()
        # Selected, its area is drawn: the transformer its device is, ringed on the map.
        wait_until(page, RENDERED, ["area-transformers", "part", "transformers"])
        assert on_map(page, "area", "part", "transformers")["count"] == 1
        suggested = page.locator("#assign-suggested")
        expect(suggested).to_contain_text("CW")
        suggested.click()
        expect(row.locator(".crew")).to_contain_text("CW")
        expect(page.locator(".detail-panel .crew-now")).to_contain_text("CW")
        # Its estimated restoration follows: the new crew's ETA plus the default repair (no history yet).
        expect(row.locator(".etr")).to_contain_text("ETR ")
        expect(page.locator("#detail-etr")).to_contain_text("+ typical repair 120 min (default: too few past repairs)")
        assert hotline.get(f"/api/v1/incidents/{incident['id']}").get_json()["crew"] == "CW"
        wait_until(page, "() => window.desk.mapData.routes.features.some(f => f.properties.crew === 'CW')")

        # CW's vehicle tracker reports it moving east along Main Street: the crew moves on the map.
        wait_until(page, "() => window.desk.mapData.crews.features.some(f => f.properties.code === 'CW')")
        start = on_map(page, "crews", "code", "CW")["coordinates"]
        moved = hotline.post("/api/v1/crews/CW/positions", json={"positions": [
            {"at": (clock.now() - timedelta(seconds=5)).isoformat(), "lon": 51.4405, "lat": 33.981, "heading": 90}]})
        assert moved.status_code == 202
        wait_until(page, """(start) => { const f = window.desk.mapData.crews.features
            .find(f => f.properties.code === 'CW'); return f && f.geometry.coordinates[0] !== start[0]; }""", start)
        assert on_map(page, "crews", "code", "CW")["coordinates"] == [51.4405, 33.981]
        wait_until(page, RENDERED, ["crews", "code", "CW"])

        # The sweeper, run as if 43 minutes had passed, finds the crew would arrive too late: amber.
        with live_app.extensions["database"].engine.connect() as connection:
            deadline = connection.execute(text("SELECT arrival_deadline FROM incidents WHERE id = :id"),
                                          {"id": incident["id"]}).scalar_one()
        eta = hotline.get(f"/api/v1/incidents/{incident['id']}").get_json()["eta_s"]
        assert sweeper(deadline - timedelta(seconds=eta / 2)) == [(incident["id"], "at_risk")]
        expect(row).to_have_attribute("data-sla", "at_risk")
        wait_until(page, """(id) => window.desk.mapData.incidents.features
            .some(f => f.properties.id === id && f.properties.sla === 'at_risk')""", incident["id"])
        expect(page.locator("#alerts .alert-at_risk")).to_contain_text(f"#{incident['id']}")

        # A second call: the list shows both, most urgent first (the hazard).
        hazard = report(hotline, at=clock.now() - timedelta(minutes=2), account_no=customer(5),
                        kind="wire_down")["incident"]
        expect(page.locator("#incident-list li.incident").first).to_have_attribute("data-incident", str(hazard["id"]))
        page.locator(f'#incident-list li[data-incident="{incident["id"]}"]').click()
        expect(page.locator("#detail-status")).to_be_visible()
        page.wait_for_timeout(1500)  # the map eases to the incident
        screenshot(page, tmp_path, "desk-en.png", full_page=False)

        page.select_option("#language", "zh-CN")  # the page starts again in Chinese, remembered
        expect(page.locator(".brand")).to_have_text("抢修调度台")
        expect(page.locator("#map")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
        expect(row).to_contain_text("有超时风险")
        page.locator(f'#incident-list li[data-incident="{incident["id"]}"]').click()
        expect(page.locator("#assign-suggested, .crew-now").first).to_be_visible()
        page.wait_for_timeout(1500)
        screenshot(page, tmp_path, "desk-zh-CN.png", full_page=False)

        page.goto(f"{base}/desk/#wall")  # the page starts again as the wall screen
        expect(page.locator("#wall-open b")).to_have_text("2")
        screenshot(page, tmp_path, "desk-wall.png", full_page=False)

    assert problems == []


def test_a_viewer_reads_the_desk_without_any_action(app, client, city, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    viewer = make_user("viewer")
    incident = report(client, at=clock.now() - timedelta(minutes=1), account_no=customer(2))["incident"]
    with desk_browser(app) as (base, lock, page, problems):
        sign_in(page, base, viewer)
        row = page.locator(f'#incident-list li[data-incident="{incident["id"]}"]')
        row.click()
        expect(page.locator(".candidates tbody tr").first).to_be_visible()  # the crews and their times, read only
        expect(page.locator("#assign-suggested")).to_have_count(0)
        expect(page.locator(".detail-panel button.act")).to_have_count(0)
        expect(page.locator("#tool-call")).to_have_count(0)
        expect(page.locator("#tool-closure")).to_have_count(0)
        # And the server refuses anyway.
        token = page.evaluate("JSON.parse(localStorage.getItem('desk.session')).access_token")
        with lock:
            refused = client.post(f"/api/v1/incidents/{incident['id']}/assign", json={},
                                  headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403
        screenshot(page, tmp_path, "desk-viewer.png", full_page=False)
    assert problems == []

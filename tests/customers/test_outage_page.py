"""The public outage map page: its files without sign-in under the page's Content-Security-Policy,
and the page at work in a real browser (Chromium, WebGL through SwiftShader): the outages' areas on
the map over the public road tiles, the list beside it with customers out, since, progress, ETR,
restored and reopened outages and planned work to come, in en and zh-CN (the roads' credit too),
and on a phone the list under the map.
Screenshots in var/screenshots/outages-*.png."""
from __future__ import annotations

import re
from datetime import timedelta

from api.outages_app import STATIC
from api.web_apps import app_files
from dispatch.core import clock
from tests.browser import WAIT_MS, screenshot, wait_until
from tests.desk.test_desk_app import desk_browser
from tests.helpers import T0, assert_problem, customer, report

PHONE = {"width": 390, "height": 844}


def test_the_page_its_modules_and_maplibre_are_served_without_sign_in(anonymous):
    page = anonymous.get("/outages/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'src="/outages/main.js"' in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "style-src 'self';" in policy and "frame-ancestors 'none'" in policy
    for name in app_files(STATIC, "/outages"):
        assert anonymous.get(name).status_code == 200, name
    assert anonymous.get("/outages/vendor/maplibre-gl/maplibre-gl-worker.mjs").mimetype == "text/javascript"
    for path in ("/outages/vendor/maplibre-gl/package.json", "/outages/../pyproject.toml"):
        assert_problem(anonymous.get(path), 404)


def outages(client):
    """An outage with a crew on the way, a wider one waiting, one restored, one out again, and
    planned work in three days (its customers have had the week's notice)."""
    restored = report(client, T0, account_no=customer(4))["incident"]["id"]
    for kind, minutes in (("on_site", 20), ("restored", 75)):
        assert client.post(f"/api/v1/incidents/{restored}/events", json={
            "type": kind, "at": (T0 + timedelta(minutes=minutes)).isoformat()}).status_code == 200
    again = report(client, T0 + timedelta(hours=1), account_no=customer(5))["incident"]["id"]
    for kind, minutes in (("on_site", 80), ("restored", 90)):
        assert client.post(f"/api/v1/incidents/{again}/events", json={
            "type": kind, "at": (T0 + timedelta(minutes=minutes)).isoformat()}).status_code == 200
    report(client, clock.now() - timedelta(minutes=30), account_no=customer(5, 4))
    report(client, clock.now() - timedelta(minutes=20), account_no=customer(2))
    report(client, clock.now() - timedelta(minutes=10), account_no=customer(1))
    start = clock.now() + timedelta(days=3)
    assert client.post("/api/v1/planned-outages", json={
        "switch": "F3", "reason": "line maintenance", "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=4)).isoformat()}).status_code == 201


def test_the_map_and_the_list_in_english_and_chinese_and_on_a_phone(rules, city, client, redis_db, tmp_path):
    from playwright.sync_api import expect

    app = rules(public_outages_max_age_s=0, public_outages_min_age_s=0).application
    outages(client)
    feed = app.test_client().get("/api/v1/public/outages").get_json()
    out = [f for f in feed["features"] if f["properties"]["status"] == "out"]
    assert any(f["properties"]["reopened"] for f in out)
    with desk_browser(app) as (base, lock, page, problems):
        page.goto(f"{base}/outages/")
        expect(page.locator("#app")).to_have_attribute("data-loaded", "true", timeout=WAIT_MS)
        expect(page.locator("#map")).to_have_attribute("data-ready", "true")
        wait_until(page, "() => window.outages.map.loaded() && window.outages.map.areTilesLoaded()")
        wait_until(page, "() => window.outages.map.queryRenderedFeatures({layers: ['outages-fill']}).length > 0")
        expect(page.locator("h1")).to_have_text("Power outages")
        customers = sum(f["properties"]["customers_out"] for f in out)
        expect(page.locator("#totals")).to_have_text(f"{len(out)} outages · {customers} customers without power")
        rows = page.locator("#outage-list > li")
        expect(rows).to_have_count(len(feed["features"]))
        expect(page.locator("#outage-list > li[data-status=out]").first).to_contain_text("Estimated restoration")
        expect(page.locator("#outage-list > li[data-status=reopened]")).to_contain_text("Power went off again after")
        expect(page.locator("#outage-list > li[data-status=restored]")).to_contain_text("Restored at")
        expect(page.locator("#outage-list > li[data-status=upcoming]")).to_contain_text("Planned work")
        expect(page.locator("#outage-list")).to_contain_text("Area Town")
        credit = page.locator(".maplibregl-ctrl-attrib-inner")
        expect(credit).to_contain_text("Roads © OpenStreetMap contributors")
        zoom_in = page.locator(".maplibregl-ctrl-zoom-in")
        expect(zoom_in).to_have_attribute("title", "Zoom in")
        screenshot(page, tmp_path, "outages-en.png", full_page=False)
        # A row picked in the list is picked on the map too.
        rows.first.click()
        expect(rows.first).to_have_class(re.compile(r"\bselected\b"))

        page.select_option("#language", "zh-CN")
        expect(page.locator("h1")).to_have_text("停电信息")
        expect(page.locator("#totals")).to_contain_text(f"{len(out)} 处停电")
        expect(page.locator("#outage-list > li[data-status=reopened]")).to_contain_text("再次停电")
        expect(page.locator("#outage-list > li[data-status=upcoming]")).to_contain_text("计划停电时段")
        expect(credit).to_contain_text("道路 © OpenStreetMap 贡献者")
        expect(credit).not_to_contain_text("Roads")
        # MapLibre's own buttons too, switched in place: their tooltips and what a screen reader says.
        expect(zoom_in).to_have_attribute("title", "放大")
        expect(page.locator(".maplibregl-ctrl-zoom-out")).to_have_attribute("aria-label", "缩小")
        expect(page.locator(".maplibregl-ctrl-attrib-button")).to_have_attribute("title", "显示或隐藏地图来源")
        expect(page.locator(".maplibregl-canvas")).to_have_attribute("aria-label", "地图")
        screenshot(page, tmp_path, "outages-zh-CN.png", full_page=False)

        page.set_viewport_size(PHONE)
        page.reload()
        expect(page.locator("#app")).to_have_attribute("data-loaded", "true")
        wait_until(page, "() => window.outages.map.loaded() && window.outages.map.areTilesLoaded()")
        wait_until(page, "() => window.outages.map.queryRenderedFeatures({layers: ['outages-fill']}).length > 0")
        map_box, list_box = page.locator("#map").bounding_box(), page.locator(".side").bounding_box()
        assert list_box["y"] >= map_box["y"] + map_box["height"] - 1 and map_box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        expect(credit).to_have_count(1)
        expect(credit).to_contain_text("道路 © OpenStreetMap 贡献者")
        screenshot(page, tmp_path, "outages-phone-zh-CN.png", full_page=False)  # a full page would resize the map (55vh)
    assert problems == []

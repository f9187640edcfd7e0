"""Acting on the desk's map, in a real browser: a switch opened from its popup after a confirmation
that names the customers it cuts off (as GET .../effect gives them), cancelled first, then closed
again; a road closure drawn along a street, stored, drawn on the map and lifted from its popup.
Screenshots of the confirmation and the closure in en and zh-CN."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.browser import WAIT_MS, screenshot, wait_until
from tests.desk.test_desk_app import RENDERED, desk_browser, sign_in
from tests.factories import LAT, LON

#: Fuse F1 feeds transformer T1: ten customers, one of them on life support (tests.factories.feeder_grid).
F1 = (round(LON + 0.0085, 7), round(LAT + 0.002, 7))
#: Main Street runs along LAT + 0.001 (tests.factories.dispatch_grid), a road every 0.004 degrees.
MAIN_STREET = [(round(LON + dx, 7), round(LAT + 0.001, 7)) for dx in (0.001, 0.004, 0.007)]


#: A browser drawing WebGL in software on a machine busy with other suites has stopped for 30 s.
SLOW_MS = 60_000


def look_at(page, place: tuple[float, float], zoom: float) -> None:
    """Centre the map on ``place`` and wait for its tiles."""
    page.evaluate("([place, zoom]) => window.desk.map.jumpTo({center: place, zoom})", [list(place), zoom])
    wait_until(page, "() => window.desk.map.loaded() && window.desk.map.areTilesLoaded()", timeout_ms=SLOW_MS)


def click_map(page, place: tuple[float, float]) -> None:
    """A dispatcher's click on the map at ``place`` (lon, lat)."""
    point = page.evaluate("(place) => window.desk.map.project(place)", list(place))
    page.locator("#map canvas.maplibregl-canvas").click(position={"x": point["x"], "y": point["y"]})


def switch_is_open(lock, connection, code: str) -> bool:
    with lock:
        return connection.execute(text("SELECT is_open FROM switches WHERE code = :c"), {"c": code}).scalar_one()


def drawn_open(page, code: str):
    """The switch's state as the map's tiles draw it (None: not drawn)."""
    return page.evaluate("""(code) => { const f = window.desk.map.queryRenderedFeatures({layers: ['switches']})
        .find((f) => f.properties.code === code); return f ? f.properties.is_open : null; }""", code)


def test_a_switch_is_opened_after_a_confirmation_naming_whom_it_cuts_off_and_closed_again(
        app, client, city, connection, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    dispatcher = make_user("dispatcher")
    effect = client.get("/api/v1/grid/switches/F1/effect?is_open=true").get_json()
    assert effect["customers_off"] == 10
    assert effect["critical_off"] == [{"account_no": "1000", "name": "Customer 1-0", "priority": "life_support"}]
    with desk_browser(app) as (base, lock, page, problems):
        sign_in(page, base, dispatcher)
        look_at(page, F1, 17)
        wait_until(page, RENDERED, ["switches", "code", "F1"])
        assert drawn_open(page, "F1") is False

        click_map(page, F1)
        popup = page.locator('.switch-popup[data-switch="F1"]')
        expect(popup).to_contain_text("Fuse F1")
        expect(popup).to_contain_text("Closed")
        expect(popup).to_contain_text("Opening it cuts off 10 customers (1 critical).")
        page.click("#operate-switch")
        dialog = page.locator("#switch-dialog")
        expect(dialog).to_be_visible()
        expect(popup).to_have_count(0)
        expect(dialog.locator("h2")).to_have_text("Open Fuse F1?")
        expect(page.locator("#switch-effect")).to_have_text(f"{effect['customers_off']} customers will lose power")
        expect(page.locator("#switch-critical")).to_contain_text("Among them 1 critical or life-support customer:")
        expect(page.locator("#switch-critical li")).to_have_text(["Customer 1-0 life support · account 1000"])
        expect(page.locator("#switch-confirm")).to_have_text("Open F1: cut off 10 customers")
        expect(page.locator("#switch-cancel")).to_be_focused()
        wait_until(page, RENDERED, ["switch-target", "code", "F1"])  # ringed on the map, in sight below

        # Enter at the wrong moment cancels; nothing is switched.
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        wait_until(page, "() => window.desk.map.queryRenderedFeatures({layers: ['switch-target']}).length === 0")
        assert switch_is_open(lock, connection, "F1") is False

        click_map(page, F1)
        page.click("#operate-switch")
        expect(page.locator("#switch-effect")).to_be_visible()
        page.wait_for_timeout(300)  # the popup's fade
        screenshot(page, tmp_path, "desk-switch-confirm-en.png", full_page=False)
        page.click("#switch-confirm")
        expect(dialog).to_be_hidden()
        assert switch_is_open(lock, connection, "F1") is True
        with lock:
            assert client.get("/api/v1/grid/switches/F1/effect?is_open=false").get_json()["customers_on"] == 10
        wait_until(page, "(code) => window.desk.map.queryRenderedFeatures({layers: ['switches']})"
                   ".some((f) => f.properties.code === code && f.properties.is_open === true)", "F1")

        # Closing it again: the confirmation says who gets power back.
        click_map(page, F1)
        expect(popup).to_contain_text("Open")
        expect(popup).to_contain_text("Closing it restores 10 customers.")
        page.click("#operate-switch")
        expect(dialog.locator("h2")).to_have_text("Close Fuse F1?")
        expect(page.locator("#switch-effect")).to_have_text("10 customers will get power back")
        expect(page.locator("#switch-critical")).to_have_count(0)
        page.click("#switch-confirm")
        expect(dialog).to_be_hidden()
        assert switch_is_open(lock, connection, "F1") is False
        wait_until(page, "(code) => window.desk.map.queryRenderedFeatures({layers: ['switches']})"
                   ".some((f) => f.properties.code === code && f.properties.is_open === false)", "F1")

        # The same confirmation in Chinese.
        page.select_option("#language", "zh-CN")  # the page starts again in Chinese
        expect(page.locator(".brand")).to_have_text("抢修调度台", timeout=WAIT_MS)
        expect(page.locator("#map")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
        expect(page.locator(".maplibregl-ctrl-zoom-in")).to_have_attribute("title", "放大")  # MapLibre's own words too
        expect(page.locator(".maplibregl-ctrl-compass")).to_have_attribute("title", "拖动旋转地图，单击恢复正北")
        look_at(page, F1, 17)
        wait_until(page, RENDERED, ["switches", "code", "F1"])
        click_map(page, F1)
        page.click("#operate-switch")
        expect(dialog.locator("h2")).to_have_text("将熔断器 F1 分闸？")
        expect(page.locator("#switch-effect")).to_have_text("10 户将停电")
        expect(page.locator("#switch-critical")).to_contain_text("其中重要及生命保障用户 1 户：")
        expect(page.locator("#switch-confirm")).to_have_text("分闸 F1，10 户停电")
        page.wait_for_timeout(300)
        screenshot(page, tmp_path, "desk-switch-confirm-zh-CN.png", full_page=False)
        page.click("#switch-cancel")
        expect(dialog).to_be_hidden()
    assert switch_is_open(lock, connection, "F1") is False
    assert problems == []


def test_a_road_closure_is_drawn_along_a_street_stored_shown_and_lifted(
        app, client, city, connection, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    dispatcher = make_user("dispatcher")
    for language, reason in (("en", "Fallen tree"), ("zh-CN", "倒树")):
        with desk_browser(app) as (base, lock, page, problems):
            page.add_init_script(f"localStorage.setItem('ui.language', '{language}')")
            sign_in(page, base, dispatcher)
            look_at(page, MAIN_STREET[1], 16)
            page.click("#tool-closure")
            expect(page.locator("#tool-hint")).to_be_visible()
            expect(page.locator("#finish-closure")).to_be_disabled()
            for place in MAIN_STREET:
                click_map(page, place)
            wait_until(page, "() => window.desk.mapData.draft.features.length === 4")  # three points and the line
            page.click("#finish-closure")
            page.fill("#closure-reason", reason)
            page.fill("#closure-hours", "6")
            page.click("#save-closure")
            expect(page.locator("#closure-dialog")).to_be_hidden()
            expect(page.locator("#tool-hint")).to_be_hidden()

            with lock:
                stored = [c for c in client.get("/api/v1/roads/closures").get_json()["closures"] if c["active"]]
                assert len(stored) == 1 and stored[0]["reason"] == reason
                roads = connection.execute(text("SELECT code FROM roads WHERE id = ANY(:ids) ORDER BY code"),
                                           {"ids": stored[0]["road_ids"]}).scalars().all()
            closure = stored[0]
            assert roads == ["MAIN1", "MAIN2"]
            drawn = closure["geometry"]["coordinates"]  # where the clicks landed, to a pixel
            assert len(drawn) == 3 and all(p == pytest.approx(list(q), abs=2e-5) for p, q in zip(drawn, MAIN_STREET))
            # Six hours on the browser's clock, which the test set to the application's.
            until = datetime.fromisoformat(closure["until"])
            assert timedelta(hours=6) - timedelta(minutes=2) < until - clock.now() <= timedelta(hours=6, minutes=2)
            wait_until(page, RENDERED, ["closures", "id", closure["id"]])

            # Clicked on the map: why and until when; the desk reopens it from there.
            click_map(page, MAIN_STREET[1])
            popup = page.locator(f'.closure-popup[data-closure="{closure["id"]}"]')
            expect(popup).to_contain_text(reason)
            expect(popup).to_contain_text("Reopens by itself at" if language == "en" else "自动解除")
            page.wait_for_timeout(300)
            screenshot(page, tmp_path, f"desk-closure-{language}.png", full_page=False)
            popup.locator("#lift-closure").click()
            expect(popup).to_have_count(0)
            wait_until(page, "() => window.desk.mapData.closures.features.length === 0")
            with lock:  # the desk still polls: never the test's connection without the lock
                closures = client.get("/api/v1/roads/closures?include=lifted").get_json()["closures"]
                in_force = client.get("/api/v1/roads/closures").get_json()["closures"]
            assert not [c for c in in_force if c["id"] == closure["id"]]
            assert [(c["id"], c["active"]) for c in closures if c["id"] == closure["id"]] == [(closure["id"], False)]
            # Gone from the screen too, once MapLibre has redrawn (its tiling of new data is asynchronous).
            wait_until(page, "(id) => !window.desk.map.queryRenderedFeatures({layers: ['closures']})"
                             ".some((f) => f.properties.id === id)", closure["id"])
        assert problems == []

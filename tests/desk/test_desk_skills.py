"""The desk says why an incident waits when no crew on duty has the skills it needs (issue 18)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.browser import WAIT_MS, screenshot
from tests.desk.test_desk_app import desk_browser, sign_in
from tests.helpers import customer, report


@pytest.mark.parametrize("locale, row, detail", [
    ("en-GB", "No crew on duty has the skills", "Waiting: no crew on duty has Low voltage"),
    ("zh-CN", "无具备技能的在岗班组", "等待中：在岗班组无人具备 低压"),
])
def test_an_incident_waiting_for_skills_says_which(app, client, city, connection, make_user, tmp_path,
                                                   locale, row, detail):
    from playwright.sync_api import expect

    connection.execute(text("UPDATE crews SET skills = '{mv}'"))  # nobody for the low-voltage side
    incident = report(client, clock.now(), account_no=customer(2))["incident"]
    assert incident["crew"] is None
    with desk_browser(app, locale) as (base, lock, page, problems):
        sign_in(page, base, make_user("dispatcher"))
        item = page.locator(f'#incident-list li[data-incident="{incident["id"]}"]')
        expect(item.locator(".crew.none")).to_have_text(row, timeout=WAIT_MS)
        item.click()
        expect(page.locator(".crew-now.none")).to_have_text(detail, timeout=WAIT_MS)
        screenshot(page, tmp_path, f"desk-no-qualified-crew-{locale[:2]}.png", full_page=False)
    assert problems == []


@pytest.mark.parametrize("locale, label, why", [
    ("en-GB", "Taken off a crew's queue", "CW: went off duty"),
    ("zh-CN", "移出排队", "CW：已下班"),
])
def test_an_incident_taken_off_a_crews_queue_says_why_in_its_timeline(app, rules, city, connection, make_user,
                                                                     tmp_path, locale, label, why):
    from playwright.sync_api import expect

    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code = 'CE'"))
    desk = rules(inference_min_calls=100)  # one incident per call
    current = report(desk, clock.now(), account_no=customer(1))["incident"]
    waiting = report(desk, clock.now(), account_no=customer(3, 1))["incident"]
    assert (current["crew"], waiting["crew"]) == ("CW", None)
    queued = desk.post(f"/api/v1/incidents/{waiting['id']}/assign", json={"crew": "CW", "queue": True})
    assert queued.get_json()["queued"] is True
    # CW's job ends without it taking its queue (as when the queued job is out of reach then); it goes home.
    connection.execute(text("UPDATE incidents SET status = 'restored' WHERE id = :id"), {"id": current["id"]})
    connection.execute(text("UPDATE crews SET status = 'available' WHERE code = 'CW'"))
    assert desk.patch("/api/v1/crews/CW", json={"on_duty": False}).status_code == 200
    with desk_browser(app, locale) as (base, lock, page, problems):
        sign_in(page, base, make_user("dispatcher"))
        page.locator(f'#incident-list li[data-incident="{waiting["id"]}"]').click()
        entry = page.locator(".timeline li[data-type=unqueued]")
        expect(entry).to_contain_text(label, timeout=WAIT_MS)
        expect(entry).to_contain_text(why)
        entry.scroll_into_view_if_needed()
        screenshot(page, tmp_path, f"desk-unqueued-{locale[:2]}.png", full_page=False)
    assert problems == []

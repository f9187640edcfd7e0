"""The desk's call-back list: the customers who called about restored outages, overdue first, each
answered in one click; "Still out" opens an incident nested in the restored one. Screenshots in en
and zh-CN."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser import screenshot
from tests.customers.test_callbacks import list_callbacks, outage
from tests.desk.test_desk_app import desk_browser, sign_in
from tests.helpers import customer

TEXTS = {"en-GB": ("☎ Call-backs 4 (2 overdue)", "Still out", "Power back"),
         "zh-CN": ("☎ 回访 4 （2 户超时）", "仍无电", "已来电")}


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_an_agent_works_through_the_call_backs_in_one_click_each(app, client, city, make_user, redis_db, tmp_path,
                                                                 locale):
    from playwright.sync_api import expect

    recent = outage(app, client, 1, timedelta(hours=2))
    old = outage(app, client, 3, timedelta(hours=25))
    button, still_out, power_back = TEXTS[locale]

    with desk_browser(app, locale) as (base, lock, page, problems):
        sign_in(page, base, make_user("dispatcher"))
        expect(page.locator("#tool-callbacks")).to_have_text(button)
        page.locator("#tool-callbacks").click()
        rows = page.locator("#callback-list li.callback")
        expect(rows).to_have_count(4)
        # The overdue first.
        expect(rows.nth(0)).to_have_class("callback callback-pending overdue")
        assert [rows.nth(k).get_attribute("data-incident") for k in range(4)] == [str(old)] * 2 + [str(recent)] * 2
        screenshot(page, tmp_path, f"desk-callbacks-{'en' if locale == 'en-GB' else locale}.png", full_page=False)

        first = rows.nth(2).get_attribute("data-callback")
        page.locator(f'li[data-callback="{first}"] button.answer-still_out').click()
        expect(page.locator(f'li[data-callback="{first}"]')).to_have_count(0)
        expect(rows).to_have_count(3)
        second = rows.nth(0).get_attribute("data-callback")
        rows.nth(0).locator("button.answer-power_back").click()
        expect(rows).to_have_count(2)
        page.select_option("#callback-state", "answered")
        expect(page.locator(f'li[data-callback="{first}"] .answered')).to_contain_text(still_out)
        expect(page.locator(f'li[data-callback="{second}"] .answered')).to_have_text(power_back)
        with lock:
            answered = {c["id"]: c for c in list_callbacks(client, "?state=answered")["callbacks"]}
            child = client.get(f"/api/v1/incidents/{answered[int(first)]['new_incident']}").get_json()
        assert answered[int(first)]["status"] == "still_out" and answered[int(second)]["status"] == "power_back"
        assert child["parent_incident"] == recent and child["reports"][0]["account_no"] in (customer(1, 0),
                                                                                           customer(1, 1))
        # The new incident is a click away.
        page.locator(f'li[data-callback="{first}"] .answered button').click()
        expect(page.locator(".detail-head h2")).to_have_text(f"#{child['id']}")
    assert problems == []

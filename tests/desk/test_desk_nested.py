"""The desk shows a nested outage in one line of the incident detail: the restored incident it lies
in (a button that opens it), and on that one the outages still found inside it; with the meters'
count of last gasps and power-restored. Screenshots in en and zh-CN."""
from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.core import clock
from tests.browser import screenshot
from tests.desk.test_desk_app import desk_browser, sign_in
from tests.helpers import customer, report

LINES = {"en-GB": ("inside #{parent}, restored", "still out: #{child}", "3 last gasps, 0 power restored · 3 still out"),
         "zh-CN": ("位于已复电的 #{parent} 内", "仍停电：#{child}", "停电告警 3 个，复电 0 个 · 3 户仍停电")}


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_detail_says_which_restored_outage_a_nested_one_lies_in(app, client, city, make_user, redis_db,
                                                                    tmp_path, locale):
    from playwright.sync_api import expect

    start = clock.now() - timedelta(minutes=90)
    gasps = client.post("/api/v1/meter-events", json={"events": [
        {"account_no": customer(1, k), "kind": "last_gasp", "at": start.isoformat()} for k in range(3)]}).get_json()
    (parent,) = gasps["incidents"]
    for event, minutes in (("on_site", 60), ("restored", 40)):
        done = client.post(f"/api/v1/incidents/{parent}/events",
                           json={"type": event, "at": (clock.now() - timedelta(minutes=minutes)).isoformat()})
        assert done.status_code == 200, done.get_data(as_text=True)
    child = report(client, clock.now() - timedelta(minutes=20), account_no=customer(1, 5))["incident"]["id"]
    inside, still_out, meters = (line.format(parent=parent, child=child) for line in LINES[locale])

    with desk_browser(app, locale) as (base, lock, page, problems):
        sign_in(page, base, make_user("dispatcher"))
        page.locator(f'#incident-list li[data-incident="{child}"]').click()
        expect(page.locator("#detail-nested")).to_have_text(inside)
        page.locator("#detail-nested button").click()
        expect(page.locator(".detail-head h2")).to_have_text(f"#{parent}")
        expect(page.locator("#detail-nested")).to_have_text(still_out)
        expect(page.locator("#detail-meters")).to_have_text(meters)
        screenshot(page, tmp_path, f"desk-nested-outage-{'en' if locale == 'en-GB' else locale}.png", full_page=False)
    assert problems == []

"""The work order at the desk, in a real browser: the stamped steps, the escalation warnings, the
customers cut off, the closing report entered for a crew without a phone, sent back and accepted;
a hotline call, the existing incident shown first, and a fault marked as the customer's side with
the time agreed with them (entered in the desk's time zone, whatever the computer's)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from dispatch.core import clock
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents.sweeper import sweep
from tests.browser import screenshot
from tests.desk.test_desk_app import desk_browser, sign_in
from tests.helpers import customer, report


@pytest.fixture
def warn(app):
    """Sweep now with the configured warning levels (50 % crew, 80 % station head, 90 % desk)."""
    session = app.extensions["database"].session()
    dispatcher = Dispatcher(session, app.extensions["settings"], app.extensions["road_graphs"])
    levels = app.extensions["settings"].warning_levels
    yield lambda: sweep(session, dispatcher, clock.now(), levels)
    session.close()


def test_the_work_order_from_warnings_to_the_archived_report(
        app, client, city, connection, make_user, redis_db, warn, tmp_path):
    from playwright.sync_api import expect

    dispatcher = make_user("dispatcher")
    # A call 38 minutes ago behind T1 (urban: 45 minutes to arrive): 84 % of the time is gone.
    incident = report(client, at=clock.now() - timedelta(minutes=38), account_no=customer(1, 4))["incident"]
    number = incident["id"]
    assert (number, "deadline_warning:80") in warn()
    with desk_browser(app) as (base, lock, page, problems):
        sign_in(page, base, dispatcher)
        row = page.locator(f'#incident-list li[data-incident="{number}"]')
        expect(row.locator(".warned")).to_have_text("80% gone · the zone has no station head's phone: desk alerted")
        row.click()
        detail = page.locator("#detail")
        warnings = detail.locator(".timeline li.event-deadline_warning")
        expect(warnings).to_have_count(2)
        expect(warnings.first).to_contain_text(
            "Deadline warning 80% of the time to arrive gone · the zone has no station head's phone: desk alerted")
        expect(warnings.last).to_contain_text(f"50% of the time to arrive gone · shown on crew {incident['crew']}'s phone")

        # The customers it cut off: how many, the life-support one first, then the caller, with phones.
        cut_off = page.locator("#cut-off")
        expect(cut_off.locator(".cut-off-total")).to_have_text("10 customers without power")
        expect(cut_off.locator(".critical-list li")).to_have_count(1)
        expect(cut_off.locator(".critical-list li")).to_contain_text("Customer 1-0")
        expect(cut_off.locator(".critical-list li")).to_contain_text("life support")
        expect(cut_off.locator(".critical-list li .phone")).to_have_text("☎ 13900001000")
        expect(cut_off.locator(".caller-list li")).to_have_attribute("data-account", customer(1, 4))
        expect(cut_off.locator(".caller-list li .phone")).to_have_text("☎ 13900001004")
        expect(cut_off).to_contain_text("8 other customers not listed.")

        steps = page.locator("#work-order-steps")
        expect(steps.locator("li.done")).to_have_count(2)  # received, dispatched
        expect(steps.locator('li[data-step="accepted"]')).to_have_class("step next")

        # The crew has no phone: the desk records its arrival and the restoration.
        with lock:
            for event in ("on_site", "restored"):
                assert client.post(f"/api/v1/incidents/{number}/events", json={"type": event}).status_code == 200
        expect(page.locator("#detail-status")).to_have_text("Restored")
        expect(steps.locator("li.done")).to_have_count(4)
        expect(steps.locator('li[data-step="restored"] time')).not_to_have_text("—")
        expect(page.locator("#work-order .waiting-report")).to_have_text(
            "Power is back. Waiting for the crew's closing report.")

        # The closing report entered for the crew: the cause from the taxonomy's two levels.
        page.click("#desk-report summary")
        expect(page.locator("#report-cause-code")).to_be_disabled()
        page.select_option("#report-category", label="Weather")
        page.select_option("#report-cause-code", label="Lightning")
        page.select_option("#report-owner", "utility")
        page.fill("#report-work", "Replaced fuse F1 after a lightning strike")
        page.fill("#report-workers", "Wang, Liu")
        page.click("#report-save")
        closing = page.locator("#closing-report")
        expect(closing).to_have_attribute("data-review", "pending")
        expect(closing.locator("#report-cause")).to_have_text("Weather › Lightning")
        expect(closing).to_contain_text("waiting for your review")
        expect(closing).to_contain_text("Wang, Liu")
        expect(steps.locator('li[data-step="closing_report"]')).to_have_class("step done")
        page.wait_for_timeout(1200)  # the map eases to the incident
        screenshot(page, tmp_path, "desk-work-order-en.png", full_page=False)

        # Sent back, with the reason the crew will read.
        page.click("#report-return")
        page.fill("#return-reason", "Name the fuse you replaced and its rating")
        page.click("#return-send")
        expect(closing).to_have_attribute("data-review", "returned")
        expect(page.locator("#report-returned")).to_contain_text("“Name the fuse you replaced and its rating”")
        expect(page.locator("#work-order")).to_contain_text("Waiting for the crew to file the report again.")

        # In Chinese: the restored incident found by the status filter, the report filed again.
        page.select_option("#language", "zh-CN")
        expect(page.locator(".brand")).to_have_text("抢修调度台")
        page.select_option("#filter-status", "restored")
        page.locator(f'#incident-list li[data-incident="{number}"]').click()
        expect(page.locator("#closing-report")).to_contain_text("已退回")
        page.click("#desk-report summary")
        page.select_option("#report-category", label="设备原因")
        page.select_option("#report-cause-code", label="开关、熔断器")
        page.fill("#report-work", "更换熔断器 F1（100 A）")
        page.click("#report-save")
        expect(page.locator("#closing-report")).to_have_attribute("data-review", "pending")
        expect(page.locator("#report-cause")).to_have_text("设备原因 › 开关、熔断器")
        expect(page.locator("#work-order-steps li").first).to_contain_text("受理")
        expect(page.locator("#cut-off .cut-off-total")).to_have_text("10 户停电")
        page.wait_for_timeout(1200)
        screenshot(page, tmp_path, "desk-work-order-zh-CN.png", full_page=False)

        page.click("#report-accept")  # 审核通过并归档
        expect(page.locator("#detail-status")).to_have_text("已归档")
        expect(page.locator('#work-order-steps li[data-step="archived"]')).to_have_class("step done")
        expect(page.locator("#closing-report")).to_have_attribute("data-review", "accepted")
    assert problems == []
    reviews = connection.execute(text(
        "SELECT type, actor, data->>'cause' AS cause, data->>'reason' AS reason FROM incident_events "
        "WHERE incident_id = :id AND type LIKE 'closing_report%' ORDER BY id"), {"id": number}).mappings().all()
    assert [(r["type"], r["actor"]) for r in reviews] == [
        ("closing_report", dispatcher["username"]), ("closing_report_returned", dispatcher["username"]),
        ("closing_report", dispatcher["username"]), ("closing_report_accepted", dispatcher["username"])]
    assert [r["cause"] for r in reviews[::2]] == ["weather.lightning", "equipment.switchgear"]
    assert reviews[1]["reason"] == "Name the fuse you replaced and its rating"
    assert connection.execute(text("SELECT status FROM incidents WHERE id = :id"), {"id": number}).scalar() == "closed"


def test_a_hotline_call_shows_the_open_incident_first_and_a_fault_on_the_customers_side_gets_its_agreed_time(
        app, client, city, connection, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    dispatcher = make_user("dispatcher")
    existing = report(client, at=clock.now() - timedelta(minutes=3), account_no=customer(2))["incident"]["id"]
    zone = ZoneInfo(app.extensions["settings"].dispatch_timezone)
    agreed = (clock.now() + timedelta(hours=3)).replace(second=0, microsecond=0)
    with desk_browser(app) as (base, lock, page, problems):
        sign_in(page, base, dispatcher)
        page.click("#tool-call")
        # A neighbour of the open incident's caller: suggested with that incident, which is shown first.
        page.fill("#call-search", customer(2, 3))
        suggestion = page.locator(f'#call-suggestions li[data-account="{customer(2, 3)}"]')
        expect(suggestion).to_contain_text("Customer 2-3")
        expect(suggestion.locator(".tag")).to_have_text(f"#{existing}")
        suggestion.click()
        expect(page.locator("#call-existing")).to_contain_text(f"Already reported: incident #{existing}")

        # Another customer, on the other feeder: no incident yet; the call opens one.
        page.fill("#call-search", customer(5, 3))
        page.locator(f'#call-suggestions li[data-account="{customer(5, 3)}"]').click()
        expect(page.locator("#call-existing")).to_have_count(0)
        page.select_option("#call-kind", "no_power")
        page.fill("#call-description", "Only my house is dark; the neighbours have power")
        page.click("#call-submit")

        # Right after the call: the detail of the new incident, offering the customer's side.
        offered = page.locator("#customer-side.offered details[open]")
        expect(offered).to_be_visible()
        number = int(page.locator(".detail-head h2").inner_text().lstrip("#"))
        assert number != existing
        expect(page.locator('label[for="customer-side-time"]')).to_have_text(
            "Arrival agreed with the customer (Asia/Shanghai time)")
        page.wait_for_timeout(1200)
        screenshot(page, tmp_path, "desk-customer-side-en.png", full_page=False)
        page.select_option("#customer-side-reason", "behind_meter")
        page.fill("#customer-side-time", agreed.astimezone(zone).strftime("%Y-%m-%dT%H:%M"))
        page.click("#customer-side-save")
        at = agreed.astimezone(zone).strftime("%H:%M")
        expect(page.locator("#customer-side .customer-side-now")).to_contain_text(
            "Behind the meter (customer's wiring) · crew due at")
        expect(page.locator("#customer-side .customer-side-now")).to_contain_text(at)
        row = page.locator(f'#incident-list li[data-incident="{number}"]')
        expect(row.locator(".tag.customer-side")).to_have_text(f"Customer's side · agreed {at}")
        expect(page.locator(".timeline li[data-type=customer_side]")).to_contain_text("agreed arrival")

        page.select_option("#language", "zh-CN")
        expect(page.locator(".brand")).to_have_text("抢修调度台")
        page.locator(f'#incident-list li[data-incident="{number}"]').click()
        expect(page.locator("#customer-side .customer-side-now")).to_contain_text("表后故障（客户内部线路） · 约定")
        expect(row.locator(".tag.customer-side")).to_have_text(f"客户侧 · 约定 {at}")
        page.wait_for_timeout(1200)
        screenshot(page, tmp_path, "desk-customer-side-zh-CN.png", full_page=False)
    assert problems == []
    side, deadline = connection.execute(text("SELECT customer_side, arrival_deadline FROM incidents WHERE id = :id"),
                                        {"id": number}).one()
    assert side == "behind_meter" and deadline == agreed
    assert isinstance(deadline, datetime)

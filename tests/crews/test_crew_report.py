"""The closing report, from the crew's phone to the desk and back, each through its real page: the
crew restores power and files the report on the phone (cause from the taxonomy, queued like its
other presses); the desk sends it back with a reason; the phone (in Chinese) shows the reason and
the crew files it again; the desk accepts it and the order is archived, off the phone's list."""
from __future__ import annotations

from sqlalchemy import text

from tests.browser import screenshot
from tests.crews.test_crew_app import assigned_job, phone
from tests.crews.test_crew_app import sign_in as phone_sign_in
from tests.desk.test_desk_app import desk_browser
from tests.desk.test_desk_app import sign_in as desk_sign_in


def review_at_the_desk(app, dispatcher, job_id, accept: bool, reason: str = "") -> None:
    from playwright.sync_api import expect

    with desk_browser(app) as (base, lock, page, problems):
        desk_sign_in(page, base, dispatcher)
        page.select_option("#filter-status", "restored")
        page.locator(f'#incident-list li[data-incident="{job_id}"]').click()
        closing = page.locator("#closing-report")
        expect(closing).to_have_attribute("data-review", "pending")
        if accept:
            expect(closing.locator("#report-cause")).to_have_text("External damage › Animal or bird")
            page.click("#report-accept")
            expect(page.locator("#detail-status")).to_have_text("Closed")
        else:
            expect(closing.locator("#report-cause")).to_have_text("Weather › Wind or typhoon")
            expect(closing).to_contain_text("Branch blown onto the line, cleared; fuse F2 replaced")
            page.click("#report-return")
            page.fill("#return-reason", reason)
            page.click("#return-send")
            expect(closing).to_have_attribute("data-review", "returned")
    assert problems == []


def test_the_closing_report_goes_from_the_phone_to_the_desk_back_and_is_accepted(
        app, client, city, connection, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    crew = make_user("crew", crew="CW")
    dispatcher = make_user("dispatcher")
    job_id, lon, lat = assigned_job(client, connection)
    card = f'a.job-card[data-job="{job_id}"]'

    with phone(app, lon, lat) as (base, context, page, problems):
        page.goto(f"{base}/crew/")
        phone_sign_in(page, crew)
        page.click(card)
        page.click('button[data-action="on_site"]')
        expect(page.locator("#job-status")).to_have_text("On site")
        page.click('button[data-action="restored"]')
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/events")):
            page.click("#send-restored")
        state = page.locator("#report-state")
        expect(state).to_have_attribute("data-state", "due")
        page.click("#report-send")
        expect(page.locator(".report-form .problem")).to_have_text("Choose the cause and say what was done.")
        expect(page.locator("#report-cause")).to_be_disabled()
        page.select_option("#report-category", label="Weather")
        page.select_option("#report-cause", label="Wind or typhoon")
        page.fill("#report-work", "Branch blown onto the line, cleared; fuse F2 replaced")
        page.fill("#report-workers", "A, B")
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/closing-report")) as sent:
            page.click("#report-send")
        assert sent.value.status == 201
        assert sent.value.request.headers["idempotency-key"]
        expect(state).to_have_attribute("data-state", "pending")
        expect(state).to_contain_text("Cause filed: Weather › Wind or typhoon")
        screenshot(page, tmp_path, "crew-report-en.png")
        page.click("a.back")
        expect(page.locator(f"{card} .report-badge")).to_have_text("Report with the desk")
    assert problems == []

    reason = "Which fuse rating? Name it, and the branch was not wind: it was a bird nest"
    review_at_the_desk(app, dispatcher, job_id, accept=False, reason=reason)

    with phone(app, lon, lat, locale="zh-CN") as (base, context, page, problems):
        page.goto(f"{base}/crew/")
        phone_sign_in(page, crew)
        expect(page.locator(f"{card} .report-badge")).to_have_text("回单被退回")
        page.click(card)
        state = page.locator("#report-state")
        expect(state).to_have_attribute("data-state", "returned")
        expect(state).to_contain_text("调度退回了回单")
        expect(page.locator("#report-returned")).to_contain_text(f"“{reason}”")
        expect(page.locator("#report-returned")).to_contain_text(dispatcher["username"])
        page.select_option("#report-category", label="外力破坏")
        page.select_option("#report-cause", label="鸟兽")
        page.fill("#report-work", "清除鸟窝，更换熔断器 F2（40 A）")
        screenshot(page, tmp_path, "crew-report-zh-CN.png")
        # Sent offline: kept on the phone with its key, and sent when the signal is back.
        context.set_offline(True)
        page.click("#report-send")
        expect(state).to_have_attribute("data-state", "sending")
        expect(page.locator("#net")).to_contain_text("1 项操作待发送")
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/closing-report")) as sent:
            context.set_offline(False)
        assert sent.value.status == 201
        expect(state).to_have_attribute("data-state", "pending")
    assert problems == []

    review_at_the_desk(app, dispatcher, job_id, accept=True)

    with phone(app, lon, lat) as (base, context, page, problems):
        page.goto(f"{base}/crew/")
        phone_sign_in(page, crew)
        expect(page.locator(".empty")).to_contain_text("No jobs")  # archived: off the phone
    assert problems == []
    rows = connection.execute(text(
        "SELECT type, actor, data->>'cause' FROM incident_events WHERE incident_id = :id AND type LIKE 'closing_report%' "
        "ORDER BY id"), {"id": job_id}).all()
    assert [tuple(r) for r in rows] == [
        ("closing_report", crew["username"], "weather.wind"), ("closing_report_returned", dispatcher["username"], None),
        ("closing_report", crew["username"], "external.animal"), ("closing_report_accepted", dispatcher["username"], None)]
    assert connection.execute(text("SELECT status FROM incidents WHERE id = :id"), {"id": job_id}).scalar() == "closed"

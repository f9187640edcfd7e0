"""The desk correcting and acknowledging, through its real page: an alert acknowledged (recorded with
who), two incidents merged into one and a call moved out again (both kept in the timelines)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from dispatch.core import clock
from tests.desk.test_desk_app import desk_browser, sign_in
from tests.helpers import customer, report


def test_an_alert_is_acknowledged_and_two_incidents_merged_then_a_call_moved_out(
        app, client, city, connection, make_user, redis_db):
    from playwright.sync_api import expect

    dispatcher = make_user("dispatcher")
    west = report(client, at=clock.now() - timedelta(minutes=2), account_no=customer(1))["incident"]["id"]
    east = report(client, at=clock.now() - timedelta(minutes=1), account_no=customer(5), kind="wire_down")["incident"]
    assert east["id"] != west and east["hazard"]
    with desk_browser(app) as (base, lock, page, problems):
        page.on("dialog", lambda dialog: dialog.accept(""))  # confirm the merge; the moved call gets its own incident
        sign_in(page, base, dispatcher)
        hazard = page.locator(f'#alerts li.alert-hazard[data-incident="{east["id"]}"]')
        expect(hazard).to_contain_text(f"#{east['id']}: HAZARD reported")
        hazard.locator("button.ack").click()
        expect(hazard).to_have_count(0)
        with lock:
            assert client.get("/api/v1/alerts").get_json()["alerts"] == []

        # The hazard turns out to be the same fault as the west one: merged into it.
        page.locator(f'#incident-list li[data-incident="{east["id"]}"]').click()
        page.fill("#merge-into", str(west))
        page.click("#merge")
        expect(page.locator(".detail-head h2")).to_have_text(f"#{west}")
        expect(page.locator(f'#incident-list li[data-incident="{east["id"]}"]')).to_have_count(0)
        expect(page.locator(".calls li")).to_have_count(2)
        expect(page.locator(".timeline li[data-type=absorbed]")).to_contain_text(f"#{east['id']}")

        # One call was not about it after all: moved out, to an incident of its own.
        page.locator(".calls li").last.get_by_role("button").click()
        expect(page.locator(".calls li")).to_have_count(1)
        expect(page.locator(".timeline li[data-type=call_moved_out]")).to_be_visible()
    assert problems == []
    kinds = dict(connection.execute(text(
        "SELECT type, actor FROM incident_events WHERE type IN ('alert_acknowledged', 'merged', 'call_moved_out')"
    )).all())
    assert kinds == {"alert_acknowledged": dispatcher["username"], "merged": dispatcher["username"],
                     "call_moved_out": dispatcher["username"]}
    assert connection.execute(text("SELECT count(*) FROM incidents WHERE status IN ('new', 'assigned')")).scalar() == 2


def test_a_live_change_keeps_what_the_dispatcher_is_typing(app, client, city, make_user, redis_db):
    """A second call joins the incident open on the desk while the dispatcher writes in its merge
    box: the panel shows the new call, and the half-typed number, the focus and the caret stay."""
    from playwright.sync_api import expect

    dispatcher = make_user("dispatcher")
    first = report(client, at=clock.now() - timedelta(minutes=2), account_no=customer(1))["incident"]["id"]
    with desk_browser(app) as (base, lock, page, problems):
        sign_in(page, base, dispatcher)
        page.locator(f'#incident-list li[data-incident="{first}"]').click()
        expect(page.locator(".calls li")).to_have_count(1)
        # Only terms and their values in the facts (an empty list of nested outages once drew a "0").
        assert page.evaluate("[...document.querySelector('.facts dl').childNodes].every((n) => n.nodeType === 1)")
        page.click("#merge-into")
        page.keyboard.type("12")
        with lock:
            again = report(client, at=clock.now() - timedelta(minutes=1), account_no=customer(2))
        assert again["incident"]["id"] == first
        expect(page.locator(".calls li")).to_have_count(2)
        assert page.input_value("#merge-into") == "12"
        assert page.evaluate("document.activeElement.id") == "merge-into"
        page.keyboard.type("3")
        assert page.input_value("#merge-into") == "123"
    assert problems == []

"""The managers' reports page: its files as Flask serves them, and the page at work in a real
browser (Chromium, WebGL through SwiftShader) signed in as a manager: the period, the sections, the
hotspot map on the app's own tiles, the response-time table whose "missed" count opens exactly the
incidents behind it, and every table exported as CSV and as an Excel workbook. Screenshots in en
and zh-CN (var/screenshots/reports-*.png)."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.reports_app import STATIC, VENDOR
from api.web_apps import app_files
from dispatch.core import clock
from tests.browser import ROOT, WAIT_MS, screenshot, wait_until
from tests.desk.test_desk_app import desk_browser
from tests.helpers import assert_problem, customer, report
from tests.reporting.test_reliability import march  # noqa: F401 (the month of history the test reads)
from tests.reporting.test_repeat_faults import faults  # noqa: F401 (faults on fuse F2 and transformer T1)
from tests.reporting.xlsx import read_xlsx

REPORT_VIEWPORT = {"width": 1600, "height": 1000}
SECTIONS = ("sla", "reliability", "complaints", "repeat-faults", "frequent")


# --- the files, through Flask's test client ----------------------------------------------------

def test_the_page_its_modules_echarts_and_maplibre_are_served_without_sign_in(anonymous):
    page = anonymous.get("/reports/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'src="/reports/main.js"' in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "style-src 'self';" in policy and "frame-ancestors 'none'" in policy
    for name in app_files(STATIC, "/reports"):
        assert anonymous.get(name).status_code == 200, name
    charts = anonymous.get("/reports/vendor/echarts/echarts.esm.min.mjs")
    assert charts.status_code == 200 and charts.mimetype == "text/javascript"
    assert charts.data == (ROOT / "node_modules/echarts/dist/echarts.esm.min.mjs").read_bytes()
    assert anonymous.get("/reports/vendor/maplibre-gl/maplibre-gl-worker.mjs").mimetype == "text/javascript"
    assert set(VENDOR) == {"maplibre-gl/maplibre-gl.mjs", "maplibre-gl/maplibre-gl-worker.mjs",
                           "maplibre-gl/maplibre-gl.css", "echarts/echarts.esm.min.mjs"}
    for path in ("/reports/vendor/echarts/package.json", "/reports/../pyproject.toml", "/reports/vendor/zrender/index.js"):
        assert_problem(anonymous.get(path), 404)


# --- the page in a browser --------------------------------------------------------------------

def open_reports(page, base: str, user: dict, hash_: str = "") -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(REPORT_VIEWPORT)
    page.goto(f"{base}/reports/{hash_}")
    page.fill("#username", user["username"])
    page.fill("#password", user["password"])
    page.click("button[type=submit]")
    expect(page.locator("#app")).to_have_attribute("data-loaded", "true", timeout=WAIT_MS)


def local_day(at) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_a_manager_signs_in_to_last_months_reports_and_the_hotspot_map(app, city, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    manager = make_user("manager")
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    last = today.replace(day=1) - timedelta(days=1)
    with desk_browser(app) as (base, lock, page, problems):
        open_reports(page, base, manager)
        expect(page.locator(".brand")).to_have_text("Service quality reports")
        expect(page.locator(".who")).to_contain_text("manager")
        # Last month in the dispatch time zone, as the monthly review reads it.
        expect(page.locator("#period-from")).to_have_value(last.replace(day=1).isoformat())
        expect(page.locator("#period-to")).to_have_value(last.isoformat())
        assert page.evaluate("location.hash") == f"#from={last.replace(day=1)}&to={last}"
        for section in SECTIONS:  # every report of the month, even an empty one
            expect(page.locator(f"#{section}")).to_have_attribute("data-state", "ready")
        # A period the wrong way round is refused before anything is asked.
        page.fill("#period-from", today.isoformat())
        page.fill("#period-to", (today - timedelta(days=3)).isoformat())
        page.click("#period-apply")
        expect(page.locator("#period-problem")).to_have_text("Choose a first and a last day, the first not after the last.")
        page.click("#period-this-month")
        expect(page.locator("#period-heading")).to_contain_text(f"{today.replace(day=1)} to {today}")
        # The hotspot map is drawn on the app's own tiles (the zones), framed on the grid.
        expect(page.locator("#hotspot-map")).to_have_attribute("data-ready", "true")
        wait_until(page, "() => window.reports.map.loaded() && window.reports.map.areTilesLoaded()")
        wait_until(page, "() => window.reports.map.queryRenderedFeatures({layers: ['zones-fill']}).length > 0")
        screenshot(page, tmp_path, "reports-shell-en.png")
        # A CSV cell that Excel would take for a formula stays text; numbers stay numbers.
        assert page.evaluate("""async () => { const { csv } = await import('/reports/exports.js');
            return csv({ columns: [{ key: 'name', title: 'sla.col.label', kind: 'text' }, { key: 'n', title: 'sla.col.calls',
              kind: 'count' }], rows: [{ name: '=HYPERLINK("x")', n: -3 }, { name: '城东, "北"', n: 4 }] }); }""") == \
            '\ufeffGroup,Calls\r\n"\'=HYPERLINK(""x"")",-3\r\n"城东, ""北""",4\r\n'
    assert problems == []


def test_someone_who_is_not_a_manager_is_told_so(app, city, make_user, redis_db):
    from playwright.sync_api import expect

    dispatcher = make_user("dispatcher")
    with desk_browser(app) as (base, lock, page, problems):
        page.goto(f"{base}/reports/")
        page.fill("#username", dispatcher["username"])
        page.fill("#password", dispatcher["password"])
        page.click("button[type=submit]")
        expect(page.locator(".signin .problem")).to_have_text(
            f"The reports are for managers, supervisors and administrators; {dispatcher['username']} is a dispatcher.")
    assert problems == []


def late_and_on_time(client) -> tuple[int, int, str, str]:
    """Two incidents in zone Z1 (urban: 45 min to arrive) through the API, the first reported four
    hours ago: the crew reached it after 50 min (missed) and restored it 30 min later (wind, the crew
    said); the second, reported after that (or it would have joined the first), was reached after
    20 min (met).
    Returns (late id, on-time id, the local days from the first report to the second)."""
    received = clock.now() - timedelta(hours=4)
    incidents = []
    for account, at, arrival in ((customer(1), received, 50), (customer(4), received + timedelta(minutes=90), 20)):
        incident = report(client, at, account_no=account)["incident"]["id"]
        for kind, after in (("on_site", arrival), ("restored", arrival + 30)):
            cause = {"cause": "weather.wind"} if kind == "restored" and not incidents else {}
            answer = client.post(f"/api/v1/incidents/{incident}/events",
                                 json={"type": kind, "at": (at + timedelta(minutes=after)).isoformat(), **cause})
            assert answer.status_code == 200, answer.get_json()
        incidents.append(incident)
    late, on_time = incidents
    assert late != on_time
    return late, on_time, local_day(received), local_day(received + timedelta(minutes=90))


def listed(page) -> list[int]:
    from playwright.sync_api import expect

    expect(page.locator("#drilldown-status")).not_to_have_text("Loading…")
    expect(page.locator("#drilldown-status")).not_to_have_text("加载中…")
    return [int(i) for i in page.locator("#drilldown-table tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.row)")]


def test_the_incidents_behind_a_missed_count_are_the_ones_listed_and_every_table_exports(
        app, client, city, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    late, on_time, first, last = late_and_on_time(client)
    manager = make_user("manager")
    with desk_browser(app) as (base, lock, page, problems):
        open_reports(page, base, manager, f"#from={first}&to={last}")
        expect(page.locator("#period-heading")).to_contain_text(f"{first} to {last}")
        zone = page.locator('#sla-table tbody tr[data-row="Z1"]')
        expect(zone.locator('[data-key="label"]')).to_have_text("Town")
        expect(zone.locator('[data-key="incidents"]')).to_have_text("2")
        missed = zone.locator('td[data-key="arrival_missed"]')
        expect(missed).to_have_text("1")
        expect(missed).to_have_class("num missed")  # the manager's eye goes to it
        expect(zone.locator('td[data-key="arrival_on_time_share"]')).to_have_text("50.0%")
        expect(page.locator("#sla-targets")).to_contain_text("Urban arrival 45 min (company, average) and 60 min")
        wait_until(page, "() => document.querySelector('#sla-chart canvas') !== null")
        chart = page.locator("#sla-chart canvas").first.bounding_box()
        page.mouse.move(chart["x"] + chart["width"] / 2, chart["y"] + chart["height"] / 2)  # a tooltip, within the CSP
        screenshot(page, tmp_path, "reports-en.png")

        # The "missed" count opens exactly the incidents the report counted there: the late one.
        missed.locator("a.drill").click()
        dialog = page.locator("#drilldown")
        expect(dialog).to_be_visible()
        expect(page.locator("#drilldown-title")).to_have_text(
            f"Arrival, company commitment · Missed · Town · {first} – {last}")
        assert listed(page) == [late]
        with lock:
            behind = client.get(f"/api/v1/reports/sla/incidents?from={first}&to={last}&group_by=zone&group=Z1"
                                "&measure=arrival_missed").get_json()["incidents"]
        assert [i["id"] for i in behind] == [late]
        row = page.locator(f'#drilldown-table tr[data-row="{late}"]')
        expect(row.locator('[data-key="arrival_min"]')).to_have_text("50.0")
        expect(row.locator('[data-key="cause"]')).to_have_text("Wind or typhoon")  # the taxonomy's words
        expect(page.locator("#drilldown-status")).to_have_text("1 incident.")
        screenshot(page, tmp_path, "reports-drilldown-en.png", full_page=False)
        page.click("#drilldown-close")
        zone.locator('td[data-key="arrival_met"] a.drill').click()
        assert listed(page) == [on_time]
        page.click("#drilldown-close")
        page.locator('#sla-table tfoot td[data-key="incidents"] a.drill').click()  # the total's count
        assert sorted(listed(page)) == sorted([late, on_time])
        page.click("#drilldown-close")

        # The table as CSV (UTF-8 with a byte-order mark, for Excel) and as a workbook made by the server.
        with page.expect_download() as csv_download:
            page.click("#sla-csv")
        assert csv_download.value.suggested_filename == f"sla-zone-{first}-{last}.csv"
        text = Path(csv_download.value.path()).read_text(encoding="utf-8")
        assert text.startswith("\ufeffResponse times against the targets · zone")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[2][:5] == ["Group", "Incidents", "Arrival, company commitment · Met",
                               "Arrival, company commitment · Missed", "Arrival, company commitment · On time"]
        town = next(row for row in rows if row and row[0] == "Town")
        assert town[1:5] == ["2", "1", "1", "50.0%"]
        with page.expect_download() as xlsx_download:
            page.click("#sla-xlsx")
        assert xlsx_download.value.suggested_filename == f"sla-zone-{first}-{last}.xlsx"
        sheet = read_xlsx(Path(xlsx_download.value.path()).read_bytes())["Response times"]
        columns = sheet[2]
        town_row = next(r for r in sheet if r and r[0] == "Town")
        assert town_row[columns.index("Arrival, company commitment · Missed")] == 1
        assert town_row[columns.index("Arrival, company commitment · On time")] == 0.5
        assert sheet[-1][0] == "Total"

        # In Chinese: the same numbers, the same incidents behind them.
        page.select_option("#language", "zh-CN")
        expect(page.locator(".brand")).to_have_text("供电服务质量报表")
        expect(page.locator("#app")).to_have_attribute("data-loaded", "true")
        expect(zone.locator('td[data-key="arrival_missed"]')).to_have_text("1")
        expect(page.locator("#sla thead")).to_contain_text("到达（公司承诺）")
        wait_until(page, "() => document.querySelector('#sla-chart canvas') !== null")
        screenshot(page, tmp_path, "reports-zh-CN.png")
        zone.locator('td[data-key="arrival_missed"] a.drill').click()
        assert listed(page) == [late]
        expect(page.locator("#drilldown-status")).to_have_text("共 1 张工单。")
        expect(page.locator(f'#drilldown-table tr[data-row="{late}"] [data-key="cause"]')).to_have_text("大风、台风")
        screenshot(page, tmp_path, "reports-drilldown-zh-CN.png", full_page=False)
    assert problems == []


@pytest.mark.usefixtures("faults")
def test_repeat_faults_on_the_map_and_in_the_table_and_a_complaint_counted(app, client, make_user, redis_db, tmp_path):
    from playwright.sync_api import expect

    received = clock.now() - timedelta(hours=2)
    complaint = client.post("/api/v1/complaints", json={"channel": "hotline", "kind": "repeat_outage",
                                                        "account_no": customer(2, 1),
                                                        "received_at": received.isoformat()})
    assert complaint.status_code == 201, complaint.get_json()
    day = local_day(received)
    manager = make_user("manager")
    with desk_browser(app) as (base, lock, page, problems):
        open_reports(page, base, manager, f"#from={day}&to={day}")
        # Fuse F2 failed four times in the last 90 days (three of them in the last 30).
        fuse = page.locator('#repeat-faults-table tr[data-row="F2"]')
        expect(fuse.locator('[data-key="name"]')).to_have_text("fuse F2")
        expect(fuse.locator('[data-key="faults"]')).to_have_text("4")
        expect(fuse.locator('[data-key="faults"]')).to_have_class("num missed")
        page.select_option("#faults-days", "30")
        expect(fuse.locator('[data-key="faults"]')).to_have_text("3")
        page.locator("#hotspots").scroll_into_view_if_needed()
        wait_until(page, """() => window.reports.map.loaded() && window.reports.map.queryRenderedFeatures(
            {layers: ['faults']}).some((f) => f.properties.code === 'F2')""")
        page.select_option("#faults-level", "transformer_area")
        expect(page.locator('#repeat-faults-table tr[data-row="T2"] [data-key="level_name"]')).to_have_text(
            "transformer area")
        screenshot(page, tmp_path, "reports-hotspots-en.png", full_page=False)

        # The complaint, in its zone, by what it was about.
        zone = page.locator('#complaints-table tr[data-row="Z1"]')
        expect(zone.locator('[data-key="complaints"]')).to_have_text("1")
        expect(zone.locator('[data-key="repeat_outage"]')).to_have_text("1")
        expect(page.locator('#complaints-table tfoot [data-key="complaints"]')).to_have_text("1")
    assert problems == []


@pytest.mark.usefixtures("march")
def test_reliability_indices_and_the_customers_out_again_and_again_on_the_map(app, client, make_user, redis_db,
                                                                              tmp_path):
    from playwright.sync_api import expect

    month = client.get("/api/v1/reports/reliability?from=2024-03-01&to=2024-03-31").get_json()
    by_index = {row["index"]: row for row in month["rows"]}
    manager = make_user("manager")
    with desk_browser(app) as (base, lock, page, problems):
        open_reports(page, base, manager, "#from=2024-03-01&to=2024-03-31")
        table = page.locator("#reliability-table")
        expect(table.locator("tbody tr")).to_have_count(len(month["rows"]))
        saifi = table.locator('tr[data-row="SAIFI"]')
        expect(saifi.locator('[data-key="name"]')).to_have_text("Interruptions per customer served")
        expect(saifi.locator('[data-key="unit"]')).to_have_text("interruptions/customer")
        below_one = f"{by_index['SAIFI']['value']:.5f}".rstrip("0").rstrip(".")  # below 1: up to 5 decimals
        expect(saifi.locator('[data-key="value"]')).to_have_text(below_one)
        rs1 = table.locator('tr[data-row="RS-1"]')  # a share: a percentage to four decimals
        expect(rs1.locator('[data-key="value"]')).to_have_text(f"{by_index['RS-1']['value'] * 100:.4f}%")
        expect(rs1.locator('[data-key="unit"]')).to_have_text("%")
        expect(table.locator('tr[data-row="CEMI-3"] [data-key="name"]')).to_have_text(
            "Share of customers with more than 3 interruptions")
        expect(page.locator("#reliability-basis")).to_contain_text(f"Customers served{month['customers_served']}")

        # Customer 4000 was out three times: in the table, and a purple dot on the map.
        frequent = page.locator('#frequent-table tr[data-row="4000"]')
        expect(frequent.locator('[data-key="interruptions"]')).to_have_text("3")
        expect(frequent.locator('[data-key="minutes"]')).to_have_text("60.0")
        expect(page.locator("#hotspot-map")).to_have_attribute("data-ready", "true")
        page.locator("#hotspots").scroll_into_view_if_needed()
        wait_until(page, """() => window.reports.mapData.frequent.features.some((f) => f.properties.account_no === '4000')
            && window.reports.map.queryRenderedFeatures({layers: ['frequent']}).some((f) => f.properties.account_no === '4000')""")
        page.fill("#frequent-min", "4")
        page.locator("#frequent-min").dispatch_event("change")
        expect(page.locator("#frequent-table td.empty")).to_have_text("Nothing in this period.")
        wait_until(page, "() => window.reports.mapData.frequent.features.length === 0")
        page.locator("#reliability").scroll_into_view_if_needed()
        screenshot(page, tmp_path, "reports-reliability-en.png", full_page=False)
    assert problems == []

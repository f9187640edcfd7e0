"""Report tables as Excel workbooks: POST /api/v1/reports/workbook (what the reports page exports)
and ``flask reports monthly`` (the monthly review pack), both read back from the .xlsx itself."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from api.report_workbook import XLSX
from dispatch.reporting.workbook import Column, Sheet, workbook
from tests.helpers import assert_problem
from tests.reporting.xlsx import read_xlsx
from tests.reports.test_reports_page import late_and_on_time

SLA = {
    "name": "响应时间",
    "caption": "Response times 2026-11-01 to 2026-11-30 (Asia/Shanghai)",
    "columns": [{"key": "label", "title": "片区"}, {"key": "incidents", "title": "Incidents", "format": "integer"},
                {"key": "arrival_missed", "title": "Arrivals missed", "format": "integer"},
                {"key": "arrival_on_time_share", "title": "On time", "format": "percent"},
                {"key": "arrival_p90_min", "title": "Arrival p90 (min)", "format": "decimal"},
                {"key": "incidents_behind", "title": "Incidents behind"}],
    "rows": [{"label": "城东", "incidents": 4, "arrival_missed": 1, "arrival_on_time_share": 0.75,
              "arrival_p90_min": 52.5, "incidents_behind": [11, 12, 13, 14], "ignored": "not a column"},
             {"label": "=HYPERLINK(\"http://evil\")", "incidents": 0, "arrival_missed": 0,
              "arrival_on_time_share": None, "arrival_p90_min": None, "incidents_behind": []}],
    "total": {"label": "Total", "incidents": 4, "arrival_missed": 1, "arrival_on_time_share": 0.75,
              "arrival_p90_min": 52.5},
}
HOTSPOTS = {"name": "Repeat faults", "columns": [{"key": "code", "title": "Device"},
                                                 {"key": "location", "title": "Where (lon, lat)"},
                                                 {"key": "planned", "title": "Planned"}],
            "rows": [{"code": "F1", "location": [120.1, 30.25], "planned": True}]}


def test_the_tables_come_back_as_sheets_with_numbers_as_numbers_and_text_as_text(app, connection, make_user):
    manager = make_user("manager")
    response = app.test_client().post("/api/v1/reports/workbook", json={"sheets": [SLA, HOTSPOTS]},
                                      headers=manager["headers"])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == 'attachment; filename="reports.xlsx"'
    book = read_xlsx(response.data)
    assert list(book) == ["响应时间", "Repeat faults"]
    sla = book["响应时间"]
    assert sla[0] == ["Response times 2026-11-01 to 2026-11-30 (Asia/Shanghai)"]
    assert sla[2] == ["片区", "Incidents", "Arrivals missed", "On time", "Arrival p90 (min)", "Incidents behind"]
    assert sla[3] == ["城东", 4, 1, 0.75, 52.5, "11, 12, 13, 14"]
    # A formula sent as text stays text (read_xlsx fails on any formula); an empty value is an empty cell.
    assert sla[4] == ['=HYPERLINK("http://evil")', 0, 0]
    assert sla[5] == ["Total", 4, 1, 0.75, 52.5]
    assert book["Repeat faults"] == [["Device", "Where (lon, lat)", "Planned"], ["F1", "120.1, 30.25", True]]


@pytest.mark.parametrize("sheets, field", [
    ([], "sheets"),
    ([SLA, {**HOTSPOTS, "name": "响应时间"}], "sheets.1.name"),
    ([{**HOTSPOTS, "name": "a/b"}], "sheets.0.name"),
    ([{**HOTSPOTS, "name": "'quoted'"}], "sheets.0.name"),
    ([{**HOTSPOTS, "name": "x" * 32}], "sheets.0.name"),
    ([{**HOTSPOTS, "columns": []}], "sheets.0.columns"),
    ([{**HOTSPOTS, "columns": [{"key": "code", "title": "Device", "format": "currency"}]}], "sheets.0.columns.0.format"),
    ([{**HOTSPOTS, "rows": [{"code": {"nested": 1}}]}], "sheets.0.rows.0.code"),
    ([{**HOTSPOTS, "rows": [{"code": 10**20}]}], "sheets.0.rows.0.code"),
    ([{**HOTSPOTS, "surprise": 1}], "sheets.0.surprise"),
    ([HOTSPOTS] * 21, "sheets"),
])
def test_a_workbook_that_cannot_be_made_is_refused_naming_the_place(client, sheets, field):
    response = client.post("/api/v1/reports/workbook", json={"sheets": sheets})
    problem = assert_problem(response, 422)
    assert any(error["field"].startswith(field) for error in problem["errors"]), problem


def test_a_body_that_is_not_a_json_object_is_refused(client):
    assert_problem(client.post("/api/v1/reports/workbook", data="sheets", content_type="application/json"), 400)


def test_the_monthly_pack_is_written_whole_for_the_month_asked(cli, tmp_path):
    out = tmp_path / "review.xlsx"
    result = cli.invoke(args=["reports", "monthly", "--month", "2024-02", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2024-02-01 to 2024-02-29" in result.output  # a leap year's February
    contents = read_xlsx(out.read_bytes())["Contents"]
    assert contents[0] == ["Monthly review 2024-02"]
    facts = {row[0]: row[1] for row in contents[3:]}
    assert facts["From (local date)"] == "2024-02-01" and facts["To (local date, inclusive)"] == "2024-02-29"
    assert facts["Time zone"] == "Asia/Shanghai"
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left beside it


@pytest.mark.parametrize("month", ["2024-13", "2024-2", "February", "0000-01", "1000-01"])
def test_a_month_that_is_not_one_writes_nothing(cli, tmp_path, month):
    result = cli.invoke(args=["reports", "monthly", "--month", month, "--out", str(tmp_path / "review.xlsx")])
    assert result.exit_code == 2 and "--month" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_named(cli, tmp_path):
    result = cli.invoke(args=["reports", "monthly", "--month", "2024-02", "--out", str(tmp_path / "no" / "r.xlsx")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_local_times_are_excel_times_and_a_time_with_an_offset_is_a_mistake():
    at = datetime(2026, 3, 8, 14, 30)
    sheet = Sheet(name="Times", columns=[Column("at", "Reported", "datetime")], rows=[{"at": at}])
    header, (written,) = read_xlsx(workbook([sheet]))["Times"]
    assert header == ["Reported"] and written == pytest.approx(46089 + 14.5 / 24)  # days since 1899-12-30
    with pytest.raises(ValueError):
        workbook([Sheet(name="Times", columns=[Column("at", "Reported")], rows=[{"at": at.replace(tzinfo=UTC)}])])


def excel_time(at: datetime) -> float:
    """A local time as Excel stores it: days since 1899-12-30."""
    return (at.replace(tzinfo=None) - datetime(1899, 12, 30)).total_seconds() / 86400


def test_the_monthly_pack_holds_the_months_response_times_and_its_late_incidents(client, cli, city, tmp_path):
    late, on_time, first, last = late_and_on_time(client)
    month = first[:7]
    both = last[:7] == month  # at the turn of a month the on-time incident falls in the next one
    out = tmp_path / "review.xlsx"
    result = cli.invoke(args=["reports", "monthly", "--month", month, "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = read_xlsx(out.read_bytes())
    assert list(book) == ["Contents", "Response times by zone", "Response times by class", "Response times by crew",
                          "Late arrivals", "Regulator limit missed", "Complaints by zone", "Complaints by cause",
                          "Repeat faults", "Reliability", "Frequent interruptions"]
    assert [row[1] for row in book["Contents"][3:] if row[0] == "Sheet"] == list(book)[1:]
    by_zone = book["Response times by zone"]
    columns = by_zone[2]
    town = next(row for row in by_zone if row and row[0] == "Town")
    assert town[columns.index("Incidents")] == (2 if both else 1)
    assert town[columns.index("Arrival missed (commitment)")] == 1
    assert town[columns.index("Arrival on time")] == (0.5 if both else 0)
    assert by_zone[-1][0] == "Total"
    lates = book["Late arrivals"]
    assert lates[2][:2] == ["Incident", "Zone"]
    assert [row[0] for row in lates[3:]] == [late]
    reported = client.get(f"/api/v1/reports/sla/incidents?from={first}&to={first}&group_by=zone"
                          "&measure=arrival_missed").get_json()["incidents"][0]["received_at"]
    local = datetime.fromisoformat(reported).astimezone(ZoneInfo("Asia/Shanghai"))
    assert lates[3][lates[2].index("Reported")] == pytest.approx(excel_time(local), abs=1e-6)
    assert lates[3][lates[2].index("Cause")] == "Wind or typhoon"  # as the crew said when it restored
    assert book["Regulator limit missed"][3:] == []  # 50 min is within the regulator's 60
    complaints = book["Complaints by zone"]
    assert complaints[-1][0] == "Total" and complaints[-1][complaints[2].index("Calls")] == (2 if both else 1)
    assert book["Repeat faults"][2] == ["Kind", "Code", "Name", "Faults", "Severity (0-4)", "Last fault", "Incidents"]
    indices = book["Reliability"]
    assert indices[2] == ["Index", "All interruptions", "Without major event days", "Without planned", "Without both",
                          "Unit"]
    assert {row[0] for row in indices[3:]} >= {"SAIFI", "SAIDI", "CAIDI", "ASAI", "RS-1", "RS-3"}

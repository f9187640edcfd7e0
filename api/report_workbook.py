"""Any report table as an Excel workbook: the reports page posts the tables it shows and gets the
.xlsx back (dispatch/reporting/workbook.py). The managers' reports share the URL prefix with the
trouble-call blueprint (api/reports.py), under their own blueprint."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from api.access import REPORTS, allow
from api.openapi import operation
from api.validation import json_body, non_null
from dispatch.reporting.workbook import (
    FORMATS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_SHEETS,
    MAX_TEXT,
    SHEET_NAME_MAX,
    Column,
    Sheet,
    workbook,
)

blueprint = Blueprint("report_workbook", __name__, url_prefix="/api/v1/reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Numbers Excel holds exactly enough (it keeps 15 digits); anything larger is not a report's figure.
LARGEST = 1e15

Number = Union[Annotated[StrictInt, Field(ge=-LARGEST, le=LARGEST)],
               Annotated[StrictFloat, Field(ge=-LARGEST, le=LARGEST, allow_inf_nan=False)]]
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
Value = Union[StrictBool, Number, Text, None, Annotated[list[Union[Number, Text]], Field(max_length=10_000)]]
Key = Annotated[StrictStr, Field(min_length=1, max_length=100)]


class WorkbookColumn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Key = Field(description="the rows' field shown in this column")
    title: StrictStr = Field(max_length=200, description="the column's heading")
    format: Literal[tuple(FORMATS)] | None = Field(  # type: ignore[valid-type]
        None, description="integer, decimal (0.1), percent (a share 0..1), datetime or text; as given when left out",
        json_schema_extra=non_null)


class WorkbookSheet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(min_length=1, max_length=SHEET_NAME_MAX,
                            description="the sheet's tab: no [ ] : * ? / \\, unique in the workbook")
    caption: StrictStr | None = Field(None, max_length=500, description="a line above the table (what, which period)",
                                      json_schema_extra=non_null)
    columns: list[WorkbookColumn] = Field(min_length=1, max_length=MAX_COLUMNS)
    rows: list[dict[Key, Value]] = Field(max_length=MAX_ROWS, description="flat objects, as the reports give them")
    total: dict[Key, Value] | None = Field(None, description="the total row, in bold under the rows",
                                           json_schema_extra=non_null)


class WorkbookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sheets: list[WorkbookSheet] = Field(min_length=1, max_length=MAX_SHEETS)


@blueprint.post("/workbook")
@allow(*REPORTS)
@operation("Report tables as an Excel workbook (.xlsx), one sheet per table", "managers' reports", body=WorkbookRequest,
           responses={200: ("The workbook", None, XLSX), 413: ("The body is too large", None),
                      422: ("A sheet that cannot be made: see errors", None)})
def make_workbook() -> Response:
    request = json_body(WorkbookRequest)
    sheets = [Sheet(name=s.name, caption=s.caption, rows=s.rows, total=s.total,
                    columns=[Column(c.key, c.title, c.format) for c in s.columns]) for s in request.sheets]
    response = Response(workbook(sheets), mimetype=XLSX)
    response.headers["Content-Disposition"] = 'attachment; filename="reports.xlsx"'
    return response

"""Reports as an Excel workbook (.xlsx, XlsxWriter): one sheet per table, the way managers file
them. The reports page sends the tables it shows (POST /api/v1/reports/workbook) and
``flask reports monthly`` builds the month's pack with the same function, so a table looks the same
whichever way it was made.

A sheet is an optional caption line (what, which period, which time zone), a bold header row that
stays in view and filters, the rows, and an optional bold total row. Text is always written as
text, never as a formula: a customer's address that starts with "=" stays an address.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence, Union

import xlsxwriter

from dispatch.core.errors import FieldProblem, InvalidInput

#: What one cell may hold; a list (the incidents behind a number, a [lon, lat]) is written as text,
#: a datetime (naive: already in the reports' local time) as an Excel date and time.
Cell = Union[None, bool, int, float, str, datetime, Sequence[Union[int, float, str]]]
#: How a column's values are shown: counts, minutes (0.1), shares 0..1 as percentages, local times,
#: or as given.
FORMATS = {"integer": "#,##0", "decimal": "#,##0.0", "percent": "0.0%", "datetime": "yyyy-mm-dd hh:mm", "text": "@"}
#: Excel's own limits, and ours (a report is a table a person reads, not a data dump).
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_SHEETS = 20
MAX_COLUMNS = 100
MAX_ROWS = 50_000
MAX_TEXT = 32_767  # characters in one Excel cell
WIDEST_COLUMN = 60


@dataclass(frozen=True)
class Column:
    """``key`` of the rows' field shown, ``title`` over it, ``format`` one of FORMATS (or None: as given)."""

    key: str
    title: str
    format: str | None = None


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: list[Column]
    rows: list[dict[str, Cell]]
    total: dict[str, Cell] | None = None
    caption: str | None = None


def check(sheets: Sequence[Sheet]) -> None:
    """Refuse (InvalidInput, each problem with its place) what Excel would refuse or mangle: no
    sheet, too many, names too long, holding ``[]:*?/\\`` or used twice, columns or rows past the
    limits. XlsxWriter would raise on some of these half-way through."""
    problems: list[FieldProblem] = []
    if not sheets:
        problems.append(FieldProblem("sheets", "give at least one sheet"))
    if len(sheets) > MAX_SHEETS:
        problems.append(FieldProblem("sheets", f"at most {MAX_SHEETS} sheets in one workbook"))
    seen: set[str] = set()
    for number, sheet in enumerate(sheets):
        where = f"sheets.{number}"
        name = sheet.name
        if not name.strip() or len(name) > SHEET_NAME_MAX:
            problems.append(FieldProblem(f"{where}.name", f"a sheet name has 1 to {SHEET_NAME_MAX} characters"))
        if SHEET_NAME_FORBIDDEN.search(name) or name.startswith("'") or name.endswith("'"):
            problems.append(FieldProblem(f"{where}.name", "a sheet name may not hold [ ] : * ? / \\ or begin or end "
                                                          "with '"))
        if name.casefold() in seen:
            problems.append(FieldProblem(f"{where}.name", f"two sheets are named {name!r}"))
        seen.add(name.casefold())
        if not sheet.columns or len(sheet.columns) > MAX_COLUMNS:
            problems.append(FieldProblem(f"{where}.columns", f"a sheet has 1 to {MAX_COLUMNS} columns"))
        if len(sheet.rows) > MAX_ROWS:
            problems.append(FieldProblem(f"{where}.rows", f"a sheet has at most {MAX_ROWS} rows"))
        for index, column in enumerate(sheet.columns):
            if column.format is not None and column.format not in FORMATS:
                problems.append(FieldProblem(f"{where}.columns.{index}.format",
                                             f"one of {', '.join(FORMATS)}, or none"))
    if problems:
        raise InvalidInput("the workbook cannot be made as asked", problems)


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx file of ``sheets`` (checked first: nothing is made from a bad request)."""
    check(sheets)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    formats = {name: book.add_format({"num_format": pattern}) for name, pattern in FORMATS.items()}
    bold_formats = {name: book.add_format({"num_format": pattern, "bold": True, "top": 1})
                    for name, pattern in FORMATS.items()}
    for sheet in sheets:
        _write_sheet(book.add_worksheet(sheet.name), sheet, bold, header, formats, bold_formats)
    book.close()
    return out.getvalue()


def _write_sheet(page, sheet: Sheet, bold, header, formats, bold_formats) -> None:
    first = 0
    if sheet.caption:
        page.write_string(0, 0, _text(sheet.caption), bold)
        first = 2
    widths = [_width(column.title) for column in sheet.columns]
    for col, column in enumerate(sheet.columns):
        page.write_string(first, col, _text(column.title), header)
    body = [(row, formats) for row in sheet.rows]
    if sheet.total is not None:
        body.append((sheet.total, bold_formats))
    for offset, (row, by_format) in enumerate(body, start=first + 1):
        for col, column in enumerate(sheet.columns):
            widths[col] = max(widths[col], _write_cell(page, offset, col, row.get(column.key), column, by_format))
    for col, width in enumerate(widths):
        page.set_column(col, col, min(width + 2, WIDEST_COLUMN))
    page.freeze_panes(first + 1, 0)
    if sheet.rows:
        page.autofilter(first, 0, first + len(sheet.rows), len(sheet.columns) - 1)


def _write_cell(page, row: int, col: int, value: Cell, column: Column, by_format) -> int:
    """Write one cell; returns the width it needs."""
    style = by_format.get(column.format) if column.format else None
    if value is None or value == [] or (isinstance(value, float) and not math.isfinite(value)):
        if style is not None:
            page.write_blank(row, col, None, style)
        return 0
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("a report's times go into a workbook as local times (naive datetimes)")
        page.write_datetime(row, col, value, style or by_format["datetime"])
        return 16
    if isinstance(value, bool):
        page.write_boolean(row, col, value, style)
        return 5
    if isinstance(value, (int, float)) and column.format != "text":
        page.write_number(row, col, value, style)
        return len(f"{value:,.1f}")
    text = _text(", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value))
    page.write_string(row, col, text, style)
    return _width(text)


def _text(value: str) -> str:
    return value[:MAX_TEXT]


def _width(text: str) -> int:
    """Columns wide enough for the text: a Chinese character takes two places."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text[:WIDEST_COLUMN])

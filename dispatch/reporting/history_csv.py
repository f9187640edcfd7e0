"""Reading a utility's interruption history (CSV) into customer interruptions, checking every row.

Real exports are messy: a byte-order mark, GB18030 instead of UTF-8, blank lines, spaces around
values, TRUE/False/1/0/是/否 for booleans, empty cells. What can be read for certain is read; what is
wrong is a problem with its row number (the file's line number, the header being line 1); what is
left out on purpose (blank lines, repeated accounts) is counted in warnings.

Columns: ``ref``, ``started_at``, ``restored_at`` (ISO 8601 with offset), ``planned``, ``cause``,
and ``accounts`` (';'-separated accounts) or ``device`` (a switch, transformer or source code: the
customers downstream of it today). Rows sharing a ``ref`` are the steps of one event.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dispatch.core import clock
from dispatch.core.errors import FieldProblem

REQUIRED = ("ref", "started_at", "restored_at", "planned", "cause")
TRUE = {"true", "t", "yes", "y", "1", "是", "计划"}
FALSE = {"false", "f", "no", "n", "0", "否", "故障", ""}
#: A timestamp earlier than this is a typing error, not history.
EARLIEST_YEAR = 1900
#: PostgreSQL's largest UTC offset (a larger one parses in Python and is refused by the database).
LARGEST_OFFSET = timedelta(hours=15, minutes=59)


@dataclass(frozen=True)
class HistoryRow:
    """One step of an event: some customers out from ``started_at`` to ``restored_at``."""

    line: int
    ref: str
    started_at: datetime
    restored_at: datetime
    planned: bool
    cause: str | None
    accounts: tuple[str, ...]
    device: str | None


@dataclass
class HistoryFile:
    rows: list[HistoryRow] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)


def decode(raw: bytes) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 (with or without a byte-order mark), else GB18030,
    which Chinese spreadsheets save by default."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="strict"), "gb18030"


def _time(value: str, column: str, line: int, problems: list[FieldProblem]) -> datetime | None:
    where = f"row {line}"
    if not value:
        problems.append(FieldProblem(column, "is empty; give an ISO 8601 time with offset, e.g. "
                                             "2024-05-01T08:30:00+08:00", where))
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        problems.append(FieldProblem(column, f"{value!r} is not an ISO 8601 time, e.g. 2024-05-01T08:30:00+08:00",
                                     where))
        return None
    if parsed.tzinfo is None:
        problems.append(FieldProblem(column, f"{value!r} has no offset: add one, e.g. +08:00", where))
        return None
    if parsed.year < EARLIEST_YEAR:
        problems.append(FieldProblem(column, f"{value!r} is before {EARLIEST_YEAR}", where))
        return None
    if abs(parsed.utcoffset() or timedelta(0)) > LARGEST_OFFSET:
        problems.append(FieldProblem(column, f"{value!r} has an offset beyond ±15:59", where))
        return None
    if parsed > clock.now():  # history: what has happened
        problems.append(FieldProblem(column, f"{value!r} is in the future", where))
        return None
    return parsed


def _row(cells: dict[str, str], line: int, file: HistoryFile, has_accounts: bool, has_device: bool) -> None:
    problems: list[FieldProblem] = []
    where = f"row {line}"
    ref = cells.get("ref", "")
    if not ref:
        problems.append(FieldProblem("ref", "is empty; every row needs its event's reference", where))
    started = _time(cells.get("started_at", ""), "started_at", line, problems)
    restored = _time(cells.get("restored_at", ""), "restored_at", line, problems)
    if started and restored and restored < started:
        problems.append(FieldProblem("restored_at", f"{restored.isoformat()} is before started_at "
                                                    f"{started.isoformat()}", where))
    planned_text = cells.get("planned", "").lower()
    if planned_text not in TRUE | FALSE:
        problems.append(FieldProblem("planned", f"{cells.get('planned')!r} is not true/false (1/0, yes/no, 是/否)",
                                     where))
    elif planned_text == "":
        file.warnings["empty planned read as false (an unplanned interruption)"] += 1
    raw_accounts = cells.get("accounts", "") if has_accounts else ""
    accounts = [a.strip() for a in raw_accounts.replace("；", ";").split(";")]
    accounts = [a for a in accounts if a]
    if len(set(accounts)) < len(accounts):
        file.warnings["accounts repeated within a row, counted once"] += len(accounts) - len(set(accounts))
        accounts = list(dict.fromkeys(accounts))
    device = (cells.get("device", "") if has_device else "") or None
    if accounts and device:
        problems.append(FieldProblem("device", "give accounts or a device, not both", where))
    elif not accounts and not device:
        problems.append(FieldProblem("accounts", "is empty and so is device: give who was out", where))
    file.problems += problems
    if not problems:
        file.rows.append(HistoryRow(line, ref, started, restored, planned_text in TRUE, cells.get("cause") or None,
                                    tuple(accounts), device))


def read_history(raw: bytes) -> HistoryFile:
    """Every row of the file checked; ``problems`` empty means all of it can be imported."""
    file = HistoryFile()
    try:
        content, encoding = decode(raw)
    except UnicodeDecodeError:
        file.problems.append(FieldProblem("file", "is neither UTF-8 nor GB18030 text; save it as CSV UTF-8"))
        return file
    if encoding != "utf-8":
        file.warnings["the file was read as GB18030 (not UTF-8)"] += 1
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        _read_rows(reader, file)
    except csv.Error as why:  # e.g. a field longer than the csv module takes
        file.problems.append(FieldProblem("file", f"cannot be read as CSV near row {reader.line_num}: {why}"))
    return file


def _read_rows(reader, file: HistoryFile) -> None:
    header: list[str] | None = None
    for cells in reader:
        if header is None:
            if not any(c.strip() for c in cells):
                continue
            header = [c.strip().lower() for c in cells]
            missing = [c for c in REQUIRED if c not in header]
            if "accounts" not in header and "device" not in header:
                missing.append("accounts or device")
            if missing:
                file.problems.append(FieldProblem("header", f"missing column(s): {', '.join(missing)}; the columns "
                                                            "are ref, started_at, restored_at, planned, cause, "
                                                            "accounts or device", "row 1"))
                return
            if unknown := [c for c in header if c and c not in (*REQUIRED, "accounts", "device")]:
                file.warnings[f"unknown column(s) ignored: {', '.join(unknown)}"] += 1
            continue
        if not any(c.strip() for c in cells):
            file.warnings["blank lines skipped"] += 1
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            file.problems.append(FieldProblem("row", f"has {len(cells)} cells where the header has {len(header)} "
                                                     "(a comma inside a value needs quotes)", f"row {reader.line_num}"))
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        _row(values, reader.line_num, file, "accounts" in header, "device" in header)
    if header is None:
        file.problems.append(FieldProblem("file", "is empty: no header and no rows"))

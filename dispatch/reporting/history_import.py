"""Importing interruption history: all or nothing, and importing the same file again changes nothing.

Every row is checked, and every device resolved, before the first row is written; the rows of an
event are keyed by (ref, account), so a file imported twice inserts nothing the second time and a
corrected file updates just the rows that differ. An event of the file replaces the stored event of
that ref: accounts the corrected file no longer lists for it are removed (a ref the file does not
name is left as it is: files may come a year at a time).
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.core.db import text
from dispatch.core.errors import FieldProblem, ImportRejected
from dispatch.gis import topology_store
from dispatch.gis.topology import Topology
from dispatch.gis.zoning import zone_of
from dispatch.reporting.history_csv import HistoryRow, read_history
from dispatch.reporting.tallies import quarter, quarters_of_refs, retally


@dataclass
class HistorySummary:
    events: int = 0
    interruptions: int = 0
    inserted: int = 0
    updated: int = 0
    #: Stored interruptions of the file's events that the file no longer lists.
    removed: int = 0
    #: Accounts that are not among today's customers: kept (history outlives accounts), without a zone.
    unknown_accounts: int = 0
    warnings: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def unchanged(self) -> int:
        return self.interruptions - self.inserted - self.updated


def _device_accounts(connection: Connection, rows: list[HistoryRow]) -> tuple[dict[str, list[str]], list[FieldProblem]]:
    """The accounts downstream of each device named in the file, with today's switching."""
    codes = sorted({row.device for row in rows if row.device})
    if not codes:
        return {}, []
    found = {code: (kind, device_id) for kind, device_id, code in connection.execute(text(
        "SELECT 'switch', id, code FROM switches WHERE code = ANY(:codes) UNION ALL "
        "SELECT 'transformer', id, code FROM transformers WHERE code = ANY(:codes) UNION ALL "
        "SELECT 'source', id, code FROM sources WHERE code = ANY(:codes)"), {"codes": codes})}
    problems = [FieldProblem("device", f"{row.device!r} is no switch, transformer or source of the grid", f"row {row.line}")
                for row in rows if row.device and row.device not in found]
    if problems:
        return {}, problems
    topology = Topology(topology_store.grid_rows(connection))
    accounts = {}
    for code, (kind, device_id) in found.items():
        area = topology.area_of_device.get((kind, device_id))
        buses = topology.buses_within(area) if area is not None else []
        accounts[code] = connection.execute(text(
            "SELECT c.account_no FROM customers c LEFT JOIN transformers t ON t.id = c.transformer_id "
            "WHERE coalesce(c.bus_id, t.lv_bus_id) = ANY(CAST(:buses AS bigint[])) ORDER BY c.account_no"),
            {"buses": buses}).scalars().all()
    return accounts, problems


def _steps(rows: list[HistoryRow], devices: dict[str, list[str]], warnings: Counter) -> tuple[list[tuple], list[FieldProblem]]:
    """One record per (ref, account); an account in two steps of one event is a problem (which
    step restored it?), an event whose steps disagree on planned is one too."""
    records, first_line, planned_of, problems = [], {}, {}, []
    for row in rows:
        accounts = row.accounts or devices.get(row.device, ())
        if row.device and not accounts:
            warnings["devices with no customers downstream today (rows without customers)"] += 1
        if planned_of.setdefault(row.ref, (row.planned, row.line))[0] != row.planned:
            problems.append(FieldProblem("planned", f"differs from row {planned_of[row.ref][1]} of the same ref "
                                                    f"{row.ref!r}: an event is planned or not", f"row {row.line}"))
        for account in accounts:
            seen = first_line.setdefault((row.ref, account), row.line)
            if seen != row.line:
                problems.append(FieldProblem("accounts", f"account {account} is already in row {seen} of the same ref "
                                                         f"{row.ref!r}: one step restores a customer", f"row {row.line}"))
                continue
            records.append((account, row.started_at, row.restored_at, row.planned, row.cause, row.ref))
    return records, problems


def _write(connection: Connection, records: list[tuple], refs: list[str]) -> dict[str, object]:
    """Stage the records with COPY and make the stored events ``refs`` equal to them: inserted,
    updated, removed, unknown accounts."""
    connection.execute(text(
        "CREATE TEMP TABLE _history (account_no text, started_at timestamptz, restored_at timestamptz, "
        "planned boolean, cause text, event_ref text) ON COMMIT DROP"))
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy("COPY _history FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
    unknown = connection.execute(text(
        "SELECT count(DISTINCT h.account_no) FROM _history h "
        "WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.account_no = h.account_no)")).scalar_one()
    removed = connection.execute(text(
        "DELETE FROM customer_interruptions ci WHERE ci.event_ref = ANY(CAST(:refs AS text[])) "
        "AND NOT EXISTS (SELECT 1 FROM _history h WHERE h.event_ref = ci.event_ref AND h.account_no = ci.account_no)"),
        {"refs": refs}).rowcount
    inserted, updated = connection.execute(text(
        f"WITH zoned AS (SELECT h.*, (SELECT {zone_of('c.geom')} FROM customers c "
        "WHERE c.account_no = h.account_no) AS zone_code FROM _history h), "
        "merged AS (INSERT INTO customer_interruptions AS ci (account_no, zone_code, started_at, restored_at, planned, "
        "cause, source, event_ref) SELECT account_no, zone_code, started_at, restored_at, planned, cause, 'imported', "
        "event_ref FROM zoned "
        "ON CONFLICT (event_ref, account_no) WHERE event_ref IS NOT NULL DO UPDATE SET "
        "started_at = excluded.started_at, restored_at = excluded.restored_at, planned = excluded.planned, "
        "cause = excluded.cause, zone_code = excluded.zone_code "
        "WHERE (ci.started_at, ci.restored_at, ci.planned, ci.cause, ci.zone_code) IS DISTINCT FROM "
        "(excluded.started_at, excluded.restored_at, excluded.planned, excluded.cause, excluded.zone_code) "
        "RETURNING xmax = 0 AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged")).one()
    connection.execute(text("DROP TABLE _history"))  # at once: the caller's transaction may go on
    return {"inserted": inserted, "updated": updated, "removed": removed, "unknown": unknown}


def import_history(session: Session, raw: bytes) -> HistorySummary:
    """Import an interruption history file (see :mod:`dispatch.reporting.history_csv`). Commits, or
    raises :class:`ImportRejected` with every problem found and writes nothing."""
    began = time.perf_counter()
    file = read_history(raw)
    connection = session.connection()
    devices, device_problems = _device_accounts(connection, file.rows) if not file.problems else ({}, [])
    problems = file.problems + device_problems
    records: list[tuple] = []
    if not problems:
        records, step_problems = _steps(file.rows, devices, file.warnings)
        problems += step_problems
    if problems:
        session.rollback()
        raise ImportRejected(f"{len(problems)} problem(s) in the file; nothing was imported", problems)
    refs = sorted({row.ref for row in file.rows})
    touched = quarters_of_refs(connection, refs)  # where the events were: a correction may move them
    written = _write(connection, records, refs)
    if written["inserted"] or written["updated"] or written["removed"]:
        retally(connection, touched + [quarter(r[1]) for r in records])
    session.commit()
    return HistorySummary(events=len(refs), interruptions=len(records), inserted=written["inserted"],
                          updated=written["updated"], removed=written["removed"], unknown_accounts=written["unknown"],
                          warnings=file.warnings, seconds=time.perf_counter() - began)

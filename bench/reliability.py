"""Five years of a utility with a million customers: history import rate and reliability indices.

    .venv/bin/python bench/reliability.py [--customers 1000000] [--per-year 1000000] [--years 5]

In a scratch database (dropped afterwards; nothing touches the test database or git): the demo
grid, its customers copied with small offsets up to ``--customers`` (same buses and transformers,
so zones and topology hold), then ``--years`` years of synthetic interruption history written as
CSV files (one per year) and imported through the real importer (``import_history``, what
``flask data import-interruptions`` runs): events of a few to a few thousand customers, about one
in ten planned, one in twenty momentary, and a few storm days. It prints the import rate of every
year, the second import of the same file (must change nothing), then the time of the reliability
indices for the last year (five years of daily SAIDI for the major event days, and every index with
and without them and planned interruptions), the first call and the next ones, and of the
frequent-interruptions list.
"""
from __future__ import annotations

import argparse
import csv
import io
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sqlalchemy import text  # noqa: E402

from bench.common import scratch_database  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.reporting.history_import import import_history  # noqa: E402
from dispatch.reporting.local_days import Period  # noqa: E402
from dispatch.reporting.reliability import ReliabilityRules, frequent_interruptions, reliability_report  # noqa: E402

TIMEZONE = "Asia/Shanghai"
FIRST_YEAR = 2020
CHINA = timezone(timedelta(hours=8))


def grow_customers(database: Database, target: int) -> int:
    """Copy the demo customers (same bus, transformer and zone, a metre or so apart) up to ``target``."""
    with database.engine.begin() as connection:
        have = connection.execute(text("SELECT count(*) FROM customers")).scalar_one()
        connection.execute(text(
            "INSERT INTO customers (account_no, name, phone, address, bus_id, transformer_id, priority, geom) "
            "SELECT 'S' || lpad(g::text, 8, '0'), 'synthetic', '', 'synthetic', c.bus_id, c.transformer_id, "
            "'normal', ST_Translate(c.geom, 0.00001 * (g % 7), 0.00001 * (g % 5)) "
            "FROM generate_series(1, :more) AS g "
            "JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS k, * FROM customers) c ON c.k = g % :have"),
            {"more": max(0, target - have), "have": have})
        return connection.execute(text("SELECT count(*) FROM customers")).scalar_one()


def accounts_in_blocks(database: Database, block: int = 60) -> list[list[str]]:
    """Accounts in blocks as an outage takes them: neighbours behind one transformer (the copies
    crowd the demo's transformers, so a block stands for one low-voltage circuit)."""
    with database.engine.connect() as connection:
        accounts = connection.execute(text(
            "SELECT account_no FROM customers ORDER BY coalesce(transformer_id, -bus_id), account_no")).scalars().all()
    return [accounts[i:i + block] for i in range(0, len(accounts), block)]


def year_file(year: int, groups: list[list[str]], per_year: int, rng: random.Random) -> bytes:
    """One year of history: events until ``per_year`` customer interruptions, storms included."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("ref", "started_at", "restored_at", "planned", "cause", "accounts"))
    start = datetime(year, 1, 1, tzinfo=CHINA)
    seconds_in_year = (datetime(year + 1, 1, 1, tzinfo=CHINA) - start).total_seconds()
    storms = [start + timedelta(days=rng.randrange(365)) for _ in range(3)]
    written, event = 0, 0
    while written < per_year:
        event += 1
        storm = rng.random() < 0.03
        began = (rng.choice(storms) + timedelta(hours=rng.uniform(0, 20)) if storm
                 else start + timedelta(seconds=rng.uniform(0, seconds_in_year - 86400)))
        planned = not storm and rng.random() < 0.1
        momentary = not storm and not planned and rng.random() < 0.05
        minutes = (rng.uniform(0.5, 4.5) if momentary else rng.uniform(120, 480) if planned
                   else rng.lognormvariate(4.3, 0.8) * (4 if storm else 1))
        size = rng.choice((1, 2, 3, 5, 10, 10, 20)) if not storm else rng.choice((10, 20, 40))
        first = rng.randrange(len(groups))
        customers = [a for g in groups[first:first + size] for a in g]
        # Half the larger fault events are restored in two steps by switching.
        steps = 2 if len(customers) > 50 and not planned and not momentary and rng.random() < 0.5 else 1
        cut = len(customers) // 2 if steps == 2 else len(customers)
        for part, ends in ((customers[:cut], minutes * (0.4 if steps == 2 else 1)), (customers[cut:], minutes)):
            if part:
                writer.writerow((f"Y{year}-{event}", began.isoformat(), (began + timedelta(minutes=ends)).isoformat(),
                                 "true" if planned else "false", "weather.wind" if storm else "", ";".join(part)))
        written += len(customers)
    return out.getvalue().encode()


def timed(function, runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--per-year", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(1366)
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    with scratch_database("dispatch_bench_reliability") as url:
        database = Database(url)
        began = time.perf_counter()
        customers = grow_customers(database, args.customers)
        print(f"customers: {customers:,} ({time.perf_counter() - began:.1f} s to synthesise)")
        groups = accounts_in_blocks(database)
        with tempfile.TemporaryDirectory() as directory:
            for year in range(FIRST_YEAR, FIRST_YEAR + args.years):
                path = Path(directory) / f"{year}.csv"
                path.write_bytes(year_file(year, groups, args.per_year, rng))
                session = database.session()
                summary = import_history(session, path.read_bytes())
                session.close()
                print(f"import {year}: {summary.events:,} events, {summary.interruptions:,} customer interruptions, "
                      f"{path.stat().st_size / 1e6:.0f} MB in {summary.seconds:.1f} s = "
                      f"{summary.interruptions / summary.seconds:,.0f} rows/s")
            session = database.session()
            again = import_history(session, path.read_bytes())
            session.close()
            print(f"import {year} again: {again.inserted} inserted, {again.updated} updated, {again.unchanged:,} "
                  f"unchanged, {again.removed} removed in {again.seconds:.1f} s")
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # What autovacuum does after a large import (PostgreSQL 13+ vacuums after inserts too): the
            # visibility map lets the reports read the covering index alone.
            connection.execute(text("VACUUM ANALYZE customer_interruptions"))
        with database.engine.connect() as connection:
            last = FIRST_YEAR + args.years - 1
            year = Period(date(last, 1, 1), date(last, 12, 31), TIMEZONE)
            rules = ReliabilityRules(300.0, 180.0, 3, ("system.limited_supply",))
            zone = connection.execute(text("SELECT code FROM zones ORDER BY code LIMIT 1")).scalar_one()
            for scope in (None, zone):
                where = f"zone {scope}" if scope else "all zones"
                seconds, report = timed(lambda: reliability_report(connection, year, scope, (), rules), runs=1)
                print(f"reliability indices, year {last}, {where}: first {seconds:.2f} s", end="")
                seconds, report = timed(lambda: reliability_report(connection, year, scope, (), rules), runs=5)
                saidi = next(r for r in report["rows"] if r["index"] == "SAIDI")
                print(f", then {seconds:.2f} s (median of 5); T_MED {report['major_event_threshold_min']} min, "
                      f"{len(report['major_event_days'])} major event day(s), SAIDI {saidi['value']} / without "
                      f"MEDs {saidi['value_without_major_events']}")
            seconds, listed = timed(lambda: frequent_interruptions(connection, year, None, 3, 1000, 300.0))
            print(f"frequent interruptions (>= 3), year {last}, all zones: {seconds:.2f} s (median of 3), "
                  f"{len(listed['rows'])} rows listed")
        database.dispose()


if __name__ == "__main__":
    main()

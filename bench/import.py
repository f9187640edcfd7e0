"""Time the import of the whole demo dataset into a fresh database; print customers per second.

    .venv/bin/python bench/import.py [--data data/demo]

Creates a scratch database `dispatch_bench_import`, migrates it, imports twice (the first
inserts everything, the second must change nothing) and drops it.
"""
from __future__ import annotations

import argparse
import platform
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, make_url, text

from api.cli import alembic_config
from dispatch.config import Settings
from dispatch.db import Database
from dispatch.grid_import import ImportSummary, import_grid

SCRATCH = "dispatch_bench_import"


def print_summary(title: str, summary: ImportSummary) -> None:
    print(f"\n{title}: {summary.seconds:.2f} s in all")
    print(f"{'layer':<13}{'features':>9}{'inserted':>9}{'updated':>8}{'parse s':>9}{'write s':>9}{'rows/s':>10}")
    for r in summary.layers:
        rate = r.features / (r.parse_seconds + r.write_seconds) if r.features else 0
        print(f"{r.layer:<13}{r.features:>9}{r.inserted:>9}{r.updated:>8}"
              f"{r.parse_seconds:>9.2f}{r.write_seconds:>9.2f}{rate:>10,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/demo"))
    args = parser.parse_args()
    base = make_url(Settings.from_env().database_url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    url = base.set(database=SCRATCH).render_as_string(hide_password=False)
    command.upgrade(alembic_config(url), "head")
    database = Database(url)
    try:
        print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
        results = []
        for title in ("first import (empty database)", "second import (same files)"):
            session = database.session()
            results.append(import_grid(session, args.data))
            session.close()
            print_summary(title, results[-1])
        customers = results[0].result("customers")
        if customers:
            per_second = customers.features / (customers.parse_seconds + customers.write_seconds)
            print(f"\ncustomers: {customers.features} in {customers.parse_seconds + customers.write_seconds:.2f} s "
                  f"(read+check {customers.parse_seconds:.2f} s, write {customers.write_seconds:.2f} s) "
                  f"= {per_second:,.0f} customers/s")
            whole = sum(r.features for r in results[0].layers)
            print(f"whole dataset: {whole} features in {results[0].seconds:.2f} s = "
                  f"{whole / results[0].seconds:,.0f} features/s")
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()

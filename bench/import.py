"""Time the import of the whole demo dataset into a fresh database; print customers per second.

    .venv/bin/python bench/import.py [--data data/demo]

Creates a scratch database, migrates it, imports twice (the first inserts everything, the
second must change nothing) and drops it.
"""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import DEMO, scratch_database  # noqa: E402
from dispatch.core.db import Database  # noqa: E402
from dispatch.gis.grid_import import ImportSummary, import_grid  # noqa: E402


def print_summary(title: str, summary: ImportSummary) -> None:
    print(f"\n{title}: {summary.seconds:.2f} s in all")
    print(f"{'layer':<13}{'features':>9}{'inserted':>9}{'updated':>8}{'parse s':>9}{'write s':>9}{'rows/s':>10}")
    for r in summary.layers:
        rate = r.features / (r.parse_seconds + r.write_seconds) if r.features else 0
        print(f"{r.layer:<13}{r.features:>9}{r.inserted:>9}{r.updated:>8}"
              f"{r.parse_seconds:>9.2f}{r.write_seconds:>9.2f}{rate:>10,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEMO)
    args = parser.parse_args()
    with scratch_database("dispatch_bench_import", with_demo=False) as url:
        database = Database(url)
        print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
        results = []
        for title in ("first import (empty database)", "second import (same files)"):
            session = database.session()
            results.append(import_grid(session, args.data))
            session.close()
            print_summary(title, results[-1])
        database.dispose()
    customers = results[0].result("customers")
    if customers:
        per_second = customers.features / (customers.parse_seconds + customers.write_seconds)
        print(f"\ncustomers: {customers.features} in {customers.parse_seconds + customers.write_seconds:.2f} s "
              f"(read+check {customers.parse_seconds:.2f} s, write {customers.write_seconds:.2f} s) "
              f"= {per_second:,.0f} customers/s")
    whole = sum(r.features for r in results[0].layers)
    print(f"whole dataset: {whole} features in {results[0].seconds:.2f} s = {whole / results[0].seconds:,.0f} features/s")


if __name__ == "__main__":
    main()

"""How long an Excel export takes: the reports page's workbook request (POST /api/v1/reports/workbook)
validated and written, for response-time tables of growing size.

    .venv/bin/python bench/workbook.py [--runs 5]

Each size is a sheet of the response-time report's 23 columns (a label, counts, minutes, shares)
with a total row, as the page sends it: the JSON body is parsed and validated by the route's own
model, then made into a workbook by dispatch/reporting/workbook.py. Prints the body size, the
median time of --runs runs and rows per second. No database: the work is the body and the file.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.report_workbook import WorkbookRequest  # noqa: E402
from dispatch.reporting.workbook import Column, Sheet, workbook  # noqa: E402

COUNTS = ["incidents", "arrival_met", "arrival_missed", "regulator_arrival_met", "regulator_arrival_missed",
          "restoration_met", "restoration_missed", "open_at_end", "unverified_arrivals", "reassignments", "calls",
          "merged_calls"]
MINUTES = ["arrival_avg_min", "arrival_p50_min", "arrival_p90_min", "restoration_avg_min", "restoration_p50_min",
           "restoration_p90_min", "dispatch_p50_min"]
SHARES = ["arrival_on_time_share", "merge_rate"]


def body(rows: int, rng: random.Random) -> bytes:
    def row(n: int) -> dict:
        return {"label": f"供电所 {n} 城东片区", **{k: rng.randint(0, 500) for k in COUNTS},
                **{k: round(rng.uniform(5, 300), 1) for k in MINUTES}, **{k: round(rng.random(), 4) for k in SHARES}}
    columns = [{"key": "label", "title": "片区"}] + [{"key": k, "title": k, "format": "integer"} for k in COUNTS] + \
        [{"key": k, "title": k, "format": "decimal"} for k in MINUTES] + \
        [{"key": k, "title": k, "format": "percent"} for k in SHARES]
    return json.dumps({"sheets": [{"name": "到达及复电时长", "caption": "Response times", "columns": columns,
                                   "rows": [row(n) for n in range(rows)], "total": row(-1)}]}).encode()


def export(raw: bytes) -> bytes:
    request = WorkbookRequest.model_validate_json(raw)
    return workbook([Sheet(name=s.name, caption=s.caption, rows=s.rows, total=s.total,
                           columns=[Column(c.key, c.title, c.format) for c in s.columns]) for s in request.sheets])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    print(f"{'rows':>7} {'body KB':>9} {'xlsx KB':>9} {'median s':>9} {'min s':>7} {'rows/s':>9}")
    rng = random.Random(14)
    for rows in (100, 1_000, 5_000, 50_000):
        raw = body(rows, rng)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            made = export(raw)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"{rows:>7} {len(raw) / 1024:>9.0f} {len(made) / 1024:>9.0f} {median:>9.3f} {min(times):>7.3f} "
              f"{rows / median:>9.0f}")


if __name__ == "__main__":
    main()

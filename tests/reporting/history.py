"""Writing interruption history files for the import command, as a utility's export would look."""
from __future__ import annotations

import csv
import io
from pathlib import Path

COLUMNS = ("ref", "started_at", "restored_at", "planned", "cause", "accounts")


def accounts(transformer: int, ks) -> str:
    """The ';'-separated accounts of customers ``ks`` behind transformer T<transformer> (feeder_grid)."""
    return ";".join(f"{transformer}{k:03d}" for k in ks)


def history_file(directory: Path, rows: list[tuple], name: str = "history.csv", columns=COLUMNS) -> Path:
    """A CSV file with a header and ``rows`` (tuples in ``columns`` order)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    path = directory / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def import_history(cli, path: Path, expect_ok: bool = True):
    result = cli.invoke(args=["data", "import-interruptions", str(path)])
    assert (result.exit_code == 0) == expect_ok, (result.output, result.exception)
    return result

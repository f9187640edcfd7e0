"""``flask reports monthly --month YYYY-MM --out FILE.xlsx``: the managers' monthly review pack."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup

from api.context import database, settings, topologies
from dispatch.core import clock
from dispatch.core.errors import InvalidInput
from dispatch.reporting.monthly import monthly_pack, parse_month

reports_cli = AppGroup("reports", help="The managers' reports as files.")


@reports_cli.command("monthly")
@click.option("--month", required=True, help="The calendar month, YYYY-MM, in DISPATCH_TIMEZONE.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file to write (replaced whole, never left half-written).")
def monthly(month: str, out: Path) -> None:
    """Write the monthly review pack: a contents sheet and one sheet per report of the month."""
    if not out.parent.is_dir():
        raise click.BadParameter(f"the folder {out.parent} does not exist", param_hint="--out")
    try:
        period = parse_month(month)
        with database().session() as session:
            content = monthly_pack(session, topologies(), settings(), period, clock.now())
    except InvalidInput as why:  # a month the reports cannot cover (before 1900, say)
        raise click.BadParameter("; ".join(problem.message for problem in why.problems) or why.detail,
                                 param_hint="--month") from None
    # Written beside the target and renamed over it: a reader never sees half a workbook.
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    click.echo(f"{out}: the monthly review {period.label} ({period.first} to {period.last}, "
               f"{settings().dispatch_timezone})")

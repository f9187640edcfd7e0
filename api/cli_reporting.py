"""Command-line tools of the managers' reports: ``flask --app wsgi data import-interruptions FILE.csv``
and ``data import-customers-served FILE.csv`` (registered in the ``data`` group by api/cli.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from api.context import database
from dispatch.core.errors import ImportRejected
from dispatch.reporting.history_import import import_history
from dispatch.reporting.served import import_counts

PROBLEMS_SHOWN = 200


@click.command("import-interruptions")
@with_appcontext
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def data_import_interruptions(csv_file: Path) -> None:
    """Import customer interruption history from CSV_FILE, all or nothing (see the README: columns ref,
    started_at, restored_at, planned, cause, accounts or device); importing it again changes nothing."""
    summary = _imported(import_history, csv_file)
    for warning, times in sorted(summary.warnings.items()):
        click.echo(f"warning: {warning}" + (f" ({times})" if times > 1 else ""), err=True)
    if summary.unknown_accounts:
        click.echo(f"warning: {summary.unknown_accounts} account(s) are not among today's customers: kept, "
                   "without a zone", err=True)
    click.echo(f"{summary.events} event(s), {summary.interruptions} customer interruption(s): "
               f"{summary.inserted} inserted, {summary.updated} updated, {summary.unchanged} unchanged, "
               f"{summary.removed} removed "
               f"in {summary.seconds:.1f} s")


@click.command("import-customers-served")
@with_appcontext
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def data_import_customers_served(csv_file: Path) -> None:
    """Import the customers served per day from which a count holds (columns since, zone, customers;
    an empty zone is the whole utility), all or nothing; the reliability indices divide by them."""
    summary = _imported(import_counts, csv_file)
    for warning, times in sorted(summary.warnings.items()):
        click.echo(f"warning: {warning}" + (f" ({times})" if times > 1 else ""), err=True)
    click.echo(f"{summary.counts} count(s): {summary.inserted} inserted, {summary.updated} updated, "
               f"{summary.unchanged} unchanged")


def _imported(importer, csv_file: Path):
    """Run one of the history importers on the file; a rejected file prints its problems and exits 1."""
    session = database().session()
    try:
        return importer(session, csv_file.read_bytes())
    except ImportRejected as rejected:
        click.echo(f"import rejected: {rejected.detail}", err=True)
        for problem in rejected.problems[:PROBLEMS_SHOWN]:
            click.echo(f"  {problem}", err=True)
        if len(rejected.problems) > PROBLEMS_SHOWN:
            click.echo(f"  ... and {len(rejected.problems) - PROBLEMS_SHOWN} more", err=True)
        sys.exit(1)
    finally:
        session.close()

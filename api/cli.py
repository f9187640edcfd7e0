"""Command-line tools: ``flask --app wsgi db upgrade`` and ``flask --app wsgi data import DIR``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.cli import AppGroup

from api.context import database, settings
from dispatch.errors import ImportRejected
from dispatch.grid_import import import_grid

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
PROBLEMS_SHOWN = 200

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")
data_cli = AppGroup("data", help="Grid and road data.")


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the schema up to REVISION (default: the newest)."""
    command.upgrade(alembic_config(settings().database_url), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the schema down to REVISION ('base' removes everything)."""
    command.downgrade(alembic_config(settings().database_url), revision)


@data_cli.command("import")
@click.argument("directory", type=click.Path(path_type=Path))
def data_import(directory: Path) -> None:
    """Import every LAYER.geojson in DIRECTORY in one transaction (see docs/data-format.md)."""
    session = database().session()
    try:
        summary = import_grid(session, directory)
    except ImportRejected as rejected:
        click.echo(f"import rejected: {rejected.detail}", err=True)
        for problem in rejected.problems[:PROBLEMS_SHOWN]:
            click.echo(f"  {problem}", err=True)
        if len(rejected.problems) > PROBLEMS_SHOWN:
            click.echo(f"  ... and {len(rejected.problems) - PROBLEMS_SHOWN} more", err=True)
        sys.exit(1)
    finally:
        session.close()
    click.echo(f"{'layer':<14}{'features':>10}{'inserted':>10}{'updated':>10}{'unchanged':>10}")
    for result in summary.layers:
        click.echo(f"{result.layer:<14}{result.features:>10}{result.inserted:>10}"
                   f"{result.updated:>10}{result.unchanged:>10}")
    if summary.road_directed_edges:
        click.echo(f"road graph: {summary.road_directed_edges} directed edges")
    click.echo(f"imported in {summary.seconds:.1f} s")


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(data_cli)

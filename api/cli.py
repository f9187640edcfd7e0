"""Command-line tools: ``flask --app wsgi db upgrade``, ``... data import DIR``, ``... users create NAME``,
``... check invariants``; ``... worker`` is in api/worker.py, ``... reports monthly`` in api/reports_cli.py,
``... demo users`` in api/cli_demo.py, ``... channels create NAME`` in api/cli_channels.py."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup

from api.cli_channels import channels_cli
from api.cli_demo import demo_cli
from api.cli_reporting import data_import_customers_served, data_import_interruptions
from api.context import database, settings
from api.import_progress import TerminalProgress
from api.partitions import data_prune
from api.reports_cli import reports_cli
from api.worker import worker
from dispatch.accounts.models import ROLES
from dispatch.accounts.store import users
from dispatch.accounts.users import create_user, deactivate_user, limit_to_zones
from dispatch.core import clock
from dispatch.core.errors import Conflict, DispatchError, ImportRejected
from dispatch.crews.assignment import Dispatcher
from dispatch.crews.invariants import violations
from dispatch.gis.grid_import import import_grid
from dispatch.gis.import_progress import LoggedProgress, rate
from dispatch.gis.skills import skill_rules
from dispatch.routing.osm import road_features

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
PROBLEMS_SHOWN = 200

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")
data_cli = AppGroup("data", help="Grid and road data.")
users_cli = AppGroup("users", help="People who sign in, and their roles.")
check_cli = AppGroup("check", help="Checks of the data as it is.")
data_cli.add_command(data_import_interruptions)
data_cli.add_command(data_import_customers_served)
data_cli.add_command(data_prune)


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["configure_logger"] = False  # the app's JSON logs (dispatch/core/logs.py) stay as they are
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
    _import_and_report(directory)


@data_cli.command("import-osm")
@click.argument("osm_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def data_import_osm(osm_file: Path) -> None:
    """Import the drivable roads of an OpenStreetMap file (.osm, .osm.pbf) as the roads layer."""
    try:
        features = road_features(osm_file)
    except RuntimeError as why:  # pyosmium's word for a file it cannot read
        click.echo(f"import rejected: {osm_file} is not a readable OpenStreetMap file: {why}", err=True)
        sys.exit(1)
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "roads.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        _import_and_report(Path(directory))


def _import_and_report(directory: Path) -> None:
    session = database().session()
    try:
        progress = TerminalProgress() if sys.stderr.isatty() else LoggedProgress()
        summary = import_grid(session, directory, skill_rules(settings().skill_rules_file), progress,
                              dispatcher=Dispatcher(session, settings(), current_app.extensions["road_graphs"]))
    except ImportRejected as rejected:
        click.echo(f"import rejected: {rejected.detail}", err=True)
        for problem in rejected.problems[:PROBLEMS_SHOWN]:
            click.echo(f"  {problem}", err=True)
        if len(rejected.problems) > PROBLEMS_SHOWN:
            click.echo(f"  ... and {len(rejected.problems) - PROBLEMS_SHOWN} more", err=True)
        sys.exit(1)
    finally:
        session.close()
    click.echo(f"{'layer':<14}{'features':>10}{'inserted':>10}{'updated':>10}{'unchanged':>10}"
               f"{'check/s':>10}{'write/s':>10}")
    for result in summary.layers:
        click.echo(f"{result.layer:<14}{result.features:>10}{result.inserted:>10}"
                   f"{result.updated:>10}{result.unchanged:>10}"
                   f"{rate(result.features, result.parse_seconds):>10.0f}"
                   f"{rate(result.features, result.write_seconds):>10.0f}")
    if summary.road_directed_edges:
        click.echo(f"road graph: {summary.road_directed_edges} directed edges; {summary.road_components} strongly "
                   f"connected components; {summary.road_nodes_unroutable} nodes outside the largest, flagged unroutable")
    for warning in summary.warnings:
        click.echo(f"warning: {warning}")
    click.echo(f"imported in {summary.seconds:.1f} s")


def _refused(error: DispatchError) -> None:
    click.echo(f"refused: {error.detail}", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--crew", help="The crew code a crew account acts for.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@click.option("--exist-ok", is_flag=True, help="A user of that name already there is left as it is.")
def users_create(username: str, role: str, crew: str | None, password: str, exist_ok: bool) -> None:
    """Create a user who signs in with USERNAME and the password."""
    with database().session() as session:
        try:
            create_user(session, username, password, role, crew)
        except Conflict as error:
            if not exist_ok:
                _refused(error)
            click.echo(f"{username} exists already; left as it is")
            return
        except DispatchError as error:
            _refused(error)
    click.echo(f"created {role} {username}" + (f" of crew {crew}" if crew else ""))


@users_cli.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Stop USERNAME from signing in and revoke their tokens at once."""
    with database().session() as session:
        try:
            revoked = deactivate_user(session, username)
        except DispatchError as error:
            _refused(error)
    click.echo(f"disabled {username}; {revoked} token(s) revoked")


@users_cli.command("zones")
@click.argument("username")
@click.argument("zones", default="")
def users_zones(username: str, zones: str) -> None:
    """Limit USERNAME's desk to ZONES (comma-separated zone codes); without ZONES: every zone."""
    with database().session() as session:
        try:
            limited = limit_to_zones(session, username, [z.strip() for z in zones.split(",") if z.strip()])
        except DispatchError as error:
            _refused(error)
    click.echo(f"{username} sees " + (", ".join(limited) if limited else "every zone"))


@users_cli.command("list")
def users_list() -> None:
    """Every user with role, crew and whether they may sign in."""
    with database().session() as session:
        for user in users(session.connection()):
            click.echo(f"{user['username']:<24}{user['role']:<12}{user['crew'] or '-':<12}"
                       f"{'active' if user['active'] else 'disabled':<10}{','.join(user['zones']) or 'all zones'}")


@check_cli.command("invariants")
def check_invariants() -> None:
    """List every broken invariant of dispatch (docs/dispatch-invariants.md); exit 1 if there is one."""
    session = database().session()
    try:
        dispatcher = Dispatcher(session, settings(), current_app.extensions["road_graphs"])
        found = violations(session.connection(), dispatcher, clock.now())
    finally:
        session.rollback()  # looking changes nothing (a road node found for an incident is not kept)
        session.close()
    for violation in found:
        click.echo(f"{violation['rule']}: crew {violation['crew'] or '-'}, incident {violation['incident'] or '-'}: "
                   f"{violation['detail']}")
    click.echo(f"{len(found)} violation(s)")
    if found:
        sys.exit(1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(data_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(check_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(worker)
    app.cli.add_command(channels_cli)

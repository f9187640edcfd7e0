"""Command-line tools: ``flask --app wsgi db upgrade``, ``... data import DIR``, ``... users create NAME``,
``... worker``."""
from __future__ import annotations

import json
import logging
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from api.context import database, settings
from dispatch.accounts.models import ROLES
from dispatch.accounts.store import users
from dispatch.accounts.users import create_user, deactivate_user, limit_to_zones
from dispatch.core import clock
from dispatch.core.errors import Conflict, DispatchError, ImportRejected
from dispatch.crews.assignment import Dispatcher
from dispatch.gis.grid_import import import_grid
from dispatch.incidents.sweeper import sweep
from dispatch.live.feed import redis_without_retries
from dispatch.live.relay import Relay
from dispatch.routing.osm import road_features

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
PROBLEMS_SHOWN = 200

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")
data_cli = AppGroup("data", help="Grid and road data.")
users_cli = AppGroup("users", help="People who sign in, and their roles.")


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
        click.echo(f"road graph: {summary.road_directed_edges} directed edges; {summary.road_components} strongly "
                   f"connected components; {summary.road_nodes_unroutable} nodes outside the largest, flagged unroutable")
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


@click.command("worker")
@click.option("--once", is_flag=True, help="Sweep once, relay what is ready, clear old messages and stop.")
@with_appcontext
def worker(once: bool) -> None:
    """The background worker: relays the outbox to Redis (continuously, in a thread of its own, so
    that a long sweep does not hold live updates back) and sweeps open incidents' SLA clocks every
    SLA_SWEEP_INTERVAL_S seconds. Several workers may run: relaying and sweeping are safe together."""
    s = settings()
    relay = Relay(database(), redis_without_retries(s.redis_url, s.health_timeout_s, socket_timeout=s.health_timeout_s))
    retention = timedelta(hours=s.outbox_retention_hours)
    if once:
        _sweep(raise_errors=True)
        while relay.step():
            pass
        relay.clear(clock.now() - retention)
        return
    stop = threading.Event()
    threading.Thread(target=relay.run, args=(stop, s.relay_interval_s, retention), name="outbox-relay",
                     daemon=True).start()
    try:
        while True:
            _sweep(raise_errors=False)
            time.sleep(s.sla_sweep_interval_s)
    finally:
        stop.set()


def _sweep(raise_errors: bool) -> None:
    session = database().session()
    try:
        dispatcher = Dispatcher(session, settings(), current_app.extensions["road_graphs"])
        for incident_id, warning in sweep(session, dispatcher, clock.now(), settings().warning_levels):
            click.echo(f"incident {incident_id}: {warning}")
    except Exception:  # one bad sweep must not stop the clocks for good; the next one retries
        logging.getLogger(__name__).exception("SLA sweep failed")
        if raise_errors:
            raise
    finally:
        session.close()


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(data_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(worker)

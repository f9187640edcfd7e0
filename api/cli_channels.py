"""``flask --app wsgi channels create|list|revoke``: the machine clients and their keys."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from api.context import database
from dispatch.core.errors import DispatchError
from dispatch.customers.channels import RateLimit, create_client, list_clients, revoke_client
from dispatch.incidents.models import REPORT_CHANNELS

channels_cli = AppGroup("channels", help="Machine channels (IVR, WeChat, app, hotline system, AMI) and their keys.")


def _refused(error: DispatchError) -> None:
    click.echo(f"refused: {error.detail}", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@channels_cli.command("create")
@click.argument("name")
@click.option("--channel", required=True, type=click.Choice(REPORT_CHANNELS), help="The channel its reports carry.")
@click.option("--rate", default="600/min", show_default=True, help="Its rate limit: N/s, N/min or N/h.")
def channels_create(name: str, channel: str, rate: str) -> None:
    """Create client NAME of a channel and print its key, alone on standard output (shown this
    once: only a hash is kept)."""
    with database().session() as session:
        try:
            limit = RateLimit.parse(rate)
            _, key = create_client(session, name, channel, limit)
        except DispatchError as error:
            _refused(error)
    click.echo(f"created {channel} client {name.strip().lower()}, rate {limit}; its key, shown only now "
               "(send it as Authorization: Bearer <key>):", err=True)
    click.echo(key)


@channels_cli.command("list")
def channels_list() -> None:
    """Every client: channel, rate, the key's first characters, created, revoked."""
    with database().session() as session:
        for client in list_clients(session):
            revoked = client["revoked_at"]
            click.echo(f"{client['name']:<24}{client['channel']:<9}{client['rate']:<12}"
                       f"{client['key_prefix'] + '...':<14}{client['created_at'].isoformat(timespec='seconds'):<27}"
                       + (f"revoked {revoked.isoformat(timespec='seconds')}" if revoked else "active"))


@channels_cli.command("revoke")
@click.argument("name")
def channels_revoke(name: str) -> None:
    """Revoke client NAME's key: its next request gets 401."""
    with database().session() as session:
        try:
            revoked = revoke_client(session, name)
        except DispatchError as error:
            _refused(error)
    click.echo(f"revoked {name}" if revoked else f"{name} was revoked already")

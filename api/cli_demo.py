"""``flask --app wsgi demo ...``: what the demo needs beyond its data (scripts/run.sh runs it)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from api.context import database
from api.demo_storm import StormError, play_storm
from dispatch.accounts.users import create_user
from dispatch.core.errors import Conflict, InvalidInput

demo_cli = AppGroup("demo", help="The demo installation: its users, and a storm to watch.")

#: One demo user per desk and report role, password ``demo-<name>`` (README, "Signing in").
DEMO_ROLES = ("admin", "supervisor", "dispatcher", "viewer", "manager")
#: The demo crew user and the crew it acts for: C01 can take a fault on either voltage level.
DEMO_CREW_USER, DEMO_CREW = "c01", "C01"


@demo_cli.command("users")
def demo_users() -> None:
    """Create the demo users that are missing; those already there are left as they are."""
    wanted = [(role, role, f"demo-{role}", None) for role in DEMO_ROLES]
    wanted.append((DEMO_CREW_USER, "crew", "demo-crew", DEMO_CREW))
    created = []
    for username, role, password, crew in wanted:
        with database().session() as session:
            try:
                create_user(session, username, password, role, crew)
            except Conflict:
                continue
            except InvalidInput as error:  # data without the demo crew
                click.echo(f"{username} not created: {'; '.join(str(p) for p in error.problems)}", err=True)
                continue
        created.append(username)
    click.echo(f"demo users created: {', '.join(created)}" if created else "demo users already there")


@demo_cli.command("storm")
@click.option("--faults", default=12, show_default=True, type=click.IntRange(2, 200), help="Faults in the storm.")
@click.option("--seed", default=None, type=int, help="The same seed plays the same storm (on the same data).")
def demo_storm(faults: int, seed: int | None) -> None:
    """Play a storm that began 100 minutes ago: calls, crews sent, driving, on site, restored and
    reported, one fault left waiting past its deadline. Each run adds a new storm."""
    try:
        played = play_storm(current_app, faults, seed)
    except StormError as error:
        raise click.ClickException(str(error)) from None
    steps = ", ".join(f"{n} {step}" for step, n in sorted(played.steps.items()))
    click.echo(f"storm played: {played.calls} calls, {len(played.incidents)} incidents ({steps}); "
               f"incident #{played.stuck}'s crew never set out: it breaches its arrival deadline")

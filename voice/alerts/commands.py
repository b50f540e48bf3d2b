"""`flask --app voice escalate-alerts` (registered by voice.cli); the worker also runs it."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import service


@click.command("escalate-alerts")
@with_appcontext
def escalate_alerts_command():
    """Tell the org admins of every safety alert nobody acted on in time."""
    click.echo(f"Escalated {service.escalate_due()} safety alerts.")


COMMANDS = (escalate_alerts_command,)

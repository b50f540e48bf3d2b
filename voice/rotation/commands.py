"""`flask --app voice rotate-kek` (registered by voice.cli)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import service


@click.command("rotate-kek")
@with_appcontext
@click.option("--batch", type=int, default=200, show_default=True, help="Rows per transaction.")
def rotate_kek_command(batch):
    """Re-wrap every case key and KEK-sealed secret under VOICE_KEK (the new key).

    Run it with VOICE_KEK_PREVIOUS set to the old key, while every process runs with both.
    Safe to run again after an interruption; audited.
    """
    try:
        rewrapped = service.rotate(batch)
    except service.NoPreviousKey as problem:
        raise click.ClickException("Set VOICE_KEK_PREVIOUS to the key being replaced.") from problem
    click.echo(f"Re-wrapped {rewrapped} values; nothing is left under the previous key.")


COMMANDS = (rotate_kek_command,)

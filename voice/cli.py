"""Command-line tasks: `flask --app voice <command>`."""
from __future__ import annotations

import click
from flask import Flask, current_app

from . import demo, migrate
from .alerts import commands as alert_commands
from .backup import commands as backup_commands
from .delivery import commands as delivery_commands
from .rotation import commands as rotation_commands


def init_app(app: Flask) -> None:
    for command in (delivery_commands.COMMANDS + backup_commands.COMMANDS
                    + rotation_commands.COMMANDS + alert_commands.COMMANDS):
        app.cli.add_command(command)

    @app.cli.command("migrate")
    def migrate_command():
        """Bring the database schema up to date."""
        migrate.upgrade(current_app.config["DATABASE_URL"])
        click.echo("Database is up to date.")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load demo organisations, people and a case (safe to run again)."""
        for line in demo.seed():
            click.echo(line)

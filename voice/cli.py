"""Command-line tasks: `flask --app voice <command>`."""
from __future__ import annotations

import click
from flask import Flask, current_app

from . import migrate


def init_app(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate_command():
        """Bring the database schema up to date."""
        migrate.upgrade(current_app.config["DATABASE_URL"])
        click.echo("Database is up to date.")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load demo organisations, people and a case (safe to run again)."""
        from .demo import seed
        for line in seed():
            click.echo(line)

"""Alembic, driven from the application: the only way the schema is made outside tests."""
from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent / "migrations"


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(config(url), revision)


def new_revision(message: str) -> None:
    """Write a migration for what the models add to the schema the migrations make (developers)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/schema.sqlite3"
        upgrade(url)
        command.revision(config(url), message=message, autogenerate=True)

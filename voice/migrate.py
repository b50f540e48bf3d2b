"""Alembic, driven from the application: the only way the schema is made outside tests."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent / "migrations"


def _command():
    from alembic import command  # heavy: a sixth of every process's start; workers never migrate
    return command


def config(url: str) -> Config:
    from alembic.config import Config  # heavy: as _command

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    _command().upgrade(config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    _command().downgrade(config(url), revision)


def new_revision(message: str) -> None:
    """Write a migration for what the models add to the schema the migrations make (developers)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/schema.sqlite3"
        upgrade(url)
        _command().revision(config(url), message=message, autogenerate=True)

"""`make run`'s steps: migrate and seed the demo data, twice, changing nothing the second time."""
from __future__ import annotations

import pyotp
from sqlalchemy import func, select

from voice import create_app, db
from voice.models import Case, Organisation, User

from .conftest import app_config, new_database


def test_migrate_and_seed_twice(backend, tmp_path, pg_server, templates):
    url = new_database(backend, tmp_path, pg_server, templates)
    if backend == "sqlite":  # start from nothing: the migrations make the schema
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app(app_config(tmp_path, url))
    runner = app.test_cli_runner()
    if backend == "sqlite":
        assert "up to date" in runner.invoke(args=["migrate"]).output
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    with app.app_context():
        session = db.session()
        counts = [session.scalar(select(func.count()).select_from(m)) for m in (User, Organisation, Case)]
    assert counts == [6, 2, 1]
    for role in ("service_admin", "org_admin", "ictg", "advocate", "panel_member"):
        assert role in first.output
    secret = first.output.split("ictg@voice.example", 1)[1].split("TOTP secret ", 1)[1].split()[0]
    assert len(pyotp.TOTP(secret).now()) == 6
    app.extensions["voice.engine"].dispose()

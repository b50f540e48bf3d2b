"""The link to PostgreSQL: a pooled connection that the server dropped while it was idle is
replaced before a request uses it (one in constant use is not tried before every request)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from voice import db

from .conftest import as_person


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no link to lose
def test_a_dropped_connection_is_replaced_before_use(app, client, world, monkeypatch):
    as_person(app, client, world.people["ictg.p1"])
    assert "Child of p1" in client.get("/cases/").text
    admin = create_engine(app.config["DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        dropped = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert dropped >= 1  # the app's pooled connection is gone

    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # as if it had been idle long enough
    page = client.get("/cases/")
    assert page.status_code == 200 and "Child of p1" in page.text

"""Alembic makes the schema: upgrade, downgrade, upgrade again, and it matches the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from voice import migrate
from voice.db import make_engine
from voice.models import Base

from .postgres import Server  # noqa: F401  (the pg_server fixture starts it)


def _empty_database(backend, tmp_path, pg_server) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    name = f"voice_migrations_{tmp_path.name[-12:].replace('-', '_').lower()}"
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_server.url(name)


def _differences(url):
    engine = make_engine(url, pooled=False)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diff


def _tables(url):
    engine = make_engine(url, pooled=False)
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    return names


def test_upgrade_downgrade_upgrade_matches_models(backend, tmp_path, pg_server):
    url = _empty_database(backend, tmp_path, pg_server)
    migrate.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables)
    assert _differences(url) == []
    migrate.downgrade(url)
    assert _tables(url) == set()
    migrate.upgrade(url)
    assert _differences(url) == []


def test_migrated_audit_table_is_append_only(backend, tmp_path, pg_server):
    url = _empty_database(backend, tmp_path, pg_server)
    migrate.upgrade(url)
    engine = make_engine(url, pooled=False)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_event (at, action, outcome) VALUES "
                          "(CURRENT_TIMESTAMP, 'test', 'ok')"))
    for statement in ("UPDATE audit_event SET outcome = 'x'", "DELETE FROM audit_event"):
        try:
            with engine.begin() as conn:
                conn.execute(text(statement))
        except Exception as error:  # the trigger's refusal
            assert "append-only" in str(error)
        else:
            raise AssertionError(f"{statement} was allowed")
    engine.dispose()

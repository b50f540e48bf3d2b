"""Alembic makes the schema: upgrade, downgrade, upgrade again, and it matches the models."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select, text

from voice import migrate
from voice.db import make_engine
from voice.models import AgendaEntry, Base

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


def test_upgrading_puts_the_summaries_already_sent_on_the_agenda(backend, tmp_path, pg_server):
    """Migration 0009 writes the agenda's lines for what panels had before it: each case's
    newest version for each panel, dated while the case is still that panel's."""
    url = _empty_database(backend, tmp_path, pg_server)
    migrate.upgrade(url, "0008")
    engine = make_engine(url, pooled=False)
    day, at = date(2027, 3, 1), datetime(2027, 1, 1, tzinfo=timezone.utc)
    tables = Base.metadata.tables
    with engine.begin() as conn:
        conn.execute(insert(tables["organisation"]), [
            {"id": "provider", "name": "Provider", "kind": "provider"},
            {"id": "n1", "name": "Panel 1", "kind": "panel"},
            {"id": "n2", "name": "Panel 2", "kind": "panel"}])
        conn.execute(insert(tables["child_case"]), [
            {"id": "stays", "provider_id": "provider", "panel_id": "n1", "age_band": "12-15",
             "panel_date": day},
            {"id": "moved", "provider_id": "provider", "panel_id": "n2", "age_band": "12-15",
             "panel_date": day}])
        conn.execute(insert(tables["summary"]), [
            {"id": "stays-1", "case_id": "stays", "panel_id": "n1", "number": 1, "body": b"x",
             "approved_at": at},
            {"id": "stays-2", "case_id": "stays", "panel_id": "n1", "number": 2, "body": b"x",
             "approved_at": at + timedelta(days=1)},
            {"id": "moved-1", "case_id": "moved", "panel_id": "n1", "number": 1, "body": b"x",
             "approved_at": at}])
    migrate.upgrade(url)
    with engine.connect() as conn:
        lines = conn.execute(select(
            AgendaEntry.panel_id, AgendaEntry.case_id, AgendaEntry.summary_id, AgendaEntry.undated,
            AgendaEntry.panel_date, AgendaEntry.approved_at).order_by(AgendaEntry.case_id)).all()
    engine.dispose()
    assert [tuple(line) for line in lines] == [
        ("n1", "moved", "moved-1", True, None, at),
        ("n1", "stays", "stays-2", False, day, at + timedelta(days=1))]

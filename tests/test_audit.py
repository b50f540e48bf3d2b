"""The audit trail: every read of content recorded with the work, append-only, never content."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from voice import db
from voice.models import AuditEvent

from .conftest import as_person


def _events(app, **where):
    with app.app_context():
        query = select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
        events = db.session().scalars(query).all()
        db.session().expunge_all()
        return events


def test_reading_a_childs_name_is_recorded(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    assert client.get(f"/cases/{world.cases['p1']}").status_code == 200
    events = _events(app, action="case.read_name", case_id=world.cases["p1"])
    assert [(e.actor_id, e.outcome) for e in events] == [(world.people["ictg.p1"].id, "ok")]


def test_refusals_are_recorded_and_nothing_else_written(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    before = len(_events(app))
    assert client.get(f"/cases/{world.cases['p2']}").status_code == 404
    events = _events(app)
    assert len(events) == before + 1
    assert (events[-1].action, events[-1].outcome, events[-1].actor_id) == \
        ("case.meta", "denied", world.people["ictg.p1"].id)


def test_the_trail_holds_no_content(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    client.get(f"/cases/{world.cases['p1']}")
    with app.app_context():
        rows = db.session().execute(text("SELECT * FROM audit_event")).all()
    assert rows and "Child of p1" not in repr(rows)


def test_audit_rows_cannot_be_changed_or_removed(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    client.get(f"/cases/{world.cases['p1']}")
    with app.app_context():
        session = db.session()
        event = session.scalar(select(AuditEvent))
        event.outcome = "rewritten"
        with pytest.raises(PermissionError):
            session.flush()
        session.rollback()
        session.delete(session.scalar(select(AuditEvent)))
        with pytest.raises(PermissionError):
            session.flush()
        session.rollback()
        # The database itself refuses too, whatever the code does.
        for statement in (update(AuditEvent).values(outcome="x"), delete(AuditEvent)):
            with pytest.raises(DatabaseError):
                session.execute(statement)
            session.rollback()
    assert all(e.outcome != "x" for e in _events(app))


def test_org_admin_reads_the_trail_of_their_cases_only(app, client, world):
    ictg = app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    ictg.get(f"/cases/{world.cases['p1']}")
    as_person(app, client, world.people["org_admin.p1"])
    page = client.get(f"/cases/{world.cases['p1']}/audit")
    assert page.status_code == 200 and "case.read_name" in page.text and "ictg p1" in page.text
    assert client.get(f"/cases/{world.cases['p2']}/audit").status_code == 404
    org_page = client.get("/organisation/audit")
    assert "case.read_name" in org_page.text
    ictg_page = ictg.get(f"/cases/{world.cases['p1']}/audit")
    assert ictg_page.status_code == 403


def test_no_code_updates_or_deletes_audit_rows():
    """Nothing in the package writes UPDATE or DELETE against the audit table."""
    import pathlib
    import re

    offenders = []
    for path in pathlib.Path("voice").rglob("*.py"):
        source = path.read_text()
        if re.search(r"(update|delete)\(\s*AuditEvent", source) or \
                re.search(r"(UPDATE|DELETE FROM)\s+audit_event", source):
            offenders.append(str(path))
    assert offenders == []

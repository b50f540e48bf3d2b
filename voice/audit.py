"""The append-only audit trail: who did what to which record, when, and with what outcome.

An entry is added to the request's unit of work, so it commits in the same transaction as the
work it records. A refusal is written in a transaction of its own, since the request's work is
rolled back. Content never goes in here.
"""
from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from . import db
from .models import (AnswerVersion, AuditEvent, ConsentRecord, SharingRecord,
                     Summary, now)

OK, DENIED, FAILED = "ok", "denied", "failed"


def _values(action, record=None, outcome=OK, case_id=None, org_id=None, actor_id=None) -> dict:
    user = g.get("user") if has_request_context() else None
    record_type = getattr(record, "__tablename__", None) if record is not None else None
    record_id = getattr(record, "id", None) if record is not None else None
    if case_id is None and record_type == "child_case":
        case_id = record_id
    if case_id is None:
        case_id = getattr(record, "case_id", None)
    return {"at": now(), "actor_id": actor_id or (user.id if user else None),
            "org_id": org_id or (user.org_id if user else None), "case_id": case_id,
            "action": action, "record_type": record_type,
            "record_id": str(record_id) if record_id is not None else None, "outcome": outcome}


def record_in(session: Session, action: str, record=None, outcome: str = OK, **ids) -> None:
    """Add an entry to a unit of work: written at once, committed or rolled back with it."""
    session.execute(insert(AuditEvent), [_values(action, record, outcome, **ids)])


def record(action: str, record=None, outcome: str = OK, **ids) -> None:
    """Add an entry to the current unit of work."""
    record_in(db.session(), action, record, outcome, **ids)


def record_each(action: str, records) -> None:
    """An entry for each record (say, each row of a page) in one statement."""
    entries = [_values(action, item) for item in records]
    if entries:
        db.session().execute(insert(AuditEvent), entries)


def record_alone(action: str, record=None, outcome: str = DENIED, **ids) -> None:
    """Write an entry in its own transaction (for refusals and failures)."""
    with db.transaction() as session:
        record_in(session, action, record, outcome, **ids)


# Records of record: once written, never changed (a new row says what changed). Only the
# audit trail itself is never deleted either; the others go when a case is erased.
NEVER_CHANGED = (AuditEvent, ConsentRecord, SharingRecord, AnswerVersion, Summary)


@event.listens_for(Session, "before_flush")
def _append_only(session, _context, _instances):
    """The one flush listener: the audit trail and the records of record stay as written."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and obj in session.deleted:
            raise PermissionError("audit_event is append-only")
        if isinstance(obj, NEVER_CHANGED) and obj in session.dirty and session.is_modified(obj):
            raise PermissionError(f"{obj.__tablename__} is append-only: add a new row instead")

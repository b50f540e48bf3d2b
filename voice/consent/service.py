"""Consent before capture, and the child's item-by-item sharing choices.

Both are append-only records: a change is a new row and the newest row is the current state, so
the history shows who recorded what and when. Every answer starts private: an answer without a
sharing record is private, and only a record whose newest choice shares it lets the panel see it.
Sharing records are written only from the child's own session (the share step in child mode).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from .. import audit, db
from ..cases.service import cipher
from ..models import (SHARE_PANEL, SHARE_PRIVATE, SHARE_WORDS, SHARING_CHOICES, Answer,
                      CaptureSession, Case, ConsentRecord, SharingRecord, User, new_id)

__all__ = ["SHARE_PANEL", "SHARE_PRIVATE", "SHARE_WORDS", "has_consent", "record_consent",
           "consent_history", "present_now", "current_choices", "choose", "shared_with_panel"]


# --- consent before capture ------------------------------------------------------------------

def latest_consent(capture: CaptureSession) -> ConsentRecord | None:
    """The session's latest consent record, read once a unit of work (a step checks it, then
    saving the answer and who is present read it again); `record_consent` keeps it current."""
    known = db.session().info.setdefault("latest_consent", {})
    if capture.id not in known:
        known[capture.id] = db.session().scalar(select(ConsentRecord).where(
            ConsentRecord.session_id == capture.id).order_by(ConsentRecord.id.desc()).limit(1))
    return known[capture.id]


def has_consent(capture: CaptureSession) -> bool:
    record = latest_consent(capture)
    return record is not None and record.agreed


def record_consent(capture: CaptureSession, user: User, agreed: bool, given_how: str | None,
                   interpreter_language: str | None, understood: str | None,
                   present: str | None, limits_explained: bool = False) -> ConsentRecord:
    """`limits_explained`: the child was told, before they started, that saying they are not
    safe is passed on to their guardian (the consent step always says so)."""
    record = ConsentRecord(case_id=capture.case_id, session_id=capture.id, agreed=agreed,
                           given_how=given_how, limits_explained=limits_explained,
                           interpreter_language=interpreter_language if given_how == "interpreter" else None,
                           understood=understood, recorded_by_id=user.id)
    record.seal_id = new_id()
    if present is not None:
        record.present = cipher(capture.case).seal(record.seal_id, "present", present.strip())
    db.session().add(record)
    db.session().flush()
    db.session().info.setdefault("latest_consent", {})[capture.id] = record
    audit.record("consent.record", record, case_id=capture.case_id)
    return record


@dataclass
class ConsentEntry:
    record: ConsentRecord
    present: str | None
    recorded_by: str
    at: datetime


def consent_history(capture: CaptureSession) -> list[ConsentEntry]:
    """Every consent record of the session, oldest first (the reads are audited)."""
    seal = cipher(capture.case)
    records = db.session().scalars(select(ConsentRecord).where(
        ConsentRecord.session_id == capture.id).order_by(ConsentRecord.id)).all()
    entries = []
    for record in records:
        entries.append(ConsentEntry(record, seal.open_text(record.seal_id, "present", record.present),
                                    record.recorded_by.display_name if record.recorded_by else "",
                                    record.recorded_at))
        audit.record("consent.read", record, case_id=capture.case_id)
    return entries


def present_now(capture: CaptureSession) -> str:
    """Who is in the room: as last recorded with the consent, else as recorded at the start."""
    seal = cipher(capture.case)
    record = latest_consent(capture)
    if record is not None and record.present is not None:
        return seal.open_text(record.seal_id, "present", record.present) or ""
    return seal.open_text(capture.id, "present", capture.present) or ""


# --- sharing item by item --------------------------------------------------------------------

def current_choices(answer_ids) -> dict[str, str]:
    """The current choice per answer id; an answer with no record is private."""
    answer_ids = list(answer_ids)
    if not answer_ids:
        return {}
    newest = (select(SharingRecord.answer_id, func.max(SharingRecord.id).label("id"))
              .where(SharingRecord.answer_id.in_(answer_ids)).group_by(SharingRecord.answer_id)
              .subquery())
    rows = db.session().execute(select(SharingRecord.answer_id, SharingRecord.choice)
                                .join(newest, SharingRecord.id == newest.c.id))
    choices = {answer_id: SHARE_PRIVATE for answer_id in answer_ids}
    choices.update({answer_id: choice for answer_id, choice in rows})
    return choices


def sharing_history(answer_ids) -> dict[str, list[SharingRecord]]:
    rows = db.session().scalars(select(SharingRecord).where(
        SharingRecord.answer_id.in_(list(answer_ids))).order_by(SharingRecord.id))
    history: dict[str, list[SharingRecord]] = {}
    for row in rows:
        history.setdefault(row.answer_id, []).append(row)
    return history


def allowed_choices(answer: Answer) -> tuple[str, ...]:
    """A recording may also be shared as words only ("what I said, not my voice")."""
    latest = answer.latest
    if latest is not None and latest.form == "voice":
        return SHARING_CHOICES
    return (SHARE_PRIVATE, SHARE_PANEL)


def choose(capture: CaptureSession, user: User, wanted: dict[str, str]) -> list[SharingRecord]:
    """Record the child's choices, made in their own session, for that session's answers.

    Choices for answers of another session or case, unknown answers and unknown choices are
    refused (ValueError) before anything is written. A choice equal to the current one for an
    item that already has a record writes nothing.
    """
    answers = {a.id: a for a in db.session().scalars(
        select(Answer).where(Answer.session_id == capture.id, Answer.case_id == capture.case_id))}
    for answer_id, choice in wanted.items():
        if answer_id not in answers or choice not in allowed_choices(answers[answer_id]):
            raise ValueError("not an item of this session")
    current = current_choices(wanted)
    recorded = {row for (row,) in db.session().execute(select(SharingRecord.answer_id).where(
        SharingRecord.answer_id.in_(list(wanted))))}
    written = []
    for answer_id, choice in wanted.items():
        if answer_id in recorded and current[answer_id] == choice:
            continue
        record = SharingRecord(case_id=capture.case_id, answer_id=answer_id,
                               session_id=capture.id, choice=choice, recorded_by_id=user.id)
        db.session().add(record)
        written.append(record)
    db.session().flush()
    for record in written:
        audit.record("sharing.choose", record, case_id=capture.case_id)
    return written


def shared_with_panel(case: Case) -> list[tuple[Answer, str]]:
    """The answers of a case whose current choice lets the panel have them, with that choice.

    SHARE_PANEL: the answer itself (its latest version, media included). SHARE_WORDS: only the
    advocate's written account of the recording, never the recording. Everything else is private.
    This is the one place the panel's view and the summary should take their items from.
    """
    answers = db.session().scalars(select(Answer).where(Answer.case_id == case.id)).all()
    choices = current_choices(a.id for a in answers)
    return [(a, choices[a.id]) for a in answers if choices[a.id] in (SHARE_PANEL, SHARE_WORDS)]

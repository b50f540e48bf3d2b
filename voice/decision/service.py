"""The panel's message for the child, in the child's language, shown to them in child mode.

The advocate (or an interpreter on the case team) translates the panel's message, saying who
translated it (the provenances of the child's own words: interpreter, advocate or draft). The
ICTG then opens "What the panel decided" in child mode for the child's session, in the session's
language, and records that it was shown: the panel sees when and how the child was told.
"""
from __future__ import annotations

from sqlalchemy import select

from .. import audit, db
from ..cases.service import cipher
from ..models import PROVENANCES, Case, CaptureSession, MessageTranslation, Outcome, User, new_id, now
from ..panel import service as panel

SHOWN_ON_DEVICE = "on_device"


def translations(outcome: Outcome) -> list[MessageTranslation]:
    return list(db.session().scalars(select(MessageTranslation).where(
        MessageTranslation.outcome_id == outcome.id).order_by(MessageTranslation.language)))


def translation(outcome: Outcome, language: str) -> MessageTranslation | None:
    return db.session().scalar(select(MessageTranslation).where(
        MessageTranslation.outcome_id == outcome.id, MessageTranslation.language == language))


def read(case: Case, row: MessageTranslation) -> str:
    """The translated words (the read audited)."""
    audit.record("panel.message_translation_read", row, case_id=case.id)
    return cipher(case).open_text(row.id, "message", row.message) or ""


def save(case: Case, outcome: Outcome, language: str, words: str, provenance: str,
         user: User) -> MessageTranslation:
    if provenance not in PROVENANCES:
        raise ValueError(provenance)
    row = translation(outcome, language)
    if row is None:
        row = MessageTranslation(id=new_id(), case_id=case.id, outcome_id=outcome.id,
                                 language=language)
        db.session().add(row)
    row.message = cipher(case).seal(row.id, "message", words.strip()[:panel.TEXT_MAX])
    row.provenance, row.translated_by_id, row.translated_at = provenance, user.id, now()
    audit.record("panel.message_translate", row, case_id=case.id)
    return row


def to_show(capture: CaptureSession) -> tuple[Outcome, MessageTranslation] | None:
    """The decision not yet told to the child, when its message is translated into the
    session's language."""
    outcome = panel.awaiting_feedback(capture.case)
    if outcome is None:
        return None
    row = translation(outcome, capture.language)
    return (outcome, row) if row is not None else None


def record_shown(capture: CaptureSession, outcome: Outcome, user: User) -> None:
    """The ICTG showed the child the page: the panel sees when, and that it was on the device."""
    panel.record_feedback(outcome, user, SHOWN_ON_DEVICE, "")
    audit.record("panel.message_shown", capture, case_id=capture.case_id)

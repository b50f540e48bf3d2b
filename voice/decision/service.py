"""The panel's message for the child, in the child's language, shown to them in child mode.

The advocate (or an interpreter on the case team) translates the panel's message, saying who
translated it (the provenances of the child's own words: interpreter, advocate or draft). The
ICTG then opens "What the panel decided" in child mode for the child's session, in the session's
language, and records that it was shown: the panel sees when and how the child was told.
Whoever translates may also record the message read aloud (cleaned like the child's uploads,
stored encrypted under the case key like them).
"""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import select

from .. import audit, db, storage
from ..capture import media
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
         user: User, recording: media.Cleaned | None = None) -> MessageTranslation:
    """Keep the translation; a new recording replaces an earlier one (kept if none is given)."""
    if provenance not in PROVENANCES:
        raise ValueError(provenance)
    row = translation(outcome, language)
    if row is None:
        row = MessageTranslation(id=new_id(), case_id=case.id, outcome_id=outcome.id,
                                 language=language)
        db.session().add(row)
    seal = cipher(case)
    row.message = seal.seal(row.id, "message", words.strip()[:panel.TEXT_MAX])
    if recording is not None:
        earlier = row.media_file_id
        recording.file.seek(0)
        row.media_file_id, row.media_bytes = storage.save(seal, case.id, recording.file)
        row.media_type = recording.media_type
        if earlier:
            db.after_commit(lambda: storage.delete(case.id, earlier))
    row.provenance, row.translated_by_id, row.translated_at = provenance, user.id, now()
    audit.record("panel.message_translate", row, case_id=case.id)
    return row


def recording(case: Case, row: MessageTranslation) -> Iterator[bytes]:
    """The decrypted recording of the translated message (the read audited); LookupError when
    there is none."""
    if row.media_file_id is None:
        raise LookupError(row.id)
    audit.record("panel.message_recording_read", row, case_id=case.id)
    return storage.read(cipher(case), case.id, row.media_file_id)


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

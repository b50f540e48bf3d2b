"""Read-aloud recordings: an interpreter records each prompt, hint and option label of a
questionnaire in a language; a second person checks it; children hear only checked recordings.

Recordings are public service content (an interpreter reading the questionnaire's own words,
the same for every child): they are cleaned like the child's uploads (`capture.media`: identified
from their bytes, tags stripped, length capped) and kept in the database unsealed, named by the
SHA-256 of their bytes, so their URLs never change meaning and can be cached for a year.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, db
from ..capture import media
from ..capture.questionnaire import Questionnaire, Step
from ..capture.service import questionnaires
from ..models import PromptRecording, User, new_id, now

MAX_SECONDS = 60
MAX_BYTES = 16 * 1024 * 1024  # a minute of uncompressed WAV at 48 kHz, with room
TOO_LONG = _l("This recording is longer than %(seconds)d seconds. Please read the words once, "
              "then stop.", seconds=MAX_SECONDS)
NOT_AUDIO = _l("This is not a recording we can use. Please record again, or choose a sound file "
               "(WebM, Ogg, MP4, MP3 or WAV).")
EXTENSIONS = {"audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a", "audio/mpeg": "mp3",
              "audio/wav": "wav"}


class CheckRefused(Exception):
    """The person who recorded it may not check their own recording."""


@dataclass(frozen=True)
class Part:
    """One thing said aloud: a step's prompt or hint, or an option's label."""

    key: str
    kind: str  # "prompt", "hint" or "option"
    step_id: str
    text: str


def parts(questionnaire: Questionnaire) -> list[Part]:
    return [part for step in questionnaire.steps for part in _step_parts(step)]


def _step_parts(step: Step) -> list[Part]:
    found = [Part(f"{step.id}:prompt", "prompt", step.id, step.prompt)]
    if step.hint:
        found.append(Part(f"{step.id}:hint", "hint", step.id, step.hint))
    found.extend(Part(f"{step.id}:option:{option.id}", "option", step.id, option.label)
                 for option in step.options)
    return found


def recordings(questionnaire: Questionnaire, language: str) -> dict[str, PromptRecording]:
    """The recordings of the questionnaire's current words in this language, by part key (a
    recording of words that changed since is left out: it counts as missing)."""
    texts = {part.key: part.text for part in parts(questionnaire)}
    rows = db.session().scalars(select(PromptRecording).where(
        PromptRecording.questionnaire_id == questionnaire.id,
        PromptRecording.language == language)).all()
    return {row.part: row for row in rows if texts.get(row.part) == row.source_text}


def checked(questionnaire: Questionnaire, language: str) -> dict[str, PromptRecording]:
    """What a child hears: the checked recordings only."""
    return {key: row for key, row in recordings(questionnaire, language).items()
            if row.checked_at is not None}


def checked_for_step(questionnaire: Questionnaire, language: str,
                     step: Step) -> dict[str, PromptRecording]:
    """What a child hears on one step: its checked recordings of the current words."""
    texts = {part.key: part.text for part in _step_parts(step)}
    rows = db.session().scalars(select(PromptRecording).where(
        PromptRecording.questionnaire_id == questionnaire.id,
        PromptRecording.language == language, PromptRecording.part.in_(texts),
        PromptRecording.checked_at.is_not(None)))
    return {row.part: row for row in rows if texts[row.part] == row.source_text}


def languages_with_recordings(questionnaire: Questionnaire) -> list[str]:
    rows = db.session().scalars(select(PromptRecording).where(
        PromptRecording.questionnaire_id == questionnaire.id,
        PromptRecording.checked_at.is_not(None))).all()
    return sorted({row.language for row in rows})


@dataclass
class Coverage:
    language: str
    total: int
    recorded: int
    checked: int

    @property
    def missing(self) -> int:
        return self.total - self.recorded


def coverage(questionnaire: Questionnaire, languages: tuple[str, ...]) -> list[Coverage]:
    total = len(parts(questionnaire))
    rows = []
    for language in languages:
        found = recordings(questionnaire, language)
        rows.append(Coverage(language, total, len(found),
                             sum(1 for row in found.values() if row.checked_at is not None)))
    return rows


def clean(upload: BinaryIO) -> media.Cleaned:
    """A recording read aloud by staff, cleaned like the child's uploads and at most a minute
    long (the caller discards it). Raises media.Refused with a message for staff."""
    try:
        cleaned = media.clean_audio(upload)
    except media.Refused as refused:
        if refused.message in (media.NOT_AUDIO, media.EMPTY):
            raise media.Refused(NOT_AUDIO) from None
        raise media.Refused(TOO_LONG) from None  # too big or over 10 minutes: far too long
    if cleaned.seconds is not None and cleaned.seconds > MAX_SECONDS + 0.5 or \
            cleaned.file.seek(0, 2) > MAX_BYTES:
        cleaned.discard()
        raise media.Refused(TOO_LONG)
    cleaned.file.seek(0)
    return cleaned


def save(questionnaire: Questionnaire, language: str, part: Part, upload: BinaryIO,
         user: User) -> PromptRecording:
    """Clean and keep a recording of `part`, replacing an earlier one (which must be checked
    again). Raises media.Refused with a message for the interpreter."""
    cleaned = clean(upload)
    try:
        content = cleaned.file.read()
        media_type, seconds = cleaned.media_type, cleaned.seconds or 0.0
    finally:
        cleaned.discard()
    session = db.session()
    row = session.scalar(select(PromptRecording).where(
        PromptRecording.questionnaire_id == questionnaire.id,
        PromptRecording.language == language, PromptRecording.part == part.key))
    if row is None:
        row = PromptRecording(id=new_id(), questionnaire_id=questionnaire.id, language=language,
                              part=part.key)
        session.add(row)
    row.source_text, row.content, row.media_type, row.seconds = part.text, content, media_type, \
        seconds
    row.digest = hashlib.sha256(content).hexdigest()
    row.recorded_by_id, row.recorded_at = user.id, now()
    row.checked_by_id = row.checked_at = None
    audit.record("readaloud.record", row)
    return row


def check(row: PromptRecording, user: User) -> None:
    """A second person confirms the recording says the words right."""
    if row.recorded_by_id == user.id:
        raise CheckRefused()
    row.checked_by_id, row.checked_at = user.id, now()
    audit.record("readaloud.check", row)


def find(questionnaire_id: str, language: str, part_key: str) -> PromptRecording | None:
    return db.session().scalar(select(PromptRecording).where(
        PromptRecording.questionnaire_id == questionnaire_id,
        PromptRecording.language == language, PromptRecording.part == part_key))


def by_digest(digest: str) -> PromptRecording | None:
    return db.session().scalar(select(PromptRecording).where(PromptRecording.digest == digest)
                               .limit(1))


def questionnaire(questionnaire_id: str) -> Questionnaire | None:
    return questionnaires().get(questionnaire_id)

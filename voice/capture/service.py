"""Child mode: starting a session, locking the device to it, the child's answers and their media.

Every answer is stored per step as a new version (earlier versions stay, for staff), sealed under
the case key with the version id and field name as associated data, with who was present and the
language used. Media are cleaned (see media.py) and sealed into storage as a stream.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from .. import audit, db, events, storage
from ..auth import passwords
from ..cases.service import cipher
from ..consent import service as consent
from ..models import Answer, AnswerVersion, AuthSession, CaptureSession, Case, User, new_id, now
from . import media
from .questionnaire import Questionnaire, Step, for_age_band, load_all

UNLOCK_TRIES = 5
TEXT_MAX = 5000


class NoConsent(Exception):
    """The child has not agreed: nothing may be stored."""


class TooLong(media.Refused):
    """A written answer over TEXT_MAX characters: nothing is cut or kept, the child is asked to
    make it shorter."""


def written(text: str | None) -> str:
    """The child's written answer as it is kept: line ends as typed on any device, no blank space
    around it. Raises TooLong over TEXT_MAX characters (the same count as the page's counter)."""
    words = (text or "").replace("\r\n", "\n").strip()
    if len(words) > TEXT_MAX:
        raise TooLong(gettext("This is too long to keep: it has %(count)d letters and spaces, and "
                              "the most is %(max)d. Nothing was saved. Please make it shorter.",
                              count=len(words), max=TEXT_MAX))
    return words


# --- questionnaires --------------------------------------------------------------------------

@lru_cache(maxsize=1)
def questionnaires() -> dict[str, Questionnaire]:
    """Every questionnaire, loaded and checked once (the app factory loads them at start-up, so
    a broken file stops it)."""
    return load_all()


def questionnaire_of(capture: CaptureSession) -> Questionnaire:
    return questionnaires()[capture.questionnaire_id]


def choices_for(case: Case) -> list[Questionnaire]:
    """The questionnaires meant for the child's age (all of them when none is)."""
    return for_age_band(questionnaires(), case.age_band) or list(questionnaires().values())


# --- sessions --------------------------------------------------------------------------------

def for_case(case: Case) -> list[CaptureSession]:
    return list(db.session().scalars(select(CaptureSession).where(
        CaptureSession.case_id == case.id).order_by(CaptureSession.started_at.desc())))


def start(case: Case, user: User, questionnaire: Questionnaire, language: str, present: str,
          pin: str | None) -> CaptureSession:
    capture = CaptureSession(id=new_id(), case_id=case.id, questionnaire_id=questionnaire.id,
                             questionnaire_version=questionnaire.version, language=language,
                             started_by_id=user.id,
                             pin_hash=passwords.hash_password(pin) if pin else None)
    capture.case = case
    capture.present = cipher(case).seal(capture.id, "present", present.strip())
    db.session().add(capture)
    audit.record("session.start", capture, case_id=case.id)
    return capture


def lock_device(capture: CaptureSession, device: AuthSession) -> None:
    """Hand the device (its sign-in session) to the child: from now on it shows only this
    session's pages."""
    device.child_session_id = capture.id
    capture.wrong_unlocks = 0
    audit.record("session.hand_over", capture, case_id=capture.case_id)


def present_at_start(capture: CaptureSession) -> str:
    return cipher(capture.case).open_text(capture.id, "present", capture.present) or ""


def unlock(capture: CaptureSession, device: AuthSession, secret: str) -> str:
    """Leave child mode with the session PIN or the ICTG's password: "ok", "wrong" or "ended".

    The fifth wrong try in a row ends instead of letting guessing go on: the caller signs the
    device out.
    """
    user = capture.started_by
    secret = (secret or "")[:128]
    good = bool(secret) and ((capture.pin_hash is not None
                              and passwords.verify(capture.pin_hash, secret))
                             or passwords.verify(user.password_hash, secret))
    session = db.session()
    if good:
        device.child_session_id = None
        capture.wrong_unlocks = 0
        audit.record("session.leave", capture, case_id=capture.case_id)
        return "ok"
    session.execute(update(CaptureSession).where(CaptureSession.id == capture.id)
                    .values(wrong_unlocks=CaptureSession.wrong_unlocks + 1))
    session.refresh(capture)
    audit.record("session.leave", capture, audit.FAILED, case_id=capture.case_id)
    if capture.wrong_unlocks >= UNLOCK_TRIES:
        capture.wrong_unlocks = 0
        audit.record("session.leave_locked_out", capture, audit.FAILED, case_id=capture.case_id)
        return "ended"
    return "wrong"


def finish(capture: CaptureSession) -> None:
    """The child has finished: the session is ready for the advocate's review."""
    capture.finished_at = now()
    audit.record("session.finish", capture, case_id=capture.case_id)
    events.session_finished.send(capture)


# --- answers ---------------------------------------------------------------------------------

def answers(capture: CaptureSession) -> dict[str, Answer]:
    """The session's answers by step id, with their versions."""
    rows = db.session().scalars(select(Answer).where(Answer.session_id == capture.id))
    return {answer.step_id: answer for answer in rows}


def latest_version(capture: CaptureSession, step_id: str) -> AnswerVersion | None:
    """The child's answer to a step as it is now (its latest version, with its answer), in one
    query."""
    return db.session().scalar(
        select(AnswerVersion).join(AnswerVersion.answer)
        .where(Answer.session_id == capture.id, Answer.step_id == step_id)
        .order_by(AnswerVersion.number.desc()).limit(1)
        .options(contains_eager(AnswerVersion.answer)))


def answer_forms(step: Step) -> tuple[str, ...]:
    """How a step can be answered: its options kind, or the media/text forms it accepts."""
    return (step.kind,) if step.kind in ("feelings", "choice") else step.accept


def value_of(version: AnswerVersion):
    """The decrypted value: a list of option ids, the words, or None (media or cleared)."""
    if version.value is None:
        return None
    raw = cipher(version.case).open(version.id, "value", version.value).decode()
    return json.loads(raw) if version.form in ("feelings", "choice") else raw


def present_of(version: AnswerVersion) -> str:
    return cipher(version.case).open_text(version.id, "present", version.present) or ""


def _same(version: AnswerVersion | None, form: str, value) -> bool:
    if version is None:
        return form == "cleared"
    return version.form == form and version.media_file_id is None and value_of(version) == value


UNREAD = object()


def save(capture: CaptureSession, step: Step, form: str, value=None,
         upload: media.Cleaned | None = None, latest=UNREAD) -> AnswerVersion | None:
    """Store a new version of the child's answer to `step`; None when nothing changed.
    `latest`: the answer's latest version as the caller has just read it (else read here)."""
    if not consent.has_consent(capture):
        raise NoConsent()
    if form != "cleared" and form not in answer_forms(step):
        raise ValueError(form)
    session = db.session()
    if latest is UNREAD:
        latest = latest_version(capture, step.id)
    if upload is None and _same(latest, form, value):
        return None
    answer = latest.answer if latest is not None else session.scalar(select(Answer).where(
        Answer.session_id == capture.id, Answer.step_id == step.id))
    if answer is None:
        answer = Answer(id=new_id(), case_id=capture.case_id, session_id=capture.id,
                        step_id=step.id)
        session.add(answer)
    case = capture.case
    seal = cipher(case)
    version = AnswerVersion(id=new_id(), case_id=case.id, form=form, language=capture.language,
                            number=latest.number + 1 if latest is not None else 1,
                            created_by_id=capture.started_by_id)
    version.case = case
    if value is not None:
        encoded = json.dumps(value) if form in ("feelings", "choice") else value
        version.value = seal.seal(version.id, "value", encoded)
    version.present = seal.seal(version.id, "present", consent.present_now(capture))
    if upload is not None:
        upload.file.seek(0)
        version.media_file_id, version.media_bytes = storage.save(seal, case.id, upload.file)
        version.media_type, version.media_seconds = upload.media_type, upload.seconds
    version.answer = answer  # joins answer.versions without reading them
    session.add(version)
    audit.record("answer.save", version, case_id=case.id)
    if form == "choice" and step.signals(value or ()):
        events.safety_signal.send(version)
    return version


@dataclass
class Item:
    """One answer shown back: to the child at the end, and to staff."""

    step: Step
    answer: Answer
    version: AnswerVersion
    value: object


def shown_answers(capture: CaptureSession) -> list[Item]:
    """The current answers, in questionnaire order, leaving out emptied ones (reads audited)."""
    by_step = answers(capture)
    items = []
    for step in questionnaire_of(capture).steps:
        answer = by_step.get(step.id)
        if answer is None or answer.latest is None or answer.latest.form == "cleared":
            continue
        version = answer.latest
        items.append(Item(step, answer, version, value_of(version)))
        audit.record("answer.read", version, case_id=capture.case_id)
    return items


def history(capture: CaptureSession) -> list[tuple[Step, Answer, list[tuple[AnswerVersion, object, str]]]]:
    """Every answer with all its versions, oldest first, for staff (reads audited)."""
    by_step = answers(capture)
    rows = []
    for step in questionnaire_of(capture).steps:
        answer = by_step.get(step.id)
        if answer is None:
            continue
        versions = [(v, value_of(v), present_of(v)) for v in answer.versions]
        for version in answer.versions:
            audit.record("answer.read", version, case_id=capture.case_id)
        rows.append((step, answer, versions))
    return rows


# --- media -----------------------------------------------------------------------------------

_EXTENSIONS = {"audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a", "audio/mpeg": "mp3",
               "audio/wav": "wav", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def media_file(version: AnswerVersion) -> tuple[Iterator[bytes], str]:
    """The decrypted file of an answer version, as chunks, and a file name without content;
    the read is audited. Raises LookupError when the version has no file."""
    if version.media_file_id is None:
        raise LookupError(version.id)
    audit.record("answer.media_read", version, case_id=version.case_id)
    chunks = storage.read(cipher(version.case), version.case_id, version.media_file_id)
    return chunks, f"{version.form}.{_EXTENSIONS.get(version.media_type, 'bin')}"

"""Accepting what a device queued while offline.

At hand-over the session gets a key pair (`public_key`, asked for by the device's first page); the device seals every item to its
public key. `accept` opens an item and stores it through the capture and consent services, the
same functions the form posts use, so every rule applies. Each item id is accepted once: a
replay is acknowledged and stores nothing; answers before consent are refused ("no-consent") and
the device keeps them. Recordings and pictures come as resumable uploads of sealed bytes
(`voice/child/offline.py` speaks tus 1.0): a partial upload on disk is only ciphertext the device
made, opened when complete and checked with the usual media checks.
"""
from __future__ import annotations

import base64
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, db, keys, sealing
from ..capture import given, media
from ..capture import service as capture
from ..cases.service import cipher
from ..consent import service as consent
from ..crypto import Tampered
from ..models import CaptureSession, ReceivedItem, SessionKey, Upload, User, new_id

KINDS = ("consent", "answer", "share")
MEDIA_FORMS = ("voice", "drawing", "photo")
UPLOAD_MAX = media.AUDIO_MAX_BYTES + 1024  # the sealed file: the media, a key, a nonce, a tag
# Why a file was refused, by a code kept with the upload; the message is shown in the reader's
# own language (the child's on the device, the ICTG's on their page).
REFUSALS = {"empty": media.EMPTY, "not-image": media.NOT_IMAGE, "image-too-big": media.IMAGE_TOO_BIG,
            "not-audio": media.NOT_AUDIO, "audio-too-big": media.AUDIO_TOO_BIG,
            "audio-too-long": media.AUDIO_TOO_LONG}


class Refused(Exception):
    """The item cannot be accepted (yet): `code` tells the device what to do with it.

    "no-consent", "upload-incomplete" and "busy": keep it and send it again later; "unreadable",
    "invalid" and the media codes: it will never be accepted (the device drops it and says why).
    """

    def __init__(self, code: str, message=None):
        super().__init__(code)
        self.code, self.message = code, message

    @property
    def keep(self) -> bool:
        return self.code in ("no-consent", "upload-incomplete", "busy")


# --- the session's key -----------------------------------------------------------------------

def public_key(capture_session: CaptureSession) -> str:
    """The session's public key (base64 of the uncompressed point), made at the first ask."""
    row = db.session().get(SessionKey, capture_session.id)
    if row is None:
        public, private = sealing.new_key_pair()
        row = SessionKey(session_id=capture_session.id, case_id=capture_session.case_id,
                         public_key=public,
                         private_key=cipher(capture_session.case).seal(
                             capture_session.id, "private_key", private))
        db.session().add(row)
        db.session().flush()
    return base64.b64encode(row.public_key).decode()


def _open(capture_session: CaptureSession, blob: bytes, item_id: str) -> bytes:
    row = db.session().get(SessionKey, capture_session.id)
    if row is None:
        raise Refused("unreadable")
    private = cipher(capture_session.case).open(capture_session.id, "private_key", row.private_key)
    try:
        return sealing.open_sealed(private, blob, sealing.info(capture_session.id, item_id))
    except Tampered as exc:
        raise Refused("unreadable") from exc


# --- items -----------------------------------------------------------------------------------

@dataclass
class Item:
    id: str
    kind: str
    payload: dict


def open_item(capture_session: CaptureSession, item_id: str, sealed_b64: str) -> Item:
    """The item as the device sealed it; Refused("unreadable") when it cannot be opened."""
    if not item_id or len(item_id) > 36:
        raise Refused("invalid")
    try:
        blob = base64.b64decode(sealed_b64 or "", validate=True)
    except ValueError as exc:
        raise Refused("unreadable") from exc
    try:
        payload = json.loads(_open(capture_session, blob, item_id))
    except ValueError as exc:
        raise Refused("unreadable") from exc
    if not isinstance(payload, dict) or payload.get("kind") not in KINDS:
        raise Refused("invalid")
    return Item(item_id, payload["kind"], payload)


def already(capture_session: CaptureSession, item_id: str) -> bool:
    """Whether this item was accepted before (in this session: another session's id is not
    acknowledged here)."""
    row = db.session().get(ReceivedItem, item_id)
    if row is not None and row.session_id != capture_session.id:
        raise Refused("invalid")
    return row is not None


def accept(capture_session: CaptureSession, user: User, item: Item, consent_details=None) -> str:
    """Store the item once: "stored", or "duplicate" when it was accepted before. Raises Refused.

    `consent_details` are the consent item's details as the ICTG's form validated them (None
    when they were not valid).
    """
    if already(capture_session, item.id):
        return "duplicate"
    # The id first: the unique key stops a second copy arriving at the same time before anything
    # of it is stored (its request then fails and is rolled back; the device sends it again and
    # hears "duplicate").
    db.session().add(ReceivedItem(id=item.id, case_id=capture_session.case_id,
                                  session_id=capture_session.id, kind=item.kind, outcome="stored"))
    try:
        db.session().flush()
    except IntegrityError as exc:
        raise Refused("busy") from exc
    if item.kind == "consent":
        _consent(capture_session, user, item.payload, consent_details)
    elif not consent.has_consent(capture_session):
        raise Refused("no-consent")
    elif capture_session.finished_at is not None:
        raise Refused("finished")
    elif item.kind == "answer":
        _answer(capture_session, item.payload)
    else:
        _share(capture_session, user, item.payload)
    audit.record("offline.item", capture_session, case_id=capture_session.case_id)
    return "stored"


def _consent(capture_session, user, payload, details) -> None:
    if payload.get("agreed") is False:
        consent.record_consent(capture_session, user, agreed=False, given_how="tapped",
                               interpreter_language=None, understood=None, present=None)
        return
    if payload.get("agreed") is not True or details is None:
        raise Refused("invalid")
    consent.record_consent(capture_session, user, agreed=True, **details)


def _step(capture_session, step_id):
    step = next((s for s in capture.questionnaire_of(capture_session).steps if s.id == step_id),
                None)
    if step is None or step.kind == "info":
        raise Refused("invalid")
    return step


def _answer(capture_session, payload) -> None:
    step = _step(capture_session, payload.get("step"))
    form = payload.get("form")
    if form not in capture.answer_forms(step):
        raise Refused("invalid")
    latest = capture.latest_version(capture_session, step.id)
    cleaned = None
    if form in MEDIA_FORMS and payload.get("upload"):
        cleaned = _cleaned_upload(capture_session, str(payload["upload"]), form)
    options = payload.get("options") if isinstance(payload.get("options"), list) else []
    try:
        given.store(capture_session, step, form, latest, options=[str(o) for o in options],
                    text=str(payload.get("text") or ""), cleaned=cleaned)
    except media.Refused as refused:
        raise Refused("too-long", refused.message) from refused
    if cleaned is not None:  # once the answer is committed, the sealed file goes
        sealed = _partial(_upload_of_item(capture_session, str(payload["upload"])))
        db.after_commit(lambda: sealed.unlink(missing_ok=True))


def _share(capture_session, user, payload) -> None:
    """The child's sharing choices by step (the device does not know the answer ids), then the
    session is finished, as the share page does."""
    by_step = {a.step_id: a.id for a in capture.answers(capture_session).values()}
    choices = payload.get("choices") if isinstance(payload.get("choices"), dict) else {}
    wanted = {by_step[step]: choice for step, choice in choices.items() if step in by_step}
    wanted.update({answer_id: consent.SHARE_PRIVATE for answer_id in by_step.values()
                   if answer_id not in wanted})
    try:
        consent.choose(capture_session, user, wanted)
    except ValueError as exc:
        raise Refused("invalid") from exc
    if payload.get("finish"):
        capture.finish(capture_session)


# --- uploads ---------------------------------------------------------------------------------

def _partial(upload: Upload) -> Path:
    folder = Path(keys.setting("MEDIA_PATH")) / upload.case_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".partial-{upload.id}"


def create_upload(capture_session: CaptureSession, item_id: str, form: str, length: int) -> Upload:
    """A new upload of `length` sealed bytes for the media answer whose file is `item_id`."""
    if form not in MEDIA_FORMS or not item_id or len(item_id) > 36 or not 0 < length <= UPLOAD_MAX:
        raise Refused("invalid")
    existing = db.session().scalar(select(Upload).where(Upload.item_id == item_id))
    if existing is not None:
        if existing.session_id != capture_session.id:
            raise Refused("invalid")
        return existing
    upload = Upload(id=new_id(), case_id=capture_session.case_id, session_id=capture_session.id,
                    item_id=item_id, form=form, length=length)
    db.session().add(upload)
    db.session().flush()
    _partial(upload).touch(mode=0o600)
    return upload


def upload_of(capture_session: CaptureSession, upload_id: str) -> Upload | None:
    upload = db.session().get(Upload, upload_id)
    return upload if upload is not None and upload.session_id == capture_session.id else None


def append(capture_session: CaptureSession, upload: Upload, offset: int, stream) -> int:
    """Append the request's bytes at `offset` (which must be the upload's); the new offset.
    Raises ValueError("offset") on a mismatch and ValueError("length") past the declared size.
    Once complete the file is opened and checked: `upload.checked` says how it went."""
    if offset != upload.offset:
        raise ValueError("offset")
    path = _partial(upload)
    with open(path, "r+b") as target:
        target.truncate(offset)  # bytes past the last confirmed offset never count
        target.seek(offset)
        while chunk := stream.read(media.CHUNK):
            offset += len(chunk)
            if offset > upload.length:
                raise ValueError("length")
            target.write(chunk)
        target.flush()
        os.fsync(target.fileno())
    upload.offset = offset
    if offset == upload.length and upload.checked is None:
        try:
            _cleaned_upload(capture_session, upload.item_id, upload.form).discard()
            upload.checked = "ok"
        except Refused as refused:
            upload.checked = refused.code
    return offset


def _upload_of_item(capture_session, item_id: str) -> Upload | None:
    return db.session().scalar(select(Upload).where(Upload.item_id == item_id,
                                                    Upload.session_id == capture_session.id))


def _cleaned_upload(capture_session, item_id: str, form: str) -> media.Cleaned:
    upload = _upload_of_item(capture_session, item_id)
    if upload is None or upload.form != form:
        raise Refused("invalid")
    if upload.offset < upload.length:
        raise Refused("upload-incomplete")
    if upload.checked not in (None, "ok"):
        raise Refused(upload.checked, REFUSALS.get(upload.checked))
    plain = _open(capture_session, _partial(upload).read_bytes(), item_id)
    try:
        return (media.clean_audio if form == "voice" else media.clean_image)(io.BytesIO(plain))
    except media.Refused as refused:
        code = next((c for c, m in REFUSALS.items() if m is refused.message),
                    "not-audio" if form == "voice" else "not-image")
        raise Refused(code, refused.message) from refused
    finally:
        del plain


# --- what the ICTG sees ----------------------------------------------------------------------

@dataclass
class Report:
    received: int   # items accepted from the device
    refused: list   # why files were refused, as messages in the reader's language


def report(capture_session: CaptureSession) -> Report:
    """What the session's device sent while offline, for the ICTG and the advocate."""
    count = db.session().scalar(select(func.count()).select_from(ReceivedItem).where(
        ReceivedItem.session_id == capture_session.id)) or 0
    refused = db.session().scalars(select(Upload.checked).where(
        Upload.session_id == capture_session.id, Upload.checked.is_not(None),
        Upload.checked != "ok"))
    return Report(count, [REFUSALS.get(code, code) for code in refused])

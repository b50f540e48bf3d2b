"""The sealed queue's server side, over plain HTTP on SQLite and PostgreSQL: the session's key,
items accepted exactly once, consent first, and resumable (tus 1.0) uploads of sealed files."""
from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

from sqlalchemy import select, text

from voice import db, sealing
from voice.capture import service as capture_service
from voice.models import Answer, CaptureSession

from .conftest import as_person, csrf_token
from .test_capture import png, raw_database, start_session, wav

SENTINEL = "marmalade-kite-7741"


class Device:
    """What static/js/queue.js does, in Python: seal to the session's key and send."""

    def __init__(self, client, session_id):
        self.client, self.session_id = client, session_id
        self.token = csrf_token(client, f"/child/{session_id}/consent")
        response = client.get(f"/child/{session_id}/key")
        assert response.status_code == 200 and response.json["session"] == session_id
        self.key = base64.b64decode(response.json["key"])

    def seal(self, item_id: str, plaintext: bytes) -> bytes:
        return sealing.seal(self.key, plaintext, sealing.info(self.session_id, item_id))

    def item(self, kind: str, item_id: str | None = None, **payload):
        item_id = item_id or str(uuid.uuid4())
        sealed = self.seal(item_id, json.dumps({"kind": kind, **payload}).encode())
        return self.post(item_id, sealed)

    def post(self, item_id, sealed: bytes):
        return self.client.post(f"/child/{self.session_id}/items",
                                json={"id": item_id, "sealed": base64.b64encode(sealed).decode()},
                                headers={"X-CSRFToken": self.token})

    def consent(self):
        return self.item("consent", agreed=True, given_how="interpreter", interpreter_language="ar",
                         understood="yes", present="ICTG, interpreter")

    def tus(self, method: str, url: str, data: bytes = b"", **headers):
        headers = {"Tus-Resumable": "1.0.0", "X-CSRFToken": self.token,
                   **{name.replace("_", "-"): value for name, value in headers.items()}}
        return self.client.open(url, method=method, data=data, headers=headers)

    def create(self, item_id: str, form: str, length: int):
        meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                        for k, v in (("item", item_id), ("form", form)))
        return self.tus("POST", f"/child/{self.session_id}/uploads", Upload_Length=str(length),
                        Upload_Metadata=meta)

    def patch(self, url: str, offset: int, data: bytes):
        return self.tus("PATCH", url, data, Upload_Offset=str(offset),
                        Content_Type="application/offset+octet-stream")

    def upload(self, item_id: str, form: str, plaintext: bytes, chunk=64 * 1024) -> str:
        sealed = self.seal(item_id, plaintext)
        created = self.create(item_id, form, len(sealed))
        assert created.status_code == 201, created.status_code
        url = created.headers["Location"]
        for start in range(0, len(sealed), chunk):
            response = self.patch(url, start, sealed[start:start + chunk])
            assert response.status_code == 204
            assert int(response.headers["Upload-Offset"]) == min(len(sealed), start + chunk)
        return url


def _count(app, table):
    with app.app_context():
        return db.session().execute(text(f"SELECT count(*) FROM {table}")).scalar()


def _answers(app, session_id):
    with app.app_context():
        capture = db.session().get(CaptureSession, session_id)
        return {item.step.id: (item.version.form, item.value, item.version.media_type)
                for item in capture_service.shown_answers(capture)}


def test_answers_wait_for_consent_then_are_stored_exactly_once(app, client, world):
    session_id = start_session(app, client, world, language="en")
    device = Device(client, session_id)
    words = str(uuid.uuid4())
    early = device.item("answer", item_id=words, step="enjoy", form="text", text=SENTINEL)
    # Before consent: refused with a code the device keeps the item for; nothing stored.
    assert early.status_code == 409
    assert early.json["error"] == "no-consent" and early.json["keep"] is True
    assert _count(app, "capture_answer") == 0 and _count(app, "received_item") == 0

    assert device.consent().json["status"] == "stored"
    again = device.item("answer", item_id=words, step="enjoy", form="text", text=SENTINEL)
    assert again.status_code == 200 and again.json == {"id": words, "status": "stored"}
    choices = device.item("answer", step="feel-today", form="feelings", options=["calm", "sad"])
    assert choices.json["status"] == "stored"
    # The same item sent again (the acknowledgement was lost): acknowledged, not stored twice.
    replay = device.item("answer", item_id=words, step="enjoy", form="text", text=SENTINEL)
    assert replay.status_code == 200 and replay.json["status"] == "duplicate"
    assert _count(app, "capture_answer_version") == 2
    assert _answers(app, session_id) == {"enjoy": ("text", SENTINEL, None),
                                         "feel-today": ("feelings", ["calm", "sad"], None)}
    # Consent was the first item the server accepted, and it is on record.
    with app.app_context():
        kinds = [row[0] for row in db.session().execute(text(
            "SELECT kind FROM received_item ORDER BY received_at"))]
    assert kinds == ["consent", "answer", "answer"]
    # The words are sealed at rest like any other answer, and the session's private key too.
    assert SENTINEL.encode() not in raw_database(app)

    # The advocate sees the answer on the session's page.
    advocate = app.test_client()
    as_person(app, advocate, world.people["advocate.p1"])
    page = advocate.get(f"/sessions/{session_id}")
    assert page.status_code == 200 and SENTINEL in page.text


def test_an_item_that_is_not_sealed_for_this_session_is_refused(app, client, world):
    session_id = start_session(app, client, world, language="en")
    device = Device(client, session_id)
    device.consent()
    item_id = str(uuid.uuid4())
    # Sealed for another item id (moved), or to another key: never opened, never stored.
    moved = device.seal("another-id", json.dumps({"kind": "answer", "step": "enjoy",
                                                 "form": "text", "text": "x"}).encode())
    assert device.post(item_id, moved).status_code == 422
    other_key, _private = sealing.new_key_pair()
    foreign = sealing.seal(other_key, b'{"kind": "answer"}', sealing.info(session_id, item_id))
    response = device.post(item_id, foreign)
    assert response.status_code == 422 and response.json["error"] == "unreadable"
    assert _count(app, "capture_answer") == 0
    # The same id is still free: the genuine item is accepted after a refused one.
    assert device.item("answer", item_id=item_id, step="enjoy", form="text",
                       text="hi").json["status"] == "stored"


def test_another_sessions_item_id_is_not_acknowledged(app, client, world):
    session_id = start_session(app, client, world, language="en")
    device = Device(client, session_id)
    device.consent()
    shared_id = str(uuid.uuid4())
    device.item("answer", item_id=shared_id, step="enjoy", form="text", text="one")
    other_client = app.test_client()
    other = Device(other_client, start_session(app, other_client, world, key="p2", language="en"))
    other.consent()
    response = other.item("answer", item_id=shared_id, step="enjoy", form="text", text="two")
    assert response.status_code == 422 and response.json.get("status") is None
    assert _count(app, "capture_answer_version") == 1


def test_a_recording_uploads_in_chunks_and_is_stored_when_its_item_arrives(app, client, world):
    session_id = start_session(app, client, world, language="en")
    device = Device(client, session_id)
    device.consent()
    marker = b"\x11SENTINEL-AUDIO\x13"
    recording = wav(2, marker=marker)
    file_id = str(uuid.uuid4())
    device.upload(file_id, "voice", recording)
    # Only the device's ciphertext was ever on disk while it arrived.
    partial = [p for p in Path(app.config["MEDIA_PATH"]).rglob(".partial-*")]
    assert partial and all(marker not in p.read_bytes() for p in partial)
    stored = device.item("answer", step="feel-more", form="voice", upload=file_id)
    assert stored.status_code == 200 and stored.json["status"] == "stored"
    assert _answers(app, session_id)["feel-more"][0::2] == ("voice", "audio/wav")
    assert list(Path(app.config["MEDIA_PATH"]).rglob(".partial-*")) == []
    assert marker not in raw_database(app)


def test_tus_core_protocol(app, client, world):
    session_id = start_session(app, client, world, language="en")
    device = Device(client, session_id)
    device.consent()
    file_id = str(uuid.uuid4())
    sealed = device.seal(file_id, png())
    base = f"/child/{session_id}/uploads"
    options = device.tus("OPTIONS", base)
    assert options.status_code == 204 and options.headers["Tus-Version"] == "1.0.0"
    assert "creation" in options.headers["Tus-Extension"]
    # Without the protocol's version header: 412.
    assert client.open(base, method="POST", headers={"X-CSRFToken": device.token,
                                                     "Upload-Length": "10"}).status_code == 412
    # Bigger than any recording or picture may be: refused at once, nothing created.
    assert device.create(str(uuid.uuid4()), "voice", 26 * 1024 * 1024).status_code == 413
    created = device.create(file_id, "photo", len(sealed))
    assert created.status_code == 201 and created.headers["Tus-Resumable"] == "1.0.0"
    url = created.headers["Location"]
    # Creating again for the same item gives the same upload (a device that lost the answer).
    assert device.create(file_id, "photo", len(sealed)).headers["Location"] == url
    head = device.tus("HEAD", url)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "0"
    assert head.headers["Upload-Length"] == str(len(sealed))
    assert head.headers["Cache-Control"] == "no-store"
    half = len(sealed) // 2
    assert device.patch(url, 0, sealed[:half]).headers["Upload-Offset"] == str(half)
    # An offset that is not the server's: 409, and the offset to resume from.
    conflict = device.patch(url, 0, sealed[:half])
    assert conflict.status_code == 409 and conflict.headers["Upload-Offset"] == str(half)
    wrong_type = device.tus("PATCH", url, sealed[half:], Upload_Offset=str(half),
                            Content_Type="application/octet-stream")
    assert wrong_type.status_code == 415
    assert device.tus("HEAD", url).headers["Upload-Offset"] == str(half)
    assert device.patch(url, half, sealed[half:] + b"more").status_code == 413
    done = device.patch(url, half, sealed[half:])
    assert done.status_code == 204 and done.headers["Upload-Offset"] == str(len(sealed))
    assert device.tus("HEAD", f"{base}/unknown").status_code == 404
    assert device.item("answer", step="matters-photo", form="photo",
                       upload=file_id).json["status"] == "stored"
    # Another device session cannot see this upload.
    other_client = app.test_client()
    other = Device(other_client, start_session(app, other_client, world, key="p2", language="en"))
    assert other.tus("HEAD", url.replace(session_id, other.session_id)).status_code == 404


def test_a_refused_file_is_reported_to_the_device_in_the_childs_language(app, client, world):
    session_id = start_session(app, client, world, language="ar")
    device = Device(client, session_id)
    device.consent()
    file_id = str(uuid.uuid4())
    device.upload(file_id, "voice", b"this is not a recording at all" * 10)
    incomplete_id = str(uuid.uuid4())
    assert device.create(incomplete_id, "voice", 1000).status_code == 201
    waiting = device.item("answer", step="feel-more", form="voice", upload=incomplete_id)
    assert waiting.status_code == 409 and waiting.json["error"] == "upload-incomplete"
    refused = device.item("answer", step="feel-more", form="voice", upload=file_id)
    assert refused.status_code == 422 and refused.json["keep"] is False
    from .browser import translator
    assert refused.json["message"] == translator(app, "ar")(
        "We could not play this recording. Please try again.")
    assert _count(app, "capture_answer") == 0
    # The ICTG sees it on the session's page, in their language.
    staff = app.test_client()
    as_person(app, staff, world.people["ictg.p1"])
    page = staff.get(f"/sessions/{session_id}")
    assert "We could not play this recording." in page.text


def test_sharing_choices_arrive_by_step_and_finish_the_session(app, client, world):
    session_id = start_session(app, client, world, language="en")
    device = Device(client, session_id)
    early = device.item("share", choices={}, finish=True)
    assert early.status_code == 409 and early.json["error"] == "no-consent"
    device.consent()
    device.item("answer", step="enjoy", form="text", text="football")
    file_id = str(uuid.uuid4())
    device.upload(file_id, "voice", wav(1))
    device.item("answer", step="feel-more", form="voice", upload=file_id)
    # A choice a text answer cannot have is refused, and nothing is written.
    wrong = device.item("share", choices={"enjoy": "panel_words"}, finish=True)
    assert wrong.status_code == 422 and _count(app, "sharing_record") == 0
    shared = device.item("share", choices={"feel-more": "panel_words"}, finish=True)
    assert shared.json["status"] == "stored"
    with app.app_context():
        rows = dict(db.session().execute(text(
            "SELECT a.step_id, s.choice FROM sharing_record s JOIN capture_answer a "
            "ON a.id = s.answer_id")).all())
        assert rows == {"enjoy": "private", "feel-more": "panel_words"}
        assert db.session().get(CaptureSession, session_id).finished_at is not None
    late = device.item("answer", step="enjoy", form="text", text="changed")
    assert late.status_code == 422 and late.json["error"] == "finished"

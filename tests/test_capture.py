"""Child mode: the lock, leaving it, versioned and encrypted answers, uploads judged by content."""
from __future__ import annotations

import html
import io
import re
import struct
import wave
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, text

from voice import db, storage
from voice.cases.service import cipher
from voice.models import AnswerVersion, AuthSession, Base, CaptureSession, Case

from .conftest import PASSWORD, as_person, csrf_token, post_form

QUESTIONNAIRE = "my-views-12-17"


# --- helpers (also used by the other child-mode tests) ---------------------------------------

def start_session(app, client, world, key="p1", language="ar", pin="", present="ICTG and interpreter"):
    """Sign in the case's ICTG on this client, start a session and return its id."""
    as_person(app, client, world.people[f"ictg.{key}"])
    response = post_form(client, f"/cases/{world.cases[key]}/sessions/new",
                         {"questionnaire": QUESTIONNAIRE, "language": language,
                          "present": present, "pin": pin})
    assert response.status_code == 302, response.text
    match = re.search(r"/child/([^/]+)/consent$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def give_consent(client, session_id, present="ICTG, interpreter"):
    response = post_form(client, f"/child/{session_id}/consent", {"agree": "yes"})
    assert response.status_code == 302, response.text
    response = post_form(client, f"/child/{session_id}/consent/guardian",
                         {"given_how": "interpreter", "interpreter_language": "ar",
                          "understood": "yes", "present": present})
    assert response.status_code == 302, response.text


def step_url(session_id, step_id):
    return f"/child/{session_id}/step/{step_id}"


def answer(client, session_id, step_id, data, form=None):
    """Post an answer to a step the way the page does; returns the response."""
    url = step_url(session_id, step_id)
    page = url + (f"?form={form}" if form else "")
    token = csrf_token(client, page)
    payload = {"csrf_token": token, **({"form": form} if form else {}), **data}
    return client.post(url, data=payload, content_type="multipart/form-data")


def upload(client, session_id, step_id, content: bytes, filename: str, form=None):
    return answer(client, session_id, step_id, {"file": (io.BytesIO(content), filename)}, form)


def leave(client, session_id, secret=PASSWORD):
    return post_form(client, f"/child/{session_id}/leave", {"secret": secret})


def versions(app):
    with app.app_context():
        rows = db.session().scalars(select(AnswerVersion).order_by(AnswerVersion.created_at)).all()
        db.session().expunge_all()
        return rows


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_PATH"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def raw_database(app) -> bytes:
    """Every value of every row of every table, as bytes, for searching for plaintext."""
    out = []
    with app.extensions["voice.engine"].connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f"SELECT * FROM {table.name}")):
                for value in row:
                    out.append(bytes(value) if isinstance(value, (bytes, memoryview))
                               else str(value).encode())
    return b"\n".join(out)


def jpeg_with_gps(size=(300, 200)) -> bytes:
    image = Image.new("RGB", size, "white")
    image.paste((200, 30, 30), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "MakerSecretCamera"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"COMMENT-SECRET-9", icc_profile=b"ICCSECRET" * 20)
    return buffer.getvalue()


def png(size=(64, 48), colour=(20, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def wav(seconds: float, rate=8000, marker=b"", info_tag=b"") -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        frames = int(seconds * rate)
        pattern = (marker or b"\x80\x81") * (frames // max(1, len(marker or b"..")) + 1)
        out.writeframes(pattern[:frames])
    data = buffer.getvalue()
    if info_tag:
        body = b"INFO" + b"INAM" + struct.pack("<I", len(info_tag)) + info_tag
        data += b"LIST" + struct.pack("<I", len(body)) + body
        data = data[:4] + struct.pack("<I", len(data) - 8) + data[8:]
    return data


def _element(element_id: str, payload: bytes) -> bytes:
    return bytes.fromhex(element_id) + b"\x01" + len(payload).to_bytes(7, "big") + payload


def webm(seconds: int, tags: bytes = b"", title: bytes = b"", frame: bytes = b"\xfc" * 40,
         block_ms: int = 1000, cluster_ms: int = 1000) -> bytes:
    """A structurally valid WebM/Opus file like Chromium's (unknown-size segment, no Duration),
    with a block of `frame` every block_ms, in clusters of cluster_ms."""
    header = _element("1A45DFA3", _element("4286", b"\x01") + _element("4282", b"webm")
                      + _element("4287", b"\x04") + _element("4285", b"\x02"))
    info = _element("1549A966", _element("2AD7B1", (1_000_000).to_bytes(3, "big"))
                    + _element("4D80", b"Chrome") + (_element("7BA9", title) if title else b""))
    tracks = _element("1654AE6B", _element("AE", _element("D7", b"\x01") + _element("83", b"\x02")
                                            + _element("86", b"A_OPUS")))
    end = seconds * 1000 + 1
    clusters = b"".join(
        _element("1F43B675", _element("E7", start.to_bytes(4, "big")) + b"".join(
            _element("A3", b"\x81" + (ms - start).to_bytes(2, "big") + b"\x80" + frame)
            for ms in range(start, min(start + cluster_ms, end), block_ms)))
        for start in range(0, end, cluster_ms))
    extra = _element("1254C367", _element("7373", _element("45A3", b"TITLE") + _element("4487", tags))) \
        if tags else b""
    return header + bytes.fromhex("18538067") + b"\x01\xff\xff\xff\xff\xff\xff\xff" + info + tracks \
        + clusters + extra


# --- the lock --------------------------------------------------------------------------------

def test_starting_a_session_locks_the_device_to_it(app, client, world):
    session_id = start_session(app, client, world)
    assert client.get(f"/child/{session_id}/consent").status_code == 200
    assert client.get("/cases/").status_code == 404
    assert client.get(f"/cases/{world.cases['p1']}").status_code == 404
    with app.app_context():
        device = db.session().scalars(select(AuthSession)).one()
        assert device.child_session_id == session_id
    page = client.get(f"/child/{session_id}/consent")
    assert 'lang="ar"' in page.text and 'dir="rtl"' in page.text
    assert "Sign out" not in page.text and "/cases" not in page.text


def test_only_the_cases_ictg_may_start_a_session(app, client, world):
    for key in ("advocate.p1", "ictg.p2", "org_admin.p1", "panel_member.n1"):
        fresh = app.test_client()
        as_person(app, fresh, world.people[key])
        assert fresh.get(f"/cases/{world.cases['p1']}/sessions/new").status_code in (403, 404), key


def _url_for_rule(rule, values):
    url = rule.rule
    for argument in rule.arguments:
        url = url.replace(f"<{argument}>", values.get(argument, "x"))
    return re.sub(r"<[^>]+:([^>]+)>", lambda m: values.get(m.group(1), "x"), url)


def test_every_staff_route_and_other_session_answers_404_in_child_mode(app, client, world):
    other = app.test_client()
    other_session = start_session(app, other, world, key="p2")
    session_id = start_session(app, client, world)
    give_consent(client, session_id)
    assert answer(client, session_id, "enjoy", {"text": "drawing"}).status_code == 302
    version_id = versions(app)[0].id
    token = csrf_token(client, step_url(session_id, "enjoy"))
    values = {"case_id": world.cases["p1"], "session_id": session_id, "version_id": version_id,
              "person_id": world.people["ictg.p1"].id, "user_id": world.people["ictg.p1"].id,
              "org_id": world.orgs["p1"], "token": "x", "step_id": "enjoy", "filename": "x"}
    checked, any_device = 0, set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or getattr(view, "access", None) == "child":
            continue
        if getattr(view, "access_details", {}).get("child_mode"):
            any_device.add(rule.rule)  # what the browser fetches for the site: nothing of anyone
            assert client.get(rule.rule).status_code == 200, rule.rule
            continue
        url = _url_for_rule(rule, values)
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 404, (rule.rule, response.status_code)
        assert 'lang="ar"' in response.text, rule.rule  # calm child error page, child's language
        checked += 1
    assert checked > 20
    assert any_device == {"/service-worker.js", "/manifest.webmanifest"}
    # The child pages of another session, and this session's answers under another session.
    for url in (f"/child/{other_session}/consent", f"/child/{other_session}/step/enjoy",
                f"/child/{other_session}/media/{version_id}", f"/child/{other_session}/leave",
                f"/child/not-a-session/review"):
        assert client.get(url).status_code == 404, url
    # Still locked to its own session, which still works.
    assert client.get(f"/child/{session_id}/review").status_code == 200


def test_leaving_child_mode_needs_the_pin_or_the_password(app, client, world):
    session_id = start_session(app, client, world, pin="4821")
    response = leave(client, session_id, "1234")
    assert response.status_code == 400
    assert client.get("/cases/").status_code == 404
    response = leave(client, session_id, "4821")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{session_id}")
    assert client.get("/cases/").status_code == 200
    with app.app_context():
        stored = db.session().get(CaptureSession, session_id)
        assert stored.pin_hash.startswith("$argon2") and "4821" not in stored.pin_hash

    # Without a PIN, the ICTG's password.
    second = app.test_client()
    session_id = start_session(app, second, world)
    assert leave(second, session_id, "4821").status_code == 400
    assert leave(second, session_id, PASSWORD).status_code == 302
    assert second.get("/cases/").status_code == 200

    # The ICTG can hand the device back for an unfinished session; the advocate cannot.
    advocate = app.test_client()
    as_person(app, advocate, world.people["advocate.p1"])
    token = csrf_token(advocate, f"/sessions/{session_id}")
    assert advocate.post(f"/sessions/{session_id}/resume", data={"csrf_token": token}).status_code == 403
    response = post_form(second, f"/sessions/{session_id}/resume", {}, page=f"/sessions/{session_id}")
    assert response.status_code == 302 and f"/child/{session_id}" in response.headers["Location"]
    assert second.get("/cases/").status_code == 404


def test_five_wrong_tries_sign_the_device_out(app, client, world):
    session_id = start_session(app, client, world, pin="4821")
    for _ in range(4):
        assert leave(client, session_id, "0000").status_code == 400
    response = leave(client, session_id, "0000")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    with app.app_context():
        assert db.session().scalars(select(AuthSession)).all() == []
    # The device is signed out: neither child mode nor staff pages, and the PIN no longer helps.
    assert "/sign-in" in client.get(f"/child/{session_id}/consent").headers["Location"]
    assert "/sign-in" in client.get("/cases/").headers["Location"]


# --- answers ---------------------------------------------------------------------------------

def test_answers_are_versioned_encrypted_and_shown_to_staff(app, client, world):
    session_id = start_session(app, client, world, present="PRESENT-SECRET-ICTG")
    give_consent(client, session_id, present="PRESENT-SECRET-2")
    assert answer(client, session_id, "enjoy", {"text": "FIRST-SECRET-WORDS"}).status_code == 302
    assert answer(client, session_id, "enjoy", {"text": "SECOND-SECRET-WORDS"}).status_code == 302
    response = answer(client, session_id, "feel-today", {"option": ["calm", "tired"]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(step_url(session_id, "feel-more"))
    # An unchanged answer makes no new version.
    answer(client, session_id, "feel-today", {"option": ["tired", "calm"]})
    assert answer(client, session_id, "feel-more", {"file": (io.BytesIO(wav(1.5, marker=b"WAVSECRETSAMPLE")),
                                                              "clip.wav")}).status_code == 302

    rows = versions(app)
    assert [(v.form, v.number) for v in rows] == [("text", 1), ("text", 2), ("feelings", 1),
                                                 ("voice", 1)]
    assert all(v.language == "ar" for v in rows)
    raw = raw_database(app)
    for secret in (b"FIRST-SECRET-WORDS", b"SECOND-SECRET-WORDS", b"PRESENT-SECRET", b"tired"):
        assert secret not in raw, secret
    with app.app_context():
        stored = db.session().get(AnswerVersion, rows[3].id)
        case = db.session().get(Case, world.cases["p1"])
        decrypted = storage.read_all(cipher(case), case.id, stored.media_file_id)
        assert b"WAVSECRETSAMPLE" in decrypted
        assert stored.media_seconds == pytest.approx(1.5, abs=0.01)
    [on_disk] = media_files(app)
    assert b"WAVSECRETSAMPLE" not in on_disk.read_bytes() and b"RIFF" not in on_disk.read_bytes()

    # The child sees their latest answers; staff see every version, with who was present.
    review = client.get(f"/child/{session_id}/review")
    assert "SECOND-SECRET-WORDS" in review.text and "FIRST-SECRET-WORDS" not in review.text
    assert leave(client, session_id).status_code == 302
    staff = client.get(f"/sessions/{session_id}")
    assert staff.status_code == 200
    assert "FIRST-SECRET-WORDS" in staff.text and "SECOND-SECRET-WORDS" in staff.text
    assert "PRESENT-SECRET-2" in staff.text and "PRESENT-SECRET-ICTG" in staff.text
    assert "Earlier version (1)" in staff.text and "Current version (2)" in staff.text
    with app.app_context():
        actions = [a for (a,) in db.session().execute(text("SELECT action FROM audit_event"))]
        assert actions.count("answer.save") == 4 and "answer.read" in actions


def test_media_are_served_only_through_the_checked_route(app, client, world):
    session_id = start_session(app, client, world)
    give_consent(client, session_id)
    assert upload(client, session_id, "matters-photo", png(), "p.png").status_code == 302
    version_id = versions(app)[0].id
    inside = client.get(f"/child/{session_id}/media/{version_id}")
    assert inside.status_code == 200 and inside.data.startswith(b"\x89PNG")
    assert leave(client, session_id).status_code == 302
    response = client.get(f"/media/{version_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        reads = db.session().execute(text(
            "SELECT count(*) FROM audit_event WHERE action = 'answer.media_read' AND record_id = :id"),
            {"id": version_id}).scalar()
        assert reads == 2
    for key in ("advocate.p1",):
        other = app.test_client()
        as_person(app, other, world.people[key])
        assert other.get(f"/media/{version_id}").status_code == 200
    for key in ("ictg.p2", "org_admin.p1", "panel_member.n1", "panel_member.n2", "service_admin"):
        other = app.test_client()
        as_person(app, other, world.people[key])
        assert other.get(f"/media/{version_id}").status_code == 404, key


# --- uploads judged by content ---------------------------------------------------------------

def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, "PNG")
    return buffer.getvalue()


def test_bad_uploads_are_refused_and_nothing_is_stored(app, client, world):
    session_id = start_session(app, client, world, language="en")
    give_consent(client, session_id)
    jpeg = jpeg_with_gps()
    bad_images = [
        (b"", "empty.jpg", "The file is empty"),
        (b"this is only text, not a picture" * 10, "holiday.jpg", "We could not open this picture"),
        (jpeg[: len(jpeg) // 2], "cut.jpg", "We could not open this picture"),
        (_bomb(), "bomb.png", "This picture is too big"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.svg",
         "We could not open this picture"),
        (b"<!DOCTYPE html><html><body>hello</body></html>", "page.png", "We could not open this picture"),
        (b"GIF89a" + b"\0" * 100, "anim.gif", "We could not open this picture"),
    ]
    for content, name, message in bad_images:
        response = upload(client, session_id, "matters-photo", content, name)
        assert response.status_code == 400, name
        assert message in response.text, name
        assert 'class="child-error"' in response.text
    bad_audio = [
        (b"", "empty.webm", "The file is empty"),
        (b"not audio at all" * 100, "voice.webm", "We could not play this recording"),
        (jpeg, "voice.mp3", "We could not play this recording"),
        (webm(3)[:200], "cut.webm", "We could not play this recording"),
        (webm(3)[:-10], "cut-in-a-block.webm", "We could not play this recording"),
        (webm(3, title=b"t" * 70_000), "huge-info.webm", "We could not play this recording"),
        (wav(2)[:-4000], "cut.wav", "We could not play this recording"),
        (wav(601), "long.wav", "longer than 10 minutes"),
        (webm(700), "long.webm", "longer than 10 minutes"),
        (b"RIFF" + b"\0" * (26 * 1024 * 1024), "huge.wav", "This recording is too big"),
    ]
    for content, name, message in bad_audio:
        response = upload(client, session_id, "feel-more", content, name)
        assert response.status_code == 400, name
        assert message in response.text, name
    assert versions(app) == []
    assert media_files(app) == []


def test_a_body_over_the_request_cap_is_refused_calmly(app, client, world):
    session_id = start_session(app, client, world)
    give_consent(client, session_id)
    too_big = b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = upload(client, session_id, "feel-more", too_big, "big.webm")
    assert response.status_code == 413
    assert 'lang="ar"' in response.text and 'dir="rtl"' in response.text
    assert "child-page" in response.text and "Sign out" not in response.text
    assert versions(app) == [] and media_files(app) == []


def test_photo_is_turned_upright_scaled_and_stripped_of_gps_and_comments(app, client, world):
    session_id = start_session(app, client, world)
    give_consent(client, session_id)
    original = jpeg_with_gps()
    assert b"COMMENT-SECRET-9" in original and b"MakerSecretCamera" in original
    assert upload(client, session_id, "matters-photo", original, "IMG_0001.jpg").status_code == 302
    big = io.BytesIO()
    Image.new("RGB", (3000, 1000), "green").save(big, "WEBP")
    assert upload(client, session_id, "safe-drawing", big.getvalue(), "big.webp").status_code == 302
    photo, drawing = versions(app)
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        stored = storage.read_all(cipher(case), case.id, photo.media_file_id)
        scaled = storage.read_all(cipher(case), case.id, drawing.media_file_id)
    for secret in (b"COMMENT-SECRET-9", b"MakerSecretCamera", b"Exif", b"ICCSECRET", b"GPS"):
        assert secret not in stored, secret
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (200, 300)  # rotated by the orientation
    assert len(image.getexif()) == 0 and "comment" not in image.info and "icc_profile" not in image.info
    assert photo.media_type == "image/jpeg"
    assert Image.open(io.BytesIO(scaled)).size == (2048, 683)


def test_audio_is_identified_by_content_and_its_tags_removed(app, client, world):
    session_id = start_session(app, client, world)
    give_consent(client, session_id)
    recording = webm(12, tags=b"TAG-SECRET-NAME", title=b"TITLE-SECRET")
    response = upload(client, session_id, "feel-more", recording, "recording.webm")
    assert response.status_code == 302
    tagged = wav(2, info_tag=b"WAV-TAG-SECRET")
    response = answer(client, session_id, "worries", {"file": (io.BytesIO(tagged), "x.bin")},
                      form="voice")
    assert response.status_code == 302
    first, second = versions(app)
    assert (first.media_type, second.media_type) == ("audio/webm", "audio/wav")
    assert first.media_seconds == pytest.approx(12.0) and second.media_seconds == pytest.approx(2.0)
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        clean_webm = storage.read_all(cipher(case), case.id, first.media_file_id)
        clean_wav = storage.read_all(cipher(case), case.id, second.media_file_id)
    assert b"TAG-SECRET-NAME" not in clean_webm and b"TITLE-SECRET" not in clean_webm
    assert b"A_OPUS" in clean_webm and clean_webm.count(b"\xfc" * 40) == 13
    assert b"WAV-TAG-SECRET" not in clean_wav and b"LIST" not in clean_wav
    with wave.open(io.BytesIO(clean_wav)) as check:
        assert check.getnframes() == 16000


def _tagged_mp3(ape_after_id3v1: bool) -> bytes:
    """About 3 s of silent MPEG-1 Layer III frames with ID3v2, ID3v1 and APE title tags."""
    from mutagen.apev2 import APEv2
    from mutagen.id3 import ID3, TIT2
    data = io.BytesIO((b"\xff\xfb\x90\x00" + bytes(413)) * 120)
    id3, ape = ID3(), APEv2()
    id3.add(TIT2(encoding=3, text="ID3-SECRET"))
    ape["Title"] = "APE-SECRET"
    first, second = (id3, ape) if ape_after_id3v1 else (ape, id3)
    for tags in (first, second):
        data.seek(0)
        tags.save(data, **({"v1": 2} if tags is id3 else {}))
    return data.getvalue()


def test_mp3_tags_are_removed_in_whichever_order_they_follow_the_audio(app, client, world):
    session_id = start_session(app, client, world)
    give_consent(client, session_id)
    for ape_after_id3v1 in (True, False):
        original = _tagged_mp3(ape_after_id3v1)
        assert b"TAGID3-SECRET" in original and b"APE-SECRET" in original
        assert upload(client, session_id, "feel-more", original, "r.mp3").status_code == 302
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        for version in versions(app):
            assert version.media_type == "audio/mpeg"
            clean = storage.read_all(cipher(case), case.id, version.media_file_id)
            assert clean.startswith(b"\xff\xfb\x90\x00")
            for secret in (b"ID3-SECRET", b"APE-SECRET", b"TAG", b"APETAGEX"):
                assert secret not in clean, (version.number, secret)


def test_staff_see_draft_language_notice_and_the_child_never_does(app, client, world):
    from voice.models import CaptureSession

    as_person(app, client, world.people["ictg.p1"])
    start = client.get(f"/cases/{world.cases['p1']}/sessions/new")
    assert "Draft translations, not yet checked" in start.text and "Tigrinya" in start.text
    response = post_form(client, f"/cases/{world.cases['p1']}/sessions/new",
                         {"questionnaire": "my-views-12-17", "language": "ti",
                          "present": "ICTG and interpreter", "pin": "", "submit": "x"})
    assert response.status_code == 302, response.text
    child_page = client.get(response.location, follow_redirects=True)
    assert child_page.status_code == 200
    assert "draft" not in child_page.text.lower() and "interpreter should check" not in child_page.text
    with app.app_context():
        session_id = db.session().scalar(select(CaptureSession.id))
    staff = app.test_client()
    as_person(app, staff, world.people["advocate.p1"])
    page = staff.get(f"/sessions/{session_id}")
    assert "draft translation" in page.text


def html_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.text)


def test_staff_see_language_names_in_their_own_language_beside_the_childs(app, client, world):
    from voice.models import User

    session_id = start_session(app, client, world, language="ar")
    child = html_text(client.get(f"/child/{session_id}/consent"))
    assert post_form(client, f"/child/{session_id}/consent", {"agree": "yes"}).status_code == 302
    guardian = html_text(client.get(f"/child/{session_id}/consent/guardian"))
    give_consent(client, session_id)  # through an Arabic interpreter
    assert leave(client, session_id).status_code == 302
    case_id = world.cases["p1"]
    # The guardian's screen in child mode speaks the ICTG's language; the child's does not
    # name languages in any other.
    assert ">Arabic (العربية)</option>" in guardian and "Arabic" not in child
    for locale, arabic, english in ((None, "Arabic (العربية)", "English"),
                                    ("cy", "Arabeg (العربية)", "Saesneg (English)")):
        with app.app_context():
            db.session().get(User, world.people["ictg.p1"].id).locale = locale
            db.session().commit()
        case = html_text(client.get(f"/cases/{case_id}"))
        assert f"{arabic}, {english}" in case  # the child's languages
        assert f"<td class=\"govuk-table__cell\">{arabic}</td>" in case  # the session's
        session = html_text(client.get(f"/sessions/{session_id}"))
        assert f": {arabic}</td>" in session  # consent through an interpreter
        start = html_text(client.get(f"/cases/{case_id}/sessions/new"))
        assert f">{arabic}</option>" in start and ">Tigrinya (ትግርኛ)</option>" in start


def test_words_over_the_most_are_given_back_with_a_message_not_cut(app, client, world):
    session_id = start_session(app, client, world, language="en")
    give_consent(client, session_id)
    words = "I like football. " * 294 + "The end"  # 5,005 letters and spaces
    response = answer(client, session_id, "enjoy", {"text": words})
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "This is too long to keep: it has 5005 letters and spaces, and the most is 5000." in page
    assert f">{words}</textarea>" in page and 'aria-invalid="true"' in page
    assert versions(app) == []
    # A line end counts once, as on the page: these 5,000 with 10 line ends are not too many.
    assert answer(client, session_id, "enjoy", {"text": "a" * 4980 + "\r\nb" * 10}).status_code == 302
    [saved] = versions(app)
    with app.test_request_context():
        from voice.capture import service
        assert service.value_of(db.session().get(AnswerVersion, saved.id)) == \
            "a" * 4980 + "\nb" * 10

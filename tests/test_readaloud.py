"""Read-aloud recordings by interpreters (recorded, checked by someone else, counted, refused
when unusable, heard by the child), and the panel's message shown to the child in child mode."""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

from sqlalchemy import select

from voice import db
from voice.models import AuditEvent, Outcome, PromptRecording

from .conftest import as_person, post_form
from .test_capture import QUESTIONNAIRE, give_consent, start_session, wav
from .test_review import approved, panel_client

PAGE = f"/read-aloud/{QUESTIONNAIRE}/ps"
PROMPT = "welcome:prompt"  # "Hi. This is a space for what you think..."


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _client(app, world, who):
    client = app.test_client()
    as_person(app, client, world.people[who])
    return client


def grant_interpreter(app, world, who):
    admin = _client(app, world, "org_admin.p1")
    response = post_form(admin, f"/organisation/people/{world.people[who].id}/interpreter", {},
                         page=f"/organisation/people/{world.people[who].id}")
    assert response.status_code == 302, response.text


def record(client, part, content: bytes, filename="prompt.wav"):
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get(PAGE).text).group(1)
    return client.post(f"{PAGE}/record", data={"csrf_token": token, "part": part,
                                               "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def coverage_row(client) -> tuple[int, int, int]:
    """(recorded, checked, missing) for Pashto in the coverage table of the 12-17 questionnaire."""
    page = _text(client.get("/read-aloud"))
    row = re.search(rf'href="{PAGE}">Pashto[^<]*</a></td>\s*<td[^>]*>(\d+)</td>\s*'
                    rf"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>", page)
    return tuple(int(n) for n in row.groups())


def test_an_interpreter_records_someone_else_checks_and_the_child_hears_it(app, client, world):
    advocate = _client(app, world, "advocate.p1")
    assert advocate.get("/read-aloud").status_code == 403  # not an interpreter yet
    grant_interpreter(app, world, "advocate.p1")
    grant_interpreter(app, world, "ictg.p1")
    recorded, checked, missing = coverage_row(advocate)
    assert (recorded, checked) == (0, 0) and missing > 20
    total = missing

    # Recorded: tags stripped, kept as it is (public content), named by its hash.
    response = record(advocate, PROMPT, wav(2, info_tag=b"Interpreter's phone"))
    assert response.status_code == 302
    assert coverage_row(advocate) == (1, 0, total - 1)
    with app.app_context():
        row = db.session().scalar(select(PromptRecording))
        content, digest = row.content, row.digest
    assert b"Interpreter's phone" not in content and content.startswith(b"RIFF")
    served = advocate.get(f"/read-aloud/file/{digest}.wav")
    assert served.status_code == 200 and served.data == content
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    # The one who recorded it may not check it; someone else may.
    token_page = advocate.get(PAGE)
    assert "mark as checked" not in _text(token_page)
    response = post_form(advocate, f"{PAGE}/check", {"part": PROMPT}, page=PAGE)
    assert "Someone other than the person who recorded it" in _text(
        advocate.get(response.location))
    assert coverage_row(advocate) == (1, 0, total - 1)
    ictg = _client(app, world, "ictg.p1")
    assert "mark as checked" in _text(ictg.get(PAGE))
    assert post_form(ictg, f"{PAGE}/check", {"part": PROMPT}, page=PAGE).status_code == 302
    assert coverage_row(ictg) == (1, 1, total - 1)
    # A second recording, not checked yet: counted, but no child hears it.
    assert record(advocate, "welcome:hint", wav(1)).status_code == 302
    assert coverage_row(ictg) == (2, 1, total - 2)

    # Refused, with a clear message, and nothing kept.
    response = record(advocate, "your-words:prompt", b"just some words, not a sound")
    assert response.status_code == 400
    assert "This is not a recording we can use" in _text(response)
    response = record(advocate, "your-words:prompt", wav(61))
    assert response.status_code == 400
    assert "This recording is longer than 60 seconds" in _text(response)
    assert coverage_row(ictg) == (2, 1, total - 2)

    # The ICTG is warned before handing over only where no recording exists (and no voice:
    # that part is the browser's); Pashto now has one.
    start = _text(ictg.get(f"/cases/{world.cases['p1']}/sessions/new"))
    assert "data-readaloud-warning" in start and '"my-views-12-17": ["ps"]' in start

    # A child in Pashto: the read-aloud button plays the checked recording, and only that one.
    session_id = start_session(app, client, world, language="ps")
    give_consent(client, session_id)
    step = _text(client.get(f"/child/{session_id}/step/welcome"))
    url = f"/child/{session_id}/read-aloud/{digest}.wav"
    assert re.search(rf'data-audio="{re.escape(url)}"', step), step
    heard = client.get(url)
    assert heard.status_code == 200 and heard.data == content
    assert heard.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Nothing plays by itself: no autoplay, no audio element on the page.
    assert "autoplay" not in step and "<audio" not in step
    # Another language has no recording: the button is left to the device's voice.
    arabic = app.test_client()
    other = start_session(app, arabic, world, key="p1", language="ar")
    give_consent(arabic, other)
    assert "data-audio" not in arabic.get(f"/child/{other}/step/welcome").text

    # Recording it again replaces it and it must be checked again.
    assert record(advocate, PROMPT, wav(3)).status_code == 302
    assert coverage_row(ictg) == (2, 0, total - 2)
    assert "read-aloud/" not in client.get(f"/child/{session_id}/step/welcome").text
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action)).all()
    assert actions.count("readaloud.record") == 3 and actions.count("readaloud.check") == 1
    assert "person.interpreter_grant" in actions


def test_only_a_providers_admin_grants_interpreters(app, world):
    ictg = _client(app, world, "ictg.p1")
    url = f"/organisation/people/{world.people['advocate.p1'].id}/interpreter"
    token_page = f"/cases/{world.cases['p1']}"
    assert post_form(ictg, url, {}, page=token_page).status_code in (403, 404)
    other_admin = _client(app, world, "org_admin.p2")
    assert post_form(other_admin, url, {}, page="/organisation/people").status_code == 404
    assert _client(app, world, "advocate.p1").get("/read-aloud").status_code == 403


# --- the panel's answer, shown to the child ---------------------------------------------------

MESSAGE = "We listened to you. You can stay at your school."
SOMALI = "Waan ku dhageysanay. Waad joogi kartaa dugsigaaga."


def _decided(app, client, world):
    """A session in Somali, approved and decided by the panel; returns (session id, summary id)."""
    _ids, summary_id = approved(app, client, world)
    panel = panel_client(app, world)
    response = post_form(panel, f"/summaries/{summary_id}/outcome", {
        "decision": "She stays.", "considered": "Her wish decided it.", "message": MESSAGE})
    assert response.status_code == 302
    from voice.models import CaptureSession
    with app.app_context():
        session_id = db.session().scalar(select(CaptureSession.id))
    return session_id, summary_id


def test_the_decision_page_only_in_child_mode_for_that_session_in_its_language(app, client,
                                                                                world):
    session_id, summary_id = _decided(app, client, world)
    case_id = world.cases["p1"]
    ictg = _client(app, world, "ictg.p1")
    decision = f"/child/{session_id}/decision"
    # Nothing translated yet: nothing to show, and the ICTG may not translate (not interpreter).
    assert "Show the child what the panel decided" not in _text(ictg.get(f"/cases/{case_id}"))
    assert ictg.get(f"/cases/{case_id}/message-for-child").status_code == 403
    response = post_form(ictg, f"/sessions/{session_id}/decision", {}, page=f"/cases/{case_id}")
    assert response.status_code == 302 and "/child/" not in response.location

    advocate = _client(app, world, "advocate.p1")
    page = _text(advocate.get(f"/cases/{case_id}/message-for-child"))
    assert MESSAGE in page
    url = f"/cases/{case_id}/message-for-child"
    fields = {"language": "so", "message": SOMALI, "provenance": "interpreter"}
    response = post_form(advocate, url, {**fields, "recording": (io.BytesIO(b"not a sound"),
                                                                 "message.wav")},
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert "This is not a recording we can use" in _text(response)
    assert "There is a problem" in _text(response) and "<title>Error:" in response.text
    spoken = wav(2, marker=b"\x10\x20\x30\x40", info_tag=b"Advocate's laptop")
    response = post_form(advocate, url, {**fields, "recording": (io.BytesIO(spoken), "m.wav")},
                         content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    # The recording is the child's: encrypted on disk, like their own media.
    stored = [path.read_bytes() for path in (Path(app.config["MEDIA_PATH"]) / case_id).iterdir()
              if not path.name.startswith(".")]
    assert stored and not any(b"\x10\x20\x30\x40" * 4 in data for data in stored)
    assert "Somali (Soomaali): Translated by an interpreter" in _text(advocate.get(f"/cases/{case_id}"))

    # Outside child mode the page does not exist, for anyone.
    for who in (ictg, advocate, _client(app, world, "org_admin.p1"), panel_client(app, world)):
        assert who.get(decision).status_code == 404
    # The ICTG hands the device over from the case page; it opens in the child's language.
    case_page = _text(ictg.get(f"/cases/{case_id}"))
    assert "Show the child what the panel decided, in Somali" in case_page
    # Warned (when this device has no Somali voice) that nothing can read the message aloud.
    assert 'data-recorded="{}"' in case_page
    assert "this device has no voice for it. Read the message to the child" in case_page
    response = post_form(ictg, f"/sessions/{session_id}/decision", {}, page=f"/cases/{case_id}")
    assert response.status_code == 302 and response.location.endswith(decision)
    shown = ictg.get(decision)
    assert shown.status_code == 200 and 'lang="so"' in shown.text
    assert SOMALI in _text(shown) and MESSAGE not in _text(shown)
    # Read aloud: the recording of the message, decrypted, cleaned and never cached.
    listen = f"{decision}/recording"
    assert f'data-audio="{listen}"' in shown.text
    heard = ictg.get(listen)
    assert heard.status_code == 200 and heard.mimetype == "audio/wav"
    assert b"\x10\x20\x30\x40" * 4 in heard.data and b"Advocate's laptop" not in heard.data
    assert heard.headers["Cache-Control"] == "no-store"
    # Locked to this session: another session's page, or a staff page, does not exist.
    other = app.test_client()
    other_session = start_session(app, other, world, key="p2", language="so")
    assert ictg.get(f"/child/{other_session}/decision").status_code == 404
    assert ictg.get(f"/cases/{case_id}").status_code == 404
    # A device locked to a session in another language has nothing to show.
    arabic = app.test_client()
    arabic_session = start_session(app, arabic, world, language="ar")
    assert arabic.get(f"/child/{arabic_session}/decision").status_code == 404

    # The ICTG records that it was shown; the panel sees when and how.
    confirm = ictg.get(f"{decision}/shown")
    assert confirm.status_code == 200 and 'lang="en"' in confirm.text
    response = post_form(ictg, f"{decision}/shown", {})
    assert response.status_code == 302 and response.location.endswith(f"/child/{session_id}/leave")
    with app.app_context():
        outcome = db.session().scalar(select(Outcome))
        assert outcome.feedback_how == "on_device" and outcome.feedback_at is not None
        assert outcome.feedback_by_id == world.people["ictg.p1"].id
        actions = db.session().scalars(select(AuditEvent.action)).all()
    assert {"panel.message_translate", "panel.message_translation_read", "panel.message_shown",
            "panel.message_recording_read", "panel.feedback"} <= set(actions)
    panel_page = _text(panel_client(app, world).get(f"/summaries/{summary_id}"))
    assert "Shown on the device in the child's language" in panel_page
    # Told: the page is gone.
    assert ictg.get(decision).status_code == 404

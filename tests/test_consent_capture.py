"""Consent before capture, and sharing item by item: private by default, the child decides."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select, text

from voice import db
from voice.consent import service as consent
from voice.models import Answer, Case, ConsentRecord, SharingRecord

from .conftest import as_person, csrf_token, post_form
from .test_capture import (answer, give_consent, leave, png, start_session,
                           step_url, upload, versions, wav)


def _count(app, table):
    with app.app_context():
        return db.session().execute(text(f"SELECT count(*) FROM {table}")).scalar()


def _answered_session(app, client, world, language="ar"):
    """A session with consent and three answers: words, a photo and a recording."""
    session_id = start_session(app, client, world, language=language)
    give_consent(client, session_id)
    assert answer(client, session_id, "enjoy", {"text": "football with friends"}).status_code == 302
    assert upload(client, session_id, "matters-photo", png(), "p.png").status_code == 302
    assert upload(client, session_id, "feel-more", wav(1), "r.wav").status_code == 302
    by_step = {}
    with app.app_context():
        for row in db.session().scalars(select(Answer)):
            by_step[row.step_id] = (row.id, row.latest.id)
    return session_id, by_step


def test_no_answer_is_stored_before_the_child_agrees(app, client, world):
    session_id = start_session(app, client, world, language="en")
    # The first page is the consent step; the questions send the child back to it.
    page = client.get(f"/child/{session_id}/consent")
    assert page.status_code == 200
    for words in ("Your guardian and your advocate will see what you say",
                  "The panel is a group of grown-ups", "You can skip any question",
                  "You can stop at any time", "You can change your mind later",
                  "months after the panel meets"):
        assert words in page.text, words
    token = csrf_token(client, f"/child/{session_id}/consent")
    response = client.post(step_url(session_id, "enjoy"), data={"csrf_token": token, "text": "hello"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent")
    response = client.post(step_url(session_id, "matters-photo"), content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(png()), "p.png")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent")
    assert client.get(step_url(session_id, "enjoy")).headers["Location"].endswith("/consent")
    # The child's "yes" alone is not enough: the ICTG records how it was given first.
    post_form(client, f"/child/{session_id}/consent", {"agree": "yes"})
    client.post(step_url(session_id, "enjoy"), data={"csrf_token": token, "text": "hello"})
    assert _count(app, "capture_answer") == 0 and _count(app, "capture_answer_version") == 0
    assert _count(app, "consent_record") == 0

    # Saying no records the refusal and still stores nothing.
    other = app.test_client()
    declined = start_session(app, other, world, key="p2", language="en")
    response = post_form(other, f"/child/{declined}/consent", {"agree": "no"})
    assert response.status_code == 200 and "Nothing has been kept" in response.text
    post_form(other, step_url(declined, "enjoy"), {"text": "hello"}, page=f"/child/{declined}/consent")
    assert _count(app, "capture_answer") == 0
    with app.app_context():
        [record] = db.session().scalars(select(ConsentRecord)).all()
        assert record.agreed is False and record.session_id == declined


def test_consent_records_are_append_only_with_history(app, client, world):
    session_id = start_session(app, client, world)
    response = post_form(client, f"/child/{session_id}/consent", {"agree": "yes"})
    guardian = client.get(f"/child/{session_id}/consent/guardian")
    assert guardian.status_code == 200 and 'lang="en"' in guardian.text  # the ICTG's language
    response = post_form(client, f"/child/{session_id}/consent/guardian",
                         {"given_how": "interpreter", "interpreter_language": "",
                          "understood": "yes", "present": "ICTG"})
    assert response.status_code == 400 and "Select the language the interpreter used" in response.text
    give_consent(client, session_id, present="ICTG and a Tigrinya interpreter")
    assert leave(client, session_id).status_code == 302
    response = post_form(client, f"/sessions/{session_id}/consent",
                         {"given_how": "spoken", "interpreter_language": "", "understood": "partly",
                          "present": "ICTG, interpreter and foster carer"})
    assert response.status_code == 302
    page = client.get(f"/sessions/{session_id}")
    assert "ICTG and a Tigrinya interpreter" in page.text
    assert "ICTG, interpreter and foster carer" in page.text
    assert page.text.count("ictg p1") >= 2
    with app.app_context():
        records = db.session().scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
        assert [(r.agreed, r.given_how, r.understood) for r in records] == [
            (True, "interpreter", "yes"), (True, "spoken", "partly")]
        assert records[0].interpreter_language == "ar"
        # A record is never changed: the database session refuses.
        records[0].understood = "no"
        with pytest.raises(PermissionError):
            db.session().flush()
        db.session().rollback()
    raw = b"".join(bytes(v) for (v,) in db_rows(app, "SELECT present FROM consent_record"))
    assert b"foster carer" not in raw and b"Tigrinya" not in raw
    # An advocate may see the history but may not add to it.
    advocate = app.test_client()
    as_person(app, advocate, world.people["advocate.p1"])
    assert advocate.get(f"/sessions/{session_id}").status_code == 200
    assert advocate.get(f"/sessions/{session_id}/consent").status_code == 403


def db_rows(app, sql):
    with app.extensions["voice.engine"].connect() as connection:
        return connection.execute(text(sql)).all()


def test_every_item_starts_private_and_the_panel_cannot_reach_it(app, client, world):
    session_id, items = _answered_session(app, client, world)
    with app.test_request_context():
        assert set(consent.current_choices(a for a, _v in items.values()).values()) == {"private"}
        assert consent.shared_with_panel(db.session().get(Case, world.cases["p1"])) == []
    share_page = client.get(f"/child/{session_id}/share")
    checked = re.findall(r'value="(\w+)"\s+id="[^"]+" checked', share_page.text)
    assert checked == ["private", "private", "private"]
    assert leave(client, session_id).status_code == 302
    panel = app.test_client()
    as_person(app, panel, world.people["panel_member.n1"])
    case_id = world.cases["p1"]
    urls = [f"/cases/{case_id}", f"/cases/{case_id}/audit", f"/cases/{case_id}/sessions/new",
            f"/sessions/{session_id}", f"/sessions/{session_id}/consent",
            f"/child/{session_id}/review", f"/child/{session_id}/share"]
    urls += [f"/media/{version}" for _answer, version in items.values()]
    urls += [f"/child/{session_id}/media/{version}" for _answer, version in items.values()]
    for url in urls:
        assert panel.get(url).status_code == 404, url
    assert "football" not in panel.get("/cases/").text


def test_only_the_childs_choice_in_their_session_changes_sharing(app, client, world):
    session_id, items = _answered_session(app, client, world)
    photo_answer, photo_version = items["matters-photo"]
    words_answer, words_version = items["enjoy"]
    # Nobody outside the child's session can record a choice: not the advocate, not the ICTG
    # outside child mode (the page does not exist for them).
    advocate = app.test_client()
    as_person(app, advocate, world.people["advocate.p1"])
    ictg = app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    for other in (advocate, ictg):
        token = csrf_token(other, "/account")
        response = other.post(f"/child/{session_id}/share",
                              data={"csrf_token": token, f"share-{photo_answer}": "panel"})
        assert response.status_code == 404
    assert _count(app, "sharing_record") == 0

    response = post_form(client, f"/child/{session_id}/share",
                         {f"share-{photo_answer}": "panel", f"share-{words_answer}": "private"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/done")
    with app.app_context():
        rows = db.session().scalars(select(SharingRecord).order_by(SharingRecord.id)).all()
        # Every item gets the child's recorded choice; what they did not change stays private.
        assert sorted((r.answer_id, r.choice, r.session_id) for r in rows) == sorted([
            (photo_answer, "panel", session_id), (words_answer, "private", session_id),
            (items["feel-more"][0], "private", session_id)])
    # After finishing, the answers and the choices can no longer be changed in child mode.
    assert client.get(step_url(session_id, "enjoy")).headers["Location"].endswith("/done")
    assert client.get(f"/child/{session_id}/share").headers["Location"].endswith("/done")

    panel = app.test_client()
    as_person(app, panel, world.people["panel_member.n1"])
    # Even a shared file reaches the panel only through the approved summary's signed link.
    assert panel.get(f"/media/{photo_version}").status_code == 404
    assert panel.get(f"/media/{items['feel-more'][1]}").status_code == 404
    other_panel = app.test_client()
    as_person(app, other_panel, world.people["panel_member.n2"])
    assert other_panel.get(f"/media/{photo_version}").status_code == 404

    # The advocate sees the child's choices but has no way to change them.
    page = advocate.get(f"/sessions/{session_id}")
    assert "Shared with the panel" in page.text and "Private: the child" in page.text
    assert "share-" not in page.text and "Hand the device to the child again" not in page.text
    assert client.get(f"/child/{session_id}/done").status_code == 200


def test_share_what_i_said_not_my_voice(app, client, world):
    session_id, items = _answered_session(app, client, world, language="en")
    voice_answer, voice_version = items["feel-more"]
    page = client.get(f"/child/{session_id}/share")
    assert "Share what I said, not my voice" in page.text
    assert page.text.count('value="panel_words"') == 1  # only the recording offers it
    # Words-only makes no sense for a written answer: refused, nothing recorded.
    response = post_form(client, f"/child/{session_id}/share",
                         {f"share-{items['enjoy'][0]}": "panel_words"})
    assert response.status_code == 400 and _count(app, "sharing_record") == 0
    response = post_form(client, f"/child/{session_id}/share", {f"share-{voice_answer}": "panel_words"})
    assert response.status_code == 302
    with app.test_request_context():
        shared = consent.shared_with_panel(db.session().get(Case, world.cases["p1"]))
        assert [(a.id, choice) for a, choice in shared] == [(voice_answer, "panel_words")]
    panel = app.test_client()
    as_person(app, panel, world.people["panel_member.n1"])
    assert panel.get(f"/media/{voice_version}").status_code == 404  # never the voice itself


def test_choices_for_items_that_are_not_this_sessions_are_refused(app, client, world):
    other = app.test_client()
    other_session, other_items = _answered_session(app, other, world)
    assert leave(other, other_session).status_code == 302
    session_id = start_session(app, client, world, key="p2")
    give_consent(client, session_id)
    assert answer(client, session_id, "enjoy", {"text": "music"}).status_code == 302
    foreign = other_items["enjoy"][0]
    for data in ({f"share-{foreign}": "panel"}, {"share-no-such-answer": "panel"},
                 {f"share-{foreign}": "private"}):
        response = post_form(client, f"/child/{session_id}/share", data)
        assert response.status_code == 400, data
    assert _count(app, "sharing_record") == 0
    with app.app_context():
        assert all(v.form for v in versions(app))

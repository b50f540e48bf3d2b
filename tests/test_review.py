"""The advocate's review, the versioned summary and its published schema, safeguarding, and the
child's withdrawal of sharing: what the panel can and cannot ever reach."""
from __future__ import annotations

import html
import io
import json
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import g
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from voice import db
from voice.capture import media as capture_media
from voice.capture import service as capture
from voice.consent import service as consent
from voice.delivery import push
from voice.delivery import service as delivery
from voice.delivery import worker
from voice.models import (Case, Notification, OutboxDelivery, OutboxEvent, SharingRecord, Summary,
                          User)
from voice.summary import document as summary_document
from voice.summary import door

from .conftest import as_person, post_form
from .test_capture import png, wav

QUESTIONNAIRE = "my-views-12-17"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "voice" / "schemas" / "child-views-summary-1.json"
VALIDATOR = Draft202012Validator(json.loads(SCHEMA_FILE.read_text()),
                                 format_checker=Draft202012Validator.FORMAT_CHECKER)

WORDS = "Waxaan jeclahay kubadda cagta iyo saaxiibadayda"      # the child's words (Somali)
PRIVATE_WORDS = "Sirta aan rabo inaan ilaaliyo PRIVATE-7731"  # kept private by the child

# Every kind of item: step, form, value (or a media maker), sharing choice.
FULL = [
    ("feel-today", "feelings", ["happy", "worried"], "panel"),
    ("going-well", "choice", ["friends", "learning"], "panel"),
    ("enjoy", "text", WORDS, "panel"),
    ("feel-more", "voice", lambda: capture_media.clean_audio(io.BytesIO(wav(1))), "panel"),
    ("people", "voice", lambda: capture_media.clean_audio(io.BytesIO(wav(1))), "panel_words"),
    ("safe-drawing", "drawing", lambda: capture_media.clean_image(io.BytesIO(png())), "panel"),
    ("matters-photo", "photo", lambda: capture_media.clean_image(io.BytesIO(png((40, 30)))), "panel"),
    ("hopes", "text", PRIVATE_WORDS, "private"),
]


def child_session(app, world, key="p1", language="so", answers=FULL, case_id=None):
    """A finished session with consent, answers and the child's sharing choices, made through
    the capture and consent services. Returns {step id: (answer id, version id)}."""
    with app.test_request_context():
        session = db.session()
        case = session.get(Case, case_id or world.cases[key])
        ictg = session.get(User, world.people[f"ictg.{key}"].id)
        g.user, g.auth_session = ictg, SimpleNamespace(child_session_id=None)
        questionnaire = capture.questionnaires()[QUESTIONNAIRE]
        sitting = capture.start(case, ictg, questionnaire, language, "ICTG and interpreter", None)
        consent.record_consent(sitting, ictg, True, "interpreter", language, "yes",
                               "ICTG and interpreter")
        ids, choices = {}, {}
        for step_id, form, value, choice in answers:
            step = questionnaire.step(step_id)
            if callable(value):
                cleaned = value()
                try:
                    version = capture.save(sitting, step, form, upload=cleaned)
                finally:
                    cleaned.discard()
            else:
                version = capture.save(sitting, step, form, value)
            ids[step_id] = (version.answer.id, version.id)
            choices[version.answer.id] = choice
        consent.choose(sitting, ictg, choices)
        capture.finish(sitting)
        session.commit()
    return ids


def review_form(ids, provenance="interpreter", overview="She wants to keep playing football.",
                action="approve", **extra):
    """The review page's fields for the FULL fixture: translations and the account."""
    data = {"overview": overview, "action": action,
            f"translation-{ids['enjoy'][0]}": "I like football and my friends",
            f"provenance-{ids['enjoy'][0]}": provenance,
            f"translation-{ids['feel-more'][0]}": "I feel a bit better now",
            f"provenance-{ids['feel-more'][0]}": provenance,
            f"account-{ids['people'][0]}": "She talked about her foster family and her friend.",
            f"provenance-{ids['people'][0]}": provenance}
    data.update(extra)
    return data


def approved(app, client, world, key="p1", ids=None, **kwargs):
    """A session reviewed and approved by the case's advocate; returns (ids, summary id)."""
    ids = ids or child_session(app, world, key)
    as_person(app, client, world.people[f"advocate.{key}"])
    response = post_form(client, f"/cases/{world.cases[key]}/review", review_form(ids, **kwargs))
    assert response.status_code == 302, response.text
    match = re.search(r"/summaries/([^/]+)$", response.headers["Location"])
    return ids, match.group(1)


def panel_client(app, world, who="panel_member.n1"):
    client = app.test_client()
    as_person(app, client, world.people[who])
    return client


def endpoint_for(app, world, panel="n1"):
    with app.test_request_context():
        delivery.create_endpoint(world.orgs[panel], "Case records", "https://records.example.org/hook",
                                 list(delivery.EVENT_TYPES))
        db.session().commit()


def outbox(app, event_type=None):
    """Every outbox event's type and opened JSON body."""
    with app.test_request_context():
        session = db.session()
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at)).all()
        return [(e.type, json.loads(worker.event_body(e, session)))
                for e in rows if event_type in (None, e.type)]


def notices(app, person, kind):
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == person.id, Notification.kind == kind))


# --- the advocate's review -------------------------------------------------------------------

def test_approval_is_blocked_until_every_translation_is_checked(app, client, world):
    ids = child_session(app, world)
    case_id = world.cases["p1"]
    assert notices(app, world.people["advocate.p1"], "session_ready_for_review") == 1
    as_person(app, client, world.people["advocate.p1"])
    page = client.get(f"/cases/{case_id}/review")
    assert page.status_code == 200
    assert WORDS in page.text and PRIVATE_WORDS not in page.text
    assert "1 answer the child kept private" in page.text

    # Nothing written yet: every missing piece is listed and nothing is approved.
    response = post_form(client, f"/cases/{case_id}/review",
                         {"action": "approve", "overview": ""})
    assert response.status_code == 400
    assert "Approval is blocked" in response.text
    assert response.text.count("Add a translation into English") >= 2
    assert "Write an account of what the child said in the recording" in response.text
    assert "Write your overview" in response.text

    # Translations that are drafts still block approval, but what was written is kept.
    response = post_form(client, f"/cases/{case_id}/review", review_form(ids, provenance="draft"))
    assert response.status_code == 400
    assert "This translation is a draft" in response.text
    assert "I like football and my friends" in client.get(f"/cases/{case_id}/review").text
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Summary)) == 0

    # Checked by the interpreter: approval creates version 1 and tells the panel's members.
    response = post_form(client, f"/cases/{case_id}/review", review_form(ids))
    assert response.status_code == 302
    with app.app_context():
        [summary] = db.session().scalars(select(Summary)).all()
        assert summary.number == 1 and summary.item_count == 7 and summary.changes == []
        assert WORDS.encode() not in summary.body  # sealed under the case key
    assert notices(app, world.people["panel_member.n1"], "summary_arrived") == 1
    assert notices(app, world.people["panel_member.n2"], "summary_arrived") == 0
    # Only the case's advocate reviews: not the ICTG, not another provider's advocate.
    for who, status in (("ictg.p1", 403), ("advocate.p2", 404), ("panel_member.n1", 404)):
        other = app.test_client()
        as_person(app, other, world.people[who])
        assert other.get(f"/cases/{case_id}/review").status_code == status, who


def test_the_advocate_is_told_what_was_kept_private_apart_from_what_is_not_finished(app, client,
                                                                                      world):
    child_session(app, world)  # finished: one answer kept private
    with app.test_request_context():  # a second session, not finished: two answers, not chosen
        session = db.session()
        ictg = session.get(User, world.people["ictg.p1"].id)
        g.user, g.auth_session = ictg, SimpleNamespace(child_session_id=None)
        questionnaire = capture.questionnaires()[QUESTIONNAIRE]
        sitting = capture.start(session.get(Case, world.cases["p1"]), ictg, questionnaire, "so",
                                "ICTG", None)
        consent.record_consent(sitting, ictg, True, "interpreter", "so", "yes", "ICTG")
        capture.save(sitting, questionnaire.step("enjoy"), "text", "Kubadda")
        capture.save(sitting, questionnaire.step("hopes"), "text", "Iskuul")
        session.commit()
    as_person(app, client, world.people["advocate.p1"])
    page = html.unescape(client.get(f"/cases/{world.cases['p1']}/review").text)
    assert "1 answer the child kept private is not shown here" in page
    assert "2 answers of sessions the child has not finished are not shared" in page


def test_send_back_to_the_ictg_with_a_reason(app, client, world):
    child_session(app, world)
    case_id = world.cases["p1"]
    as_person(app, client, world.people["advocate.p1"])
    response = post_form(client, f"/cases/{case_id}/review/send-back", {"reason": ""})
    assert response.status_code == 400 and "Enter why you are sending it back" in response.text
    response = post_form(client, f"/cases/{case_id}/review/send-back",
                         {"reason": "Ask again about school with the Somali interpreter"})
    assert response.status_code == 302
    ictg = app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    page = ictg.get(f"/cases/{case_id}")
    assert "Sent back to the ICTG" in page.text
    assert "Ask again about school with the Somali interpreter" in page.text
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Summary)) == 0
    # The provider's admin sees the case but not the reason (content).
    admin = app.test_client()
    as_person(app, admin, world.people["org_admin.p1"])
    assert "Ask again about school" not in admin.get(f"/cases/{case_id}").text


def test_versions_say_what_changed_and_old_ones_stay_readable(app, client, world):
    endpoint_for(app, world)
    ids, first = approved(app, client, world)
    case_id = world.cases["p1"]
    # Approving again with nothing changed makes no new version.
    response = post_form(client, f"/cases/{case_id}/review", review_form(ids))
    assert response.status_code == 400 and "Nothing has changed since the last version" in response.text
    # A corrected translation and a new overview: version 2 says what changed.
    response = post_form(client, f"/cases/{case_id}/review", review_form(
        ids, overview="She wants to stay at her school.", **{
            f"translation-{ids['enjoy'][0]}": "I love football and my friends"}))
    assert response.status_code == 302
    second = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        versions = db.session().scalars(select(Summary).order_by(Summary.number)).all()
        assert [(v.number, v.changes) for v in versions] == [
            (1, []), (2, [{"change": "items_changed", "count": 1},
                          {"change": "overview_changed", "count": 1}])]
    panel = panel_client(app, world)
    page = panel.get(f"/summaries/{second}")
    assert page.status_code == 200
    assert "Items changed: 1; The advocate's overview changed" in html.unescape(page.text)
    old = panel.get(f"/summaries/{first}")
    assert old.status_code == 200 and "This is not the newest version" in old.text
    assert "I like football and my friends" in old.text  # the old version as it was
    assert panel.get(f"/summaries/{second}.json").get_json()["summary"] == {
        "id": second, "version": 2, "previous_id": first,
        "changes": [{"change": "items_changed", "count": 1},
                    {"change": "overview_changed", "count": 1}]}
    assert [t for t, _b in outbox(app)] == ["summary.submitted", "summary.updated"]
    # A stored version is never changed, not even by mistake in code.
    with app.test_request_context():
        stored = db.session().get(Summary, first)
        stored.item_count = 0
        with pytest.raises(PermissionError):
            db.session().flush()


# --- the summary is a contract ---------------------------------------------------------------

def test_every_produced_summary_matches_the_published_schema(app, client, world):
    """Built from a fixture with every kind of item: the stored summary, the JSON the panel
    gets, and the webhook body all validate; the schema is served at its public address."""
    endpoint_for(app, world)
    ids, summary_id = approved(app, client, world)
    with app.test_request_context():
        summary = db.session().get(Summary, summary_id)
        stored = summary_document.stored(summary)
    assert list(VALIDATOR.iter_errors(stored)) == []
    assert {item["kind"] for item in stored["items"]} == {
        "feelings", "choice", "text", "voice", "drawing", "photo"}
    assert {item["sharing"] for item in stored["items"]} == {"panel", "panel_words"}
    panel = panel_client(app, world)
    served = panel.get(f"/summaries/{summary_id}.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    document = served.get_json()
    assert list(VALIDATOR.iter_errors(document)) == []
    [(event_type, body)] = outbox(app)
    assert event_type == "summary.submitted"
    assert list(VALIDATOR.iter_errors(body["data"])) == []

    # What the document says: the child's words, the translation and who made it, the
    # question in both languages, the overview marked as the advocate's, no other name.
    items = {item["id"]: item for item in document["items"]}
    text = items[ids["enjoy"][0]]
    assert text["child_words"] == WORDS and text["language"] == "so"
    assert text["translation"] == {"text": "I like football and my friends",
                                   "provenance": "interpreter"}
    assert text["question"]["en"] == "What do you enjoy doing?"
    feelings = items[ids["feel-today"][0]]
    assert [o["en"] for o in feelings["options"]] == ["Happy", "Worried"]
    assert document["overview"] == {"text": "She wants to keep playing football.",
                                    "written_by": "advocate p1", "role": "advocate"}
    assert document["child"] == {"called": "Child of p1", "age_band": "12-15",
                                 "languages": ["ar", "en"]}
    assert document["sessions"][0]["consent"]["given_how"] == "interpreter"
    assert document["schema"] == {"name": "child-views-summary", "version": 1}
    def keys(value):
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        return {k for v in value for k in keys(v)} if isinstance(value, list) else set()
    assert not keys(document) & {"address", "date_of_birth", "dob", "surname"}  # no such field

    # Drift: a field the schema does not know, or a missing one, fails validation.
    drifted = json.loads(json.dumps(document))
    drifted["items"][0]["mood"] = "happy"
    assert list(VALIDATOR.iter_errors(drifted))
    del drifted["items"][0]["mood"]
    del drifted["child"]["age_band"]
    assert list(VALIDATOR.iter_errors(drifted))
    with app.test_request_context(), pytest.raises(summary_document.InvalidSummary):
        summary_document.validate(drifted)

    # The published schema, at its public address, for anyone.
    anonymous = app.test_client()
    response = anonymous.get("/schemas/child-views-summary/1.json")
    assert response.status_code == 200 and response.mimetype == "application/schema+json"
    published = response.get_json()
    assert published == json.loads(SCHEMA_FILE.read_text())
    assert published["$id"] == "/schemas/child-views-summary/1.json"
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(published)


def test_private_items_are_unreachable_by_the_panel_on_every_route(app, client, world):
    ids, summary_id = approved(app, client, world)
    panel = panel_client(app, world)
    document = panel.get(f"/summaries/{summary_id}.json").get_json()
    pages = [panel.get(f"/summaries/{summary_id}").text,
             panel.get(f"/summaries/{summary_id}/print").text,
             json.dumps(document, ensure_ascii=False), panel.get("/panel").text]
    private_answer, private_version = ids["hopes"]
    for page in pages:
        assert PRIVATE_WORDS not in page and private_answer not in page
        assert private_version not in page
    assert WORDS in pages[0] and WORDS in pages[1]

    items = {item["id"]: item for item in document["items"]}
    # A recording shared as words only: the advocate's account, never an audio link.
    words_only = items[ids["people"][0]]
    assert words_only["sharing"] == "panel_words" and words_only["media"] is None
    assert words_only["account"]["text"].startswith("She talked about")
    assert ids["people"][1] not in json.dumps(document)
    # Shared media: signed links with opaque ids that work for the panel member, audited.
    drawing = items[ids["safe-drawing"][0]]["media"]
    assert drawing["url"].startswith("http://localhost/summaries/")
    path = drawing["url"].replace("http://localhost", "")
    response = panel.get(path)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert panel.get(path.replace("signature=", "signature=0")).status_code == 404
    assert panel.get(path.split("?")[0]).status_code == 404
    # A correctly signed link to a private item's or a words-only recording's file: refused.
    with app.test_request_context():
        summary = db.session().get(Summary, summary_id)
        forged = [door.media_link(summary, version, "http://localhost/")["url"].replace("http://localhost", "")
                  for version in (private_version, ids["people"][1])]
    for url in forged:
        assert panel.get(url).status_code == 404
    # The capture module's own media route does not open private items to the panel either.
    assert panel.get(f"/media/{private_version}").status_code == 404
    # Another panel, and somebody signed out, get nothing.
    other = panel_client(app, world, "panel_member.n2")
    for url in (f"/summaries/{summary_id}", f"/summaries/{summary_id}.json",
                f"/summaries/{summary_id}/print", path):
        assert other.get(url).status_code == 404
        assert app.test_client().get(url).status_code == 302
    # The panel member never reaches the case itself.
    assert panel.get(f"/cases/{world.cases['p1']}").status_code == 404


def test_a_summary_link_expires_within_a_day(app, client, world):
    ids, summary_id = approved(app, client, world)
    panel = panel_client(app, world)
    url = next(item["media"]["url"] for item in panel.get(f"/summaries/{summary_id}.json")
               .get_json()["items"] if item["media"])
    expires = int(re.search(r"expires=(\d+)", url).group(1))
    assert 0 < expires - time.time() <= 24 * 3600
    later = re.sub(r"expires=\d+", f"expires={expires + 3600}", url).replace("http://localhost", "")
    assert panel.get(later).status_code == 404  # the signature covers the expiry


# --- changing their mind ---------------------------------------------------------------------

def test_a_withdrawn_item_disappears_at_once_and_is_retracted(app, client, world):
    endpoint_for(app, world)
    ids, summary_id = approved(app, client, world)
    panel = panel_client(app, world)
    before = {item["id"]: item for item in panel.get(f"/summaries/{summary_id}.json")
              .get_json()["items"]}
    drawing_url = before[ids["safe-drawing"][0]]["media"]["url"].replace("http://localhost", "")
    assert panel.get(drawing_url).status_code == 200

    case_id = world.cases["p1"]
    ictg = app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    page = ictg.get(f"/cases/{case_id}/withdraw")
    assert page.status_code == 200
    assert "It must be the child's decision, not yours" in html.unescape(page.text)
    # Without confirming it is the child's own decision, nothing happens.
    response = post_form(ictg, f"/cases/{case_id}/withdraw",
                         {"what": ids["safe-drawing"][0], "how": "interpreter"})
    assert response.status_code == 400 and "Confirm that this is the child" in response.text
    response = post_form(ictg, f"/cases/{case_id}/withdraw",
                         {"what": ids["safe-drawing"][0], "how": "interpreter",
                          "note": "She said it in Somali with the interpreter",
                          "childs_decision": "y"})
    assert response.status_code == 302

    # At once: the panel sees only "withdrawn by the child", and the file is gone for them.
    after = {item["id"]: item for item in panel.get(f"/summaries/{summary_id}.json")
             .get_json()["items"]}
    assert after[ids["safe-drawing"][0]] == {"id": ids["safe-drawing"][0], "withdrawn": True}
    assert after[ids["enjoy"][0]]["child_words"] == WORDS
    assert panel.get(drawing_url).status_code == 404
    assert "Withdrawn by the child" in panel.get(f"/summaries/{summary_id}").text
    assert "Withdrawn by the child" in panel.get(f"/summaries/{summary_id}/print").text
    assert "1 withdrawn by the child" in panel.get("/panel").text

    # The same transaction queued the retraction for the panel's endpoint.
    [(event_type, body)] = outbox(app, "summary.retracted")
    assert body["data"]["items"] == [ids["safe-drawing"][0]]
    assert body["data"]["everything"] is False and body["data"]["summary_id"] == summary_id
    with app.app_context():
        [event] = db.session().scalars(select(OutboxEvent).where(
            OutboxEvent.type == "summary.retracted")).all()
        assert db.session().scalar(select(func.count()).select_from(OutboxDelivery).where(
            OutboxDelivery.event_id == event.id)) == 1
        record = db.session().scalars(select(SharingRecord).order_by(SharingRecord.id.desc())).first()
        assert record.choice == "private" and record.recorded_by_id == world.people["ictg.p1"].id
    # The case page says where the retraction has reached.
    case_page = ictg.get(f"/cases/{case_id}").text
    assert "The child withdraws part or all of a summary" in case_page
    assert "Waiting to send" in case_page and "Case records" in case_page

    # Withdrawing the same item again is a clear no-op, not an error.
    response = post_form(ictg, f"/cases/{case_id}/withdraw",
                         {"what": ids["safe-drawing"][0], "how": "in_person", "childs_decision": "y"},
                         page=f"/cases/{case_id}/withdraw", follow_redirects=True)
    assert response.status_code == 200 and "the panel already cannot see this" in response.text
    assert len(outbox(app, "summary.retracted")) == 1

    # Everything: the panel sees nothing of the child's words any more.
    response = post_form(ictg, f"/cases/{case_id}/withdraw",
                         {"what": "everything", "how": "phone", "childs_decision": "y"})
    assert response.status_code == 302
    document = panel.get(f"/summaries/{summary_id}.json").get_json()
    assert all(item["withdrawn"] for item in document["items"])
    assert WORDS not in panel.get(f"/summaries/{summary_id}").text
    assert len(outbox(app, "summary.retracted")) == 2
    # Only the child's ICTG records it.
    advocate = app.test_client()
    as_person(app, advocate, world.people["advocate.p1"])
    assert advocate.get(f"/cases/{case_id}/withdraw").status_code == 403


# --- safeguarding ----------------------------------------------------------------------------

def test_a_safeguarding_concern_never_reaches_the_panel(app, client, world):
    endpoint_for(app, world)
    ids = child_session(app, world)
    case_id = world.cases["p1"]
    as_person(app, client, world.people["advocate.p1"])
    concern = "CONCERN-5521 an adult keeps calling her"
    assert post_form(client, f"/cases/{case_id}/safeguarding", {"concern": concern}).status_code == 302
    assert notices(app, world.people["ictg.p1"], push.SAFEGUARDING_ICTG) == 1
    assert notices(app, world.people["org_admin.p1"], push.SAFEGUARDING_ADMIN) == 1
    assert notices(app, world.people["panel_member.n1"], push.SAFEGUARDING_ICTG) == 0
    for who in ("ictg.p1", "org_admin.p1"):
        other = app.test_client()
        as_person(app, other, world.people[who])
        assert concern in other.get(f"/cases/{case_id}").text, who
    _ids, summary_id = approved(app, client, world, ids=ids)
    panel = panel_client(app, world)
    for url in (f"/summaries/{summary_id}", f"/summaries/{summary_id}.json",
                f"/summaries/{summary_id}/print", "/panel"):
        body = panel.get(url).get_data(as_text=True)
        assert "CONCERN-5521" not in body and "safeguarding" not in body.lower(), url
    assert all("CONCERN-5521" not in json.dumps(body) for _t, body in outbox(app))
    # A panel member's notices and push texts say nothing of it either.
    with app.test_request_context():
        assert "CONCERN" not in push.text(push.SAFEGUARDING_ICTG)[1]


def test_erasing_the_case_removes_every_review_and_summary_row(app, client, world):
    from voice.models import Base
    from voice.retention import service as retention
    _ids, summary_id = approved(app, client, world)
    panel_client(app, world).get(f"/summaries/{summary_id}")
    with app.test_request_context():
        admin = db.session().get(User, world.people["org_admin.p1"].id)
        assert retention.erase(world.cases["p1"], admin, "test")
        db.commit_unit()  # as the erasing request does when it answers
        for table in Base.metadata.sorted_tables:
            if table.name in ("summary", "summary_read", "review_item", "review_case"):
                assert db.session().scalar(select(func.count()).select_from(table)) == 0, table.name
    assert panel_client(app, world).get(f"/summaries/{summary_id}").status_code == 404

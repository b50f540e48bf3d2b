"""Closing a case, legal hold, erasure of a child's whole record, retention and purge-expired."""
from __future__ import annotations

import io
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import JSON, LargeBinary, String, Text, func, select

from voice import db, storage
from voice.cases import service as cases
from voice.crypto import CaseCipher, KeyDestroyed, load_kek
from voice.models import (Answer, AnswerVersion, AuditEvent, AuthSession, Base, CaptureSession,
                          Case, ConsentRecord, Organisation, SharingRecord, User, new_id, now)
from voice.retention import service

from .browser import assert_accessible, browser_sign_in
from .conftest import PASSWORD, as_person, post_form

SENTINELS = ("Child of p1", "SENTINEL-WHO-WAS-THERE", "SENTINEL-THE-CHILDS-WORDS",
             "SENTINEL-CONSENT-PRESENT")
MEDIA = b"SENTINEL-THE-CHILDS-VOICE " * 4000


# --- helpers ----------------------------------------------------------------------------------

def _fill_case(app, case_id: str, ictg_id: str) -> dict:
    """Give the case what a child's record holds: a session, an answer with a media file, consent
    and a sharing choice, each sealed under the case key. Returns the sealed blobs and the key."""
    with app.app_context():
        session = db.session()
        case = session.get(Case, case_id)
        cipher = cases.cipher(case)
        file_id, _size = storage.save(cipher, case_id, io.BytesIO(MEDIA))
        capture = CaptureSession(id=new_id(), case_id=case_id, questionnaire_id="q",
                                 questionnaire_version=1, language="en", started_by_id=ictg_id)
        capture.present = cipher.seal(capture.id, "present", SENTINELS[1])
        answer = Answer(id=new_id(), case_id=case_id, session_id=capture.id,
                        step_id="wishes")
        version = AnswerVersion(id=new_id(), case_id=case_id, answer_id=answer.id,
                                number=1, form="text", language="en", media_file_id=file_id)
        version.value = cipher.seal(version.id, "value", SENTINELS[2])
        consent = ConsentRecord(case_id=case_id, session_id=capture.id, agreed=True,
                                given_how="spoken", understood="yes", seal_id=new_id())
        consent.present = cipher.seal(consent.seal_id, "present", SENTINELS[3])
        sharing = SharingRecord(case_id=case_id, answer_id=answer.id, session_id=capture.id,
                                choice="panel")
        session.add_all([capture, answer, version, consent, sharing])
        session.commit()
        return {"key": case.wrapped_key, "file": file_id, "session": capture.id,
                "blobs": [case.name, capture.present, version.value, consent.present]}


def _expire(app, case_id: str, days_ago: int = 400) -> None:
    """Close the case long enough ago that its retention period (365 days) has ended."""
    with app.app_context():
        case = db.session().get(Case, case_id)
        case.closed_at = now() - timedelta(days=days_ago)
        case.panel_date = date.today() - timedelta(days=days_ago)
        db.session().commit()


def _purge(app) -> str:
    result = app.test_cli_runner().invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()  # the logs go to standard error


def _case(app, case_id: str) -> Case:
    """The case as stored now (detached, its columns loaded)."""
    with app.app_context():
        case = db.session().get(Case, case_id)
        db.session().expunge(case)
        return case


def _erasures(app, case_id: str) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "case.erase",
            AuditEvent.outcome == "ok"))


def _content_rows(app, case_id: str) -> int:
    """Rows of the case in every table whose rows go with the case."""
    with app.app_context():
        return sum(db.session().scalar(select(func.count()).select_from(table).where(
            table.c.case_id == case_id)) for table in service._content_tables())


def _dump(app) -> bytes:
    """Every text and binary value of every table, as a plain SQL dump would show them."""
    out = []
    with app.extensions["voice.engine"].connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c.name for c in table.columns
                       if isinstance(c.type, (String, Text, LargeBinary, JSON))]
            if not columns:
                continue
            for row in conn.execute(select(*[table.c[name] for name in columns])):
                for value in row:
                    if value is None:
                        continue
                    out.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(out)


def _raw_sqlite(app) -> bytes:
    """The bytes on disk of a SQLite database: the file and its write-ahead log."""
    path = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _make_stale(app) -> None:
    """The signed-in sessions last confirmed the password and code six minutes ago."""
    with app.app_context():
        for row in db.session().scalars(select(AuthSession)):
            row.reauth_at = now() - timedelta(minutes=6)
        db.session().commit()


def _erase_through_pages(client, case_id: str, reason: str = "The family asked; no longer needed"):
    erase = f"/cases/{case_id}/erase"
    response = post_form(client, erase, {"reason": reason})
    assert response.status_code == 200, response.text
    assert "Are you sure you want to erase this child's record?" in response.text
    return post_form(client, f"{erase}/confirm", {"reason": reason, "understood": "y"}, page=erase)


# --- erasure ----------------------------------------------------------------------------------

def test_every_table_of_a_cases_content_goes_with_the_case():
    """A new model that points at a case must say `__erase_with_case__ = True`, or erasure would
    leave its rows behind."""
    erased = set(service._content_tables())
    assert {"capture_session", "capture_answer_version", "consent_record",
            "sharing_record"} <= {table.name for table in erased}
    left = [table.name for table in Base.metadata.sorted_tables
            if any(fk.column.table.name == "child_case" for fk in table.foreign_keys)
            and table not in erased]
    assert left == []


def test_erasure_leaves_nothing_that_decrypts_and_every_route_answers_404(app, client, world):
    case_id = world.cases["p1"]
    filled = _fill_case(app, case_id, world.people["ictg.p1"].id)
    folder = Path(app.config["MEDIA_PATH"]) / case_id
    assert (folder / filled["file"]).exists()
    dump = _dump(app)
    assert filled["key"] in dump and all(blob in dump for blob in filled["blobs"])

    as_person(app, client, world.people["org_admin.p1"])
    erase_page = client.get(f"/cases/{case_id}/erase")
    assert erase_page.status_code == 200
    assert "the case's encryption key" in erase_page.text
    confirm = post_form(client, f"/cases/{case_id}/erase", {"reason": "Asked by the family"})
    assert "Recordings, drawings and photos" in confirm.text  # says what will be destroyed
    # Without ticking "I understand", nothing happens.
    unticked = post_form(client, f"/cases/{case_id}/erase/confirm",
                         {"reason": "Asked by the family"}, page=f"/cases/{case_id}/erase")
    assert unticked.status_code == 400 and "cannot be undone" in unticked.text
    assert _case(app, case_id).wrapped_key is not None

    response = _erase_through_pages(client, case_id, "Asked by the family")
    assert response.status_code == 302 and response.location.endswith("/cases/")
    assert "has been erased" in client.get("/cases/").text

    # The key and every content field are gone; only the tombstone stays.
    case = _case(app, case_id)
    assert case.wrapped_key is None and case.name is None and case.erased_at is not None
    assert case.erased_by_id == world.people["org_admin.p1"].id
    assert case.age_band == "" and case.languages == [] and case.ictg_id is None
    with app.app_context():
        assert service.reason(case, "erase_reason") == "Asked by the family"
        with pytest.raises(KeyDestroyed):
            cases.cipher(case)
    assert _content_rows(app, case_id) == 0
    assert not folder.exists()
    assert _erasures(app, case_id) == 1
    # Nothing of the child in the database, in plain or in a form the old key could open.
    dump = _dump(app)
    assert filled["key"] not in dump
    assert not any(blob in dump for blob in filled["blobs"])
    assert not any(word.encode() in dump for word in SENTINELS)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        raw = _raw_sqlite(app)
        assert filled["key"] not in raw, "the old wrapped key is still in the database file"
        assert not any(blob in raw for blob in filled["blobs"]), "sealed content still on disk"
    # The other provider's case is untouched.
    other = _case(app, world.cases["p2"])
    assert other.wrapped_key is not None and other.erased_at is None

    # Every route that takes the case (or its session) answers 404, to the team and the admin.
    ids = {"case_id": case_id, "session_id": filled["session"]}
    for who in ("org_admin.p1", "ictg.p1", "advocate.p1"):
        as_person(app, client, world.people[who])
        for rule in app.url_map.iter_rules():
            if not rule.arguments or not rule.arguments <= set(ids) or "GET" not in rule.methods:
                continue
            url = rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]
            assert client.get(url).status_code == 404, f"{who} GET {url}"
        assert "Child of p1" not in client.get("/cases/").text


def test_erasure_without_reauthentication_asks_for_it_and_changes_nothing(app, client, world):
    case_id = world.cases["p1"]
    admin = world.people["org_admin.p1"]
    as_person(app, client, admin)
    _make_stale(app)
    erase = f"/cases/{case_id}/erase"
    response = client.get(erase)
    assert response.status_code == 302 and response.location.startswith("/reauth")
    token_page = f"/cases/{case_id}/close"  # any page of the case with a form, for the token
    for url in (erase, f"{erase}/confirm"):
        response = post_form(client, url, {"reason": "Because", "understood": "y"}, page=token_page)
        assert response.status_code == 302 and response.location.startswith("/reauth")
    case = _case(app, case_id)
    assert case.wrapped_key is not None and case.erased_at is None
    assert _erasures(app, case_id) == 0

    code = pyotp.TOTP(admin.secret).at(time.time() + 30)
    response = post_form(client, f"/reauth?next={erase}", {"password": PASSWORD, "code": code})
    assert response.status_code == 302 and response.location == erase
    assert _erase_through_pages(client, case_id).status_code == 302
    assert _case(app, case_id).wrapped_key is None


def test_only_the_providers_admin_may_erase_or_hold(app, client, world):
    case_id = world.cases["p1"]
    for who, status in (("ictg.p1", 403), ("advocate.p1", 403), ("org_admin.p2", 404),
                        ("panel_member.n1", 404), ("org_admin.n1", 404)):
        as_person(app, client, world.people[who])
        for url in (f"/cases/{case_id}/erase", f"/cases/{case_id}/legal-hold"):
            assert client.get(url).status_code == status, (who, url)
    as_person(app, client, world.people["ictg.p1"])
    page = client.get(f"/cases/{case_id}").text
    assert "Erase this child" not in page and "legal hold" not in page
    assert "Close the case" in page


# --- legal hold -------------------------------------------------------------------------------

def test_a_held_case_cannot_be_erased_and_survives_purge(app, client, world):
    case_id = world.cases["p1"]
    filled = _fill_case(app, case_id, world.people["ictg.p1"].id)
    as_person(app, client, world.people["org_admin.p1"])
    hold = f"/cases/{case_id}/legal-hold"
    missing = post_form(client, hold, {"change": "set", "reason": ""})
    assert missing.status_code == 400 and "Enter the reason" in missing.text
    assert not _case(app, case_id).legal_hold
    assert post_form(client, hold, {"change": "set", "reason": "Police inquiry"}).status_code == 302
    case = _case(app, case_id)
    assert case.legal_hold and case.legal_hold_by_id == world.people["org_admin.p1"].id
    assert "Police inquiry" in client.get(hold).text
    assert b"Police inquiry" not in _dump(app)  # the reason is sealed too

    # The erase pages explain the refusal; a direct post is refused and changes nothing.
    assert "cannot be erased while the case is on legal hold" in client.get(
        f"/cases/{case_id}/erase").text
    refused = post_form(client, f"/cases/{case_id}/erase/confirm",
                        {"reason": "Because", "understood": "y"}, page=hold)
    assert refused.status_code == 409
    assert "cannot be erased while the case is on legal hold" in refused.text
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "case.erase",
            AuditEvent.outcome == "denied")) == 1
    with app.app_context(), pytest.raises(service.OnLegalHold):
        service.erase(case_id, None, "trying anyway")

    _expire(app, case_id)
    _expire(app, world.cases["p2"])
    assert _purge(app) == "erased 1 cases; 1 on legal hold kept; 0 media folders finished"
    case = _case(app, case_id)
    assert case.wrapped_key == filled["key"] and case.erased_at is None
    with app.app_context():
        assert cases.name(case) == "Child of p1"
        assert storage.read_all(cases.cipher(case), case_id, filled["file"]) == MEDIA
    assert _content_rows(app, case_id) == 5
    assert _case(app, world.cases["p2"]).erased_at is not None

    # Lifting needs a reason too; a stale form (the hold changed meanwhile) does nothing.
    assert post_form(client, hold, {"change": "set", "reason": "Again"}).status_code == 302
    assert _case(app, case_id).legal_hold
    assert post_form(client, hold, {"change": "lift", "reason": ""}).status_code == 400
    assert post_form(client, hold, {"change": "lift", "reason": "Inquiry closed"}).status_code == 302
    assert not _case(app, case_id).legal_hold
    assert "Inquiry closed" in client.get(hold).text
    assert _purge(app) == "erased 1 cases; 0 on legal hold kept; 0 media folders finished"
    assert _case(app, case_id).wrapped_key is None


# --- purge-expired ----------------------------------------------------------------------------

def test_purge_erases_only_expired_cases_and_is_safe_to_run_twice(app, world):
    expired, recent = world.cases["p1"], world.cases["p2"]
    filled = _fill_case(app, expired, world.people["ictg.p1"].id)
    _fill_case(app, recent, world.people["ictg.p2"].id)
    assert _purge(app) == "erased 0 cases; 0 on legal hold kept; 0 media folders finished"
    _expire(app, expired)
    _expire(app, recent, days_ago=100)  # closed, but within its 365 days
    output = _purge(app)
    assert output == "erased 1 cases; 0 on legal hold kept; 0 media folders finished"
    assert "Child of" not in output and expired not in output
    assert _case(app, expired).wrapped_key is None and _content_rows(app, expired) == 0
    assert not (Path(app.config["MEDIA_PATH"]) / expired).exists()
    assert filled["key"] not in _dump(app)
    assert _case(app, recent).wrapped_key is not None and _content_rows(app, recent) == 5
    with app.app_context():
        erased = db.session().get(Case, expired)
        assert erased.erased_by_id is None
        assert service.reason(erased, "erase_reason") == service.RETENTION_REASON

    assert _purge(app) == "erased 0 cases; 0 on legal hold kept; 0 media folders finished"
    assert _erasures(app, expired) == 1 and _erasures(app, recent) == 0

    # The retention period counts from the later of the panel date and the closure.
    with app.app_context():
        case = db.session().get(Case, recent)
        case.closed_at = now() - timedelta(days=400)
        case.panel_date = date.today() - timedelta(days=10)
        db.session().commit()
    assert _purge(app).startswith("erased 0 cases")
    with app.app_context():
        db.session().get(Organisation, world.orgs["p2"]).retention_days = 5
        db.session().commit()
    assert _purge(app).startswith("erased 1 cases")


def test_an_interrupted_purge_leaves_the_key_destroyed_and_the_next_run_finishes(
        app, world, monkeypatch):
    case_id = world.cases["p1"]
    filled = _fill_case(app, case_id, world.people["ictg.p1"].id)
    _expire(app, case_id)
    folder = Path(app.config["MEDIA_PATH"]) / case_id
    real_delete = storage.delete_case
    calls = []

    def power_cut(target):
        calls.append(target)
        if len(calls) == 1:
            raise OSError("the disk went away")
        real_delete(target)

    monkeypatch.setattr(storage, "delete_case", power_cut)
    assert _purge(app) == "erased 1 cases; 0 on legal hold kept; 0 media folders finished"
    # Half way: the media folder is still there, but nothing in it or in the database decrypts.
    assert (folder / filled["file"]).exists()
    case = _case(app, case_id)
    assert case.wrapped_key is None and _content_rows(app, case_id) == 0
    with app.app_context(), pytest.raises(KeyDestroyed):
        CaseCipher(load_kek(app.config["KEY_ENCRYPTION_KEY"]), case_id, case.wrapped_key)
    assert filled["key"] not in _dump(app)

    assert _purge(app) == "erased 0 cases; 0 on legal hold kept; 1 media folders finished"
    assert not folder.exists()
    assert _purge(app) == "erased 0 cases; 0 on legal hold kept; 0 media folders finished"
    assert _erasures(app, case_id) == 1


def test_concurrent_purges_erase_each_case_once(app, world):
    with app.app_context():
        session = db.session()
        provider = session.get(Organisation, world.orgs["p1"])
        panel = session.get(Organisation, world.orgs["n1"])
        ictg = session.get(User, world.people["ictg.p1"].id)
        ids = [world.cases["p1"]] + [
            cases.create(provider, panel, f"Child {n}", "8-11", ["en"], ictg, None, None).id
            for n in range(5)]
        session.commit()
    for case_id in ids:
        _expire(app, case_id)
    start = threading.Barrier(2)
    results, errors = [], []

    def purge():
        try:
            with app.app_context():
                start.wait()
                results.append(service.purge_expired())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=purge) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(result.erased for result in results) == len(ids)
    assert [_erasures(app, case_id) for case_id in ids] == [1] * len(ids)
    assert all(_case(app, case_id).wrapped_key is None for case_id in ids)


# --- closing and the retention period ---------------------------------------------------------

def test_closing_and_reopening_a_case(app, client, world):
    case_id = world.cases["p1"]
    for who in ("advocate.p2", "panel_member.n1"):
        as_person(app, client, world.people[who])
        assert client.get(f"/cases/{case_id}/close").status_code == 404
    as_person(app, client, world.people["ictg.p1"])
    close = f"/cases/{case_id}/close"
    page = client.get(close).text
    assert "kept for 365 days after the panel date" in page
    assert post_form(client, close, {"change": "close"}).status_code == 302
    case = _case(app, case_id)
    assert case.closed_at is not None
    shown = client.get(f"/cases/{case_id}").text
    assert "Closed on" in shown and "Reopen the case" in shown
    expires = case.panel_date + timedelta(days=365)
    with app.test_request_context():
        from flask_babel import format_date
        assert f"Until {format_date(expires)}, then erased" in shown
    # A second "close" from a stale page changes nothing; reopening clears the date.
    assert post_form(client, close, {"change": "close"}, page=close).status_code == 302
    assert _case(app, case_id).closed_at == case.closed_at
    assert post_form(client, close, {"change": "reopen"}).status_code == 302
    assert _case(app, case_id).closed_at is None
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.case_id == case_id, AuditEvent.outcome == "ok",
            AuditEvent.action.in_(("case.close", "case.reopen")))).all()
    assert sorted(actions) == ["case.close", "case.reopen"]


@pytest.mark.parametrize("days, message", [
    ("", "Enter the number of days, like 365"),
    ("ten", "Enter the number of days as a whole number, like 365"),
    ("2.5", "Enter the number of days as a whole number, like 365"),
    ("29", "Enter a number of days between 30 and 9125"),
    ("9126", "Enter a number of days between 30 and 9125"),
    ("-400", "Enter a number of days between 30 and 9125"),
])
def test_retention_period_bounds(app, client, world, days, message):
    as_person(app, client, world.people["org_admin.p1"])
    response = post_form(client, "/organisation/retention", {"days": days})
    assert response.status_code == 400
    assert message in response.text and "There is a problem" in response.text
    with app.app_context():
        assert db.session().get(Organisation, world.orgs["p1"]).retention_days == 365


def test_setting_the_retention_period(app, client, world):
    for who, status in (("ictg.p1", 403), ("org_admin.n1", 403)):  # panels keep no records
        as_person(app, client, world.people[who])
        assert client.get("/organisation/retention").status_code == status
    as_person(app, client, world.people["org_admin.p1"])
    assert post_form(client, "/organisation/retention", {"days": " 730 "}).status_code == 302
    with app.app_context():
        assert db.session().get(Organisation, world.orgs["p1"]).retention_days == 730
        assert db.session().get(Organisation, world.orgs["p2"]).retention_days == 365
    assert 'value="730"' in client.get("/organisation/retention").text


# --- in a real browser ------------------------------------------------------------------------

def test_erasing_a_record_in_the_browser(app, world, live_server, page):
    case_id = world.cases["p1"]
    _fill_case(app, case_id, world.people["ictg.p1"].id)
    browser_sign_in(page, live_server.url, world.people["org_admin.p1"], PASSWORD)
    page.goto(f"{live_server.url}/cases/{case_id}")
    page.get_by_role("button", name="Put the case on legal hold").click()
    assert_accessible(page)
    page.get_by_role("button", name="Put the case on legal hold").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why are you putting the case on legal hold?").fill("Police inquiry")
    page.get_by_role("button", name="Put the case on legal hold").click()
    expect(page.get_by_text("A case on legal hold cannot be erased.")).to_be_visible()
    page.goto(f"{live_server.url}/cases/{case_id}/erase")
    assert page.get_by_role("heading", level=1).inner_text() == "This case is on legal hold"
    assert_accessible(page)
    page.goto(f"{live_server.url}/cases/{case_id}/close")
    assert_accessible(page)
    page.get_by_role("button", name="Close the case").click()
    expect(page.get_by_text("Closed on")).to_be_visible()
    page.get_by_role("button", name="Lift the legal hold").click()
    page.get_by_label("Why are you lifting the legal hold?").fill("Inquiry closed")
    page.get_by_role("button", name="Lift the legal hold").click()
    assert_accessible(page)

    page.get_by_role("button", name="Erase this child's record").click()
    assert_accessible(page)
    page.get_by_label("Why is this child's record being erased?").fill("The family asked")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Are you sure you want to erase this child's record?"
    assert_accessible(page)
    page.get_by_role("button", name="Erase this child's record").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Erase this child's record").click()
    page.wait_for_url("**/cases/")
    expect(page.get_by_text("The child's record has been erased.")).to_be_visible()
    assert page.get_by_role("link", name="Child of p1").count() == 0

    page.goto(f"{live_server.url}/organisation/retention")
    assert_accessible(page)
    page.get_by_label("Days to keep a closed case").fill("7")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    assert page.js_errors == []


def test_erasure_tells_the_panels_case_record(app, world):
    from voice.delivery import service as delivery
    from voice.models import OutboxEvent

    with app.app_context():
        delivery.create_endpoint(world.orgs["n1"], "Case records", "http://127.0.0.1:9/",
                                 ["case.erased"])
        db.session().commit()
    _expire(app, world.cases["p1"])
    assert "erased 1 cases" in _purge(app)
    with app.app_context():
        events = db.session().scalars(select(OutboxEvent)).all()
        assert [(e.type, e.case_id, e.sealed) for e in events] == \
            [("case.erased", world.cases["p1"], False)]
        assert b"Child of p1" not in events[0].body

"""The panel's side: the agenda, read receipts, the panel's reference, the outcome and message
for the child, the ICTG's feedback, and the evaluation figures."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

from sqlalchemy import select

from voice import db
from voice.cases import service as cases
from voice.models import (Case, Organisation, Outcome, PanelReference, ReadReceipt, Summary,
                          User)

from .conftest import Person, as_person, post_form
from .scale import grow
from .test_review import approved, child_session, notices, panel_client

TEXT_ONLY = [("enjoy", "text", "Ciyaar", "panel"), ("hopes", "text", "Rajo", "private")]


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_agenda_shows_what_has_arrived_and_what_is_awaited(app, client, world):
    panel = panel_client(app, world)
    page = _text(panel.get("/panel"))
    # Before anything is submitted the panel learns only that views are awaited, not whose.
    assert "1 child's views are still awaited for this date" in page
    assert "Child of p1" not in page and world.cases["p1"] not in page
    _ids, summary_id = approved(app, client, world)
    page = _text(panel.get("/panel"))
    assert "Child of p1" in page and f"/summaries/{summary_id}" in page
    assert "still awaited" not in page
    assert "Not read" in page
    with app.app_context():
        panel_date = db.session().get(Case, world.cases["p1"]).panel_date
    assert panel_date.strftime("%-d %B %Y") in page
    # Another panel's agenda shows nothing of it; other roles have no agenda.
    assert "Child of p1" not in _text(panel_client(app, world, "panel_member.n2").get("/panel"))
    for who in ("advocate.p1", "org_admin.n1"):
        other = app.test_client()
        as_person(app, other, world.people[who])
        assert other.get("/panel").status_code == 403


def test_the_agenda_follows_each_cases_panel_date(app, client, world):
    """The agenda lists children by panel date, those without one last, 50 to a page: when a
    case's date changes or is removed, its line moves to the page its new date puts it on."""
    approved(app, client, world)
    grow(app, world, 60)  # panel dates from today to 29 days on, two cases each
    panel = panel_client(app, world)

    def pages():
        return [re.findall(r'href="/summaries/([A-Za-z0-9_-]{22})"',
                           _text(panel.get(f"/panel?page={number}"))) for number in (1, 2)]

    def move(summary_id, panel_date):
        with app.app_context():
            db.session().get(Summary, summary_id).case.panel_date = panel_date
            db.session().commit()

    first, second = pages()
    assert len(first) == 50 and len(second) == 11
    latest, earliest = second[-1], first[0]
    move(latest, date.today())
    first, second = pages()
    assert latest in first and latest not in second
    move(earliest, None)
    first, second = pages()
    assert earliest in second and earliest not in first
    assert len(set(first + second)) == 61


def test_read_receipts_for_the_provider_and_the_chair(app, client, world):
    _ids, summary_id = approved(app, client, world)
    case_id = world.cases["p1"]
    # A second member of the panel, and the panel's admin makes the first one chair.
    with app.app_context():
        session = db.session()
        session.add(User(email="second.n1@example.org", display_name="Second member n1",
                         role="panel_member", org_id=world.orgs["n1"], password_hash="x"))
        session.commit()
    admin = panel_client(app, world, "org_admin.n1")
    chairs = admin.get("/panel/chairs")
    assert chairs.status_code == 200 and "Second member n1" in chairs.text
    assert post_form(admin, "/panel/chairs",
                     {"chairs": [world.people["panel_member.n1"].id]}).status_code == 302

    advocate_page = _text(client.get(f"/cases/{case_id}"))
    assert "Nobody in the panel has read it yet" in advocate_page
    chair = panel_client(app, world)
    page = _text(chair.get(f"/summaries/{summary_id}"))
    assert "Members who have not read this version" in page and "Second member n1" in page
    chair.get(f"/summaries/{summary_id}")  # the first read is the one kept
    with app.app_context():
        [receipt] = db.session().scalars(select(ReadReceipt)).all()
        assert receipt.user_id == world.people["panel_member.n1"].id
    # The provider sees who has read the child's views, and that it was before the panel date.
    advocate_page = _text(client.get(f"/cases/{case_id}"))
    assert re.search(r"panel_member n1</td>\s*<td[^>]*>[^<]+</td>\s*<td[^>]*>Yes</td>",
                     advocate_page)
    provider_admin = app.test_client()
    as_person(app, provider_admin, world.people["org_admin.p1"])
    assert "panel_member n1" in _text(provider_admin.get(f"/cases/{case_id}"))
    # Only the chair sees who has not read it.
    with app.app_context():
        second = db.session().scalar(select(User).where(User.email == "second.n1@example.org"))
        second_person = Person(second.id, second.email, "panel_member", second.org_id)
    member = app.test_client()
    as_person(app, member, second_person)
    page = _text(member.get(f"/summaries/{summary_id}"))
    assert "Members who have not read this version" not in page
    assert "Every member has read it" in _text(chair.get(f"/summaries/{summary_id}"))
    # The panel's admin may name chairs but never reads a child's views.
    assert admin.get(f"/summaries/{summary_id}").status_code == 404


def test_the_panel_reference_goes_into_the_summary(app, client, world):
    _ids, summary_id = approved(app, client, world)
    panel = panel_client(app, world)
    assert post_form(panel, f"/summaries/{summary_id}/reference", {"reference": "NRM-2027-0042"},
                     page=f"/summaries/{summary_id}").status_code == 302
    document = panel.get(f"/summaries/{summary_id}.json").get_json()
    assert document["case"]["panel_reference"] == "NRM-2027-0042"
    assert "NRM-2027-0042" in panel.get("/panel").text
    with app.app_context():
        raw = db.session().execute(select(PanelReference.reference)).scalar()
        assert b"NRM-2027" not in raw


def test_outcome_message_and_the_ictg_closes_the_loop(app, client, world):
    _ids, summary_id = approved(app, client, world)
    panel = panel_client(app, world)
    case_id = world.cases["p1"]
    url = f"/summaries/{summary_id}/outcome"
    response = post_form(panel, url, {"decision": "She stays with her foster family.",
                                      "considered": "", "message": "You can stay."})
    assert response.status_code == 400
    assert "Enter how the panel considered the child's views" in _text(response)
    response = post_form(panel, url, {
        "decision": "She stays with her foster family and school.",
        "considered": "Her wish to stay at school and near her friend decided it.",
        "message": "We listened to you. You can stay at your school and with your family."})
    assert response.status_code == 302
    assert notices(app, world.people["ictg.p1"], "feedback_arrived") == 1
    assert "Not yet" in _text(panel.get(f"/summaries/{summary_id}"))

    ictg = app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    page = _text(ictg.get(f"/cases/{case_id}"))
    assert "We listened to you. You can stay at your school" in page
    assert "Her wish to stay at school" in page and "Record that you told the child" in page
    response = post_form(ictg, f"/cases/{case_id}/feedback", {"how": "", "note": ""})
    assert response.status_code == 400 and "Select how you told the child" in _text(response)
    response = post_form(ictg, f"/cases/{case_id}/feedback",
                         {"how": "interpreter", "note": "She smiled and asked about school."})
    assert response.status_code == 302
    with app.app_context():
        [outcome] = db.session().scalars(select(Outcome)).all()
        assert outcome.feedback_at is not None and outcome.feedback_how == "interpreter"
        assert outcome.feedback_by_id == world.people["ictg.p1"].id
        assert b"We listened" not in outcome.message
    page = _text(ictg.get(f"/cases/{case_id}"))
    assert "Record that you told the child" not in page and "In person, with an interpreter" in page
    assert "Told to the child" in page and "Yes, on" in _text(panel.get(f"/summaries/{summary_id}"))
    # Nothing left to tell: the page says so instead of offering the form again.
    response = ictg.get(f"/cases/{case_id}/feedback", follow_redirects=True)
    assert "There is no decision waiting to be told to the child" in _text(response)
    # Only the panel records an outcome, only the ICTG records the feedback.
    assert client.get(url).status_code == 403
    assert panel_client(app, world, "panel_member.n2").get(url).status_code == 404
    assert client.get(f"/cases/{case_id}/feedback").status_code == 403


def _more_cases(app, world, count, panel_date):
    """More cases of provider p1 (panel n1); all of p1's cases get this panel date."""
    with app.test_request_context():
        session = db.session()
        ictg = session.get(User, world.people["ictg.p1"].id)
        advocate = session.get(User, world.people["advocate.p1"].id)
        provider = session.get(Organisation, world.orgs["p1"])
        panel = session.get(Organisation, world.orgs["n1"])
        ids = [cases.create(provider, panel, f"Extra child {n}", "12-15", ["so"], ictg, advocate,
                            panel_date).id for n in range(count)]
        session.get(Case, world.cases["p1"]).panel_date = panel_date
        session.commit()
    return ids


def test_evaluation_figures_hide_small_numbers_and_no_child(app, client, world):
    today = date.today()
    panel_date = (today.replace(day=1) + timedelta(days=40)).replace(day=15)  # a later month
    extra = _more_cases(app, world, 4, panel_date)
    # One finished session for each of five p1 cases (p1's own and the four extra) ...
    for case_id in [world.cases["p1"]] + extra:
        child_session(app, world, language="en", answers=TEXT_ONLY, case_id=case_id)
    # ... and a second one for p1, approved and read by the panel.
    _ids, summary_id = approved(app, client, world)
    panel_client(app, world).get(f"/summaries/{summary_id}")

    admin = app.test_client()
    as_person(app, admin, world.people["org_admin.p1"])
    response = admin.get("/evaluation")
    assert response.status_code == 200
    page = _text(response)
    def cells(month):
        row = re.search(rf"<tr[^>]*>\s*<td[^>]*>{month:%B %Y}</td>(.*?)</tr>", page, re.S)
        assert row, page
        return re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    # This month: 6 sessions of 5 children; 12 of their 18 answers shared.
    assert cells(today) == ["6", "67%", "No data", "No data", "No data", "No data", "No data"]
    # The panel's month: one child's summary read (fewer than 5 children); the median days
    # from the last session to the panel of five children.
    assert cells(panel_date) == ["No data", "No data", "not shown: fewer than 5 cases", "No data",
                                 f"{(panel_date - today).days} days", "No data", "No data"]
    assert "<svg" in page and 'role="img"' in page
    assert ">not shown: fewer than 5 cases</text>" in page  # in the chart too
    # No child-level data: no names, no case ids, no links to cases or summaries.
    for secret in ["Child of p1", "Extra child", summary_id, world.cases["p1"]] + extra:
        assert secret not in page
    assert re.search(r'href="/(cases|summaries|sessions|media)/[^"]', page) is None
    # Another provider's admin sees none of these children; the service admin sees all.
    other = app.test_client()
    as_person(app, other, world.people["org_admin.p2"])
    assert "There are no figures yet" in other.get("/evaluation").text
    service_admin = app.test_client()
    as_person(app, service_admin, world.people["service_admin"])
    assert ">6<" in service_admin.get("/evaluation").text
    # Panel members and case workers have no figures page.
    assert panel_client(app, world).get("/evaluation").status_code == 403
    assert client.get("/evaluation").status_code == 403

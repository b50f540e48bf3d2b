"""Staff tables on a phone, in real Chromium at 320 CSS px, in English and Welsh: the page never
scrolls sideways (a wide table scrolls in its own box) and nothing spills out of a cell, yet no
word shorter than 12 letters is broken across lines ("Recor|ded"); only long strings such as
addresses may break."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from voice import db
from voice.auth import sessions
from voice.models import CaptureSession, User, WebhookEndpoint

from .test_review import approved, child_session, endpoint_for

# The audit's checks in the page (the same ones the accessibility suite runs at 320 px).
CHECKS = Path(__file__).resolve().parent.parent / "accessibility" / "checks.js"


def _pages(app, world) -> list[tuple[str, str]]:
    """(person, path) of every staff page with a table, with records that fill the tables."""
    endpoint_for(app, world)  # the summary's delivery fills the endpoint's table
    ids = child_session(app, world, "p1", "ar")
    _ids, summary_id = approved(app, app.test_client(), world, "p1", ids=ids)
    with app.app_context():
        session_id = db.session().scalar(select(CaptureSession.id))
        endpoint_id = db.session().scalar(select(WebhookEndpoint.id))
    case = world.cases["p1"]
    return [("ictg.p1", "/cases/"), ("ictg.p1", f"/cases/{case}"),
            ("ictg.p1", f"/sessions/{session_id}"), ("advocate.p1", "/account/notifications"),
            ("ictg.p1", "/languages"), ("org_admin.p1", "/organisation/people"),
            ("org_admin.p1", "/organisation/audit"), ("org_admin.p1", f"/cases/{case}/audit"),
            ("org_admin.p1", "/evaluation"), ("panel_member.n1", f"/summaries/{summary_id}"),
            ("panel_member.n1", "/panel"), ("org_admin.n1", "/organisation/endpoints"),
            ("org_admin.n1", f"/organisation/endpoints/{endpoint_id}"),
            ("service_admin", "/admin/organisations")]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_tables_fit_a_phone_without_breaking_words(app, world, live_server, page):
    pages = _pages(app, world)
    page.context.add_init_script(path=str(CHECKS))
    page.set_viewport_size({"width": 320, "height": 640})
    problems = []
    for language in ("en", "cy"):
        with app.test_request_context():
            for user in db.session().scalars(select(User)):
                user.locale = language
            tokens = {key: sessions.start(db.session().get(User, person.id))
                      for key, person in world.people.items()}
            db.session().commit()
        for who, path in pages:
            page.context.clear_cookies()
            page.context.add_cookies([{"name": "voice", "value": tokens[who],
                                       "url": live_server.url}])
            assert page.goto(live_server.url + path).status == 200, path
            found = page.evaluate("() => __a11y.tables()")
            if not page.locator("table").count():
                found.append("no table (the records do not fill it)")
            if page.evaluate("document.documentElement.scrollWidth") > 320:
                found.append("the page scrolls sideways")
            problems += [f"[{language}] {path}: {problem}" for problem in found]
    assert problems == [], "\n".join(problems)

"""Actions that need the password and a code again (`fresh=`), in a real browser: past the
five minutes, the person confirms it is them, comes back to the page they acted from and
completes the action there (never a "method not allowed" page)."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
from playwright.sync_api import expect
from sqlalchemy import select

from voice import db
from voice.auth import sessions
from voice.delivery import service as delivery
from voice.models import AuthSession, Case, User, WebhookEndpoint, now

from .browser import assert_accessible
from .conftest import PASSWORD

FRESH = {"admin.change_role", "admin.toggle_active", "retention.erase", "retention.erase_confirm",
         "delivery.new_endpoint", "delivery.rotate", "delivery.turn_on"}


def test_every_fresh_only_action_has_a_browser_test_here(app):
    declared = {rule.endpoint for rule in app.url_map.iter_rules()
                if getattr(app.view_functions[rule.endpoint], "access_details", {}).get("fresh")}
    assert declared == FRESH


def _signed_in(app, page, base, person) -> None:
    with app.test_request_context():
        token = sessions.start(db.session().get(User, person.id))
        db.session().commit()
    page.context.add_cookies([{"name": "voice", "value": token, "url": base}])


def _stale(app) -> None:
    """The password and code were last confirmed six minutes ago."""
    with app.app_context():
        for row in db.session().scalars(select(AuthSession)):
            row.reauth_at = now() - timedelta(minutes=6)
        db.session().commit()


def _confirm_it_is_you(page, person, back: str, pending: bool = True, step: int = 0) -> None:
    """On the re-authentication page: say whether a change is waiting, confirm, and land on back."""
    page.wait_for_url(re.compile(r"/reauth\?next=/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm it is you"
    assert page.get_by_text("Nothing has been changed yet").count() == (1 if pending else 0)
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Code").fill(pyotp.TOTP(person.secret).at(time.time() + 30 * step))
    page.get_by_role("button", name="Confirm it is you").click()
    page.wait_for_url(f"**{back}")


def _user(app, person) -> User:
    with app.app_context():
        user = db.session().get(User, person.id)
        db.session().expunge(user)
        return user


def _act_when_stale(app, page, base, person, back, act) -> None:
    """On the page `back`, past the five minutes, take the action `act`: the person is asked to
    confirm it is them, then is back on `back`, where the caller checks nothing changed yet."""
    _signed_in(app, page, base, person)
    page.goto(base + back)
    _stale(app)
    act()
    _confirm_it_is_you(page, person, back)


def test_changing_a_role(app, world, live_server, page):
    admin, person = world.people["org_admin.p1"], world.people["ictg.p1"]

    def act():
        page.get_by_label("Advocate").check()
        page.get_by_role("button", name="Change role").click()
    _act_when_stale(app, page, live_server.url, admin, f"/organisation/people/{person.id}", act)
    assert _user(app, person).role == "ictg"
    act()
    page.get_by_text("Role changed.").wait_for()  # the page after the change, once it has come
    assert _user(app, person).role == "advocate"
    assert page.js_errors == []


def test_turning_off_an_account(app, world, live_server, page):
    admin, person = world.people["org_admin.p1"], world.people["ictg.p1"]
    act = page.get_by_role("button", name="Turn off this account").click
    _act_when_stale(app, page, live_server.url, admin, f"/organisation/people/{person.id}", act)
    assert _user(app, person).active
    act()
    expect(page.get_by_text("Account turned off")).to_be_visible()
    assert not _user(app, person).active


def _erased(app, case_id) -> bool:
    with app.app_context():
        return db.session().get(Case, case_id).erased_at is not None


def _erase(page, reason="The family asked") -> None:
    page.get_by_label("Why is this child's record being erased?").fill(reason)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Erase this child's record").click()
    page.wait_for_url("**/cases/")
    expect(page.get_by_text("The child's record has been erased.")).to_be_visible()


def test_opening_the_erase_page(app, world, live_server, page):
    admin, case_id = world.people["org_admin.p1"], world.cases["p1"]
    _signed_in(app, page, live_server.url, admin)
    page.goto(f"{live_server.url}/cases/{case_id}")
    _stale(app)
    page.get_by_role("button", name="Erase this child's record").click()
    _confirm_it_is_you(page, admin, f"/cases/{case_id}/erase", pending=False)
    _erase(page)
    assert _erased(app, case_id)


def test_confirming_an_erasure(app, world, live_server, page):
    admin, case_id = world.people["org_admin.p1"], world.cases["p1"]
    _signed_in(app, page, live_server.url, admin)
    page.goto(f"{live_server.url}/cases/{case_id}/erase")
    page.get_by_label("Why is this child's record being erased?").fill("The family asked")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("I understand that this cannot be undone").check()
    _stale(app)
    page.get_by_role("button", name="Erase this child's record").click()
    _confirm_it_is_you(page, admin, f"/cases/{case_id}/erase")
    assert not _erased(app, case_id)
    assert "The family asked" not in page.content()  # what was entered is not carried along
    _erase(page)
    assert _erased(app, case_id)


def _endpoints(app) -> list[WebhookEndpoint]:
    with app.app_context():
        rows = db.session().scalars(select(WebhookEndpoint)).all()
        db.session().expunge_all()
        return rows


def _add_endpoint(page) -> None:
    page.get_by_label("Name").fill("Panel records")
    page.get_by_label("Web address (URL)").fill("http://127.0.0.1:9/hooks")
    page.get_by_label("A summary of the child's views is submitted").check()
    page.get_by_role("button", name="Add endpoint").click()
    assert page.locator("[data-signing-secret]").inner_text().startswith("whsec_")


def test_adding_an_endpoint(app, world, live_server, page):
    admin = world.people["org_admin.n1"]
    _signed_in(app, page, live_server.url, admin)
    page.goto(f"{live_server.url}/organisation/endpoints")
    _stale(app)
    page.get_by_role("button", name="Add an endpoint").click()
    _confirm_it_is_you(page, admin, "/organisation/endpoints/new", pending=False)
    _stale(app)  # the form stayed open a while
    page.get_by_label("Name").fill("Panel records")
    page.get_by_role("button", name="Add endpoint").click()
    _confirm_it_is_you(page, admin, "/organisation/endpoints/new", step=1)
    assert _endpoints(app) == []
    _add_endpoint(page)
    assert [e.name for e in _endpoints(app)] == ["Panel records"]


def _endpoint(app, world, active=True) -> str:
    with app.app_context():
        endpoint, _ = delivery.create_endpoint(world.orgs["n1"], "Case records",
                                               "http://127.0.0.1:9/", ["summary.submitted"])
        endpoint.active = active
        db.session().commit()
        return endpoint.id


def test_rotating_a_signing_secret(app, world, live_server, page):
    admin, endpoint_id = world.people["org_admin.n1"], _endpoint(app, world)
    act = page.get_by_role("button", name="Rotate the signing secret").click
    _act_when_stale(app, page, live_server.url, admin, f"/organisation/endpoints/{endpoint_id}", act)
    assert _endpoints(app)[0].previous_secret is None
    act()
    assert page.locator("[data-signing-secret]").inner_text().startswith("whsec_")
    assert _endpoints(app)[0].previous_secret is not None


def test_turning_an_endpoint_on(app, world, live_server, page):
    admin, endpoint_id = world.people["org_admin.n1"], _endpoint(app, world, active=False)
    act = page.get_by_role("button", name="Turn on").click
    _act_when_stale(app, page, live_server.url, admin, f"/organisation/endpoints/{endpoint_id}", act)
    assert not _endpoints(app)[0].active
    act()
    expect(page.get_by_text("Endpoint turned on")).to_be_visible()
    assert _endpoints(app)[0].active

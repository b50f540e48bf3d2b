"""Real Chromium: sign in with a TOTP code; the sign-in, two-factor and case pages are accessible."""
from __future__ import annotations

import time

import pyotp
from playwright.sync_api import expect

from voice import db
from voice.models import User

from .browser import assert_accessible
from .conftest import PASSWORD


def test_sign_in_enrol_and_case_list_are_accessible(app, world, live_server, page):
    person = world.people["ictg.p1"]
    with app.app_context():
        db.session().get(User, person.id).totp_secret = None
        db.session().commit()
    page.goto(f"{live_server.url}/sign-in")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()  # empty form: errors linked to fields
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert page.title().startswith("Error:")
    assert_accessible(page)
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/sign-in/set-up-two-factor**")
    expect(page.locator(".voice-qr svg")).to_be_visible()
    assert_accessible(page)
    secret = page.locator(".voice-secret").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".voice-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("button", name="I have kept my codes safe").click()
    page.wait_for_url("**/cases/")
    expect(page.get_by_role("link", name="Child of p1")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Child of p1").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Child of p1"
    assert_accessible(page)
    assert page.js_errors == []


def test_returning_sign_in_with_code_in_welsh(app, world, live_server, page):
    person = world.people["advocate.p1"]
    with app.app_context():
        db.session().get(User, person.id).locale = "cy"
        db.session().commit()
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/sign-in/code**")
    assert_accessible(page)
    page.get_by_label("Code").fill(pyotp.TOTP(person.secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/cases/")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert_accessible(page)

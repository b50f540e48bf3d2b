"""Real Chromium (Debian's) driven by Playwright, against the app served on 127.0.0.1."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pyotp
import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu", "--use-fake-device-for-media-stream",
                 "--use-fake-ui-for-media-stream"]
# Test tooling, read from the npm package: never copied into the served static folder.
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe-core's best-practice rules too (landmarks, heading order, one h1, content in a region).
ALL_TAGS = WCAG_TAGS + ["best-practice"]


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app):
    app.config["SERVER_NAME"] = None
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(chromium, **options):
    """A page in a browser context of its own (one person's device), its script errors kept in
    `js_errors`; `options` change the context's (a phone's viewport, touch). The caller closes
    `page.context`. The service worker is blocked unless `service_workers="allow"`: a test of
    what it does says so (installing it, with its precache, costs every test a fifth more)."""
    context = chromium.new_context(**{"bypass_csp": True, "service_workers": "block",
                                      "viewport": {"width": 1024, "height": 800}, **options})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


@pytest.fixture
def page(chromium, request):
    """new_page; with the service worker in tests marked `service_worker`."""
    allowed = request.node.get_closest_marker("service_worker") is not None
    page = new_page(chromium, service_workers="allow" if allowed else "block")
    yield page
    page.context.close()


@pytest.fixture
def another_page(chromium):
    """new_page for each further person in a test; their contexts close with the test (left
    open, their pages would keep working in the worker's browser for the rest of the run)."""
    pages = []

    def make(**options):
        pages.append(new_page(chromium, **options))
        return pages[-1]
    yield make
    for opened in pages:
        opened.context.close()


def axe_violations(page, tags=WCAG_TAGS) -> list[dict]:
    """axe-core's violations for the page as it is now (WCAG 2.2 A and AA rules)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))", tags)
    return result


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core on {page.url}:\n{json.dumps(violations, indent=1)}"


def click_until_seen(locator, tries: int = 3) -> None:
    """Click the element until it has seen a click: on a loaded machine Chromium now and then
    loses one (the pointer's events arrive and no click follows), and a recorder, say, never
    starts. The element is held by its handle, so a label that changes on the click does not
    matter."""
    element = locator.element_handle()
    element.evaluate("el => { el.voiceClicks = 0; "
                     "el.addEventListener('click', () => { el.voiceClicks += 1; }, true); }")
    for _ in range(tries):
        element.click()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if element.evaluate("el => el.voiceClicks"):
                return
            time.sleep(0.05)
    raise AssertionError(f"{tries} clicks on {locator} reached nothing")


def browser_sign_in(page, base_url: str, person, password: str) -> None:
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/sign-in/code**")
    totp = pyotp.TOTP(person.secret)
    page.get_by_label("Code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/cases/**")


def translator(app, language: str):
    """The words a person sees in `language`, to find controls by their translated names."""
    from flask_babel import force_locale, gettext

    from voice.i18n import LOCALES

    def translate(text: str, **variables) -> str:
        with app.test_request_context(), force_locale(LOCALES[language]):
            return gettext(text, **variables)
    return translate

"""The audit of one page in real Chromium, and the walk over a list of pages.

Each page is opened once, at the size people mostly use it (staff pages 1024 px wide, child
pages a 360 x 740 phone), with `prefers-reduced-motion: reduce` emulated, and checked by:
axe-core (WCAG 2.2 A and AA rules, and its best-practice rules), one batch of DOM checks (one
h1, a title, nothing by colour alone, no motion, child targets of 44 x 44 px), the Tab key
walked through the page (every control reached, each with a visible focus), then the width set
to 320 px and to 640 px with the root font size at 200% (no sideways scrolling, no text cut
off). The checks inside the page are in checks.js.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.browser import ALL_TAGS, AXE
from voice import i18n

from .site import GUARDIAN_PAGES, Visit

HERE = Path(__file__).resolve().parent
CHECKS = HERE / "checks.js"
SCREENSHOTS = HERE / "screenshots"
STAFF_SIZE = {"width": 1024, "height": 768}
PHONE_SIZE = {"width": 360, "height": 740}
NARROW = 320
ZOOM_WIDTH = 640
HTML = re.compile(r"^text/html\b")


@dataclass
class Outcome:
    visit: Visit
    url: str
    kind: str                      # "page", "not html", "redirect"
    title: str = ""
    problems: list[str] = field(default_factory=list)


class Walker:
    """One browser context per person or device, reused for all of that one's pages."""

    def __init__(self, browser, base_url: str, language: str, cookies: dict, locale: str,
                 layout: bool = True):
        self.browser, self.base_url, self.language = browser, base_url, language
        self.cookies, self.locale = cookies, locale
        self.layout = layout  # the Tab key walk and reflow, which depend on markup and styles only
        self.pages = {}
        self.errors: list[str] = []
        self.expected_status = 200

    def page(self, who: str):
        if who not in self.pages:
            # The pages as the server sends them: what the service worker keeps on a device is
            # tests/test_offline_sw.py's (installing it in every context costs a fifth more).
            context = self.browser.new_context(locale=self.locale, reduced_motion="reduce",
                                               viewport=STAFF_SIZE, service_workers="block")
            context.set_default_timeout(15000)
            context.add_init_script(path=str(AXE))
            context.add_init_script(path=str(CHECKS))
            context.add_cookies([{"name": name, "value": value, "url": self.base_url}
                                 for name, value in self.cookies.get(who, {}).items()])
            page = context.new_page()
            page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
            page.on("console", self._console)
            page.on("response", self._response)
            self.pages[who] = page
        return self.pages[who]

    def _console(self, message) -> None:
        # A failed load is reported with its address by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console error: {message.text}")

    def _response(self, response) -> None:
        if response.url.endswith("/favicon.ico"):
            return  # the browser's own guess for a file shown on its own, not the page's
        if response.status >= 400 and not (response.request.is_navigation_request()
                                           and response.status == self.expected_status):
            self.errors.append(f"{response.url} answered {response.status}")

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()

    def audit(self, visit: Visit, path: str, screenshot: str | None = None) -> Outcome:
        page = self.page(visit.who)
        size = PHONE_SIZE if visit.child else STAFF_SIZE
        page.set_viewport_size(size)
        url = self.base_url + path
        self.errors.clear()
        self.expected_status = visit.status
        response = page.goto(url)
        if visit.then:
            response = self._act(page, visit.then) or response
        outcome = Outcome(visit, url, "page")
        if response.request.redirected_from is not None:
            outcome.kind = "redirect"
            return outcome
        if not HTML.match(response.headers.get("content-type", "")):
            outcome.kind = "not html"
            if response.status != 200:
                outcome.problems.append(f"answered {response.status}")
            return outcome
        problems = outcome.problems
        if response.status != visit.status:
            problems.append(f"answered {response.status} instead of {visit.status} "
                            f"(is {visit.who!r} the right person for it in accessibility/site.py?)")
            return outcome
        problems += page.evaluate("tags => __a11y.axe(tags)", ALL_TAGS)
        found = page.evaluate("options => __a11y.inspect(options)", {"child": visit.child})
        outcome.title = found["title"].strip()
        problems += found["problems"]
        if not outcome.title:
            problems.append("empty title")
        # Staff pages (the guardian's in child mode too) are in a staff language: the person's
        # own, else English; child pages in the child's.
        staff = self.language if self.language in i18n.STAFF_LANGUAGES else "en"
        wanted = self.language if visit.child and visit.endpoint not in GUARDIAN_PAGES else staff
        if found["lang"] != wanted:
            problems.append(f'<html lang="{found["lang"]}">, expected "{wanted}"')
        if found["dir"] != ("rtl" if wanted in i18n.RTL else "ltr"):
            problems.append(f'<html dir="{found["dir"]}"> in {wanted}')
        if screenshot:
            page.evaluate("() => __a11y.fonts()")
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=False)
        if self.layout:
            problems += self._keyboard(page)
            page.set_viewport_size({"width": NARROW, "height": size["height"]})
            problems += [f"at {NARROW} px: {p}"
                         for p in page.evaluate("w => __a11y.reflow(w)", NARROW)]
            page.set_viewport_size({"width": ZOOM_WIDTH, "height": size["height"]})
            problems += [f"text at 200% ({ZOOM_WIDTH} px): {p}"
                         for p in page.evaluate("w => __a11y.reflow(w, '200%')", ZOOM_WIDTH)]
        problems += self.errors
        return outcome

    @staticmethod
    def _keyboard(page) -> list[str]:
        expected = page.evaluate("() => __a11y.prepare()")
        # Media controls take several stops each; a few more for stops the page adds on its own.
        presses = len(expected) + 5 * sum(1 for item in expected if item["media"]) + 10
        # Pressed until every control was reached (a press at least for each one not reached
        # yet), or the presses above were all made: not pressed on round the page again.
        pressed, wanted = 0, len({item["group"] for item in expected})
        while True:
            batch = min(wanted, presses - pressed)
            for _ in range(batch):
                page.keyboard.press("Tab")
            pressed += batch
            result = page.evaluate("expected => __a11y.tabResult(expected)", expected)
            wanted = len(result["unreached"])
            if not wanted or pressed >= presses:
                break
        return [f"not reached with the Tab key: {what}" for what in result["unreached"]] + \
            [f"no visible focus (outline or box-shadow): {what}" for what in result["unseen"]] + \
            [f"focused but hidden behind other content: {what}" for what in result["hidden"]]

    @staticmethod
    def _act(page, action: str):
        """Put the page in the state the visit audits; the response of the resulting page."""
        if action == "submit":
            with page.expect_navigation() as navigation:
                page.locator("main form button[type=submit], main form button:not([type])").first.click()
            return navigation.value
        if action == "wrong-secret":
            page.locator("#secret").fill("not the secret")
            with page.expect_navigation() as navigation:
                page.locator("main form button[type=submit]").first.click()
            return navigation.value
        raise ValueError(action)
